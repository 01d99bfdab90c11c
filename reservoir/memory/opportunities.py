"""Opportunities and their evidence: create, merge new mentions, list with filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from reservoir.memory.filters import OpportunityFilter
from reservoir.memory.hashing import short_hash
from reservoir.memory.models import (
    IDEA_SCORES,
    OPPORTUNITY_STATUSES,
    Document,
    Evidence,
    Opportunity,
    utcnow,
)
from reservoir.memory.pagination import Page, paginate

# The one opportunity filter (memory/filters.py), under the name the list query used.
OpportunityQuery = OpportunityFilter


@dataclass
class EvidenceIn:
    document_id: int
    quote: str
    kind: str = "claim"


@dataclass
class OpportunityIn:
    key: str
    title: str
    summary: str
    automation_type: str
    industries: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    prerequisites: list[str] = field(default_factory=list)
    complexity: int = 5
    evidence: list[EvidenceIn] = field(default_factory=list)


def _union(old: list[str], new: list[str]) -> list[str]:
    seen = {item.lower() for item in old}
    return old + [item for item in new if item.lower() not in seen and not seen.add(item.lower())]


def add_evidence(session: Session, opportunity: Opportunity, items: list[EvidenceIn]) -> int:
    """Attach quotes once each; returns how many were new."""
    added = 0
    for item in items:
        digest = short_hash(item.quote)
        exists = session.exec(select(Evidence.id).where(
            Evidence.opportunity_id == opportunity.id, Evidence.document_id == item.document_id,
            Evidence.quote_hash == digest)).first()
        if exists is None:
            session.add(Evidence(opportunity_id=opportunity.id, document_id=item.document_id,
                                 quote=item.quote, quote_hash=digest, kind=item.kind))
            added += 1
    session.flush()
    return added


def refresh_mentions(session: Session, opportunity: Opportunity) -> None:
    """Mentions = distinct documents that support the opportunity (trend velocity)."""
    count = session.exec(select(func.count(func.distinct(Evidence.document_id))).where(
        Evidence.opportunity_id == opportunity.id)).one()
    opportunity.mentions = int(count)


def create_opportunity(session: Session, item: OpportunityIn) -> Opportunity:
    opp = Opportunity(
        key=item.key, title=item.title, summary=item.summary,
        automation_type=item.automation_type, industries=list(item.industries),
        tools=list(item.tools), steps=list(item.steps), prerequisites=list(item.prerequisites),
        complexity=max(1, min(10, item.complexity)),
    )
    session.add(opp)
    session.flush()
    add_evidence(session, opp, item.evidence)
    refresh_mentions(session, opp)
    session.add(opp)
    session.flush()
    return opp


def merge_into(session: Session, opp: Opportunity, item: OpportunityIn) -> int:
    """A new mention of a known opportunity: union facts, add evidence, bump last_seen."""
    opp.industries = _union(opp.industries, item.industries)
    opp.tools = _union(opp.tools, item.tools)
    opp.steps = _union(opp.steps, item.steps)
    opp.prerequisites = _union(opp.prerequisites, item.prerequisites)
    added = add_evidence(session, opp, item.evidence)
    if added:
        opp.last_seen = utcnow()
    refresh_mentions(session, opp)
    opp.updated_at = utcnow()
    session.add(opp)
    session.flush()
    return added


def get_by_key(session: Session, key: str) -> Opportunity | None:
    return session.exec(select(Opportunity).where(Opportunity.key == key)).first()


def set_status(session: Session, opp_id: int, status: str) -> Opportunity:
    if status not in OPPORTUNITY_STATUSES:
        raise ValueError(f"unknown status {status!r}; choose one of {', '.join(OPPORTUNITY_STATUSES)}")
    opp = session.get(Opportunity, opp_id)
    if opp is None:
        raise LookupError(f"opportunity {opp_id} not found")
    opp.status, opp.updated_at = status, utcnow()
    session.add(opp)
    session.flush()
    return opp


def set_scores(session: Session, opp: Opportunity, scores: dict[str, int]) -> None:
    for name in (*IDEA_SCORES, "total_score"):
        if name in scores:
            setattr(opp, name, int(max(0, min(100, scores[name]))))
    session.add(opp)


def filtered(query: OpportunityFilter) -> Any:
    """The list query: every opportunity the filter lets through (its one SQL builder)."""
    statement = select(Opportunity)
    clause = query.clause()
    return statement if clause is None else statement.where(clause)


def list_opportunities(session: Session, query: OpportunityQuery | None = None, *,
                       limit: int = 50, offset: int = 0) -> Page[Opportunity]:
    statement = filtered(query or OpportunityQuery())
    return paginate(session, statement,
                    [Opportunity.created_at.desc(), Opportunity.id.desc()], limit, offset)


def evidence_for(session: Session, opp_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Evidence with the url of its document, so every claim can be checked at its source."""
    if not opp_ids:
        return {}
    rows = session.exec(
        select(Evidence, Document.url, Document.title)
        .join(Document, Document.id == Evidence.document_id)
        .where(col(Evidence.opportunity_id).in_(opp_ids))
        .order_by(Evidence.id)
    ).all()
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in opp_ids}
    for evidence, url, title in rows:
        out[evidence.opportunity_id].append({
            "document_id": evidence.document_id, "url": url, "title": title,
            "quote": evidence.quote, "kind": evidence.kind,
        })
    return out


def to_public(opp: Opportunity, evidence: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Stable field names for --json output and the API."""
    data: dict[str, Any] = {
        "id": opp.id, "title": opp.title, "summary": opp.summary,
        "automation_type": opp.automation_type, "industries": opp.industries,
        "tools": opp.tools, "steps": opp.steps, "prerequisites": opp.prerequisites,
        "complexity": opp.complexity, "mentions": opp.mentions, "status": opp.status,
        "first_seen": opp.first_seen.isoformat(), "last_seen": opp.last_seen.isoformat(),
        "scores": {name: getattr(opp, name) for name in (*IDEA_SCORES, "total_score")},
    }
    if evidence is not None:
        data["evidence"] = evidence
    return data

