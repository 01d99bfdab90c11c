"""Projected next to actual for a profile's implementations: rows, calibration and an SVG plot.

An owner sees at a glance whether the projections held. One place builds the view for both
readers: the report (`writer.write_report`) and the dashboard's tracking page (through
`/api/v1/profiles/{ref}/tracking`), so the two never disagree.

The plot is two small scatter panels — hours saved a week and net value a month — with the
projection (when tracking began) across and the measured result up; the diagonal is
"as projected", so a point above it did better. Plain SVG built here: no script, no library.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from markupsafe import Markup
from sqlmodel import select

from reservoir.agents import roi_range
from reservoir.agents.roi import WEEKS_PER_MONTH, net_value
from reservoir.memory.models import BusinessProfile, Implementation, Opportunity, RoiEstimate

PANEL, MARGIN, GUTTER, TOP = 220, 46, 40, 24   # px: plot square, axis margin, between, title
PANELS = (("hours", "projected", "actual", "hours saved / week", "{:g} h/week"),
          ("value", "projected_value", "actual_value", "net value / month", "${:,.0f}/month"))


def projected_vs_actual(session: Any, profile_id: int) -> list[dict[str, Any]]:
    """Implemented opportunities of the profile with a measured saving, oldest first, each with
    its projection when tracking began and the measured monthly value (same formula as the
    projection: hours × weeks × the profile's rate − tools)."""
    profile = session.get(BusinessProfile, profile_id)
    rows = session.exec(
        select(Implementation, Opportunity.title, Opportunity.automation_type)
        .join(Opportunity, Opportunity.id == Implementation.opportunity_id)
        .where(Implementation.profile_id == profile_id,
               Implementation.status == "implemented")
        .order_by(Implementation.implemented_at, Implementation.id)).all()
    estimated = dict(session.exec(
        select(RoiEstimate.opportunity_id, RoiEstimate.tool_cost_month)
        .where(RoiEstimate.profile_id == profile_id)).all())
    out = []
    for impl, title, kind in rows:
        if impl.actual_hours_saved_week is None or profile is None:
            continue
        value, note = _actual_value(impl, profile.hourly_rate, estimated.get(impl.opportunity_id))
        out.append({"n": len(out) + 1, "opportunity_id": impl.opportunity_id, "title": title,
                    "automation_type": kind, "projected": impl.projected_hours_saved_week,
                    "actual": impl.actual_hours_saved_week, "setup": impl.actual_setup_hours,
                    "tools": impl.actual_tool_cost_month,
                    "projected_value": impl.projected_monthly_value, "actual_value": value,
                    "value_note": note})
    return out


def _actual_value(impl: Implementation, rate: float, estimated_tools: float | None
                  ) -> tuple[float | None, str]:
    """Measured net value a month, and what it rests on when the tool cost was not recorded."""
    hours = impl.actual_hours_saved_week or 0.0
    if impl.actual_tool_cost_month is not None:
        tools, note = impl.actual_tool_cost_month, "measured"
    elif estimated_tools is not None:
        tools, note = estimated_tools, f"tool cost not recorded: the estimate's ${estimated_tools:,.0f}"
    else:
        return None, "tool cost not recorded and no estimate"
    return round(net_value(hours, rate, tools), 2), note


def view(session: Any, profile_id: int) -> dict[str, Any]:
    """Everything the tracking page shows: rows, the plot and the calibration state."""
    rows = projected_vs_actual(session, profile_id)
    return {"rows": rows, "svg": str(svg_plot(rows)),
            "calibration": roi_range.calibration_state(session),
            "calibration_prior": roi_range.CALIBRATION_PRIOR, "weeks_per_month": WEEKS_PER_MONTH}


def axis_range(values: list[float]) -> tuple[float, float]:
    """Both axes of a panel: from 0 (or below the lowest loss) to a round number above the
    highest value, in steps of half a power of ten."""
    low, high = min([0.0, *values]), max([0.0, *values])
    step = 10 ** math.floor(math.log10(max(high - low, 1.0) * 1.05)) / 2
    return (math.floor(low * 1.05 / step) * step if low < 0 else 0.0,
            max(math.ceil(high * 1.05 / step) * step, step))


def svg_plot(rows: list[dict[str, Any]]) -> Markup:
    """The two panels side by side; empty without a point to place."""
    if not any(r["projected"] is not None for r in rows):
        return Markup("")
    width = 2 * (MARGIN + PANEL) + GUTTER + 10
    height = TOP + PANEL + MARGIN + 18
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="tracking-plot" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="projected against actual, per implemented opportunity">']
    for i, spec in enumerate(PANELS):
        parts.append(_panel(rows, MARGIN + i * (MARGIN + PANEL + GUTTER), spec))
    parts.append(f'<text x="{MARGIN}" y="{height - 4}" font-size="11" fill="#555">across: '
                 'projected when tracking began · up: measured · dashed: as projected</text></svg>')
    return Markup("".join(parts))


def _panel(rows: list[dict[str, Any]], x0: int, spec: tuple[str, ...]) -> str:
    """One square scatter panel; its data-* attributes say how values map to pixels."""
    quantity, pkey, akey, title, unit = spec
    points = [(r["n"], r["title"], r[pkey], r[akey]) for r in rows
              if r[pkey] is not None and r[akey] is not None]
    low, high = axis_range([v for _, _, p, a in points for v in (p, a)])
    y0 = TOP

    def x(v: float) -> float:
        return x0 + (v - low) / (high - low) * PANEL

    def y(v: float) -> float:
        return y0 + PANEL - (v - low) / (high - low) * PANEL

    parts = [f'<g class="panel" data-quantity="{quantity}" data-min="{low:g}" data-max="{high:g}" '
             f'data-x0="{x0}" data-y0="{y0}" data-size="{PANEL}">',
             f'<text x="{x0}" y="{y0 - 8}" font-size="12" font-weight="bold">{title}</text>',
             f'<rect x="{x0}" y="{y0}" width="{PANEL}" height="{PANEL}" fill="#fafbfc" '
             'stroke="#c8ccd2"/>',
             f'<line x1="{x(low):.1f}" y1="{y(low):.1f}" x2="{x(high):.1f}" y2="{y(high):.1f}" '
             'stroke="#999" stroke-dasharray="4 3"/>']
    for v, anchor in ((low, "start"), (high, "end")):
        parts.append(f'<text x="{x(v):.1f}" y="{y0 + PANEL + 14}" font-size="10" '
                     f'text-anchor="{anchor}">{escape(unit.format(v))}</text>')
        parts.append(f'<text x="{x0 - 4}" y="{y(v) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{escape(_short(v))}</text>')
    if not points:
        parts.append(f'<text x="{x0 + 8}" y="{y0 + PANEL / 2}" font-size="11" fill="#555">'
                     'no projection to compare with</text>')
    for n, name, projected, actual in points:
        said = f"{n}. {name}: projected {unit.format(projected)}, actual {unit.format(actual)}"
        parts.append(f'<g class="point" data-n="{n}" data-projected="{projected:g}" '
                     f'data-actual="{actual:g}"><title>{escape(said)}</title>'
                     f'<circle cx="{x(projected):.1f}" cy="{y(actual):.1f}" r="5" '
                     f'fill="{"#1f7a3a" if actual >= projected else "#b03a2e"}"/>'
                     f'<text x="{x(projected) + 7:.1f}" y="{y(actual) - 6:.1f}" font-size="11">'
                     f'{n}</text></g>')
    parts.append("</g>")
    return "".join(parts)


def _short(value: float) -> str:
    """An axis label that fits the margin: 1200 → 1.2k."""
    return f"{value / 1000:g}k" if abs(value) >= 1000 else f"{value:g}"
