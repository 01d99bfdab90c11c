"""Pagination shared by every list query: newest first, a total beside the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, statement: Any, order_by: Any, limit: int, offset: int) -> Page:
    if limit < 1 or limit > MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise ValueError("offset must be >= 0")
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(*order_by).limit(limit).offset(offset)).all()
    return Page(items=list(rows), total=int(total), limit=limit, offset=offset)
