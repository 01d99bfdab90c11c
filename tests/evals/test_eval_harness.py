"""Runs are stored with per-example results; the response cache makes a re-run free."""

from __future__ import annotations

import pytest
from sqlmodel import select

from reservoir.config import Settings
from reservoir.evals import store
from reservoir.evals.harness import EvalConfig, parse_prompts, run_eval
from reservoir.memory.db import session_scope
from reservoir.scripted_model import ScriptedChatModel


async def test_run_without_a_model_stores_everything(any_settings: Settings) -> None:
    """On SQLite and on PostgreSQL: the eval tables are created on first use."""
    settings = any_settings
    run = await run_eval(settings, EvalConfig(task="roi", provider="none", concurrency=8))
    assert run.status == "succeeded" and run.examples >= 60 and run.errors == 0
    assert run.calls == 0 and run.tokens_in == 0 and run.cost_usd == 0 and run.duration_s > 0
    assert run.model == "n/a" and run.prompts == {} and run.dataset_hash
    assert {"roi_in_range", "roi_error", "roi_source", "schema_valid", "score"} <= set(run.metrics)
    rows = store.get_examples(settings, run.id)
    assert len(rows) == run.examples
    first = next(r for r in rows if r.example_id == "dental-text-reminders-twilio-acuity#1")
    assert first.output["values"] == {"hours_saved_week": 11.0, "setup_hours": 16.0,
                                      "tool_cost_month": 65.0}
    assert first.output["sources"]["hours_saved_week"] == "evidence"
    assert first.metrics["roi_in_range"] == 1.0 and first.duration_s >= 0
    with session_scope(settings) as session:  # the tables are ordinary rows of the reservoir db
        assert session.exec(select(store.EvalRun)).one().id == run.id
    assert store.get_run(settings, run.id[:8]).id == run.id  # a unique prefix is enough
    assert [r.id for r in store.list_runs(settings, task="roi")] == [run.id]


async def test_extract_without_a_model(settings: Settings) -> None:
    run = await run_eval(settings, EvalConfig(task="extract", provider="none", limit=12))
    assert run.examples == 12 and run.calls == 0 and run.model == "none"
    rows = {r.example_id: r for r in store.get_examples(settings, run.id)}
    dental = rows["dental-text-reminders-twilio-acuity"]
    assert dental.output["engine"] == "extractive-v1" and dental.output["keys"]
    assert dental.metrics["grounding"] == 1.0 and dental.metrics["schema_valid"] == 1.0


async def test_rerun_with_the_fake_model_makes_no_model_call(settings: Settings) -> None:
    config = EvalConfig(task="extract", provider="fake", limit=20, concurrency=6)
    first = await run_eval(settings, config)
    assert first.calls > 0 and first.cached == 0 and first.tokens_in > 0
    assert first.model == "fake-analyst" and first.prompts == {"analyst.extract": "v1"}
    second = await run_eval(settings, config)
    assert second.calls == 0 and second.cached == first.calls and second.tokens_in == 0
    assert second.metrics == first.metrics
    by_example = {r.example_id: r for r in store.get_examples(settings, second.id)}
    assert all(r.calls == 0 for r in by_example.values())
    # a different prompt version is a different configuration: it misses the cache
    third = await run_eval(settings, EvalConfig(task="extract", provider="fake", limit=3,
                                                prompts={"analyst.extract": "v2"}))
    assert third.calls > 0 and third.prompts == {"analyst.extract": "v2"}


async def test_a_failing_model_fails_its_examples_not_the_run(settings: Settings) -> None:
    broken = ScriptedChatModel(responder=lambda messages: "not json at all", model_name="broken")
    run = await run_eval(settings, EvalConfig(task="extract", provider="fake", limit=4),
                         models={"analyst": broken})
    assert run.status == "succeeded" and run.metrics["schema_valid"] == 0.0
    assert len(broken.calls) == 3 * 4  # first answer + two repairs, for each document
    rows = store.get_examples(settings, run.id)
    assert all(r.output["schema_valid"] is False and "no valid extraction" in r.output["error"]
               for r in rows)


async def test_optional_llm_judge_adds_a_metric(settings: Settings) -> None:
    judge = ScriptedChatModel(responder=lambda messages: "1: yes\n2: no", model_name="judge")
    run = await run_eval(settings, EvalConfig(task="extract", provider="none", limit=2, judge=True),
                         models={"eval": judge})
    assert run.metrics["judge_support"] == 0.5 and len(judge.calls) == 2
    assert "Quote:" in str(judge.calls[0][1].content)
    assert run.metrics["grounding"] == 1.0  # the deterministic metrics are all still there


def test_config_errors() -> None:
    assert parse_prompts(["analyst.extract=v2", "ask.answer = v1"]) == {
        "analyst.extract": "v2", "ask.answer": "v1"}
    with pytest.raises(ValueError, match="TASK=VERSION"):
        parse_prompts(["analyst.extract"])


async def test_unknown_prompt_version_is_refused_before_running(settings: Settings) -> None:
    from reservoir.prompts import PromptError

    with pytest.raises(PromptError, match="no prompt"):
        await run_eval(settings, EvalConfig(task="extract", provider="fake",
                                            prompts={"analyst.extract": "v99"}))
    assert store.list_runs(settings) == []
