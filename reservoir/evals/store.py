"""Eval runs and their per-example results, in the reservoir's own database.

The tables live here rather than in memory/models.py so the eval harness stays an add-on:
`ensure_tables` creates them on first use (idempotent), whichever module opened the engine.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel, col, select

from reservoir.config import Settings
from reservoir.memory.db import get_engine, session_scope
from reservoir.memory.models import utcnow

EVAL_STATUSES = ("running", "succeeded", "failed")


class EvalRun(SQLModel, table=True):
    """One configuration (task, dataset, prompt versions, provider, model) over a dataset."""

    __tablename__ = "eval_run"

    id: str = Field(primary_key=True, max_length=40)
    task: str = Field(index=True, max_length=32)
    dataset: str = Field(max_length=200)
    dataset_hash: str = Field(max_length=64)
    provider: str = Field(max_length=32)
    model: str = Field(max_length=200)
    prompts: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    label: str | None = Field(default=None, max_length=200)
    status: str = Field(default="running", max_length=16)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    examples: int = 0
    errors: int = 0
    calls: int = 0
    cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))


class EvalExample(SQLModel, table=True):
    """What one example produced: output, metrics, tokens and time."""

    __tablename__ = "eval_example"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="eval_run.id", index=True, ondelete="CASCADE", max_length=40)
    example_id: str = Field(max_length=200)
    output: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text))
    calls: int = 0
    cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0


TABLES = [EvalRun.__table__, EvalExample.__table__]  # type: ignore[attr-defined]
_READY: set[str] = set()


def ensure_tables(settings: Settings) -> None:
    """Create the eval tables once per database url (a no-op when they exist)."""
    url = settings.sqlalchemy_url
    if url not in _READY:
        SQLModel.metadata.create_all(get_engine(settings), tables=TABLES)
        _READY.add(url)


def new_eval_id() -> str:
    return "ev-" + uuid.uuid4().hex[:12]


def create_run(settings: Settings, **values: Any) -> str:
    ensure_tables(settings)
    run = EvalRun(id=new_eval_id(), **values)
    with session_scope(settings) as session:
        session.add(run)
    return run.id


def finish_run(settings: Settings, run_id: str, rows: list[EvalExample], **values: Any) -> None:
    """Store every example and the totals in one transaction."""
    with session_scope(settings) as session:
        run = session.get(EvalRun, run_id)
        if run is None:
            raise LookupError(f"no eval run {run_id!r}")
        for example in rows:
            example.run_id = run_id
            session.add(example)
        for key, value in values.items():
            setattr(run, key, value)
        run.finished_at = utcnow()
        session.add(run)


def fail_run(settings: Settings, run_id: str, error: str) -> None:
    with session_scope(settings) as session:
        run = session.get(EvalRun, run_id)
        if run is not None:
            run.status, run.error, run.finished_at = "failed", error[:4000], utcnow()
            session.add(run)


def get_run(settings: Settings, ref: str) -> EvalRun | None:
    """By id, or by a unique id prefix (ids are long to type)."""
    ensure_tables(settings)
    with session_scope(settings) as session:
        run = session.get(EvalRun, ref)
        if run is not None:
            return run
        rows = session.exec(select(EvalRun).where(col(EvalRun.id).startswith(ref)).limit(2)).all()
        return rows[0] if len(rows) == 1 else None


def get_examples(settings: Settings, run_id: str) -> list[EvalExample]:
    ensure_tables(settings)
    with session_scope(settings) as session:
        return list(session.exec(select(EvalExample).where(EvalExample.run_id == run_id)
                                 .order_by(EvalExample.example_id)).all())


def list_runs(settings: Settings, *, task: str | None = None, limit: int = 20) -> list[EvalRun]:
    ensure_tables(settings)
    with session_scope(settings) as session:
        query = select(EvalRun)
        if task:
            query = query.where(EvalRun.task == task)
        return list(session.exec(query.order_by(col(EvalRun.created_at).desc()).limit(limit)).all())
