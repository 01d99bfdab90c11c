"""Implementation tracking: a profile's opportunity from bookmark to measured result.

bookmarked → in_progress → implemented | abandoned, each step dated. Actuals (setup hours,
hours saved a week, tool cost a month) are what the owner measured; the ROI scorer pulls
later projections of similar opportunities towards them (`agents/roi_range.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from reservoir.memory.models import (
    IMPLEMENTATION_STATUSES,
    BusinessProfile,
    Implementation,
    Opportunity,
    RoiEstimate,
    utcnow,
)
from reservoir.memory.public import ImplementationPublic

# Where each status may go next; abandoned work may be bookmarked again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "bookmarked": ("bookmarked", "in_progress", "implemented", "abandoned"),
    "in_progress": ("in_progress", "implemented", "abandoned"),
    "implemented": ("implemented", "abandoned"),
    "abandoned": ("abandoned", "bookmarked"),
}
ACTUALS = ("actual_setup_hours", "actual_hours_saved_week", "actual_tool_cost_month")
_STAMP = {"in_progress": "started_at", "implemented": "implemented_at",
          "abandoned": "abandoned_at"}


@dataclass
class TrackIn:
    """One change: a status and/or measured actuals (None leaves a value as it was)."""

    status: str | None = None
    actual_setup_hours: float | None = None
    actual_hours_saved_week: float | None = None
    actual_tool_cost_month: float | None = None
    notes: str | None = None


def _check(change: TrackIn) -> None:
    if change.status is not None and change.status not in IMPLEMENTATION_STATUSES:
        raise ValueError(f"unknown status {change.status!r}: use "
                         f"{', '.join(IMPLEMENTATION_STATUSES)}")
    for name in ACTUALS:
        value = getattr(change, name)
        if value is not None and not 0 <= value <= 1e6:
            raise ValueError(f"{name.replace('_', ' ')} must be between 0 and 1,000,000")


def track(session: Session, profile: BusinessProfile, opportunity_id: int,
          change: TrackIn) -> Implementation:
    """Create or move a profile's implementation; refuses an impossible step with a reason."""
    _check(change)
    if session.get(Opportunity, opportunity_id) is None:
        raise LookupError(f"no opportunity {opportunity_id}")
    row = get_implementation(session, profile.id, opportunity_id)  # type: ignore[arg-type]
    if row is None:
        row = Implementation(profile_id=profile.id, opportunity_id=opportunity_id)  # type: ignore[arg-type]
        _snapshot(session, row)
    status = change.status or row.status
    if status not in TRANSITIONS[row.status]:
        raise ValueError(f"cannot go from {row.status} to {status} (allowed: "
                         f"{', '.join(TRANSITIONS[row.status])})")
    if any(getattr(change, n) is not None for n in ACTUALS) and status != "implemented":
        raise ValueError("actuals are recorded on an implemented opportunity: "
                         "set the status to implemented")
    now = utcnow()
    if status != row.status and (stamp := _STAMP.get(status)):
        setattr(row, stamp, now)
    if status == "implemented" and row.started_at is None:
        row.started_at = now
    if status == "bookmarked" and row.status != "bookmarked":
        row.bookmarked_at, row.abandoned_at = now, None
    row.status = status
    for name in ACTUALS:
        if (value := getattr(change, name)) is not None:
            setattr(row, name, float(value))
    if change.notes is not None:
        row.notes = change.notes.strip()[:2000] or None
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def _snapshot(session: Session, row: Implementation) -> None:
    """The projection when tracking began: what the actuals are later compared with."""
    estimate = session.exec(select(RoiEstimate).where(
        RoiEstimate.opportunity_id == row.opportunity_id,
        RoiEstimate.profile_id == row.profile_id)).first()
    if estimate is not None:
        row.projected_hours_saved_week = estimate.hours_saved_week
        row.projected_monthly_value = estimate.monthly_net_value


def get_implementation(session: Session, profile_id: int, opportunity_id: int
                       ) -> Implementation | None:
    return session.exec(select(Implementation).where(
        Implementation.profile_id == profile_id,
        Implementation.opportunity_id == opportunity_id)).first()


def list_implementations(session: Session, profile_id: int | None = None,
                         opportunity_id: int | None = None) -> list[Implementation]:
    """Newest change first."""
    statement = select(Implementation)
    if profile_id is not None:
        statement = statement.where(Implementation.profile_id == profile_id)
    if opportunity_id is not None:
        statement = statement.where(Implementation.opportunity_id == opportunity_id)
    return list(session.exec(statement.order_by(Implementation.updated_at.desc(),  # type: ignore[attr-defined]
                                                Implementation.id.desc())).all())  # type: ignore[union-attr]


def shown(session: Session, rows: list[Implementation]) -> list[ImplementationPublic]:
    """The rows as the CLI and the API show them, each with its opportunity's title."""
    titles = titles_of(session, rows)
    return [ImplementationPublic.model_validate(row, update={"title": titles.get(row.opportunity_id)})
            for row in rows]


def titles_of(session: Session, rows: list[Implementation]) -> dict[int, str]:
    ids = {r.opportunity_id for r in rows}
    if not ids:
        return {}
    return dict(session.exec(select(Opportunity.id, Opportunity.title)
                             .where(Opportunity.id.in_(ids))).all())  # type: ignore[union-attr,arg-type]
