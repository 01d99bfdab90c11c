"""The committed datasets are well-formed, self-contained and in step with the demo labels."""

from __future__ import annotations

from collections import Counter

import pytest

from reservoir.evals import build_datasets
from reservoir.evals.build_real import load_annotations
from reservoir.evals.metrics import ROI_FIELDS
from reservoir.evals.splits import REAL
from reservoir.evals.tasks import DATASETS_DIR, load_jsonl
from reservoir.memory.models import AUTOMATION_TYPES

EXTRACT = load_jsonl(DATASETS_DIR / "extract.jsonl")
ROI = load_jsonl(DATASETS_DIR / "roi.jsonl")
ASK = load_jsonl(DATASETS_DIR / "ask.jsonl")
BY_ID = {e["id"]: e for e in EXTRACT}
NUMBER_FIELDS = {*ROI_FIELDS, "percent", "money_saved_month", "other"}


def test_sizes_and_unique_ids() -> None:
    assert len(EXTRACT) + len(ROI) + len(ASK) >= 60
    assert len(EXTRACT) >= 60 and len(ROI) >= 60 and len(ASK) >= 15
    for rows in (EXTRACT, ROI, ASK):
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids)), Counter(ids).most_common(3)
    sources = Counter(e["source"] for e in EXTRACT)
    assert sources["demo"] >= 45 and sources["handwritten"] >= 12


@pytest.mark.parametrize("example", EXTRACT, ids=lambda e: e["id"])
def test_extract_example_is_self_contained(example: dict) -> None:
    text = example["text"]
    assert text.strip() and example["title"] and example["url"].startswith(("http://", "https://"))
    for opp in example["expected"]["opportunities"]:
        assert opp["automation_type"] in AUTOMATION_TYPES
        assert opp["tools"] and opp["evidence"]
        for quote in opp["evidence"]:
            assert quote in text, quote  # verbatim, character for character
        for number in opp["numbers"]:
            assert number["field"] in NUMBER_FIELDS and isinstance(number["value"], float)
            assert number["quote"] in text, number["quote"]
    if example["kind"] == "no_automation":
        assert example["expected"]["opportunities"] == []
    if example["duplicate_of"]:
        original = BY_ID[example["duplicate_of"]]
        assert original["duplicate_of"] is None and original["kind"] == "article"
    for needle in example.get("forbidden", []):
        assert needle.lower() in text.lower()  # the injection really is in the page


def test_special_cases_are_covered() -> None:
    kinds = Counter(e["kind"] for e in EXTRACT)
    assert kinds["no_automation"] >= 3 and kinds["injection"] >= 2 and kinds["near_duplicate"] >= 3
    assert kinds["duplicate"] >= 2 and kinds["non_english"] >= 1


@pytest.mark.parametrize("example", ROI, ids=lambda e: e["id"])
def test_roi_example(example: dict) -> None:
    opp = example["opportunity"]
    assert opp["automation_type"] in AUTOMATION_TYPES and opp["evidence"]
    assert example["profile"]["hourly_rate"] > 0 and example["profile"]["industry"]
    assert set(example["expected"]) == set(ROI_FIELDS)
    for spec in example["expected"].values():
        assert 0 <= spec["min"] <= spec["max"] and spec.get("source") in ("evidence", "default")


def test_ask_examples_name_original_documents() -> None:
    for example in ASK:
        assert example["question"].strip()
        assert not set(example["must_cite"]) & set(example["may_cite"])
        if example["split"] in REAL:
            continue  # named by the real corpus: see the next test
        for ref in example["must_cite"] + example["may_cite"]:
            assert ref in BY_ID, ref
            assert BY_ID[ref]["duplicate_of"] is None, f"{ref} is a copy: name its original"
    assert sum(1 for e in ASK if not e["must_cite"]) >= 2  # questions the reservoir cannot answer


def test_ask_real_questions_name_labelled_real_documents() -> None:
    """At least a third of the questions are over real text; each cites documents of its split.

    The real text is not committed, but every real document's id and split are, in the labels.
    """
    labelled = load_annotations()["docs"]
    real = [e for e in ASK if e["split"] in REAL]
    assert len(ASK) >= 60 and 3 * len(real) >= len(ASK)
    assert {e["split"] for e in real} == set(REAL)
    assert sum(1 for e in real if not e["must_cite"]) >= 3 and sum(1 for e in real if e.get("history")) >= 3
    for example in real:
        for ref in example["must_cite"] + example["may_cite"]:
            assert ref in labelled, ref
        for ref in example["must_cite"]:
            assert labelled[ref]["split"] == example["split"], (example["id"], ref)
        if not example["must_cite"]:
            assert not example["may_cite"], example["id"]  # no answer among the real pages


def test_demo_derived_examples_are_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    """labels.json or the corpus changed without `python -m reservoir.evals.build_datasets`?"""
    assert build_datasets.main(["--check"]) == 0, capsys.readouterr().out
