"""Report writer: a report per business profile, every claim numbered to its source.

Ranking and reasons are computed from stored facts; templates render them. With a model,
the executive summary is prose from the `writer.summary` prompt, given only those facts.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from langchain_core.messages import HumanMessage, SystemMessage
from sqlmodel import col, func, select

from reservoir.agents import fit, tracking_view
from reservoir.agents.verify import unsupported_figures
from reservoir.deps import Deps
from reservoir.memory import sightings
from reservoir.memory.changes import broken_sources, changes_since, previous_report
from reservoir.memory.db import session_scope
from reservoir.memory.models import (
    BusinessProfile,
    Document,
    Evidence,
    Opportunity,
    Report,
    RoiEstimate,
    utcnow,
)
from reservoir.prompts import active_prompt

log = logging.getLogger(__name__)

TOP_N = 10
CLAIM_KINDS = ("claim",)

_env = Environment(loader=PackageLoader("reservoir.agents", "templates"),
                   autoescape=select_autoescape(["html.j2"]), trim_blocks=False)


def fit_score(opp: Opportunity, roi: RoiEstimate, profile: BusinessProfile) -> float:
    """The rank: expected monthly value × fit × confidence (roi-v2 stores it; an older
    estimate is ranked by its value and confidence with the industry it states)."""
    if roi.rank_value is not None:
        return roi.rank_value
    return fit.industry_fit(opp, profile).factor * max(roi.monthly_net_value, 0.0) * roi.confidence


def reasons(opp: Opportunity, roi: RoiEstimate, profile: BusinessProfile) -> list[str]:
    """Why it fits, from facts only: stated industry or a stated transfer, tools already
    owned, a challenge its evidence is close to (both quoted)."""
    if roi.fit_reasons is not None:
        return list(roi.fit_reasons)
    return fit.industry_fit(opp, profile).reasons


def rank_line(opp: Opportunity, roi: RoiEstimate, profile: BusinessProfile) -> str:
    """One line saying why an item sits where it does."""
    fit_factor = roi.fit if roi.fit is not None else fit.industry_fit(opp, profile).factor
    rank = (roi.rank_value if roi.rank_value is not None
            else max(roi.monthly_net_value, 0.0) * fit_factor * roi.confidence)
    measured = (f"; measured by {roi.measured_count} implementation(s)"
                if roi.measured_count else "")
    return (f"${max(roi.monthly_net_value, 0):,.0f}/month expected × fit {fit_factor:.2f} × "
            f"confidence {roi.confidence:.0%} = {rank:,.0f}{measured}")


def _trends(session: Any, opp_ids: list[int], since: Any) -> list[dict[str, Any]]:
    recent = (Evidence.created_at >= since).label("recent")
    rows = session.exec(
        select(Evidence.opportunity_id, recent, func.count(func.distinct(Evidence.document_id)))
        .where(col(Evidence.opportunity_id).in_(opp_ids), Evidence.kind == "claim")
        .group_by(Evidence.opportunity_id, recent)).all()
    counts: dict[int, dict[str, int]] = {}
    for opp_id, is_recent, n in rows:
        counts.setdefault(opp_id, {"recent": 0, "before": 0})["recent" if is_recent else "before"] = n
    trends = []
    for opp_id, c in counts.items():
        if c["recent"] > c["before"] and c["before"] > 0 or c["recent"] >= 2:
            opp = session.get(Opportunity, opp_id)
            trends.append({"title": opp.title, **c})
    return sorted(trends, key=lambda t: t["recent"] - t["before"], reverse=True)[:8]


def _collect(session: Any, profile: BusinessProfile) -> list[tuple[Opportunity, RoiEstimate]]:
    rows = session.exec(
        select(Opportunity, RoiEstimate)
        .join(RoiEstimate, RoiEstimate.opportunity_id == Opportunity.id)
        .where(RoiEstimate.profile_id == profile.id,
               col(Opportunity.status).in_(["new", "approved"]))).all()
    ranked = sorted(rows, key=lambda r: (-fit_score(r[0], r[1], profile), r[0].id))
    return ranked[:TOP_N]


def _quotes(session: Any, opp_id: int, citations: dict[str, dict[str, Any]]) -> list[dict]:
    rows = session.exec(
        select(Evidence.quote, Document.url, Document.title)
        .join(Document, Document.id == Evidence.document_id)
        .where(Evidence.opportunity_id == opp_id).order_by(Evidence.id)).all()
    quotes = []
    for quote, url, title in rows[:3]:
        if url not in citations:
            citations[url] = {"n": len(citations) + 1, "url": url, "title": title}
        quotes.append({"quote": quote, "n": citations[url]["n"]})
    return quotes


def _searches(session: Any, run_id: str | None) -> list[dict[str, Any]]:
    """Which of this run's queries (focus, profile, follow-up) found which documents."""
    if not run_id:
        return []
    found = sightings.found_by_query(session, run_id)
    searches = [{"query": q, "document_ids": ids} for q, ids in found.items()]
    return sightings.with_documents(session, searches)


def template_summary(profile: BusinessProfile, items: list[dict[str, Any]], total: int) -> str:
    if not items:
        return (f"The reservoir holds no scored opportunity for {profile.name} yet: run discovery "
                "over more sources.")
    top = items[0]
    total_net = sum(i["roi"].monthly_net_value for i in items[:3])
    return (f"{len(items)} of {total} scored opportunities are ranked for {profile.name}. "
            f"The strongest is “{top['opp'].title}” at about ${top['roi'].monthly_net_value:,.0f}"
            f"/month net (confidence {top['roi'].confidence:.0%}); the top three together are "
            f"worth about ${total_net:,.0f}/month. Every figure below states its assumptions, "
            "and every quote links to its source.")


async def _model_summary(deps: Deps, profile: BusinessProfile, items: list[dict[str, Any]],
                         fallback: str) -> str:
    if not deps.llm.has_model("writer") or not items:
        return fallback
    facts = "\n".join(
        f"- {i['opp'].title}: ${i['roi'].monthly_net_value:,.0f}/month net, confidence "
        f"{i['roi'].confidence:.0%}; reasons: {'; '.join(i['reasons'])}" for i in items)
    prompt = active_prompt("writer.summary", deps.settings.prompt_versions)
    system, user = prompt.render(profile=f"{profile.name} ({profile.industry}, team of "
                                 f"{profile.team_size})", facts=facts)
    try:
        reply = await deps.llm.complete("writer", prompt.ref,
                                        [SystemMessage(content=system), HumanMessage(content=user)])
    except Exception:  # noqa: BLE001 — the template summary is always true
        return fallback
    summary = reply.strip()
    if not summary or (invented := unsupported_figures(summary, facts + " " + fallback)):
        if summary:
            log.warning("the model's report summary states figures the ranked items do not "
                        "(%s): the template summary is used", ", ".join(invented[:5]))
        return fallback
    return summary


async def write_report(deps: Deps, run_id: str | None, profile_id: int) -> int:
    """Compose and store the report; a rerun of the same run reuses the stored one.

    The model (when there is one) is called between two short transactions, never inside
    one: its response cache writes to the same database.
    """
    with session_scope(deps.settings) as session:
        if run_id and (done := session.exec(select(Report.id).where(
                Report.run_id == run_id, Report.profile_id == profile_id)).first()):
            return done
        profile = session.get(BusinessProfile, profile_id)
        ranked = _collect(session, profile)
        total = len(session.exec(select(RoiEstimate.id).where(
            RoiEstimate.profile_id == profile_id)).all())
        citations: dict[str, dict[str, Any]] = {}
        items = [{"opp": opp, "roi": roi, "reasons": reasons(opp, roi, profile),
                  "rank": rank_line(opp, roi, profile),
                  "quotes": _quotes(session, opp.id, citations)} for opp, roi in ranked]
        since = utcnow() - timedelta(days=7)
        trends = _trends(session, [o.id for o, _ in ranked], since)
        searches = _searches(session, run_id)
        changes = changes_since(session, profile_id, previous_report(session, profile_id, run_id))
        broken = broken_sources(session)
        tracked = tracking_view.projected_vs_actual(session, profile_id)
    summary = await _model_summary(deps, profile, items, template_summary(profile, items, total))
    context = {"profile": profile, "items": items, "summary": summary, "trends": trends,
               "searches": searches,
               "tracked": tracked, "tracked_svg": tracking_view.svg_plot(tracked),
               "citations": list(citations.values()), "changes": changes, "broken": broken,
               "generated_at": utcnow().strftime("%Y-%m-%d %H:%M UTC")}
    report = Report(run_id=run_id, profile_id=profile_id, period_start=since,
                    markdown=_env.get_template("report.md.j2").render(**context),
                    html=_env.get_template("report.html.j2").render(**context),
                    opportunity_ids=[o.id for o, _ in ranked],
                    stats={"opportunities": len(items), "citations": len(citations),
                           "summary": summary, "figures": {str(o.id): round(r.monthly_net_value, 2)
                                                          for o, r in ranked},
                           "changes": changes.summary_lines(),
                           "first_report": changes.since is None,
                           "broken_sources": [b["name"] for b in broken]})
    with session_scope(deps.settings) as session:
        session.add(report)
        session.flush()
        return report.id  # type: ignore[return-value]
