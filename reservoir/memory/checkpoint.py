"""Checkpointer factory: SQLite embedded, PostgreSQL when the database is PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from reservoir.config import Settings

_MEMORY: dict[str, Any] = {}


def memory_saver(settings: Settings) -> Any:
    """One in-memory saver per data directory for the process: a thread's next turn (a
    follow-up question) must find the previous one, as it does in SQLite or Postgres."""
    from langgraph.checkpoint.memory import InMemorySaver

    key = str(settings.data_dir.resolve())
    if key not in _MEMORY:
        _MEMORY[key] = InMemorySaver()
    return _MEMORY[key]


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[Any]:
    backend = settings.checkpoint_backend
    if backend == "memory":
        yield memory_saver(settings)
    elif backend == "postgres":
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        url = settings.sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")
        async with AsyncPostgresSaver.from_conn_string(url) as saver:
            await saver.setup()
            yield saver
    else:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        settings.ensure_data_dir()
        async with AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_path)) as saver:
            await saver.setup()
            yield saver
