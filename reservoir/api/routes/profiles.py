"""Business profiles: list, and create-or-update by name."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reservoir.api.deps import AUTH, PageDep, SessionDep, storable_ref
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import Page
from reservoir.memory import profiles as profile_queries
from reservoir.memory.public import ProfileCreate, ProfilePublic

router = APIRouter(prefix="/profiles", tags=["profiles"], dependencies=AUTH)


@router.get("", response_model=Page[ProfilePublic], summary="List business profiles")
def list_profiles(session: SessionDep, page: PageDep) -> dict[str, Any]:
    found = profile_queries.list_profiles(session, limit=page.limit, offset=page.offset)
    return page.page([ProfilePublic.model_validate(p) for p in found.items], found.total)


@router.post("", response_model=ProfilePublic, summary="Create or update a profile (by name)")
def upsert_profile(body: ProfileCreate, session: SessionDep) -> ProfilePublic:
    try:
        profile = profile_queries.upsert_profile(session, body.model_dump())
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    return ProfilePublic.model_validate(profile)


@router.get("/{ref}", response_model=ProfilePublic, summary="One profile by id or name")
def get_profile(ref: str, session: SessionDep) -> ProfilePublic:
    profile = profile_queries.get_profile(session, ref) if storable_ref(ref) else None
    if profile is None:
        raise not_found(f"profile {ref!r}")
    return ProfilePublic.model_validate(profile)
