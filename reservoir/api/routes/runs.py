"""Runs (discovery, and report runs for one profile): start, list, follow live (SSE), resume,
cancel, approve, reject."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from reservoir.api.deps import AUTH, LauncherDep, PageDep, RunId, SessionDep, SettingsDep
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import Page, RunCreate
from reservoir.api.sse import SSEResponse, sse_comment, sse_event
from reservoir.graphs import runner
from reservoir.launcher import RunBusyError, RunFollower, RunLauncher
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run
from reservoir.memory.public import RunDetail, RunEventPublic, RunKind, RunPublic, RunStatus

router = APIRouter(prefix="/runs", tags=["runs"], dependencies=AUTH)

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


def _invalid(field: str, message: str, code: str = "validation_error") -> ApiError:
    return ApiError(422, f"{field}: {message}", code=code, details={"field": field})


def _record(settings: Any, body: RunCreate) -> str:
    """Record the queued run the body asks for; a 422 naming the field that does not fit."""
    misplaced = body.misplaced()
    if misplaced is not None:
        raise _invalid(*misplaced)
    if body.kind == "report":
        assert body.profile is not None  # misplaced() requires it
        try:
            return runner.create_report_run(settings, profile=body.profile, trigger="api")
        except runner.RunError as exc:
            raise _invalid("profile", str(exc), code="invalid_run") from None
    try:
        return runner.create_discovery_run(
            settings, sources=body.sources, profiles=body.profiles, focus=body.focus,
            require_approval=body.require_approval, trigger="api")
    except runner.RunError as exc:
        raise ApiError(422, str(exc), code="invalid_run") from None


@router.post("", status_code=202, response_model=RunPublic,
             summary="Start a discovery run, or a report run for one profile")
def start_run(body: RunCreate, settings: SettingsDep, launcher: LauncherDep, response: Response) -> RunPublic:
    """Records a queued run and starts it in the background; follow it at ``/runs/{id}/events``."""
    run_id = _record(settings, body)
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


async def _event_stream(request: Request, follower: RunFollower) -> AsyncIterator[str]:
    """The launcher's follow loop, a poll at a time, with heartbeats between events: the stream
    ends (an ``end`` event) exactly when `reservoir runs`' following would."""
    poll = request.app.state.sse_poll
    heartbeat = request.app.state.sse_heartbeat
    yield "retry: 2000\n\n"
    last_sent = time.monotonic()
    while True:
        try:
            events, ended = await run_in_threadpool(follower.poll)
        except runner.RunError:  # the run is gone: nothing more will come
            events, ended = [], "failed"
        for event in events:
            out = RunEventPublic.model_validate(event)
            yield sse_event(out.model_dump(mode="json"), event=out.type, id=out.seq)
        now = time.monotonic()
        if events:
            last_sent = now
        if ended is not None:
            yield sse_event({"run_id": follower.run_id, "status": ended}, event="end")
            return
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
    run_id: RunId, request: Request, settings: SettingsDep, launcher: LauncherDep,
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
    follower = RunFollower(settings, resolved, after=after or 0, is_active=launcher.is_active)
    return SSEResponse(_event_stream(request, follower))


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
