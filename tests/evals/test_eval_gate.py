"""The gate holds the stored baselines, and catches the deliberately broken prompt v3.

These run the no-model and fake-model configurations of every baseline file, so the whole
test suite (CI) fails when a change makes any of them regress beyond its tolerance.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reservoir.cli.evals import app
from reservoir.config import Settings
from reservoir.evals import gate, store
from reservoir.evals.harness import run_eval
from reservoir.prompts import load_prompt
from reservoir.scripted_model import ScriptedChatModel
from tests.evals.conftest import BASELINES, V3_INSTRUCTION

runner = CliRunner()


def test_check_directions_and_tolerance() -> None:
    baseline = {"task": "extract", "metrics": {
        "grounding": {"value": 0.9, "tolerance": 0.05}, "number_error": {"value": 0.1},
        "tool_f1": {"value": 0.8, "tolerance": 0.0}}}
    ok = gate.check(baseline, {"grounding": 0.86, "number_error": 0.119, "tool_f1": 0.81})
    assert gate.passed(ok) and [c.delta for c in ok] == [-0.04, 0.019, 0.01]
    bad = gate.check(baseline, {"grounding": 0.84, "number_error": 0.13})
    assert [c.ok for c in bad] == [False, False, False]  # lower, higher error, missing


@pytest.mark.parametrize("name", ["extract-none", "extract-fake", "roi-none", "fit-none", "ask-none",
                                  "ask-fake", "extract-real-none", "ask-real-none"])
def test_gate_passes_on_the_stored_baseline(name: str, cli_env: Path) -> None:
    path = BASELINES / f"{name}.json"
    data = gate.load_baseline(path)
    assert data["metrics"] and data["dataset_hash"]  # measured figures, not a stub
    reason = gate.skip_reason(data)
    if reason:  # the real corpus is built locally from snapshots (make real-corpus)
        pytest.skip(reason)
    result = runner.invoke(app, ["gate", "--baseline", str(path), "--concurrency", "8"])
    assert result.exit_code == 0, result.output
    assert "gate passed" in result.output and "REGRESSION" not in result.output
    assert "warning" not in result.output  # same dataset and configuration as measured


async def test_broken_prompt_is_caught(settings: Settings, obedient_model: ScriptedChatModel,
                                       cli_env: Path) -> None:
    assert "DELIBERATELY BROKEN" in load_prompt("analyst.extract", "v3").description
    baseline = gate.load_baseline(BASELINES / "extract-fake.json")
    config = gate.baseline_config(baseline, concurrency=8)

    # The scripted model on the baseline's prompt behaves like the fake: the gate passes.
    good = await run_eval(settings, config, models={"analyst": obedient_model})
    assert gate.passed(gate.check(baseline, good.metrics)), good.metrics
    asked = len(obedient_model.calls)
    assert asked > 40 and not any(V3_INSTRUCTION in str(c[0].content) for c in obedient_model.calls)

    broken_config = gate.baseline_config(baseline, prompts={"analyst.extract": "v3"}, concurrency=8)
    broken = await run_eval(settings, broken_config, models={"analyst": obedient_model})
    new_calls = obedient_model.calls[asked:]
    assert len(new_calls) == asked and broken.prompts == {"analyst.extract": "v3"}
    assert all(V3_INSTRUCTION in str(c[0].content) for c in new_calls)  # what it was asked
    checks = {c.metric: c for c in gate.check(baseline, broken.metrics)}
    assert not gate.passed(list(checks.values()))
    assert broken.metrics["grounding"] == 0.0 and not checks["grounding"].ok
    assert not checks["type_accuracy"].ok and not checks["tool_recall"].ok  # findings dropped
    rows = store.get_examples(settings, broken.id)
    assert any(r.output["ungrounded"] and r.output["ungrounded"][0].startswith("In short")
               for r in rows)

    # The same verdict through the CLI, on the stored run: exit status 1, regressions named.
    result = runner.invoke(app, ["gate", "--baseline", str(BASELINES / "extract-fake.json"),
                                 "--run", broken.id])
    assert result.exit_code == 1, result.output
    assert "REGRESSION" in result.output and "grounding" in result.output


def test_gate_refuses_a_baseline_of_another_task(cli_env: Path) -> None:
    result = runner.invoke(app, ["gate", "--baseline", "roi-none", "--task", "extract"])
    assert result.exit_code == 2 and "not 'extract'" in result.output
    result = runner.invoke(app, ["gate", "--baseline", "nope"])
    assert result.exit_code == 2
    assert "packaged ones: ask-fake, ask-none, ask-real-none, extract-fake" in result.output
