"""Document upserts on SQLite and PostgreSQL: one row per url and per content."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, list_documents, replace_chunks, upsert_document
from reservoir.memory.hashing import canonical_url
from reservoir.memory.models import Document
from reservoir.memory.sources import add_source, record_failure


def _doc(url: str, text: str, **kw: object) -> DocumentIn:
    return DocumentIn(url=url, title="t", text=text, **kw)  # type: ignore[arg-type]


def test_upsert_is_idempotent_and_dedups(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        first = upsert_document(db, _doc("https://Example.com/a?utm_source=x#top", "Hello world"))
        again = upsert_document(db, _doc("https://example.com/a", "hello   WORLD"))
        copy = upsert_document(db, _doc("https://mirror.example.org/a", "Hello world"))
        changed = upsert_document(db, _doc("https://example.com/a", "Hello new world"))
        assert [first.status, again.status, copy.status, changed.status] == [
            "new", "unchanged", "duplicate", "updated"]
        assert first.document.id == again.document.id == changed.document.id
        assert list_documents(db).total == 1
        assert first.document.url == "https://example.com/a"


def test_unique_constraints_hold_in_the_schema(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        db.add(Document(url="https://x.test/1", text="a", content_hash="h1"))
    with pytest.raises(IntegrityError), session_scope(any_settings) as db:
        db.add(Document(url="https://x.test/2", text="b", content_hash="h1"))
    with pytest.raises(IntegrityError), session_scope(any_settings) as db:
        db.add(Document(url="https://x.test/1", text="c", content_hash="h2"))


def test_chunks_replaced_only_when_changed(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        doc = upsert_document(db, _doc("https://x.test/c", "text")).document
        ids = [c.id for c in replace_chunks(db, doc.id, ["a", "b"])]
        assert [c.id for c in replace_chunks(db, doc.id, ["a", "b"])] == ids
        removed: list[int] = []
        assert len(replace_chunks(db, doc.id, ["a", "b", "c"], removed)) == 3
        assert removed == ids


def test_source_health_and_foreign_key(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        source = add_source(db, "feed", "rss", "https://x.test/feed.xml")
        record_failure(db, source, "unsafe address 10.0.0.1 (private)")
        record_failure(db, source, "timeout")
        assert source.consecutive_failures == 2 and source.last_error == "timeout"
        with pytest.raises(ValueError, match="unknown source kind"):
            add_source(db, "bad", "gopher", "x")
    with pytest.raises(IntegrityError), session_scope(any_settings) as db:
        db.add(Document(url="https://x.test/z", text="z", content_hash="hz", source_id=999))


def test_canonical_url() -> None:
    assert canonical_url("HTTPS://Ex.COM:443/p?b=2&a=1&utm_medium=x#f") == "https://ex.com/p?a=1&b=2"
    assert canonical_url("http://ex.com") == "http://ex.com/"
    assert canonical_url("file:///tmp/a.md") == "file:///tmp/a.md"


def test_syndicated_copies_resolve_to_the_original_in_any_order(any_settings: Settings) -> None:
    from datetime import UTC, datetime

    original = _doc("https://news.test/story", "Same words", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    copy = _doc("https://aaa-wire.test/story", "Same words", published_at=datetime(2026, 2, 1, tzinfo=UTC))
    for order in ((original, copy), (copy, original)):
        with session_scope(any_settings) as db:
            for row in db.exec(select(Document)).all():
                db.delete(row)
        with session_scope(any_settings) as db:
            for item in order:
                upsert_document(db, item)
            docs = list_documents(db).items
            assert [d.url for d in docs] == ["https://news.test/story"]


def test_a_copy_never_overwrites_the_text_of_its_canonical_url(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        upsert_document(db, _doc("https://x.test/a", "The original article text"))
        copy = _doc("https://x.test/a", "Title line. The original article text", authoritative=False)
        assert upsert_document(db, copy).status == "duplicate"
        assert upsert_document(db, _doc("https://x.test/a", "Edited original text")).status == "updated"


def test_an_older_database_gains_new_columns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, inspect, text

    from reservoir.memory.db import init_schema

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    init_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_document_run_id"))
        conn.execute(text("ALTER TABLE document DROP COLUMN run_id"))
        conn.execute(text("ALTER TABLE run DROP COLUMN cancel_requested"))
    init_schema(engine)
    assert "run_id" in {c["name"] for c in inspect(engine).get_columns("document")}
    assert "cancel_requested" in {c["name"] for c in inspect(engine).get_columns("run")}
