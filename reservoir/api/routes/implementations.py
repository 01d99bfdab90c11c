"""Implementation tracking per profile: list, move one opportunity with its actuals, and the
projected-vs-actual view (rows, calibration state and the server-rendered SVG plot)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reservoir.agents import tracking_view
from reservoir.api.deps import AUTH, DbId, SessionDep, storable_ref
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import Page, TrackingOut
from reservoir.memory import implementations as impl
from reservoir.memory import profiles as profile_queries
from reservoir.memory.models import BusinessProfile
from reservoir.memory.public import ImplementationPublic, ImplementationUpdate

router = APIRouter(prefix="/profiles", tags=["implementations"], dependencies=AUTH)


def _profile(session: Any, ref: str) -> BusinessProfile:
    profile = profile_queries.get_profile(session, ref) if storable_ref(ref) else None
    if profile is None:
        raise not_found(f"profile {ref!r}")
    return profile


@router.get("/{ref}/implementations", response_model=Page[ImplementationPublic],
            summary="A profile's tracked opportunities, projected next to actual")
def list_implementations(ref: str, session: SessionDep) -> dict[str, Any]:
    profile = _profile(session, ref)
    items = impl.shown(session, impl.list_implementations(session, profile.id))
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.put("/{ref}/implementations/{opportunity_id}", response_model=ImplementationPublic,
            summary="Bookmark, start, finish (with actuals) or abandon an opportunity")
def track(ref: str, opportunity_id: DbId, body: ImplementationUpdate,
          session: SessionDep) -> ImplementationPublic:
    profile = _profile(session, ref)
    try:
        row = impl.track(session, profile, opportunity_id, impl.TrackIn(**body.model_dump()))
    except LookupError as exc:
        raise not_found(str(exc).removeprefix("no ")) from None
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    return impl.shown(session, [row])[0]


@router.get("/{ref}/tracking", response_model=TrackingOut,
            summary="Projected against actual per implemented opportunity, with an SVG plot")
def tracking(ref: str, session: SessionDep) -> TrackingOut:
    profile = _profile(session, ref)
    view = tracking_view.view(session, profile.id)  # type: ignore[arg-type]
    return TrackingOut(profile_id=profile.id, profile=profile.name, **view)  # type: ignore[arg-type]
