"""Sightings: which listed items a source has already given us, and which query found them.

The scout asks `known_keys` before the per-run limit is applied, so a long feed is worked
through run after run instead of the same first items being taken again; `record` keeps the
key (and the search query, when a search found it) once the item is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from reservoir.memory.hashing import canonical_url
from reservoir.memory.models import Document, Sighting

BATCH = 500  # bound the IN lists: SQLite caps the variables of one statement


@dataclass
class SightingIn:
    key: str
    document_id: int | None
    query: str | None = None


def _batches(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), BATCH):
        yield values[start:start + BATCH]


def _canonical(key: str) -> str | None:
    try:
        return canonical_url(key)
    except Exception:  # noqa: BLE001 - a key that is not a url is never a stored url
        return None


def known_keys(session: Session, source_id: int, keys: Sequence[str]) -> set[str]:
    """The keys this source has given before, or whose url a stored document already has
    (stored by another source, or before sightings were kept)."""
    unique = list(dict.fromkeys(keys))
    found: set[str] = set()
    for batch in _batches(unique):
        found.update(session.exec(select(Sighting.key).where(
            Sighting.source_id == source_id, col(Sighting.key).in_(batch))).all())
    by_url = {url: key for key in unique if key not in found and (url := _canonical(key))}
    for batch in _batches(list(by_url)):
        stored = session.exec(select(Document.url).where(col(Document.url).in_(batch))).all()
        found.update(by_url[url] for url in stored)
    return found


def record(session: Session, source_id: int, run_id: str, rows: Sequence[SightingIn]) -> int:
    """Insert the sightings not yet known (parallel scout branches may race on a key: the
    first one wins, the others do nothing); returns how many rows were asked for."""
    if not rows:
        return 0
    values = [{"source_id": source_id, "key": r.key[:2048], "document_id": r.document_id,
               "run_id": run_id, "query": (r.query or None) and r.query[:500]} for r in rows]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Sighting).on_conflict_do_nothing(index_elements=["source_id", "key"])
    session.execute(statement, values)
    return len(values)


def found_by_query(session: Session, run_id: str) -> dict[str, list[int]]:
    """query -> the documents it found in this run: what the run view and report show."""
    rows = session.exec(select(Sighting.query, Sighting.document_id).where(
        Sighting.run_id == run_id, col(Sighting.query).is_not(None),
        col(Sighting.document_id).is_not(None)).order_by(Sighting.id)).all()
    found: dict[str, list[int]] = {}
    for query, document_id in rows:
        found.setdefault(query, []).append(document_id)
    return found


def with_documents(session: Session, searches: Sequence[dict]) -> list[dict]:
    """A run's searches (as the runner stores them) with each found document's url and title."""
    ids = sorted({i for search in searches for i in search.get("document_ids", [])})
    docs = {d.id: d for d in session.exec(select(Document).where(col(Document.id).in_(ids)))}
    return [{**search, "documents": [{"id": i, "url": docs[i].url, "title": docs[i].title}
                                     for i in search.get("document_ids", []) if i in docs]}
            for search in searches]
