"""The discovery graph: a supervisor routes scout → analyst → roi → writer (DESIGN §5).

The supervisor routes on the state's `phase` (a `Phase` literal): one small step per phase
(`on_start`, `on_scouting`, …, in `PHASE_STEPS`) returns its own `Command[Literal[...]]`
naming where it may go, and `supervisor` itself only counts steps and stops on a cancel or at
`max_steps`. Nodes set the phase they leave the run in. The scout fans out
with one `Send` per source, plus one per (search query, searchable source) — the queries come
from the run's focus and its profiles' challenges and goals (`agents/queries.py`). The
analyst may be followed by a targeted search for promising opportunities with thin evidence,
bounded by `max_steps` and the token/cost budget. With `require_approval` the graph
interrupts before the reports are published.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, Send, interrupt
from sqlmodel import col, select

from reservoir.agents import analyst, roi, roi_range, scout, writer
from reservoir.agents.queries import PlannedQuery, needs_of, plan_queries, propose_queries
from reservoir.deps import Deps
from reservoir.graphs.state import DiscoveryState, Phase, ScoutTask
from reservoir.memory.db import session_scope
from reservoir.memory.models import (
    BusinessProfile,
    Opportunity,
    RoiEstimate,
    Run,
    Source,
)
from reservoir.memory.reports import set_report_status

log = logging.getLogger(__name__)

MAX_FOLLOWUP_ROUNDS = 1
MAX_FOLLOWUP_QUERIES = 3

Next = Literal["scout", "analyst", "roi", "writer", "approval", "budget", "__end__"]
Update = dict[str, Any]


def cancel_requested(deps: Deps, run_id: str) -> bool:
    with session_scope(deps.settings) as session:
        run = session.get(Run, run_id)
        return bool(run and run.cancel_requested)


def _source_roles(deps: Deps, source_ids: list[int]) -> tuple[list[int], list[int]]:
    """(sources whose own listing is read, sources that answer queries): a search-only kind
    (searxng) is read only with a query, unless its config fixes one."""
    from reservoir.tools.sources import needs_query, searchable

    with session_scope(deps.settings) as session:
        rows = session.exec(select(Source).where(col(Source.id).in_(source_ids))
                            .order_by(Source.id)).all()
        listing = [s.id for s in rows if not needs_query(s.kind) or s.config.get("query")]
        search = [s.id for s in rows if searchable(s.kind, s.config or {})]
    return listing, search


def _search_sources(deps: Deps, source_ids: list[int]) -> list[int]:
    """Sources that can answer a query: searxng, HN Algolia, Reddit and sitemap site search
    where the source opts in."""
    return _source_roles(deps, source_ids)[1]


async def plan_searches(deps: Deps, state: DiscoveryState) -> list[PlannedQuery]:
    """The run's focus and its profiles' challenges and goals, as queries (the model's
    proposals too, when the scout has one)."""
    focus = state.get("focus", [])
    with session_scope(deps.settings) as session:
        profiles = session.exec(select(BusinessProfile).where(
            col(BusinessProfile.id).in_(state.get("profile_ids", [])))
            .order_by(BusinessProfile.id)).all()
        planned, needs = plan_queries(focus, profiles), needs_of(focus, profiles)
    return await propose_queries(deps, planned, needs)


async def on_start(state: DiscoveryState, deps: Deps,
                   update: Update) -> Command[Literal["scout", "analyst"]]:
    """Read every source's listing, and send the planned searches to every searchable one."""
    listing, search = _source_roles(deps, state.get("source_ids", []))
    planned = await plan_searches(deps, state) if search else []
    if planned:
        deps.emit("supervisor", "searches_planned", {
            "queries": [q.as_dict() for q in planned], "source_ids": search})
    elif state.get("focus"):
        update["notes"] = ["focus given, but no source answers queries: add a searxng source, "
                           "or mark a reddit/sitemap/hackernews source searchable"]
    sends = (_scout_sends(state, None, listing)
             + _scout_sends(state, [q.text for q in planned], search))
    update.update(phase="scouting", search_queries=[q.as_dict() for q in planned])
    return Command(goto=sends or "analyst", update=update)


def followup_queries(deps: Deps, opp_ids: list[int]) -> list[str]:
    """Promising but thinly evidenced: one mention, named tools, modest complexity."""
    with session_scope(deps.settings) as session:
        rows = session.exec(select(Opportunity).where(col(Opportunity.id).in_(opp_ids))
                            .order_by(Opportunity.id)).all()
        thin = [o for o in rows if o.mentions <= 1 and o.tools and o.complexity <= 6]
    return [" ".join([*o.tools[:2], o.automation_type.replace("_", " ")])
            for o in thin[:MAX_FOLLOWUP_QUERIES]]


def _scout_sends(state: DiscoveryState, queries: list[str] | None, source_ids: list[int]
                 ) -> list[Send]:
    if queries:
        return [Send("scout", ScoutTask(run_id=state["run_id"], source_id=s, query=q))
                for q in queries for s in source_ids]
    return [Send("scout", ScoutTask(run_id=state["run_id"], source_id=s, query=None))
            for s in source_ids]


def on_cancel(update: Update) -> Command[Literal["__end__"]]:
    """The run was cancelled: end it now (finished work stays finished)."""
    return Command(goto="__end__", update={**update, "decision": "cancelled"})


def on_out_of_steps(deps: Deps, update: Update) -> Command[Literal["roi"]]:
    """``max_steps`` reached before any report: score and write what the run has."""
    update["notes"] = [f"max_steps={deps.settings.max_steps} reached: writing what we have"]
    return Command(goto="roi", update={**update, "phase": "scoring"})


def on_scouting(state: DiscoveryState, deps: Deps, update: Update) -> Command[Literal["analyst"]]:
    """Every scout has reported (or the budget was raised): analyse what is pending."""
    return Command(goto="analyst", update={**update, "phase": "analysing"})


def on_analysed(state: DiscoveryState, deps: Deps,
                update: Update) -> Command[Literal["scout", "roi"]]:
    """Search once more for promising but thinly evidenced opportunities, else score."""
    rounds = state.get("followup_rounds", 0)
    if rounds < MAX_FOLLOWUP_ROUNDS and not deps.llm.over_budget():
        searchable = _search_sources(deps, state.get("source_ids", []))
        queries = followup_queries(deps, state.get("opportunity_ids", [])) if searchable else []
        if queries:
            update.update(phase="scouting", followup_rounds=rounds + 1, followup_queries=queries)
            return Command(goto=_scout_sends(state, queries, searchable), update=update)
    elif deps.llm.over_budget():
        update["notes"] = ["token/cost budget reached: no follow-up search"]
    return Command(goto="roi", update={**update, "phase": "scoring"})


def on_over_budget(state: DiscoveryState, deps: Deps, update: Update) -> Command[Literal["budget"]]:
    """The model budget ran out with documents left: pause in the budget node."""
    return Command(goto="budget", update=update)


def on_scored(state: DiscoveryState, deps: Deps, update: Update) -> Command[Literal["writer"]]:
    """Every opportunity has its ROI estimates: write the reports."""
    return Command(goto="writer", update={**update, "phase": "writing"})


def on_written(state: DiscoveryState, deps: Deps,
               update: Update) -> Command[Literal["approval", "__end__"]]:
    """Reports written: wait for a human if the run asks for one and has no decision yet."""
    if state.get("require_approval") and state.get("decision") is None:
        return Command(goto="approval", update=update)
    return finish(state, deps, update)


def finish(state: DiscoveryState, deps: Deps, update: Update) -> Command[Literal["__end__"]]:
    """End the run with its decision ("done" when nobody had to decide)."""
    return Command(goto="__end__", update={**update, "decision": state.get("decision") or "done"})


# The supervisor's step for each phase after "start" (which is async: it plans searches). The
# transient phases only meet the supervisor if a node left them in place: the run ends, as ever.
PHASE_STEPS: dict[Phase, Callable[[DiscoveryState, Deps, Update], Command[Any]]] = {
    "scouting": on_scouting, "analysed": on_analysed, "over_budget": on_over_budget,
    "scored": on_scored, "written": on_written,
    "analysing": finish, "scoring": finish, "writing": finish,
}


async def supervisor(state: DiscoveryState, runtime: Runtime[Deps]) -> Command[Next]:
    """Count the step, stop on a cancel or at ``max_steps``, else take the phase's step."""
    deps = runtime.context
    steps = state.get("steps", 0) + 1
    phase: Phase = state.get("phase", "start")
    update: Update = {"steps": steps}
    if cancel_requested(deps, state["run_id"]):
        return on_cancel(update)
    if steps > deps.settings.max_steps and phase not in ("scored", "written"):
        return on_out_of_steps(deps, update)
    if phase == "start":
        return await on_start(state, deps, update)
    return PHASE_STEPS.get(phase, finish)(state, deps, update)


async def scout_node(task: ScoutTask, runtime: Runtime[Deps]) -> dict[str, Any]:
    return await scout.scout_source(task, runtime.context)


async def analyst_node(state: DiscoveryState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    result = await analyst.analyse_pending(
        deps, run_id=state["run_id"], cancelled=lambda: cancel_requested(deps, state["run_id"]))
    left = result["counters"].get("documents_left_for_budget", 0)
    return {**result, "phase": "over_budget" if left else "analysed"}


async def budget_node(state: DiscoveryState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """The model budget ran out mid-analysis: pause, so `runs resume` (with a larger
    RESERVOIR_BUDGET_TOKENS / _USD) analyses the documents left, and nothing is lost."""
    left = state.get("counters", {}).get("documents_left_for_budget", 0)
    runtime.context.emit("analyst", "budget_reached", {"documents_left": left})
    interrupt({"reason": "model budget reached", "documents_left": left,
               "resume": "raise RESERVOIR_BUDGET_TOKENS / RESERVOIR_BUDGET_USD, then "
                         "`reservoir runs resume <run id>`"})
    return {"phase": "scouting"}  # the supervisor sends a scouting phase on to the analyst


def opportunities_to_score(deps: Deps, touched: list[int], profile_ids: list[int]) -> list[int]:
    """This run's opportunities, plus any live one a profile has no estimate for yet (or whose
    estimate the profile's tracked actuals made stale); the report pass scores the same."""
    with session_scope(deps.settings) as session:
        live = session.exec(select(Opportunity.id).where(
            col(Opportunity.status).in_(["new", "approved"]))).all()
        scored = session.exec(select(RoiEstimate.opportunity_id, RoiEstimate.profile_id)).all()
        recalibrate = roi_range.stale_after_actuals(session, profile_ids)
    have = set(scored)
    missing = [o for o in live if any((o, p) not in have for p in profile_ids)]
    return sorted(set(touched) | set(missing) | set(recalibrate))


async def roi_node(state: DiscoveryState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    profiles = state.get("profile_ids", [])
    ids = opportunities_to_score(deps, state.get("opportunity_ids", []), profiles)
    result = roi.score_opportunities(deps, ids, profiles, await roi.model_proposals(deps, ids))
    deps.emit("roi", "scored", {"opportunities": len(ids), "profiles": len(profiles)})
    return {**result, "phase": "scored"}


async def writer_node(state: DiscoveryState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    ids = [await writer.write_report(deps, state["run_id"], p) for p in state.get("profile_ids", [])]
    if not state.get("require_approval"):
        _set_report_status(deps, ids, "published")
    deps.emit("writer", "reports_written", {"report_ids": ids})
    return {"report_ids": ids, "phase": "written", "counters": {"reports": len(ids)}}


def _set_report_status(deps: Deps, ids: list[int], status: str) -> None:
    with session_scope(deps.settings) as session:
        set_report_status(session, ids, status)


async def approval_node(state: DiscoveryState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Pause for a human; resumes with {"approved": bool} from approve/reject."""
    answer = interrupt({"question": "publish these reports?", "report_ids": state["report_ids"]})
    approved = bool(answer.get("approved")) if isinstance(answer, dict) else bool(answer)
    _set_report_status(runtime.context, state["report_ids"], "published" if approved else "rejected")
    return {"decision": "approved" if approved else "rejected"}


def build_discovery_graph() -> StateGraph:
    """The builder; callers compile it with the checkpointer of their choice."""
    builder = StateGraph(DiscoveryState, context_schema=Deps)
    builder.add_node("supervisor", supervisor)
    builder.add_node("scout", scout_node)
    builder.add_node("analyst", analyst_node)
    builder.add_node("roi", roi_node)
    builder.add_node("writer", writer_node)
    builder.add_node("approval", approval_node)
    builder.add_node("budget", budget_node)
    builder.add_edge(START, "supervisor")
    for node in ("scout", "analyst", "roi", "writer", "approval", "budget"):
        builder.add_edge(node, "supervisor")
    return builder
