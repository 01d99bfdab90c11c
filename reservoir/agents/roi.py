"""ROI scorer: a deterministic, versioned formula over inputs whose origin is always recorded.

Inputs (hours saved per week, setup hours, tool cost per month) come, in this order, from
numbers quoted in the opportunity's evidence, from the model when one is configured (a
proposal with its stated reasoning, kept only inside `MODEL_BOUNDS`), or from the documented
defaults per automation type below. Each input is marked with where it came from, and the
confidence reflects it: a model's estimate counts no more than a default.
"""

from __future__ import annotations

import json
import logging
import statistics
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from sqlmodel import col, select

from reservoir.agents import extractive
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

METHOD = "roi-v1"
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
INPUT_FIELDS = ("hours_saved_week", "setup_hours", "tool_cost_month")
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


def evidence_numbers(evidence: list[Evidence]) -> dict[str, list[tuple[float, Evidence]]]:
    """Re-read each number from its quoted sentence: the value is the source's, not ours."""
    found: dict[str, list[tuple[float, Evidence]]] = {f: [] for f in INPUT_FIELDS}
    for item in evidence:
        for mention in extractive.find_numbers(item.quote):
            if mention.field in found:
                found[mention.field].append((mention.value, item))
    return found


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
    numbers = evidence_numbers(evidence)
    proposals = proposals or {}
    defaults = dict(zip(INPUT_FIELDS, DEFAULTS.get(opp.automation_type, DEFAULTS["other"]),
                        strict=True))
    values: dict[str, float] = {}
    sources: dict[str, dict[str, Any]] = {}
    for field in INPUT_FIELDS:
        quoted = numbers[field]
        if quoted:
            values[field] = float(statistics.median(v for v, _ in quoted))
            sources[field] = {"from": "evidence", "quotes": [
                {"document_id": e.document_id, "quote": e.quote} for _, e in quoted[:3]]}
        elif field in proposals:
            values[field] = proposals[field]["value"]
            sources[field] = proposals[field]
        else:
            values[field] = defaults[field]
            sources[field] = {"from": "default", "rule": f"{METHOD} default for {opp.automation_type}"}
    return RoiInputs(values, sources)


def compute(inputs: RoiInputs, profile: BusinessProfile, opp: Opportunity) -> dict[str, Any]:
    """Monthly net value, payback and a confidence that says how much is quoted vs assumed."""
    hours = inputs.values["hours_saved_week"]
    setup = inputs.values["setup_hours"]
    tools = inputs.values["tool_cost_month"]
    rate = profile.hourly_rate
    gross = hours * WEEKS_PER_MONTH * rate
    net = gross - tools
    payback = round(setup * rate / net, 2) if net > 0 else None
    quoted = sum(1 for s in inputs.sources.values() if s["from"] == "evidence")
    industry_match = profile.industry.lower() in {i.lower() for i in opp.industries}
    confidence = 0.2 + 0.2 * quoted + (0.1 if opp.mentions >= 2 else 0) + (
        0.1 if industry_match else 0)
    assumptions = [
        f"{hours:g} h/week saved ({inputs.sources['hours_saved_week']['from']})",
        f"valued at the profile's ${rate:g}/h over {WEEKS_PER_MONTH} weeks/month",
        f"setup {setup:g} h ({inputs.sources['setup_hours']['from']})",
        f"tools ${tools:g}/month ({inputs.sources['tool_cost_month']['from']})",
    ]
    if not industry_match:
        assumptions.append(f"evidence comes from other industries than {profile.industry}")
    return {
        "hours_saved_week": hours, "hourly_value": rate, "setup_hours": setup,
        "tool_cost_month": tools, "monthly_net_value": round(net, 2), "payback_months": payback,
        "confidence": round(min(confidence, 0.95), 2), "assumptions": "; ".join(assumptions),
        "input_sources": inputs.sources, "method": METHOD,
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


def score_opportunities(deps: Deps, opp_ids: list[int], profile_ids: list[int],
                        proposals: dict[int, dict[str, dict[str, Any]]] | None = None
                        ) -> dict[str, Any]:
    """Upserts one estimate per opportunity × profile: re-running changes nothing."""
    estimates = 0
    proposals = proposals or {}
    with session_scope(deps.settings) as session:
        profiles = list(session.exec(select(BusinessProfile)
                                     .where(col(BusinessProfile.id).in_(profile_ids))).all())
        for opp_id in opp_ids:
            opp = session.get(Opportunity, opp_id)
            if opp is None:
                continue
            evidence = evidence_of(session, opp_id)
            inputs = gather_inputs(opp, evidence, proposals.get(opp_id))
            nets = []
            for profile in profiles:
                values = compute(inputs, profile, opp)
                nets.append(values["monthly_net_value"])
                _upsert_estimate(session, opp_id, profile.id, values)  # type: ignore[arg-type]
                estimates += 1
            set_scores(session, opp, idea_scores(opp, max(nets, default=0.0),
                                                 inputs.values["setup_hours"]))
    return {"counters": {"roi_estimates": estimates}}
