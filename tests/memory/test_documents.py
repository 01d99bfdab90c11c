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


def test_change_status_diff_and_lost_evidence(any_settings: Settings) -> None:
    from reservoir.memory.models import Evidence, Opportunity

    old = "Line one stays.\nWe send a reminder text 48 hours before each visit.\nLast line."
    new = "Line one stays.\nWe now call every patient the day before.\nLast line."
    with session_scope(any_settings) as db:
        doc = upsert_document(db, _doc("https://example.com/c", old)).document
        assert doc.change_status == "new" and doc.status_at is not None
        opp = Opportunity(key="k", title="Reminders", automation_type="scheduling")
        db.add(opp)
        db.flush()
        for quote in ("We send a reminder text 48 hours before each visit.", "Line one stays."):
            db.add(Evidence(opportunity_id=opp.id, document_id=doc.id, quote=quote,
                            quote_hash=quote[:10]))
        db.flush()
        assert upsert_document(db, _doc("https://example.com/c", old)).document \
            .change_status == "unchanged"
        changed = upsert_document(db, _doc("https://example.com/c", new)).document
        assert changed.change_status == "changed" and changed.changed_at is not None
        assert changed.change_note == "+1 / -1 lines"
        assert changed.change_diff.splitlines()[1:] == [
            "-We send a reminder text 48 hours before each visit.",
            "+We now call every patient the day before."]
        left = db.exec(select(Evidence.quote).where(Evidence.document_id == doc.id)).all()
        assert left == ["Line one stays."]  # the quote the new text lost is gone with it
        assert db.get(Opportunity, opp.id).mentions == 1


def test_diff_is_bounded() -> None:
    from reservoir.memory.changes import DIFF_MAX_CHARS, DIFF_MAX_LINES, text_diff

    old = "\n".join(f"line {i}" for i in range(500))
    new = "\n".join(f"changed line {i} " + "x" * 400 for i in range(500))
    diff, note = text_diff(old, new)
    assert note == "+500 / -500 lines"
    assert len(diff.splitlines()) <= DIFF_MAX_LINES + 1 and len(diff) <= DIFF_MAX_CHARS + 100
    assert diff.splitlines()[-1].startswith("… (")


def test_new_columns_are_added_to_an_older_database(settings: Settings) -> None:
    """An older data directory (document table without the change columns) keeps working."""
    from sqlalchemy import inspect, text

    from reservoir.memory.db import get_engine, init_schema

    with session_scope(settings) as db:
        upsert_document(db, _doc("https://example.com/old", "An old document."))
    engine = get_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_document_change_status"))
        for column in ("change_status", "status_at", "change_diff", "listed_url"):
            conn.execute(text(f"ALTER TABLE document DROP COLUMN {column}"))
        conn.execute(text("ALTER TABLE source DROP COLUMN failing_since"))
    init_schema(engine)
    names = {c["name"] for c in inspect(engine).get_columns("document")}
    assert {"change_status", "status_at", "change_diff", "listed_url"} <= names
    with session_scope(settings) as db:
        assert db.exec(select(Document)).one().change_status == "new"


def test_gone_by_status_or_by_leaving_a_complete_listing(any_settings: Settings) -> None:
    from reservoir.memory.changes import mark_gone, mark_unlisted

    with session_scope(any_settings) as db:
        source = add_source(db, "map", "sitemap", "https://example.com/sitemap.xml")
        kept = upsert_document(db, _doc("https://example.com/kept", "Kept page.",
                                        source_id=source.id)).document
        renamed = upsert_document(db, _doc("https://example.com/canonical", "Canonical page.",
                                           source_id=source.id,
                                           listed_url="https://example.com/listed?utm_source=x"))
        dropped = upsert_document(db, _doc("https://example.com/dropped", "Dropped page.",
                                           source_id=source.id)).document
        assert renamed.document.listed_url == "https://example.com/listed"
        listing = ["https://example.com/kept", "https://example.com/listed"]
        assert mark_unlisted(db, source.id, listing, seen=[]) == 1
        assert (dropped.change_status, dropped.change_note) == ("gone", "gone: no longer listed")
        assert kept.change_status == renamed.document.change_status == "new"
        assert mark_gone(db, source.id, ["https://example.com/listed"], "gone: HTTP 410") == 1
        assert renamed.document.change_status == "gone"
        back = upsert_document(db, _doc("https://example.com/dropped", "Dropped page.",
                                        source_id=source.id)).document
        assert (back.change_status, back.change_note) == ("unchanged", None)  # it came back
