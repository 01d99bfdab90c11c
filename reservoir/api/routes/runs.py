"""Discovery runs: start, list, follow live (SSE), resume, cancel, approve, reject."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from reservoir.api.deps import AUTH, LauncherDep, PageDep, RunId, SessionDep, SettingsDep
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import Page, RunCreate
from reservoir.api.sse import SSEResponse, sse_comment, sse_event
from reservoir.config import Settings
from reservoir.graphs import runner
from reservoir.launcher import RunBusyError, RunLauncher
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run, RunEvent
from reservoir.memory.public import RunDetail, RunEventPublic, RunKind, RunPublic, RunStatus

router = APIRouter(prefix="/runs", tags=["runs"], dependencies=AUTH)

# A stream ends once the run stops moving: finished, or waiting for a person.
ENDING_STATUSES = (*run_queries.FINAL_STATUSES, "interrupted")
ENDING_EVENTS = {"succeeded", "failed", "cancelled", "interrupted", "cancel_requested"}
# The runner sets the final status just before writing its last event: wait this long for it.
END_GRACE_SECONDS = 2.0


def _load(session: Any, run_id: str) -> Run:
    run = run_queries.get_run(session, run_id)
    if run is None:
        raise not_found(f"run {run_id!r}")
    return run


def _launch(launcher: RunLauncher, run_id: str, resume_value: Any = None) -> None:
    try:
        launcher.launch(run_id, resume_value=resume_value)
    except (RunBusyError, runner.RunError) as exc:
        raise ApiError(409, str(exc), code="run_busy") from None


@router.post("", status_code=202, response_model=RunPublic, summary="Start a discovery run")
def start_run(body: RunCreate, settings: SettingsDep, launcher: LauncherDep, response: Response) -> RunPublic:
    """Records a queued run and starts it in the background; follow it at ``/runs/{id}/events``."""
    try:
        run_id = runner.create_discovery_run(
            settings, sources=body.sources, profiles=body.profiles, focus=body.focus,
            require_approval=body.require_approval, trigger="api")
    except runner.RunError as exc:
        raise ApiError(422, str(exc), code="invalid_run") from None
    _launch(launcher, run_id)
    response.headers["Location"] = f"/api/v1/runs/{run_id}"
    with session_scope(settings) as session:
        return RunPublic.model_validate(_load(session, run_id))


@router.get("", response_model=Page[RunPublic], summary="List runs, newest first")
def list_runs(session: SessionDep, page: PageDep, status: RunStatus | None = None,
              kind: RunKind | None = None) -> dict[str, Any]:
    found = run_queries.list_runs(session, status=status, kind=kind, limit=page.limit, offset=page.offset)
    return page.page([RunPublic.model_validate(r) for r in found.items], found.total)


@router.get("/{run_id}", response_model=RunDetail, summary="One run with its events")
def get_run(run_id: RunId, session: SessionDep) -> RunDetail:
    run = _load(session, run_id)
    return RunDetail.model_validate(run, update={"events": run_queries.events_after(session, run.id)})


def _poll(settings: Settings, run_id: str, after: int) -> tuple[list[RunEventPublic], str, str | None]:
    """New events after ``after``, the run's status, and the type of its newest event."""
    with session_scope(settings) as session:
        events = [RunEventPublic.model_validate(e)
                  for e in run_queries.events_after(session, run_id, after, 500)]
        run = session.get(Run, run_id)
        status = run.status if run else "failed"
        latest = None
        if status in ENDING_STATUSES:
            latest = session.exec(select(RunEvent.type).where(RunEvent.run_id == run_id)
                                  .order_by(RunEvent.seq.desc()).limit(1)).first()
    return events, status, latest


async def _event_stream(request: Request, settings: Settings, run_id: str, after: int) -> AsyncIterator[str]:
    poll = request.app.state.sse_poll
    heartbeat = request.app.state.sse_heartbeat
    yield "retry: 2000\n\n"
    last_sent = time.monotonic()
    ending_since: float | None = None
    while True:
        events, status, latest = await run_in_threadpool(_poll, settings, run_id, after)
        for event in events:
            yield sse_event(event.model_dump(mode="json"), event=event.type, id=event.seq)
            after = event.seq
        now = time.monotonic()
        if events:
            last_sent = now
        if status in ENDING_STATUSES and not events:
            ending_since = ending_since or now
            if latest in ENDING_EVENTS or now - ending_since >= END_GRACE_SECONDS:
                yield sse_event({"run_id": run_id, "status": status}, event="end")
                return
        else:
            ending_since = None
        if now - last_sent >= heartbeat:
            yield sse_comment()
            last_sent = now
        if await request.is_disconnected():
            return
        await asyncio.sleep(poll)


@router.get(
    "/{run_id}/events", summary="Live run events (server-sent events)",
    response_class=SSEResponse,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "`id:` is the event's seq, `event:` its type, `data:` JSON. "
                                    "Ends with an `end` event when the run finishes or waits."}},
)
def run_events(
    run_id: RunId, request: Request, settings: SettingsDep,
    after: Annotated[int | None, Query(ge=0, description="Replay events after this seq.")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> SSEResponse:
    """Replays stored events after ``Last-Event-ID`` (or ``after``), then follows the run live."""
    if last_event_id is not None and after is None:
        if not last_event_id.strip().isdigit():
            raise ApiError(422, "Last-Event-ID must be a non-negative integer (an event seq)")
        after = int(last_event_id.strip())
    with session_scope(settings) as session:
        resolved = _load(session, run_id).id
    return SSEResponse(_event_stream(request, settings, resolved, after or 0))


@router.post("/{run_id}/resume", status_code=202, response_model=RunPublic,
             summary="Continue an unfinished run from its last checkpoint")
def resume_run(run_id: RunId, session: SessionDep, launcher: LauncherDep) -> RunPublic:
    run = _load(session, run_id)
    if run.status in run_queries.FINAL_STATUSES:
        raise ApiError(409, f"run {run.id} already {run.status}", code="run_finished")
    if run.status == "interrupted":
        raise ApiError(409, f"run {run.id} is waiting for approval: approve or reject it",
                       code="run_waiting")
    _launch(launcher, run.id)
    return RunPublic.model_validate(run)


@router.post("/{run_id}/cancel", status_code=202, response_model=RunPublic, summary="Cancel a run")
def cancel_run(run_id: RunId, session: SessionDep, launcher: LauncherDep) -> RunPublic:
    """A queued or waiting run ends now; a running one stops at its next step."""
    run = _load(session, run_id)
    try:
        launcher.cancel(run.id)
    except runner.RunError as exc:
        raise ApiError(409, str(exc), code="run_finished") from None
    session.refresh(run)
    return RunPublic.model_validate(run)


def _decide(run_id: str, session: Any, launcher: RunLauncher, approved: bool) -> RunPublic:
    run = _load(session, run_id)
    if run.status != "interrupted":
        raise ApiError(409, f"run {run.id} is {run.status}, not waiting for approval", code="run_not_waiting")
    _launch(launcher, run.id, {"approved": approved})
    return RunPublic.model_validate(run)


@router.post("/{run_id}/approve", status_code=202, response_model=RunPublic,
             summary="Approve a waiting run: its reports are published")
def approve_run(run_id: RunId, session: SessionDep, launcher: LauncherDep) -> RunPublic:
    return _decide(run_id, session, launcher, True)


@router.post("/{run_id}/reject", status_code=202, response_model=RunPublic,
             summary="Reject a waiting run: its reports are not published")
def reject_run(run_id: RunId, session: SessionDep, launcher: LauncherDep) -> RunPublic:
    return _decide(run_id, session, launcher, False)
