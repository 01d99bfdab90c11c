"""Source rows: registration, listing, and health after each fetch."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from reservoir.memory.models import SOURCE_KINDS, Source, utcnow
from reservoir.memory.pagination import Page, paginate


class SourceExistsError(ValueError):
    pass


def add_source(
    session: Session, name: str, kind: str, url: str, config: dict[str, Any] | None = None,
    *, active: bool = True, replace: bool = False,
) -> Source:
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {kind!r}; choose one of {', '.join(SOURCE_KINDS)}")
    if not url.strip():
        raise ValueError("a source needs a url (or a folder path)")
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
