"""The runner: Run rows, checkpointed execution, events, resume, cancel and approval.

A run is of a kind: ``discovery`` (the checkpointed graph) or ``report`` (the report pass);
``execute_run`` dispatches on it. The launcher (reservoir/launcher.py) calls these for the CLI
and the API, and the worker for the queue; none of them holds logic of its own.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph.types import Command

from reservoir.config import Settings
from reservoir.deps import Deps
from reservoir.graphs.discovery import build_discovery_graph
from reservoir.graphs.report import report_pass
from reservoir.llm import LlmClient
from reservoir.memory import runs as run_queries
from reservoir.memory import sightings
from reservoir.memory.checkpoint import open_checkpointer
from reservoir.memory.db import session_scope
from reservoir.memory.llm_cache import SqlLlmCache
from reservoir.memory.models import Run
from reservoir.memory.profiles import all_profiles
from reservoir.memory.sources import active_sources

log = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any]], None]


class RunError(ValueError):
    """A run cannot be started or continued as asked (unknown id, wrong state, bad params)."""


def create_discovery_run(settings: Settings, *, sources: list[str] | None = None,
                         profiles: list[str] | None = None, focus: list[str] | None = None,
                         require_approval: bool | None = None, trigger: str = "cli") -> str:
    """Validate the parameters against the reservoir and record a queued run."""
    with session_scope(settings) as session:
        chosen = active_sources(session, sources)
        if sources and len(chosen) != len(set(sources)):
            known = {s.name for s in chosen}
            raise RunError(f"unknown source(s): {', '.join(s for s in sources if s not in known)}")
        chosen_profiles = all_profiles(session, profiles)
        if profiles and len(chosen_profiles) != len(set(profiles)):
            known = {p.name for p in chosen_profiles}
            raise RunError(f"unknown profile(s): {', '.join(p for p in profiles if p not in known)}")
        params = {
            "source_ids": [s.id for s in chosen], "profile_ids": [p.id for p in chosen_profiles],
            "sources": [s.name for s in chosen], "profiles": [p.name for p in chosen_profiles],
            "focus": focus or [],
            "require_approval": settings.require_approval if require_approval is None
            else require_approval,
        }
        run = run_queries.create_run(session, kind="discovery", trigger=trigger, params=params)
        run_queries.add_event(session, run.id, "runner", "queued", {"params": params})
        return run.id


def create_report_run(settings: Settings, *, profile: str, trigger: str = "cli") -> str:
    """Record a queued ``report`` run: a fresh report for one profile from what the reservoir
    holds now (scored, written and published by the runner, like any run)."""
    with session_scope(settings) as session:
        found = all_profiles(session, [profile])
        if not found:
            raise RunError(f"no profile named {profile!r}")
        params = {"profile_ids": [found[0].id], "profiles": [found[0].name]}
        run = run_queries.create_run(session, kind="report", trigger=trigger, params=params)
        run_queries.add_event(session, run.id, "runner", "queued", {"params": params})
        return run.id


class EventSink:
    """Writes RunEvents in order (one writer per run) and forwards them for progress."""

    def __init__(self, settings: Settings, run_id: str, callback: EventCallback | None) -> None:
        self.settings, self.run_id, self.callback = settings, run_id, callback
        self._lock = threading.Lock()

    def __call__(self, node: str, type_: str, payload: dict[str, Any]) -> None:
        with self._lock:
            seq = run_queries.record_event(self.settings, self.run_id, node, type_, payload)
            record = {"seq": seq, "node": node, "type": type_, "payload": payload}
        if self.callback:
            self.callback(record)


def make_deps(settings: Settings, sink: EventSink | None = None, **overrides: Any) -> Deps:
    llm = overrides.pop("llm", None) or LlmClient(
        settings, cache=SqlLlmCache(settings) if settings.llm_cache else None)
    return Deps(settings=settings, llm=llm, events=sink, **overrides)


def _summarise_update(update: Any) -> dict[str, Any]:
    if not isinstance(update, dict):
        return {}
    keep = ("phase", "counters", "source_summaries", "report_ids", "decision", "notes",
            "followup_queries", "search_queries")
    out = {k: update[k] for k in keep if k in update}
    if "opportunity_ids" in update:
        out["opportunities"] = len(update["opportunity_ids"])
    return out


async def _graph_input(graph: Any, config: dict[str, Any], run: Run,
                       resume_value: Any) -> Any:
    snapshot = await graph.aget_state(config)
    if not snapshot.values:
        params = run.params
        return {"run_id": run.id, "source_ids": params.get("source_ids", []),
                "profile_ids": params.get("profile_ids", []), "focus": params.get("focus", []),
                "require_approval": params.get("require_approval", False)}
    if snapshot.interrupts or resume_value is not None:
        if resume_value is None and snapshot.next == ("budget",):
            return Command(resume={"budget": "raised"})  # `runs resume` after a budget stop
        if resume_value is None:
            raise RunError(f"run {run.id} is waiting for approval: approve or reject it")
        return Command(resume=resume_value)
    return None  # continue from the last checkpoint


def searches_of(settings: Settings, run_id: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Each query the run sent (planned or follow-up), where it came from, and the documents
    it found: stored on the run so `runs show`, the API and the dashboard show it."""
    origins = {q["text"]: q["origin"] for q in values.get("search_queries", [])}
    for query in values.get("followup_queries", []):
        origins.setdefault(query, "follow-up")
    with session_scope(settings) as session:
        found = sightings.found_by_query(session, run_id)
    return [{"query": query, "origin": origins.get(query, "source config"),
             "document_ids": found.get(query, [])}
            for query in [*origins, *(q for q in found if q not in origins)]]


def _finish(settings: Settings, run_id: str, status: str, deps: Deps, counters: dict[str, Any],
            error: str | None = None) -> None:
    with session_scope(settings, write=True) as session:
        run = session.get(Run, run_id)
        run.counters = {**(run.counters or {}), **counters}
        run.tokens_in += deps.llm.usage.tokens_in
        run.tokens_out += deps.llm.usage.tokens_out
        run.cost_usd += deps.llm.usage.cost_usd
        run_queries.set_status(session, run, status, error=error)


async def _execute_discovery(settings: Settings, run: Run, deps: Deps,
                             resume_value: Any) -> tuple[str, dict[str, Any]]:
    """The discovery graph from its checkpoint (or the start) to its end or its interrupt."""
    config: dict[str, Any] = {"configurable": {"thread_id": run.id}, "recursion_limit": 200}
    async with open_checkpointer(settings) as saver:
        graph = build_discovery_graph().compile(checkpointer=saver)
        graph_input = await _graph_input(graph, config, run, resume_value)
        async for chunk in graph.astream(graph_input, config=config, context=deps,
                                         stream_mode="updates"):
            for node, update in chunk.items():
                if node == "__interrupt__":
                    continue
                deps.emit(node, "step", _summarise_update(update))
        snapshot = await graph.aget_state(config)
    counters = dict(snapshot.values.get("counters", {}))
    counters["reports"] = snapshot.values.get("report_ids", [])
    counters["sources"] = snapshot.values.get("source_summaries", [])
    counters["searches"] = searches_of(settings, run.id, snapshot.values)
    if snapshot.interrupts:
        return "interrupted", counters
    if snapshot.values.get("decision") == "cancelled":
        return "cancelled", counters
    return "succeeded", counters


async def _execute_report(settings: Settings, run: Run, deps: Deps,
                          resume_value: Any) -> tuple[str, dict[str, Any]]:
    """The report pass (no checkpoint: rerunning it reuses the report it already wrote)."""
    profile_id = (run.params.get("profile_ids") or [None])[0]
    return await report_pass(deps, run.id, profile_id, cancelled=lambda: _cancelled(settings, run.id))


def _cancelled(settings: Settings, run_id: str) -> bool:
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        return bool(run and run.cancel_requested)


Executor = Callable[[Settings, Run, Deps, Any], Awaitable[tuple[str, dict[str, Any]]]]
# What executes each kind of run (memory/models.RUN_KINDS; nothing records an `ask` or `eval`
# run yet, so the runner refuses them with a clear RunError).
EXECUTORS: dict[str, Executor] = {"discovery": _execute_discovery, "report": _execute_report}


async def execute_run(settings: Settings, run_id: str, *, resume_value: Any = None,
                      on_event: EventCallback | None = None, **dep_overrides: Any) -> str:
    """Run (or continue) a run of any kind to its end or its interrupt; returns the status."""
    with session_scope(settings) as session:
        run = _continuable(session, run_id)
        if run.kind not in EXECUTORS:
            raise RunError(f"run {run.id} is of kind {run.kind!r}, which the runner does not execute")
        run_id = run.id
        run.error, run.finished_at = None, None
        run_queries.set_status(session, run, "running")
    sink = EventSink(settings, run_id, on_event)
    deps = make_deps(settings, sink, **dep_overrides)
    counters: dict[str, Any] = {}
    sink("runner", "started", {"resume": resume_value is not None})
    try:
        status, counters = await EXECUTORS[run.kind](settings, run, deps, resume_value)
    except RunError:
        _finish(settings, run_id, "interrupted", deps, {})
        raise
    except BaseException as exc:
        log.exception("run %s failed", run_id)
        # The closing event first: whoever sees the final status also finds it.
        sink("runner", "failed", {"error": f"{type(exc).__name__}: {exc}"})
        _finish(settings, run_id, "failed", deps, counters,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return "failed"
    finally:
        await deps.aclose()
    if status == "succeeded" and run.trigger == "schedule":
        counters.update(await _send_digests(settings, run_id, sink))
    sink("runner", status, {"usage": deps.llm.usage.as_dict()})
    _finish(settings, run_id, status, deps, counters)
    return status


async def _send_digests(settings: Settings, run_id: str, sink: EventSink) -> dict[str, int]:
    """A scheduled run's digests go out before it is marked done; no failure of theirs
    (already recorded per channel) can fail the run."""
    from reservoir.digests import deliver_digests

    try:
        return await deliver_digests(settings, run_id, sink)
    except Exception as exc:  # noqa: BLE001 — the run's work is done and stays done
        log.exception("digests of run %s could not be sent", run_id)
        sink("digest", "digest_failed", {"error": f"{type(exc).__name__}: {exc}"})
        return {"digests_failed": 1}


def request_cancel(settings: Settings, run_id: str) -> str:
    """A queued or interrupted run ends now; a running one stops at its next checkpoint."""
    with session_scope(settings) as session:
        run = run_queries.get_run(session, run_id)
        if run is None:
            raise RunError(f"no run {run_id!r}")
        if run.status in run_queries.FINAL_STATUSES:
            raise RunError(f"run {run.id} already {run.status}")
        run.cancel_requested = True
        if run.status in ("queued", "interrupted"):
            run_queries.set_status(session, run, "cancelled")
        session.add(run)
        run_queries.add_event(session, run.id, "runner", "cancel_requested", {})
        return run.status


def record_abandoned(settings: Settings, run_id: str, error: str) -> None:
    """A run whose process stops under it: its closing event, then ``failed`` (a failed run
    continues from its last checkpoint). A run that ended meanwhile keeps its status."""
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        if run is None or run.status not in ("queued", "running"):
            return
    run_queries.record_event(settings, run_id, "runner", "failed", {"error": error})
    with session_scope(settings, write=True) as session:
        run = session.get(Run, run_id)
        if run is not None and run.status in ("queued", "running"):
            run_queries.set_status(session, run, "failed", error=error)


def _continuable(session: Any, run_id: str) -> Run:
    """A failed run can continue too: from its last checkpoint."""
    run = run_queries.get_run(session, run_id)
    if run is None:
        raise RunError(f"no run {run_id!r}")
    if run.status in ("succeeded", "cancelled"):
        raise RunError(f"run {run.id} already {run.status}")
    return run


def resumable(settings: Settings, run_id: str) -> Run:
    with session_scope(settings) as session:
        return _continuable(session, run_id)


def waiting_for_budget(settings: Settings, run_id: str) -> bool:
    """Whether the run's latest pause is the analyst's budget stop (not an approval)."""
    with session_scope(settings) as session:
        latest = run_queries.last_event_type(session, run_id, ("started", "budget_reached"))
    return latest == "budget_reached"
