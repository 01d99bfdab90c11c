"""Ranges, confidence and calibration of roi-v2: what the reservoir as a whole says.

One document's figure is a point; the range is the spread of the figures of every similar
opportunity in the reservoir (same automation type, a tool in common), each scaled to the
profile the same way. Measured implementations of similar opportunities then pull the
projection towards what really happened, more so the more of them there are.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from reservoir.agents import roi_scale
from reservoir.memory.models import BusinessProfile, Evidence, Implementation, Opportunity

# Without a second figure the range is the expected value ± this share, by input origin.
DEFAULT_SPREAD = {"evidence": 0.5, "model": 0.75, "default": 0.75}
CALIBRATION_PRIOR = 2.0   # a projection weighs as much as two measured implementations
MAX_PEERS = 50


@dataclass
class Figure:
    """A quoted hours-saved figure of a similar opportunity, scaled to the profile."""

    hours: float
    document_id: int
    opportunity_id: int


@dataclass
class Actual:
    """A measured implementation of a similar opportunity, brought to the profile."""

    hours: float | None
    setup_hours: float | None
    tool_cost: float | None
    profile_name: str
    note: str


def similar(opp: Opportunity, other: Opportunity) -> bool:
    """Same automation type and, when either names tools, a tool in common."""
    if opp.automation_type != other.automation_type:
        return False
    if not opp.tools or not other.tools:
        return opp.id == other.id or not (opp.tools or other.tools)
    return bool({t.lower() for t in opp.tools} & {t.lower() for t in other.tools})


def similar_opportunities(session: Any, opp: Opportunity) -> list[Opportunity]:
    """The opportunity and its peers of the reservoir, itself first."""
    rows = session.exec(select(Opportunity).where(
        Opportunity.automation_type == opp.automation_type,
        col(Opportunity.status) != "rejected")).all()
    peers = [o for o in rows if o.id != opp.id and similar(opp, o)]
    return [opp, *sorted(peers, key=lambda o: -o.mentions)[:MAX_PEERS]]


def peer_figures(peers: list[Opportunity], evidence_by_opp: dict[int, list[Evidence]],
                 profile: BusinessProfile) -> list[Figure]:
    """Every quoted hours-saved figure of the peers, each scaled to the profile."""
    out = []
    for peer in peers:
        evidence = evidence_by_opp.get(peer.id or 0, [])
        quotes = [e.quote for e in evidence]
        for value, item, mention in roi_scale.evidence_mentions(evidence)["hours_saved_week"]:
            scaled = roi_scale.scale_hours([(value, mention.sentence)], quotes, profile,
                                           peer.automation_type)
            if scaled is not None:
                out.append(Figure(scaled.value, item.document_id, peer.id or 0))
    return out


def hours_range(expected: float, origin: str, figures: list[Figure]) -> tuple[float, float, str]:
    """Low and high hours a week from the figures' quartiles (the expected value inside)."""
    values = sorted(f.hours for f in figures)
    documents = len({f.document_id for f in figures})
    if len(values) >= 2:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        low, high = min(q1, expected), max(q3, expected)
        return low, high, (f"range from the quartiles of {len(values)} figures in {documents} "
                           f"source(s) about similar opportunities, each scaled to you")
    share = DEFAULT_SPREAD.get(origin, 0.75)
    return (expected * (1 - share), expected * (1 + share),
            f"only {len(values)} figure(s) on similar opportunities: range ±{share:.0%} "
            f"({origin})")


def confidence(quoted: int, expected: float, low: float, high: float, documents: int) -> float:
    """How far the real value may be: quoted inputs, agreement between sources, their number."""
    agreement = 1 / (1 + (high - low) / max(expected, 0.1))
    support = min(1.0, documents / 4)
    value = 0.10 + 0.45 * (quoted / 3) + 0.35 * agreement * support
    return round(max(0.05, min(0.95, value)), 2)


def actuals_for(session: Any, opp: Opportunity, profile: BusinessProfile) -> list[Actual]:
    """Implementations with measured results of this or a similar opportunity, any profile;
    hours are carried over in proportion to the people doing the work here and there."""
    rows = session.exec(
        select(Implementation, Opportunity, BusinessProfile)
        .join(Opportunity, Opportunity.id == Implementation.opportunity_id)
        .join(BusinessProfile, BusinessProfile.id == Implementation.profile_id)
        .where(Implementation.status == "implemented",
               Opportunity.automation_type == opp.automation_type)).all()
    out = []
    for impl, other, owner in rows:
        if not similar(opp, other) or all(v is None for v in (
                impl.actual_hours_saved_week, impl.actual_setup_hours,
                impl.actual_tool_cost_month)):
            continue
        here, _ = roi_scale.people_on_function(profile, None, opp.automation_type, 1.0,
                                               capped=False)
        there, _ = roi_scale.people_on_function(owner, None, opp.automation_type, 1.0,
                                                capped=False)
        hours = impl.actual_hours_saved_week
        note = f"{owner.name}: {hours:g} h/week measured" if hours is not None else owner.name
        if hours is not None and owner.id != profile.id and here != there:
            note += f", × {here:g}/{there:g} people on this work → {hours * here / there:.3g}"
            hours = hours * here / there
        out.append(Actual(hours, impl.actual_setup_hours, impl.actual_tool_cost_month,
                          owner.name, note))
    return out


def shrink(projected: float, measured: list[float]) -> float:
    """The projection pulled towards the measured mean, with the weight of N measurements."""
    if not measured:
        return projected
    return ((CALIBRATION_PRIOR * projected + sum(measured))
            / (CALIBRATION_PRIOR + len(measured)))


def measured_weight(count: int) -> float:
    """The share the measured mean takes in `shrink` with `count` measurements (the rest is
    the projection's): 0 without any, 1/3 with one, 1/2 with two, towards 1."""
    return count / (CALIBRATION_PRIOR + count) if count > 0 else 0.0


def calibration_state(session: Any) -> list[dict[str, Any]]:
    """Per automation type, the implementations with measured results (every profile's) and
    the weight their hours take in a projection of that type. A projection counts only those
    of similar opportunities (a tool in common), so this is the most it can weigh."""
    counts: dict[str, dict[str, int]] = {}
    for kind, hours, setup, tools in session.exec(
            select(Opportunity.automation_type, Implementation.actual_hours_saved_week,
                   Implementation.actual_setup_hours, Implementation.actual_tool_cost_month)
            .join(Opportunity, Opportunity.id == Implementation.opportunity_id)
            .where(Implementation.status == "implemented")).all():
        row = counts.setdefault(kind, {"hours": 0, "setup": 0, "tools": 0})
        for key, value in (("hours", hours), ("setup", setup), ("tools", tools)):
            row[key] += value is not None
    return [{"automation_type": kind, "hours_actuals": row["hours"],
             "setup_actuals": row["setup"], "tool_cost_actuals": row["tools"],
             "measured_weight": round(measured_weight(row["hours"]), 3)}
            for kind, row in sorted(counts.items()) if any(row.values())]


def stale_after_actuals(session: Any, profile_ids: list[int]) -> list[int]:
    """Live opportunities of an implemented type whose estimate predates the latest actuals:
    the next run re-scores them so the measured results reach their projections."""
    from reservoir.memory.models import RoiEstimate

    latest: dict[str, Any] = {}
    for kind, updated in session.exec(
            select(Opportunity.automation_type, Implementation.updated_at)
            .join(Opportunity, Opportunity.id == Implementation.opportunity_id)
            .where(Implementation.status == "implemented")).all():
        latest[kind] = max(latest.get(kind, updated), updated)
    if not latest or not profile_ids:
        return []
    rows = session.exec(
        select(Opportunity.id, Opportunity.automation_type, RoiEstimate.updated_at)
        .join(RoiEstimate, RoiEstimate.opportunity_id == Opportunity.id)
        .where(col(Opportunity.automation_type).in_(list(latest)),
               col(Opportunity.status).in_(["new", "approved"]),
               col(RoiEstimate.profile_id).in_(profile_ids))).all()
    return sorted({opp_id for opp_id, kind, at in rows
                   if _aware(at) < _aware(latest[kind])})


def _aware(value: Any) -> Any:
    from reservoir.memory.models import as_utc

    return as_utc(value)
