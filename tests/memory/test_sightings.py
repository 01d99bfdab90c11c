"""Sightings (what a source has given us, and which query found it) and the source kinds of
a database created before `searxng` existed, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from reservoir.config import Settings
from reservoir.memory import sightings
from reservoir.memory.db import init_schema, session_scope
from reservoir.memory.documents import DocumentIn, upsert_document
from reservoir.memory.models import Source
from reservoir.memory.sources import add_source

OLD_KINDS = "'rss', 'atom', 'hackernews', 'reddit', 'producthunt', 'html', 'sitemap', 'folder'"


def _exercise(settings: Settings) -> None:
    with session_scope(settings) as db:
        feed = add_source(db, "feed", "rss", "https://x.test/feed.xml")
        other = add_source(db, "other", "rss", "https://y.test/feed.xml")
        doc = upsert_document(db, DocumentIn(url="https://x.test/a?utm_source=feed",
                                             title="A", text="Alpha text")).document
        upsert_document(db, DocumentIn(url="https://z.test/stored-elsewhere", title="Z",
                                       text="Zeta text"))
        rows = [sightings.SightingIn("https://x.test/a", doc.id, "dental no-shows"),
                sightings.SightingIn("hn:1", None)]
        sightings.record(db, feed.id, "run-1", rows)
        sightings.record(db, feed.id, "run-2", rows)  # a racing branch: nothing doubles
        keys = ["https://x.test/a", "hn:1", "hn:2", "https://z.test/stored-elsewhere",
                "https://x.test/new", "not a url"]
        assert sightings.known_keys(db, feed.id, keys) == {
            "https://x.test/a", "hn:1", "https://z.test/stored-elsewhere"}
        # Another source has not sighted hn:1, but a stored url is known to every source.
        assert sightings.known_keys(db, other.id, keys) == {
            "https://x.test/a", "https://z.test/stored-elsewhere"}
        assert sightings.found_by_query(db, "run-1") == {"dental no-shows": [doc.id]}
        assert sightings.found_by_query(db, "run-2") == {}
        add_source(db, "searx", "searxng", "https://searx.test")


def test_sightings_on_sqlite(settings: Settings) -> None:
    _exercise(settings)


@pytest.mark.postgres
def test_sightings_on_postgres(pg_settings: Settings) -> None:
    _exercise(pg_settings)


def test_an_older_sqlite_database_accepts_the_new_kind(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        conn.execute(text(
            "CREATE TABLE source (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL UNIQUE,"
            f" kind VARCHAR(32) NOT NULL, url TEXT NOT NULL, CONSTRAINT ck_source_kind CHECK"
            f" (kind IN ({OLD_KINDS})))"))
        conn.execute(text("INSERT INTO source (name, kind, url) VALUES ('f', 'rss', 'u')"))
    init_schema(engine)
    with Session(engine) as db:
        db.add(Source(name="searx", kind="searxng", url="https://searx.test"))
        db.commit()
        with pytest.raises(Exception, match="CHECK"):
            db.add(Source(name="bad", kind="gopher", url="gopher://x"))
            db.commit()
    engine.dispose()


@pytest.mark.postgres
def test_an_older_postgres_database_accepts_the_new_kind(pg_settings: Settings) -> None:
    from reservoir.memory.db import get_engine

    engine = get_engine(pg_settings)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE source DROP CONSTRAINT ck_source_kind"))
        conn.execute(text(f"ALTER TABLE source ADD CONSTRAINT ck_source_kind "
                          f"CHECK (kind IN ({OLD_KINDS}))"))
    init_schema(engine)
    with session_scope(pg_settings) as db:
        add_source(db, "searx", "searxng", "https://searx.test")
