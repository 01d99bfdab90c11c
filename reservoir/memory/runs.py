"""Runs and their events: the durable record that the dashboard and the CLI follow."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import RUN_STATUSES, Run, RunEvent, utcnow
from reservoir.memory.pagination import Page, paginate

FINAL_STATUSES = ("succeeded", "failed", "cancelled")


def new_run_id() -> str:
    return uuid.uuid4().hex


def create_run(session: Session, *, kind: str = "discovery", trigger: str = "cli",
               params: dict[str, Any] | None = None, run_id: str | None = None) -> Run:
    run = Run(id=run_id or new_run_id(), kind=kind, trigger=trigger, params=params or {})
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: str) -> Run | None:
    run = session.get(Run, run_id)
    if run is None and len(run_id) >= 6:
        matches = session.exec(select(Run).where(col(Run.id).startswith(run_id))).all()
        run = matches[0] if len(matches) == 1 else None
    return run


def set_status(session: Session, run: Run, status: str, *, error: str | None = None) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    run.status = status
    if status == "running" and run.started_at is None:
        run.started_at = utcnow()
    if status in FINAL_STATUSES:
        run.finished_at = utcnow()
    if error is not None:
        run.error = error[:4000]
    session.add(run)


def add_event(session: Session, run_id: str, node: str, type_: str,
              payload: dict[str, Any] | None = None) -> RunEvent:
    seq = session.exec(select(func.coalesce(func.max(RunEvent.seq), 0)).where(
        RunEvent.run_id == run_id)).one()
    event = RunEvent(run_id=run_id, seq=int(seq) + 1, node=node, type=type_, payload=payload or {})
    session.add(event)
    session.flush()
    return event


EVENT_ATTEMPTS = 5


def record_event(settings: Settings, run_id: str, node: str, type_: str,
                 payload: dict[str, Any] | None = None) -> int:
    """Append an event in a transaction of its own; returns its seq.

    A run's events are written by its runner, but the scheduler (another process) may add
    one to the same run: both can read the same last seq. The loser of that race retries
    with the next one rather than failing the run.
    """
    for attempt in range(EVENT_ATTEMPTS):
        try:
            with session_scope(settings, write=True) as session:
                return add_event(session, run_id, node, type_, payload).seq
        except IntegrityError:
            if attempt == EVENT_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * 2 ** attempt)
    raise AssertionError("unreachable")


def last_event_type(session: Session, run_id: str,
                    types: tuple[str, ...] | None = None) -> str | None:
    """The type of the run's latest event (among ``types`` if given; None if it has none)."""
    statement = select(RunEvent.type).where(RunEvent.run_id == run_id)
    if types is not None:
        statement = statement.where(col(RunEvent.type).in_(types))
    return session.exec(statement.order_by(col(RunEvent.seq).desc()).limit(1)).first()


def events_after(session: Session, run_id: str, after_seq: int = 0,
                 limit: int = 1000) -> list[RunEvent]:
    return list(session.exec(
        select(RunEvent).where(RunEvent.run_id == run_id, RunEvent.seq > after_seq)
        .order_by(RunEvent.seq).limit(limit)).all())


def list_runs(session: Session, *, status: str | None = None, kind: str | None = None,
              limit: int = 50, offset: int = 0) -> Page[Run]:
    statement = select(Run)
    if status:
        statement = statement.where(Run.status == status)
    if kind:
        statement = statement.where(Run.kind == kind)
    return paginate(session, statement, [Run.created_at.desc(), Run.id.desc()], limit, offset)

