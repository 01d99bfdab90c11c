"""Business profiles: the concrete businesses opportunities are scored for."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from reservoir.memory.models import VOLUME_KINDS, BusinessProfile
from reservoir.memory.pagination import Page, paginate

PROFILE_FIELDS = ("name", "industry", "team_size", "hourly_rate", "current_tools", "challenges",
                  "goals", "headcount", "monthly_volumes")


def check_facts(data: dict[str, Any]) -> None:
    """Headcount per role and monthly volumes are optional, but what is given must be sane:
    the ROI scales savings by them."""
    team = int(data.get("team_size", 1))
    for role, n in (data.get("headcount") or {}).items():
        if not str(role).strip() or not isinstance(n, int) or n < 0:
            raise ValueError(f"headcount for {role!r} must be a whole number >= 0")
        if n > team:
            raise ValueError(f"headcount for {role!r} ({n}) exceeds the team size ({team})")
    for kind, n in (data.get("monthly_volumes") or {}).items():
        if kind not in VOLUME_KINDS:
            raise ValueError(f"unknown monthly volume {kind!r}: use {', '.join(VOLUME_KINDS)}")
        if not isinstance(n, int | float) or n < 0:
            raise ValueError(f"monthly volume of {kind} must be a number >= 0")


def upsert_profile(session: Session, data: dict[str, Any]) -> BusinessProfile:
    unknown = set(data) - set(PROFILE_FIELDS) - {"id", "created_at"}
    if unknown:
        raise ValueError(f"unknown profile field(s): {', '.join(sorted(unknown))}")
    if not str(data.get("name", "")).strip():
        raise ValueError("a profile needs a name")
    if int(data.get("team_size", 1)) < 1:
        raise ValueError("team_size must be at least 1")
    if float(data.get("hourly_rate", 0)) < 0:
        raise ValueError("hourly_rate must be >= 0")
    check_facts(data)
    profile = _by_name(session, str(data["name"])) or BusinessProfile(
        name=data["name"], industry=data.get("industry", "other"))
    for key in PROFILE_FIELDS:
        if key in data:
            setattr(profile, key, data[key])
    session.add(profile)
    session.flush()
    return profile


def _by_name(session: Session, name: str) -> BusinessProfile | None:
    return session.exec(select(BusinessProfile).where(BusinessProfile.name == name)).first()


def get_profile(session: Session, ref: str | int) -> BusinessProfile | None:
    """By name first — a profile may be called "2" — then by id.

    Upserting by name only: looking a digit name up as an id renamed another profile and,
    when the name was taken, ended in a unique-constraint error (issue 15).
    """
    if isinstance(ref, int):
        return session.get(BusinessProfile, ref)
    found = _by_name(session, ref)
    if found is None and ref.isdigit():
        found = session.get(BusinessProfile, int(ref))
    return found


def list_profiles(session: Session, limit: int = 100, offset: int = 0) -> Page[BusinessProfile]:
    return paginate(session, select(BusinessProfile),
                    [BusinessProfile.created_at.desc(), BusinessProfile.id.desc()], limit, offset)


def all_profiles(session: Session, names: list[str] | None = None) -> list[BusinessProfile]:
    statement = select(BusinessProfile).order_by(BusinessProfile.id)
    if names:
        statement = statement.where(BusinessProfile.name.in_(names))
    return list(session.exec(statement).all())
