"""ROI inputs a model proposes: only for what the evidence lacks, inside bounds, with reasons."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from reservoir.agents.roi import MODEL_BOUNDS, gather_inputs, parse_proposals, propose_inputs
from reservoir.config import load_settings
from reservoir.deps import Deps
from reservoir.llm import LlmClient
from reservoir.memory.models import Evidence, Opportunity
from reservoir.scripted_model import ScriptedChatModel

OPP = Opportunity(id=7, key="k", title="Invoice reminders", automation_type="follow_up",
                  summary="", industries=[], tools=[])
QUOTED = Evidence(id=1, opportunity_id=7, document_id=3, kind="quote",
                  quote="The reminders save our office 6 hours per week.")


def test_proposals_outside_the_bounds_or_without_a_reason_are_not_used() -> None:
    reply = json.dumps({"estimates": [
        {"field": "setup_hours", "value": 10, "reasoning": "A form and two email templates."},
        {"field": "tool_cost_month", "value": 99999, "reasoning": "Enterprise plan."},
        {"field": "hours_saved_week", "value": 30, "reasoning": "Already quoted, not asked."},
    ]})
    kept = parse_proposals(reply, ["setup_hours", "tool_cost_month"], "tiny")
    assert list(kept) == ["setup_hours"]
    assert kept["setup_hours"]["reasoning"] == "A form and two email templates."
    assert kept["setup_hours"]["bounds"] == list(MODEL_BOUNDS["setup_hours"])
    assert parse_proposals("no JSON here", ["setup_hours"], "tiny") == {}


def test_the_model_is_asked_only_for_inputs_the_evidence_lacks(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", llm_provider="fake")
    model = ScriptedChatModel().enqueue(json.dumps({"estimates": [
        {"field": "setup_hours", "value": 12, "reasoning": "Templates and a trigger."}]}))
    deps = Deps(settings=settings, llm=LlmClient(settings, models={"roi": model}))
    proposals = asyncio.run(propose_inputs(deps, OPP, [QUOTED]))
    prompt = str(model.calls[0][-1].content)
    assert "hours_saved_week" not in prompt.split("Fields to estimate:")[1].splitlines()[0]
    assert model.options[0]["max_tokens"] == settings.max_tokens_for("roi")
    inputs = gather_inputs(OPP, [QUOTED], proposals)
    assert inputs.sources["hours_saved_week"]["from"] == "evidence"
    assert inputs.values["hours_saved_week"] == 6
    assert inputs.sources["setup_hours"]["from"] == "model"
    assert inputs.values["setup_hours"] == 12
    assert inputs.sources["tool_cost_month"]["from"] == "default"
