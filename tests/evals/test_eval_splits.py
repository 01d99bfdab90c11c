"""Figures per split, the real splits when (and only when) built, and the new metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reservoir.cli.evals import app
from reservoir.config import Settings
from reservoir.evals import gate, metrics
from reservoir.evals.harness import EvalConfig, _recorded_config, load_dataset, run_eval
from reservoir.evals.splits import (
    NOT_BUILT,
    REAL,
    REAL_DATASET_ENV,
    parse_splits,
    split_for_id,
    split_of,
)
from reservoir.evals.tasks import DATASETS_DIR, load_jsonl

runner = CliRunner()


@pytest.fixture
def tiny_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in real corpus: four hand-written examples relabelled as real-dev/real-test."""
    rows = [r for r in load_jsonl(DATASETS_DIR / "extract.jsonl") if r["source"] == "handwritten"][:4]
    for i, row in enumerate(rows):
        row.update(id=f"real:{row['id']}", source="real", split="real-dev" if i < 2 else "real-test")
    path = tmp_path / "extract-real.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.setenv(REAL_DATASET_ENV, str(path))
    return path


@pytest.fixture
def no_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "absent.jsonl"
    monkeypatch.setenv(REAL_DATASET_ENV, str(path))
    return path


async def test_every_split_is_reported(settings: Settings, tiny_real: Path) -> None:
    run = await run_eval(settings, EvalConfig(task="extract", provider="none", concurrency=8))
    assert run.examples == 68 and run.config["split_sizes"] == {
        "demo": 48, "handwritten": 16, "real-dev": 2, "real-test": 2}
    for split in ("demo", "handwritten", "real-dev", "real-test"):
        for name in ("type_accuracy", "tool_precision", "tool_recall", "tool_f1",
                     "automation_recall", "quote_verbatim", "grounding"):
            assert f"{split}/{name}" in run.metrics, (split, name)
    # the real copies are the hand-written texts: the same figures, split by split
    assert run.metrics["real-dev/quote_verbatim"] == 1.0
    assert run.config["real_splits"].startswith("built")

    only = await run_eval(settings, EvalConfig(task="extract", provider="none",
                                               splits=parse_splits(["real-dev"])))
    assert only.examples == 2 and {k.split("/")[0] for k in only.metrics if "/" in k} == {"real-dev"}
    assert only.dataset_hash != run.dataset_hash


async def test_committed_splits_hash_as_before(settings: Settings, tiny_real: Path) -> None:
    """Baselines measured before the splits existed still match the committed data."""
    baseline = gate.load_baseline(gate.resolve_baseline("extract-none"))
    run = await run_eval(settings, gate.baseline_config(baseline, concurrency=8))
    assert run.dataset_hash == baseline["dataset_hash"] and run.examples == 64
    assert not gate.mismatch(baseline, run)


def test_cli_prints_splits_and_says_when_real_is_not_built(cli_env: Path, no_real: Path) -> None:
    result = runner.invoke(app, ["run", "extract", "--provider", "none", "--concurrency", "8"])
    assert result.exit_code == 0, result.output
    assert "demo" in result.output and "handwritten" in result.output
    assert NOT_BUILT in result.output and "real-dev" not in result.output
    asked = runner.invoke(app, ["run", "extract", "--split", "real-test", "--provider", "none"])
    assert asked.exit_code == 2 and "make real-corpus" in asked.output
    skipped = runner.invoke(app, ["gate", "--baseline", "extract-real-none"])
    assert skipped.exit_code == 0 and "gate skipped" in skipped.output
    assert "make real-corpus" in skipped.output


def test_cli_split_option(cli_env: Path, tiny_real: Path) -> None:
    result = runner.invoke(app, ["run", "extract", "--split", "real-dev", "--provider", "none"])
    assert result.exit_code == 0, result.output
    assert "real-dev" in result.output and "real splits: built" in result.output
    bad = runner.invoke(app, ["run", "extract", "--split", "nope"])
    assert bad.exit_code == 2 and "unknown split" in bad.output


def test_split_names_and_rule() -> None:
    assert parse_splits(["real"]) == ("real-dev", "real-test")
    assert parse_splits(["real-test,demo"]) == ("demo", "real-test") and parse_splits(None) is None
    assert split_for_id("ppc:x") == split_for_id("ppc:x") in ("real-dev", "real-test")
    assert not metrics.higher_is_better("real-dev/number_error")
    assert metrics.higher_is_better("real-test/tool_f1")


def test_new_metrics() -> None:
    text = "We text every patient of the dental practice. Twilio sends the reminders."
    expected = [{"automation_type": "scheduling", "tools": ["Twilio"],
                 "evidence": ["Twilio sends the reminders."]}]
    found = [{"automation_type": "follow_up", "tools": ["Twilio"],
              "evidence": ["Twilio sends  the reminders."], "numbers": [],
              "industries": ["healthcare"],
              "industry_quotes": {"healthcare": "We text every patient of the dental practice."}}]
    assert metrics.automation_recall(found, expected) == 1.0
    assert metrics.automation_recall([], expected) == 0.0 and metrics.automation_recall([], []) is None
    assert metrics.quote_verbatim(found, text) == 1.0
    assert metrics.quote_verbatim([{"evidence": ["Twilio sends reminders."]}], text) == 0.0
    assert metrics.industry_supported(found, text) == 1.0
    unsupported = [{**found[0], "industry_quotes": {"healthcare": "Twilio sends the reminders."}}]
    assert metrics.industry_supported(unsupported, text) == 0.0
    assert metrics.industry_supported([{"industries": []}], text) is None


def test_ask_real_questions_need_the_built_corpus(no_real: Path) -> None:
    """Without the corpus the real questions are left out and the committed ones hash as before."""
    baseline = gate.load_baseline(gate.resolve_baseline("ask-none"))
    _, examples, digest = load_dataset(EvalConfig(task="ask"))
    assert len(examples) == 70 and digest == baseline["dataset_hash"]
    assert {split_of(e) for e in examples} == {"demo", "handwritten"}
    assert _recorded_config(EvalConfig(task="ask"), examples)["real_splits"] == NOT_BUILT
    with pytest.raises(ValueError, match="make real-corpus"):
        load_dataset(EvalConfig(task="ask", splits=("real-test",)))
    assert gate.skip_reason(gate.load_baseline(gate.resolve_baseline("ask-real-none"))) == NOT_BUILT


def test_ask_baselines_select_their_splits(tiny_real: Path) -> None:
    """With the corpus built, a committed baseline still sees its own 70 questions only."""
    every = load_dataset(EvalConfig(task="ask"))[1]
    assert len(every) > 70 and {split_of(e) for e in every} == {"demo", "handwritten", *REAL}
    for name in ("ask-none", "ask-fake"):
        baseline = gate.load_baseline(gate.resolve_baseline(name))
        _, examples, digest = load_dataset(gate.baseline_config(baseline))
        assert len(examples) == 70 and digest == baseline["dataset_hash"]


async def test_ask_cites_real_documents(settings: Settings, tiny_real: Path, tmp_path: Path) -> None:
    """A real-split question is asked over the real corpus and cites it by its ids."""
    questions = [
        {"id": "q-florist", "question": "How can a flower shop let customers know when their "
         "delivery is on the way?", "must_cite": ["real:hw-florist-delivery-texts"],
         "may_cite": [], "split": "real-dev"},
        {"id": "q-dental-lab", "question": "How can a dental lab keep dentists updated on where "
         "their cases are?", "must_cite": ["real:hw-dental-lab-case-tracking"], "may_cite": [],
         "split": "real-test"}]
    path = tmp_path / "ask-real.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    run = await run_eval(settings, EvalConfig(task="ask", provider="none", dataset=str(path)))
    assert run.examples == 2 and run.config["real_splits"].startswith("built")
    assert run.metrics["real-dev/citation_recall"] == 1.0
    assert run.metrics["real-test/citation_recall"] == 1.0
