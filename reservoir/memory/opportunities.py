"""Opportunities and their evidence: create, merge new mentions, list with filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from reservoir.memory.filters import OpportunityFilter
from reservoir.memory.hashing import short_hash
from reservoir.memory.models import (
    IDEA_SCORES,
    OPPORTUNITY_STATUSES,
    BusinessProfile,
    Document,
    Evidence,
    Opportunity,
    RoiEstimate,
    utcnow,
)
from reservoir.memory.pagination import Page, paginate
from reservoir.memory.public import (
    OpportunityDetail,
    OpportunityHit,
    OpportunityWithEvidence,
    RoiEstimatePublic,
)

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



def with_evidence(session: Session, opps: list[Opportunity]) -> list[OpportunityWithEvidence]:
    """A page of opportunities as lists show them: each with its evidence (one query)."""
    evidence = evidence_for(session, [o.id for o in opps if o.id is not None])
    return [OpportunityWithEvidence.model_validate(o, update={"evidence": evidence.get(o.id, [])})
            for o in opps]


def hits_public(session: Session, rows: list[tuple[Any, Opportunity]]) -> list[OpportunityHit]:
    """Search hits (``(hit, opportunity)``, best first) with evidence, relevance and ranks."""
    evidence = evidence_for(session, [o.id for _, o in rows if o.id is not None])
    return [OpportunityHit.model_validate(o, update={
        "evidence": evidence.get(o.id, []), "score": hit.score, "dense_rank": hit.dense_rank,
        "lexical_rank": hit.lexical_rank}) for hit, o in rows]


def roi_for(session: Session, opp_id: int) -> list[RoiEstimatePublic]:
    """The opportunity's ROI for each profile, by profile name."""
    rows = session.exec(
        select(RoiEstimate, BusinessProfile.name)
        .join(BusinessProfile, BusinessProfile.id == RoiEstimate.profile_id)
        .where(RoiEstimate.opportunity_id == opp_id).order_by(BusinessProfile.name)
    ).all()
    return [RoiEstimatePublic.model_validate(roi, update={"profile_name": name}) for roi, name in rows]


TraceFn = Callable[[list[str], list[str], list[dict[str, Any]]], dict[str, Any]]


def opportunity_detail(session: Session, opp: Opportunity, trace: TraceFn) -> OpportunityDetail:
    """One opportunity as the API and ``opportunities show`` give it: evidence, the sentence
    naming each tool and industry (``trace``: the verifier's rules, which live above memory),
    and its ROI per profile."""
    evidence = evidence_for(session, [opp.id]).get(opp.id, []) if opp.id is not None else []
    return OpportunityDetail.model_validate(opp, update={
        "evidence": evidence, "traces": trace(opp.tools, opp.industries, evidence),
        "roi": roi_for(session, opp.id) if opp.id is not None else []})
