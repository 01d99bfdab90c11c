"""Source rows: registration, listing, and health after each fetch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, select

from reservoir.memory.models import SOURCE_KINDS, Source, utcnow
from reservoir.memory.pagination import Page, paginate


class SourceExistsError(ValueError):
    pass


class InvalidSourceError(ValueError):
    """A source field that cannot work for its kind; ``field`` names it (the API's 422 does)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def check_source_url(kind: str, url: str) -> str:
    """The url, stripped, if the kind's adapter can read it (reservoir/tools/sources/); else
    InvalidSourceError naming the field. Checked when a source is registered, by the CLI and
    the API alike, rather than failing on every run: a folder reads a path on this machine (or
    a file:// url to one); every other kind fetches an http(s) url."""
    if kind not in SOURCE_KINDS:
        raise InvalidSourceError("kind", f"unknown source kind {kind!r}; choose one of "
                                 f"{', '.join(SOURCE_KINDS)}")
    url = url.strip()
    if not url:
        raise InvalidSourceError("url", "a folder source needs a path" if kind == "folder"
                                 else f"a {kind} source needs an http(s) url")
    parts = urlsplit(url)
    if kind == "folder":
        if parts.scheme == "file" and (parts.netloc not in ("", "localhost") or not parts.path):
            raise InvalidSourceError("url", "a file:// url must name a path on this machine")
        if parts.scheme not in ("", "file") and "://" in url:
            raise InvalidSourceError("url", "a folder source needs a path on this machine (or a "
                                     "file:// url to one), not a web url")
        return url
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSourceError("url", f"a {kind} source needs an http(s) url with a host, "
                                 "such as https://example.com/feed.xml")
    return url


def add_source(
    session: Session, name: str, kind: str, url: str, config: dict[str, Any] | None = None,
    *, active: bool = True, replace: bool = False,
) -> Source:
    """Register (or with ``replace``, re-register) a source; InvalidSourceError for a kind or
    url its adapter cannot read, SourceExistsError for a taken name."""
    url = check_source_url(kind, url)
    existing = session.exec(select(Source).where(Source.name == name)).first()
    if existing and not replace:
        raise SourceExistsError(f"a source named {name!r} already exists")
    source = existing or Source(name=name, kind=kind, url=url)
    source.kind, source.url, source.config, source.active = kind, url, config or {}, active
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, ref: str | int) -> Source | None:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return session.get(Source, int(ref))
    return session.exec(select(Source).where(Source.name == ref)).first()


def list_sources(session: Session, *, active: bool | None = None, limit: int = 100,
                 offset: int = 0) -> Page[Source]:
    statement = select(Source)
    if active is not None:
        statement = statement.where(Source.active == active)
    return paginate(session, statement, [Source.created_at.desc(), Source.id.desc()],
                    limit, offset)


def active_sources(session: Session, names: list[str] | None = None) -> list[Source]:
    statement = select(Source).where(Source.active == True)  # noqa: E712
    if names:
        statement = select(Source).where(Source.name.in_(names))
    return list(session.exec(statement.order_by(Source.id)).all())


def remove_source(session: Session, ref: str | int) -> bool:
    source = get_source(session, ref)
    if not source:
        return False
    session.delete(source)
    return True


def record_success(session: Session, source: Source, *, backlog: int | None = None) -> None:
    """A fetch that worked; `backlog` (when the listing was read) is what it left for later."""
    source.last_fetched_at = utcnow()
    source.consecutive_failures = 0
    source.last_error = None
    if backlog is not None:
        source.backlog = backlog
    source.failing_since = None
    session.add(source)


def record_failure(session: Session, source: Source, reason: str) -> None:
    source.last_fetched_at = utcnow()
    source.failing_since = source.failing_since or source.last_fetched_at
    source.consecutive_failures += 1
    source.last_error = reason[:2000]
    session.add(source)
