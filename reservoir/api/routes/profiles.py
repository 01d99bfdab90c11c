"""Business profiles: list, and create-or-update by name."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reservoir.api.deps import AUTH, PageDep, SessionDep, storable_ref
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import Page, ProfileIn, ProfileOut
from reservoir.memory import profiles as profile_queries

router = APIRouter(prefix="/profiles", tags=["profiles"], dependencies=AUTH)


@router.get("", response_model=Page[ProfileOut], summary="List business profiles")
def list_profiles(session: SessionDep, page: PageDep) -> dict[str, Any]:
    found = profile_queries.list_profiles(session, limit=page.limit, offset=page.offset)
    return page.page([ProfileOut.from_row(p) for p in found.items], found.total)


@router.post("", response_model=ProfileOut, summary="Create or update a profile (by name)")
def upsert_profile(body: ProfileIn, session: SessionDep) -> ProfileOut:
    try:
        profile = profile_queries.upsert_profile(session, body.model_dump())
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    return ProfileOut.from_row(profile)


@router.get("/{ref}", response_model=ProfileOut, summary="One profile by id or name")
def get_profile(ref: str, session: SessionDep) -> ProfileOut:
    profile = profile_queries.get_profile(session, ref) if storable_ref(ref) else None
    if profile is None:
        raise not_found(f"profile {ref!r}")
    return ProfileOut.from_row(profile)
