"""Projected next to actual for a profile's implementations: rows and a small SVG plot.

An owner sees at a glance whether the projections held; the report carries it beside the
ranked items (`writer.write_report`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup
from sqlmodel import select

from reservoir.memory.models import Implementation, Opportunity

BAR_HEIGHT, GAP, LABEL_WIDTH, PLOT_WIDTH = 14, 10, 260, 300


def projected_vs_actual(session: Any, profile_id: int) -> list[dict[str, Any]]:
    """Implemented opportunities of the profile with a projection and a measured saving."""
    rows = session.exec(
        select(Implementation, Opportunity.title)
        .join(Opportunity, Opportunity.id == Implementation.opportunity_id)
        .where(Implementation.profile_id == profile_id,
               Implementation.status == "implemented")
        .order_by(Implementation.implemented_at)).all()
    return [{"title": title, "projected": impl.projected_hours_saved_week,
             "actual": impl.actual_hours_saved_week, "setup": impl.actual_setup_hours,
             "tools": impl.actual_tool_cost_month}
            for impl, title in rows if impl.actual_hours_saved_week is not None]


def svg_bars(rows: list[dict[str, Any]]) -> Markup:
    """Two bars per implementation — projected (light) and actual (dark) hours a week."""
    if not rows:
        return Markup("")
    top = max(max(r["projected"] or 0, r["actual"] or 0) for r in rows) or 1.0
    scale = PLOT_WIDTH / top
    step = 2 * BAR_HEIGHT + GAP
    height = step * len(rows) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + PLOT_WIDTH + 60}" '
             f'height="{height}" role="img" aria-label="projected and actual hours saved per week">']
    for i, row in enumerate(rows):
        y = i * step
        parts.append(f'<text x="0" y="{y + BAR_HEIGHT + 4}" font-size="12">'
                     f'{escape(row["title"][:40])}</text>')
        for j, (key, colour) in enumerate((("projected", "#a9c6e8"), ("actual", "#1f5f9e"))):
            value = row[key]
            if value is None:
                continue
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + j * BAR_HEIGHT}" '
                         f'width="{value * scale:.1f}" height="{BAR_HEIGHT - 2}" fill="{colour}">'
                         f'<title>{key} {value:g} h/week</title></rect>')
            parts.append(f'<text x="{LABEL_WIDTH + value * scale + 4:.1f}" '
                         f'y="{y + j * BAR_HEIGHT + BAR_HEIGHT - 3}" font-size="11">'
                         f'{value:g}</text>')
    parts.append(f'<text x="{LABEL_WIDTH}" y="{height - 4}" font-size="11" fill="#555">'
                 'light: projected · dark: actual (hours saved per week)</text></svg>')
    return Markup("".join(parts))
