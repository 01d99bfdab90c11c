"""Validators for conditional requests, persisted only once what they describe is stored.

Writing an ETag before the document it belongs to is saved would turn a crash into a lost
document (the next run gets a 304 and skips it), so puts wait in memory until `flush`.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from reservoir.memory.models import HttpCacheEntry, utcnow


class SqlValidatorCache:
    def __init__(self) -> None:
        self._known: dict[str, tuple[str | None, str | None]] = {}
        self._pending: dict[str, tuple[str | None, str | None]] = {}

    def load(self, session: Session, urls: list[str] | None = None) -> None:
        statement = select(HttpCacheEntry)
        if urls is not None:
            statement = statement.where(col(HttpCacheEntry.url).in_(urls))
        entries = session.exec(statement).all()
        for entry in entries:
            self._known[entry.url] = (entry.etag, entry.last_modified)

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self._known.get(url, (None, None))

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self._pending[url] = (etag, last_modified)

    def flush(self, session: Session) -> int:
        for url, (etag, last_modified) in self._pending.items():
            entry = session.get(HttpCacheEntry, url) or HttpCacheEntry(url=url)
            entry.etag, entry.last_modified, entry.checked_at = etag, last_modified, utcnow()
            session.add(entry)
            self._known[url] = (etag, last_modified)
        count = len(self._pending)
        self._pending.clear()
        return count
