"""Query planning: templates from the focus and the profiles' words, and the model's
proposals when the scout has a model (scripted here, its prompts recorded)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

from reservoir.agents.queries import (
    MAX_QUERIES,
    PlannedQuery,
    needs_of,
    plan_queries,
    profile_query,
    propose_queries,
)
from reservoir.config import load_settings
from reservoir.graphs.context import Deps
from reservoir.llm import LlmClient, ScriptedChatModel

REALTY = SimpleNamespace(
    name="Acme Realty", industry="real_estate",
    challenges=["Online leads wait hours for a first call, especially in the evening",
                "slow lead follow-up"],
    goals=["Answer every real estate lead within five minutes"])


def test_templates_put_the_focus_first_and_cut_profile_phrases_to_content_words() -> None:
    planned = plan_queries(["  dental   no-shows ", "Dental no-shows", ""], [REALTY])
    assert planned[0] == PlannedQuery("dental no-shows", "focus")
    assert [q.text for q in planned] == [
        "dental no-shows",
        "Online leads wait hours call evening real estate",
        "slow lead follow-up real estate",
        "Answer real estate lead five minutes",
    ]
    assert planned[1].origin == "profile Acme Realty: challenge"
    assert planned[3].origin == "profile Acme Realty: goal"
    many = SimpleNamespace(name="Many", industry="law", challenges=[f"case {i} intake"
                                                                    for i in range(20)], goals=[])
    assert len(plan_queries([], [many])) == MAX_QUERIES
    assert profile_query("the and of", "") == ""


def _deps(tmp_path: Path, model: ScriptedChatModel) -> Deps:
    settings = load_settings(data_dir=tmp_path / "data", llm_provider="fake")
    return Deps(settings=settings, llm=LlmClient(settings, models={"scout": model}))


def test_model_queries_come_after_the_focus_and_are_checked(tmp_path: Path) -> None:
    model = ScriptedChatModel().enqueue(json.dumps({"queries": [
        "dental appointment reminder texts", "one", 42, "DENTAL NO-SHOWS",
        " ".join(["word"] * 15), "real estate speed to lead automation"]}))
    deps = _deps(tmp_path, model)
    planned = plan_queries(["dental no-shows"], [REALTY])
    needs = needs_of(["dental no-shows"], [REALTY])
    result = asyncio.run(propose_queries(deps, planned, needs))
    assert [(q.text, q.origin) for q in result[:3]] == [
        ("dental no-shows", "focus"), ("dental appointment reminder texts", "model"),
        ("real estate speed to lead automation", "model")]
    assert [q.text for q in result[3:]] == [q.text for q in planned[1:]][:MAX_QUERIES - 3]
    prompt = str(model.calls[0][-1].content)
    assert "- dental no-shows" in prompt and "slow lead follow-up (real estate)" in prompt
    assert model.options[0]["max_tokens"] == deps.settings.max_tokens_for("scout")


def test_an_unusable_model_answer_leaves_the_templates(tmp_path: Path) -> None:
    planned = plan_queries(["dental no-shows"], [REALTY])
    for reply in ("not json at all", json.dumps({"answers": []}), json.dumps({"queries": "x y"})):
        deps = _deps(tmp_path, ScriptedChatModel().enqueue(reply))
        assert asyncio.run(propose_queries(deps, planned, ["dental no-shows"])) == planned
