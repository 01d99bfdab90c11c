"""Engine, schema and sessions: the same code on SQLite (embedded) and PostgreSQL (scaled)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from reservoir.config import Settings
from reservoir.memory import models  # noqa: F401  (registers the tables)

# External-content FTS5 tables kept in step by triggers: the SQL store's own lexical index.
_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS opportunity_fts USING fts5("
    "title, summary, tools, industries, content='opportunity', content_rowid='id',"
    " tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS opportunity_ai AFTER INSERT ON opportunity BEGIN"
    " INSERT INTO opportunity_fts(rowid, title, summary, tools, industries)"
    " VALUES (new.id, new.title, new.summary, new.tools, new.industries); END",
    "CREATE TRIGGER IF NOT EXISTS opportunity_ad AFTER DELETE ON opportunity BEGIN"
    " INSERT INTO opportunity_fts(opportunity_fts, rowid, title, summary, tools, industries)"
    " VALUES ('delete', old.id, old.title, old.summary, old.tools, old.industries); END",
    "CREATE TRIGGER IF NOT EXISTS opportunity_au AFTER UPDATE OF title, summary, tools,"
    " industries ON opportunity BEGIN"
    " INSERT INTO opportunity_fts(opportunity_fts, rowid, title, summary, tools, industries)"
    " VALUES ('delete', old.id, old.title, old.summary, old.tools, old.industries);"
    " INSERT INTO opportunity_fts(rowid, title, summary, tools, industries)"
    " VALUES (new.id, new.title, new.summary, new.tools, new.industries); END",
    "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5("
    "text, content='document_chunk', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS chunk_ai AFTER INSERT ON document_chunk BEGIN"
    " INSERT INTO chunk_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS chunk_ad AFTER DELETE ON document_chunk BEGIN"
    " INSERT INTO chunk_fts(chunk_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS chunk_au AFTER UPDATE OF text ON document_chunk BEGIN"
    " INSERT INTO chunk_fts(chunk_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    " INSERT INTO chunk_fts(rowid, text) VALUES (new.id, new.text); END",
]

# PostgreSQL full text: expression GIN indexes that the lexical queries match exactly.
OPP_TSV = (
    "to_tsvector('english', coalesce(title,'') || ' ' || coalesce(summary,'') || ' ' ||"
    " coalesce(tools::text,'') || ' ' || coalesce(industries::text,''))"
)
CHUNK_TSV = "to_tsvector('english', coalesce(text,''))"
_POSTGRES_FTS = [
    f"CREATE INDEX IF NOT EXISTS ix_opportunity_fts ON opportunity USING GIN (({OPP_TSV}))",
    f"CREATE INDEX IF NOT EXISTS ix_chunk_fts ON document_chunk USING GIN (({CHUNK_TSV}))",
]


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# In-process writers to one SQLite file take turns: parallel scout branches, the event sink
# and the response cache would otherwise collide on SQLite's single write lock.
_SQLITE_WRITERS = threading.RLock()


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.ensure_data_dir()
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _add_missing_columns(engine: Engine) -> None:
    """Columns added since a database was created are added to it (nullable, or with their
    scalar default): an older data directory keeps working without a migration tool."""
    from sqlalchemy import inspect

    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = getattr(column.default, "arg", None)
                clause = ""
                if not column.nullable and isinstance(default, (bool, int, float, str)):
                    literal = int(default) if isinstance(default, bool) else default
                    clause = f" NOT NULL DEFAULT {literal!r}"
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{clause}'))


def _widen_source_kinds(engine: Engine) -> None:
    """A database created before a source kind was added keeps the old CHECK list: widen it
    (only ever adding kinds, so every stored row still satisfies it)."""
    wanted = models._in("kind", models.SOURCE_KINDS)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type='table' "
                                    "AND name='source'")).scalar()
            if not sql or wanted in sql:
                return
            widened = re.sub(r"kind IN \([^)]*\)", wanted, sql, count=1)
            version = conn.execute(text("PRAGMA schema_version")).scalar()
            conn.execute(text("PRAGMA writable_schema=ON"))
            conn.execute(text("UPDATE sqlite_master SET sql=:sql WHERE type='table' "
                              "AND name='source'"), {"sql": widened})
            conn.execute(text(f"PRAGMA schema_version={int(version) + 1}"))
            conn.execute(text("PRAGMA writable_schema=OFF"))
            return
        current = conn.execute(text("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                    "WHERE conname='ck_source_kind'")).scalar()
        if current is None or all(f"'{kind}'" in current for kind in models.SOURCE_KINDS):
            return
        conn.execute(text("ALTER TABLE source DROP CONSTRAINT ck_source_kind"))
        conn.execute(text(f"ALTER TABLE source ADD CONSTRAINT ck_source_kind CHECK ({wanted})"))


def init_schema(engine: Engine) -> None:
    """Create tables and the full-text index; safe to call on every start."""
    SQLModel.metadata.create_all(engine)
    _add_missing_columns(engine)
    _widen_source_kinds(engine)
    statements = _SQLITE_FTS if engine.dialect.name == "sqlite" else _POSTGRES_FTS
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


_ENGINES: dict[str, Engine] = {}


def get_engine(settings: Settings) -> Engine:
    """One initialised engine per database url for the life of the process."""
    url = settings.sqlalchemy_url
    if url not in _ENGINES:
        engine = make_engine(settings)
        init_schema(engine)
        _ENGINES[url] = engine
    return _ENGINES[url]


def dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def session_scope(settings: Settings, *, write: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on error.

    ``write=True`` for transactions that write while other threads of this process write
    too: on SQLite they take turns (PostgreSQL has row locks and needs none of this).
    """
    engine = get_engine(settings)
    turn = _SQLITE_WRITERS if write and engine.dialect.name == "sqlite" else nullcontext()
    with turn, Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
