"""ROI scorer: a deterministic, versioned formula over inputs whose origin is always recorded.

Inputs (hours saved per week, setup hours, tool cost per month) come, in this order, from
numbers quoted in the opportunity's evidence, from the model when one is configured (a
proposal with its stated reasoning, kept only inside `MODEL_BOUNDS`), or from the documented
defaults per automation type below. Each input is marked with where it came from, and the
confidence reflects it: a model's estimate counts no more than a default.

roi-v2 then brings the source's figures to the profile (`roi_scale`: units, headcount,
volumes, capacity bounds), ranges them over similar opportunities and calibrates them by
measured implementations (`roi_range`), and rates the fit (`fit`); every step is written
into the assumptions as a chain from the quote to the figure.
"""

from __future__ import annotations

import json
import logging
import statistics
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from sqlmodel import col, select

from reservoir.agents import fit, roi_range, roi_scale
from reservoir.agents.roi_scale import INPUT_FIELDS, evidence_mentions
from reservoir.deps import Deps
from reservoir.memory.db import session_scope
from reservoir.memory.models import (
    BusinessProfile,
    Evidence,
    Opportunity,
    RoiEstimate,
    utcnow,
)
from reservoir.memory.opportunities import set_scores
from reservoir.prompts import active_prompt

log = logging.getLogger(__name__)

METHOD = "roi-v2"
WEEKS_PER_MONTH = 4.33

# Defaults per automation type when no source states a number: (hours saved/week, setup hours,
# tool cost/month in USD). Conservative figures for a small team; marked "default" wherever used.
DEFAULTS: dict[str, tuple[float, float, float]] = {
    "lead_generation": (4.0, 16.0, 99.0),
    "client_communication": (5.0, 12.0, 79.0),
    "document_automation": (6.0, 20.0, 59.0),
    "scheduling": (3.0, 6.0, 29.0),
    "follow_up": (3.0, 8.0, 49.0),
    "reporting": (3.0, 10.0, 39.0),
    "marketing": (4.0, 12.0, 69.0),
    "workflow_optimization": (5.0, 24.0, 49.0),
    "other": (2.0, 12.0, 49.0),
}
# What a model may propose for an input the evidence lacks; outside these it is not used.
MODEL_BOUNDS: dict[str, tuple[float, float]] = {
    "hours_saved_week": (0.5, 40.0), "setup_hours": (1.0, 200.0), "tool_cost_month": (0.0, 2000.0)}
PROPOSAL_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["estimates"],
    "properties": {"estimates": {"type": "array", "maxItems": 3, "items": {
        "type": "object", "required": ["field", "value", "reasoning"],
        "properties": {"field": {"enum": list(INPUT_FIELDS)}, "value": {"type": "number"},
                       "reasoning": {"type": "string", "maxLength": 300}}}}}}


@dataclass
class RoiInputs:
    values: dict[str, float]
    sources: dict[str, dict[str, Any]]  # field -> {"from": evidence|model|default, ...}
    # The quoted figures behind each evidence-based value: (value, sentence, unit).
    mentions: dict[str, list[tuple[float, str, str]]] = dc_field(default_factory=dict)
    quotes: list[str] = dc_field(default_factory=list)


def evidence_numbers(evidence: list[Evidence]) -> dict[str, list[tuple[float, Evidence]]]:
    """The quoted values per input field, each with the evidence stating it."""
    return {f: [(v, e) for v, e, _ in found] for f, found in evidence_mentions(evidence).items()}


def parse_proposals(reply: str, missing: list[str], model: str) -> dict[str, dict[str, Any]]:
    """The model's estimates for the missing fields that are inside the bounds, with reasons."""
    try:
        data = json.loads(reply[reply.find("{"):reply.rfind("}") + 1])
        items = data.get("estimates", []) if isinstance(data, dict) else []
    except ValueError:
        return {}
    kept: dict[str, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        field, value, why = item.get("field"), item.get("value"), str(item.get("reasoning", ""))
        if field not in missing or field in kept or not isinstance(value, int | float):
            continue
        low, high = MODEL_BOUNDS[field]
        if low <= value <= high and why.strip():
            kept[field] = {"from": "model", "value": float(value), "reasoning": why.strip()[:300],
                           "model": model, "bounds": [low, high]}
    return kept


async def propose_inputs(deps: Deps, opp: Opportunity, evidence: list[Evidence]
                         ) -> dict[str, dict[str, Any]]:
    """Ask the model for the inputs the evidence does not quote; {} without a model."""
    missing = [f for f, found in evidence_numbers(evidence).items() if not found]
    if not missing or not deps.llm.has_model("roi"):
        return {}
    prompt = active_prompt("roi.inputs", deps.settings.prompt_versions)
    system, user = prompt.render(
        title=opp.title, automation_type=opp.automation_type, missing=", ".join(missing),
        evidence="\n".join(f"- {e.quote}" for e in evidence[:6]))
    try:
        reply = await deps.llm.complete("roi", prompt.ref, [
            SystemMessage(content=system), HumanMessage(content=user)], schema=PROPOSAL_SCHEMA)
    except Exception as exc:  # noqa: BLE001 — defaults stand in; a run never fails on the model
        log.warning("ROI model call failed for opportunity %s: %s", opp.id, exc)
        return {}
    return parse_proposals(reply, missing, deps.llm.model_name("roi"))


def gather_inputs(opp: Opportunity, evidence: list[Evidence],
                  proposals: dict[str, dict[str, Any]] | None = None) -> RoiInputs:
    numbers = evidence_mentions(evidence)
    proposals = proposals or {}
    defaults = dict(zip(INPUT_FIELDS, DEFAULTS.get(opp.automation_type, DEFAULTS["other"]),
                        strict=True))
    values: dict[str, float] = {}
    sources: dict[str, dict[str, Any]] = {}
    for field in INPUT_FIELDS:
        quoted = numbers[field]
        if quoted:
            values[field] = float(statistics.median(v for v, _, _ in quoted))
            sources[field] = {"from": "evidence", "quotes": [
                {"document_id": e.document_id, "quote": e.quote} for _, e, _ in quoted[:3]]}
        elif field in proposals:
            values[field] = proposals[field]["value"]
            sources[field] = proposals[field]
        else:
            values[field] = defaults[field]
            sources[field] = {"from": "default", "rule": f"{METHOD} default for {opp.automation_type}"}
    mentions = {f: [(v, m.sentence, m.unit) for v, _, m in numbers[f]] for f in INPUT_FIELDS}
    return RoiInputs(values, sources, mentions, [e.quote for e in evidence])


@dataclass
class Context:
    """What the reservoir says beyond this opportunity's own evidence."""

    figures: list[roi_range.Figure] = dc_field(default_factory=list)
    actuals: list[roi_range.Actual] = dc_field(default_factory=list)


def _origin(inputs: RoiInputs, name: str) -> str:
    source = inputs.sources[name]
    if source["from"] == "evidence":
        return "quoted"
    if source["from"] == "model":
        return f"the model's estimate: {source.get('reasoning', '')}"
    return source.get("rule", "default")


def scaled_hours(inputs: RoiInputs, profile: BusinessProfile, opp: Opportunity
                 ) -> roi_scale.Scaled:
    """Hours saved a week for this profile, with the chain from the quote (or the default)."""
    quoted = inputs.sources["hours_saved_week"]["from"] == "evidence"
    mentions = [(v, s) for v, s, _ in inputs.mentions.get("hours_saved_week", [])] if quoted \
        else []
    if scaled := roi_scale.scale_hours(mentions, inputs.quotes, profile, opp.automation_type):
        return scaled  # quoted hours, or a quoted saving per item times the profile's volume
    value = inputs.values["hours_saved_week"]
    return roi_scale.team_cap(roi_scale.Scaled(value, [
        f"{value:g} h/week ({_origin(inputs, 'hours_saved_week')}; no source states it)"]),
        profile)


def scaled_cost(inputs: RoiInputs, profile: BusinessProfile, opp: Opportunity
                ) -> tuple[float, str]:
    """Tool cost a month: a per-seat price times the seats this profile needs."""
    cost = inputs.values["tool_cost_month"]
    quoted = inputs.mentions.get("tool_cost_month", [])
    if inputs.sources["tool_cost_month"]["from"] == "evidence" and quoted:
        value, sentence, unit = min(quoted, key=lambda m: abs(m[0] - cost))
        seats, said = roi_scale.scale_seat_cost(value, unit, profile, opp.automation_type)
        return seats, f"source: “{sentence}” → " + (said or f"${value:g}/month")
    return cost, f"${cost:g}/month ({_origin(inputs, 'tool_cost_month')})"


def net_value(hours: float, rate: float, tools: float) -> float:
    """Monthly value net of tools: the one formula projections and measured results share."""
    return hours * WEEKS_PER_MONTH * rate - tools


def _payback(setup: float, rate: float, net: float) -> float | None:
    return round(setup * rate / net, 2) if net > 0 else None


def compute(inputs: RoiInputs, profile: BusinessProfile, opp: Opportunity,
            context: Context | None = None) -> dict[str, Any]:
    """Monthly net value (low / expected / high), payback, and a confidence from the spread
    of similar figures and the share of quoted inputs; every step in the assumptions."""
    context = context or Context()
    rate = profile.hourly_rate
    hours = scaled_hours(inputs, profile, opp)
    tools, tools_said = scaled_cost(inputs, profile, opp)
    setup = inputs.values["setup_hours"]
    setup_said = (f"source: “{inputs.mentions['setup_hours'][0][1]}” → {setup:g} h"
                  if inputs.sources["setup_hours"]["from"] == "evidence"
                  and inputs.mentions.get("setup_hours")
                  else f"{setup:g} h ({_origin(inputs, 'setup_hours')})")
    origin = inputs.sources["hours_saved_week"]["from"]
    figures = context.figures or []
    low, high, range_said = roi_range.hours_range(hours.value, origin, figures)
    expected, calibration = hours.value, []
    measured = [a.hours for a in context.actuals if a.hours is not None]
    if measured:
        expected = roi_range.shrink(hours.value, measured)
        low, high = roi_range.shrink(low, measured), roi_range.shrink(high, measured)
        calibration.append(
            f"measured by {len(measured)} implementation(s) ({'; '.join(a.note for a in context.actuals)}): "
            f"({roi_range.CALIBRATION_PRIOR:g} × {hours.value:.3g} + {sum(measured):.3g}) / "
            f"({roi_range.CALIBRATION_PRIOR:g} + {len(measured)}) = {expected:.3g} h/week")
    if setups := [a.setup_hours for a in context.actuals if a.setup_hours is not None]:
        setup = roi_range.shrink(setup, setups)
        calibration.append(f"setup calibrated by {len(setups)} measured → {setup:.3g} h")
    if costs := [a.tool_cost for a in context.actuals if a.tool_cost is not None]:
        tools = roi_range.shrink(tools, costs)
        calibration.append(f"tools calibrated by {len(costs)} measured → ${tools:.0f}/month")
    bound = roi_scale.TEAM_SHARE * roi_scale.capacity(profile)
    low, expected, high = (min(v, bound) for v in (low, expected, high))
    net = net_value(expected, rate, tools)
    quoted = sum(1 for s in inputs.sources.values() if s["from"] == "evidence")
    documents = len({f.document_id for f in figures}) or (1 if origin == "evidence" else 0)
    assumptions = [
        "hours saved: " + " → ".join(hours.chain),
        f"value: {expected:.3g} h/week × {WEEKS_PER_MONTH} weeks × ${rate:g}/h − tools "
        f"${tools:,.0f} = ${net:,.0f}/month net",
        f"{range_said}: {low:.3g}–{high:.3g} h/week",
        f"setup: {setup_said}", f"tools: {tools_said}", *calibration,
    ]
    return {
        "hours_saved_week": round(expected, 2), "hourly_value": rate,
        "setup_hours": round(setup, 2), "tool_cost_month": round(tools, 2),
        "monthly_net_value": round(net, 2), "payback_months": _payback(setup, rate, net),
        "low_monthly_value": round(net_value(low, rate, tools), 2),
        "high_monthly_value": round(net_value(high, rate, tools), 2),
        "payback_low_months": _payback(setup, rate, net_value(high, rate, tools)),
        "payback_high_months": _payback(setup, rate, net_value(low, rate, tools)),
        "sources_count": documents, "measured_count": len(measured),
        "confidence": roi_range.confidence(quoted, expected, low, high, documents),
        "assumptions": "; ".join(assumptions),
        "input_sources": {**inputs.sources, "profile": roi_scale.profile_facts(profile),
                          "hours_chain": hours.chain, "capped": hours.capped},
        "method": METHOD,
    }


def idea_scores(opp: Opportunity, best_net: float, setup_hours: float) -> dict[str, int]:
    """Six 0–100 scores from facts the reservoir holds; documented, deterministic heuristics."""
    scores = {
        "market_size": min(100, 30 + 20 * len(opp.industries) + 5 * opp.mentions),
        "competition": max(10, 90 - 12 * len(opp.tools)),
        "demand": min(100, 25 + 15 * opp.mentions),
        "monetization": max(0, min(100, int(best_net / 40))),
        "feasibility": max(5, 100 - 9 * opp.complexity),
        "time_to_market": max(5, min(100, int(100 - setup_hours * 1.5))),
    }
    scores["total_score"] = round(sum(scores.values()) / len(scores))
    return scores


def _upsert_estimate(session: Any, opp_id: int, profile_id: int, values: dict[str, Any]) -> None:
    row = session.exec(select(RoiEstimate).where(
        RoiEstimate.opportunity_id == opp_id, RoiEstimate.profile_id == profile_id)).first()
    row = row or RoiEstimate(opportunity_id=opp_id, profile_id=profile_id, **values)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)


def evidence_of(session: Any, opp_id: int) -> list[Evidence]:
    """An opportunity's evidence in the order it was stored."""
    return list(session.exec(select(Evidence).where(
        Evidence.opportunity_id == opp_id).order_by(Evidence.id)).all())


async def model_proposals(deps: Deps, opp_ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """The model's proposals per opportunity, asked outside any transaction."""
    if not deps.llm.has_model("roi") or deps.llm.over_budget():
        return {}
    with session_scope(deps.settings) as session:
        pairs = [(opp, evidence_of(session, opp_id)) for opp_id in opp_ids
                 if (opp := session.get(Opportunity, opp_id)) is not None]
    proposals: dict[int, dict[str, dict[str, Any]]] = {}
    for opp, evidence in pairs:
        if deps.llm.over_budget():
            log.info("model budget reached: the remaining ROI inputs use the defaults")
            break
        proposals[opp.id] = await propose_inputs(deps, opp, evidence)  # type: ignore[index]
    return proposals


def _evidence_cache(session: Any) -> Any:
    """Each opportunity's evidence read once per scoring pass."""
    cache: dict[int, list[Evidence]] = {}

    def get(opp_id: int) -> list[Evidence]:
        if opp_id not in cache:
            cache[opp_id] = evidence_of(session, opp_id)
        return cache[opp_id]

    return get


def _claims(evidence: list[Evidence]) -> list[str]:
    """The sentences saying what an opportunity does (its numbers are for the ROI inputs)."""
    return [e.quote for e in evidence if e.kind == "claim"]


def _prepare_fit(profiles: list[BusinessProfile], opp_ids: list[int], evidence_of_opp: Any
                 ) -> None:
    """Embed the pass's challenges and claims in one batch before scoring it."""
    challenges = [c for p in profiles for c in p.challenges]
    if challenges:
        fit.prepare(challenges, [q for i in opp_ids for q in _claims(evidence_of_opp(i))])


def estimate_for(session: Any, opp: Opportunity, profile: BusinessProfile, inputs: RoiInputs,
                 evidence_of_opp: Any, peers: list[Opportunity]) -> dict[str, Any]:
    """One profile's roi-v2 estimate: scaled, ranged over similar opportunities, calibrated by
    measured implementations, with its fit and rank value."""
    evidence = {p.id: evidence_of_opp(p.id) for p in peers}
    context = Context(roi_range.peer_figures(peers, evidence, profile),
                      roi_range.actuals_for(session, opp, profile))
    values = compute(inputs, profile, opp, context)
    claims = _claims(evidence_of_opp(opp.id))
    fitted = fit.profile_fit(opp, profile, claims)  # what it does, not its numbers
    values["fit"] = fitted.factor
    values["fit_reasons"] = fitted.reasons
    values["rank_value"] = round(max(values["monthly_net_value"], 0.0) * fitted.factor
                                 * values["confidence"], 2)
    return values


def score_opportunities(deps: Deps, opp_ids: list[int], profile_ids: list[int],
                        proposals: dict[int, dict[str, dict[str, Any]]] | None = None
                        ) -> dict[str, Any]:
    """Upserts one estimate per opportunity × profile: re-running changes nothing."""
    estimates = 0
    proposals = proposals or {}
    with session_scope(deps.settings) as session:
        profiles = list(session.exec(select(BusinessProfile)
                                     .where(col(BusinessProfile.id).in_(profile_ids))).all())
        cached = _evidence_cache(session)
        _prepare_fit(profiles, opp_ids, cached)
        for opp_id in opp_ids:
            opp = session.get(Opportunity, opp_id)
            if opp is None:
                continue
            inputs = gather_inputs(opp, cached(opp_id), proposals.get(opp_id))
            peers = roi_range.similar_opportunities(session, opp)
            nets = []
            for profile in profiles:
                values = estimate_for(session, opp, profile, inputs, cached, peers)
                nets.append(values["monthly_net_value"])
                _upsert_estimate(session, opp_id, profile.id, values)  # type: ignore[arg-type]
                estimates += 1
            set_scores(session, opp, idea_scores(opp, max(nets, default=0.0),
                                                 inputs.values["setup_hours"]))
    return {"counters": {"roi_estimates": estimates}}
