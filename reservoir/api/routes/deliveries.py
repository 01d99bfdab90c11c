"""Digest deliveries: what each channel (email, webhook) did with each report."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from reservoir.api.deps import AUTH, OptionalId, PageDep, SessionDep
from reservoir.api.schemas import Page
from reservoir.memory.deliveries import list_deliveries
from reservoir.memory.public import DeliveryPublic, DeliveryStatus

router = APIRouter(prefix="/deliveries", tags=["digests"], dependencies=AUTH)


@router.get("", response_model=Page[DeliveryPublic], summary="List digest deliveries, newest first")
def list_(session: SessionDep, page: PageDep, status: DeliveryStatus | None = None,
          channel: Literal["email", "webhook"] | None = None,
          report_id: OptionalId = None) -> dict[str, Any]:
    found = list_deliveries(session, status=status, channel=channel, report_id=report_id,
                            limit=page.limit, offset=page.offset)
    return page.page([DeliveryPublic.model_validate(d) for d in found.items], found.total)
