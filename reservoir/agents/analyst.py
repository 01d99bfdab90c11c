"""Analyst: turn new documents into opportunities with verbatim evidence, merged not duplicated.

Extraction runs concurrently (it is where a model spends its time); merging runs in document
order, one transaction per document that also marks it analysed — so a run killed at any
point and resumed repeats no finished document and duplicates nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select

from reservoir.agents import extractive
from reservoir.agents.findings import Finding, NumberClaim, opportunity_key
from reservoir.agents.prose import unmarked
from reservoir.agents.verify import claim_count, verify
from reservoir.deps import Deps
from reservoir.llm import BudgetExhausted
from reservoir.memory.db import session_scope
from reservoir.memory.documents import mark_analysed
from reservoir.memory.indexing import opportunity_items
from reservoir.memory.models import Document, Opportunity, Run
from reservoir.memory.opportunities import (
    EvidenceIn,
    OpportunityIn,
    create_opportunity,
    get_by_key,
    merge_into,
)
from reservoir.memory.sentence_vectors import remember

log = logging.getLogger(__name__)

EXTRACTIVE_VERSION = "extractive-v1"


@dataclass
class DocView:
    """What an engine sees of a document: a snapshot, not a live row."""

    id: int
    url: str
    title: str
    text: str


Engine = Callable[[DocView, Deps], Awaitable[list[Finding]]]


def extractive_findings(doc: DocView) -> list[Finding]:
    """The deterministic strategy: taxonomy, tool catalogue and number regexes."""
    findings = []
    for cand in extractive.extract_candidates(doc.text, title=doc.title):
        numbers = [NumberClaim(field=n.field, value=n.value, quote=unmarked(n.sentence))
                   for n in cand.numbers]
        findings.append(Finding(
            title=cand.title, summary=cand.summary, automation_type=cand.automation_type,
            industries=list(cand.industries), tools=list(cand.tools), steps=list(cand.steps),
            prerequisites=[], complexity=cand.complexity, evidence=list(cand.evidence),
            numbers=numbers, industry_quotes=dict(cand.industry_quotes)))
    return findings


async def extractive_engine(doc: DocView, deps: Deps) -> list[Finding]:
    return extractive_findings(doc)


def pick_engine(deps: Deps) -> tuple[Engine, str]:
    if not deps.llm.has_model("analyst"):
        return extractive_engine, EXTRACTIVE_VERSION
    if deps.settings.analyst_engine == "crewai":
        from reservoir.agents.analyst_crew import crew_engine, crew_version

        return crew_engine, crew_version(deps)
    from reservoir.agents.analyst_llm import llm_engine, llm_version

    return llm_engine, llm_version(deps)


def pending_documents(deps: Deps, run_id: str | None = None, limit: int = 10_000) -> list[DocView]:
    """Every stored document not yet analysed: a crash in any earlier run loses nothing.

    Ordered by url, not by id: ids follow the order in which parallel fetches finished, and
    merging must not depend on that, or a resumed run could differ from an uninterrupted one.
    Documents another run is still working on are left to it, so concurrent runs on several
    workers never analyse the same document twice.
    """
    ended = select(Run.id).where(col(Run.status).in_(["succeeded", "failed", "cancelled"]))
    mine = or_(col(Document.run_id).is_(None), col(Document.run_id).in_(ended))
    if run_id is not None:
        mine = or_(mine, Document.run_id == run_id)
    with session_scope(deps.settings) as session:
        rows = session.exec(select(Document).where(col(Document.analysed_at).is_(None), mine)
                            .order_by(Document.url).limit(limit)).all()
        return [DocView(d.id, d.url, d.title, d.text) for d in rows if d.id is not None]


def has_signal(doc: DocView, threshold: float) -> tuple[bool, float]:
    """Worth analysing: enough automation signal, or a maker's description of what a product
    does (a connector readme says "integration" once, a case study says "automated" ten
    times; see ``capability``)."""
    score = extractive.automation_signal(doc.title + "\n" + doc.text)
    return score >= threshold or extractive.states_capability(doc.text), score


def verify_all(raw: list[Finding], doc: DocView) -> tuple[list[Finding], Counter[str]]:
    """Every engine's findings through the one verification layer; drops counted by kind."""
    kept: list[Finding] = []
    dropped: Counter[str] = Counter()
    for finding in raw:
        verdict = verify(finding, doc.text, doc_ref=doc.url)
        dropped.update(verdict.dropped)
        if verdict.finding is not None:
            kept.append(verdict.finding)
    return kept, dropped


async def _extract_one(engine: Engine, doc: DocView, deps: Deps
                       ) -> tuple[list[Finding], Counter[str]] | None:
    """Verified findings and what was dropped; None when the model budget is spent (the
    document stays pending for a resumed run rather than being analysed without it)."""
    fallback = False
    try:
        raw = await engine(doc, deps)
    except BudgetExhausted:
        return None
    except Exception as exc:  # noqa: BLE001 — a failed model call falls back, never aborts
        log.warning("engine failed on document %s (%s); using the extractive strategy", doc.id, exc)
        raw, fallback = extractive_findings(doc), True
    verified, dropped = verify_all(raw, doc)
    if dropped:
        deps.emit("analyst", "claims_dropped", {"document_id": doc.id, **dropped})
    if fallback:
        dropped["engine_fallbacks"] += 1
    dropped["claims_checked"] += sum(claim_count(f) for f in raw)
    return verified, dropped


def _to_input(finding: Finding, doc_id: int) -> OpportunityIn:
    evidence = [EvidenceIn(doc_id, quote) for quote in finding.evidence]
    evidence += [EvidenceIn(doc_id, n.quote, kind=n.field) for n in finding.numbers]
    evidence += [EvidenceIn(doc_id, q, kind="tool") for q in finding.tool_quotes.values()]
    evidence += [EvidenceIn(doc_id, q, kind="industry") for q in finding.industry_quotes.values()]
    return OpportunityIn(
        key=opportunity_key(finding), title=finding.title, summary=finding.summary,
        automation_type=finding.automation_type, industries=finding.industries,
        tools=finding.tools, steps=finding.steps, prerequisites=finding.prerequisites,
        complexity=finding.complexity, evidence=evidence)


def _similar_existing(deps: Deps, session: Any, finding: Finding, vector: list[float]
                      ) -> Opportunity | None:
    """A known opportunity that says the same thing, by dense similarity over a threshold."""
    from reservoir.memory.vectors import OPPORTUNITIES

    for opp_id, score in deps.vector_store().dense_search(OPPORTUNITIES, vector, 5):
        if score < deps.settings.merge_threshold:
            break
        opp = session.get(Opportunity, opp_id)
        if opp is not None and opp.automation_type == finding.automation_type:
            return opp
    return None


def _create_or_merge(session: Any, item: OpportunityIn) -> tuple[Opportunity, bool]:
    """Another worker may create the same key between our lookup and insert: then merge."""
    try:
        with session.begin_nested():
            return create_opportunity(session, item), True
    except IntegrityError:
        existing = get_by_key(session, item.key)
        if existing is None:
            raise
        merge_into(session, existing, item)
        return existing, False


def merge_document(deps: Deps, doc: DocView, findings: list[Finding], version: str,
                   signal: float) -> tuple[list[int], int]:
    """One transaction: create or merge each finding, then mark the document analysed."""
    touched: list[int] = []
    created = 0
    # Embedded in one batch before the transaction opens: the write lock is held for SQL only.
    vectors = deps.vector_store().embedder.embed([f"{f.title}. {f.summary}" for f in findings]) \
        if findings else []
    quotes: list[str] = []
    with session_scope(deps.settings, write=True) as session:
        for finding, vector in zip(findings, vectors, strict=True):
            item = _to_input(finding, doc.id)
            quotes += [e.quote for e in item.evidence]
            opp = get_by_key(session, item.key) or _similar_existing(deps, session, finding, vector)
            if opp is None:
                opp, new = _create_or_merge(session, item)
                created += new
            else:
                merge_into(session, opp, item)
            touched.append(opp.id)  # type: ignore[arg-type]
        row = session.get(Document, doc.id)
        if row is not None:
            row.signal = signal
            mark_analysed(session, row, version)
        rows = [session.get(Opportunity, i) for i in touched]
        items = opportunity_items(rows)
    if items:
        deps.vector_store().upsert_opportunities(items)
    # What ask scores of these opportunities (their quotes and titles), embedded now.
    remember(deps.settings, deps.vector_store().embedder,
             quotes + [o.title for o in rows if o])
    return touched, created


def restore_missing_vectors(deps: Deps) -> int:
    """Re-embed opportunities whose point is missing (a crash between commit and upsert)."""
    from reservoir.memory.vectors import OPPORTUNITIES

    with session_scope(deps.settings) as session:
        opps = {o.id: o for o in session.exec(select(Opportunity)).all()}
        if not opps:
            return 0
        found, _ = deps.vector_store().vectors_for(OPPORTUNITIES, list(opps))
        items = opportunity_items(opps[i] for i in set(opps) - set(found))
    if items:
        log.warning("restoring %d opportunity vectors missing after an interruption", len(items))
        deps.vector_store().upsert_opportunities(items)
    return len(items)


async def analyse_pending(deps: Deps, *, run_id: str | None = None,
                          cancelled: Callable[[], bool] = lambda: False) -> dict[str, Any]:
    """The analyst node's work, callable on its own (evals, benchmarks)."""
    engine, version = pick_engine(deps)
    docs = pending_documents(deps, run_id)
    if docs:
        await asyncio.to_thread(restore_missing_vectors, deps)
    with_signal: list[tuple[DocView, float]] = []
    skipped: list[tuple[DocView, float]] = []
    for doc in docs:
        ok, score = has_signal(doc, deps.settings.signal_threshold)
        (with_signal if ok else skipped).append((doc, score))
    for doc, score in skipped:
        merge_document(deps, doc, [], f"{version}:low-signal", score)
    tasks = [asyncio.ensure_future(_extract_one(engine, doc, deps)) for doc, _ in with_signal]
    touched: list[int] = []
    created = left = 0
    dropped: Counter[str] = Counter()
    try:
        for (doc, score), task in zip(with_signal, tasks, strict=True):
            outcome = await task
            if outcome is None:
                left += 1
                continue
            findings, doc_dropped = outcome
            dropped.update(doc_dropped)
            if cancelled():
                break  # the supervisor ends the run; finished documents stay finished
            ids, new = await asyncio.to_thread(merge_document, deps, doc, findings, version, score)
            touched += [i for i in ids if i not in touched]
            created += new
            deps.emit("analyst", "document_analysed", {
                "document_id": doc.id, "opportunities": len(ids), "created": new})
    finally:
        for task in tasks:
            task.cancel()
    return {"opportunity_ids": touched,
            "counters": {"documents_analysed": len(with_signal) - left,
                         "documents_left_for_budget": left, "documents_low_signal":
                         len(skipped), "opportunities_created": created,
                         "opportunities_touched": len(touched),
                         "engine_fallbacks": dropped.pop("engine_fallbacks", 0),
                         "claims_checked": dropped.pop("claims_checked", 0),
                         "claims_dropped": sum(dropped.values()),
                         **{f"dropped_{k}": v for k, v in sorted(dropped.items())}}}
