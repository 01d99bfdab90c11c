"""Delivery rows: what each digest channel did with each report, newest first.

Written by ``reservoir/digests.py`` after a scheduled run; read here for `reservoir digests
list` and ``GET /api/v1/deliveries``, so an operator sees a failing channel without reading logs.
"""

from __future__ import annotations

from sqlmodel import Session, select

from reservoir.memory.models import Delivery
from reservoir.memory.pagination import Page, paginate


def list_deliveries(session: Session, *, status: str | None = None, channel: str | None = None,
                    report_id: int | None = None, limit: int = 50, offset: int = 0
                    ) -> Page[Delivery]:
    """The latest deliveries first (by when the row was first written, then id)."""
    statement = select(Delivery)
    if status is not None:
        statement = statement.where(Delivery.status == status)
    if channel is not None:
        statement = statement.where(Delivery.channel == channel)
    if report_id is not None:
        statement = statement.where(Delivery.report_id == report_id)
    return paginate(session, statement, [Delivery.created_at.desc(), Delivery.id.desc()], limit,
                    offset)
