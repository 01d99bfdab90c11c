"""Automation types that generalise: general keyword lists, prototype similarity, "other"."""

from __future__ import annotations

import pytest

from reservoir.agents import prototypes
from reservoir.agents.extractive import extract_candidates, passages
from reservoir.agents.taxonomy import AUTOMATION_TYPES, INDUSTRY, TYPES

# Phrases of single demo pages that once were rules of their own (issue 11).
PAGE_PHRASES = ("pick a slot", "roast plan", "site diaries", "post-surgery", "on-time report",
                "morning reports", "wholesale orders")


@pytest.mark.parametrize("phrase", PAGE_PHRASES)
def test_no_pattern_is_a_single_page_phrase(phrase: str) -> None:
    """The phrase may contain a general word (report), but no rule matches it whole."""
    for lexicon in (TYPES, INDUSTRY):
        assert all(hit[3].lower() != phrase for hit in lexicon.hits(phrase)), phrase


def test_prototypes_are_general_and_cover_every_type() -> None:
    assert set(prototypes.PROTOTYPES) == set(AUTOMATION_TYPES) - {"other"}
    for kind, sentences in prototypes.PROTOTYPES.items():
        assert 3 <= len(sentences) <= 6, kind
        for sentence in sentences:
            assert not any(c.isdigit() for c in sentence), sentence  # no page's figures


def test_similarity_finds_the_type_keywords_miss() -> None:
    text = ("Families choose a lesson time from the open hours shown on my page and it is "
            "added to my diary.")
    sims = prototypes.type_similarities([text])
    if sims is None:
        pytest.skip("the bundled MiniLM is not available")
    assert max(sims[0], key=sims[0].get) == "scheduling"


def test_disabled_embeddings_fall_back_to_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESERVOIR_TYPE_EMBEDDINGS", "0")
    assert prototypes.type_similarities(["anything at all"]) is None
    text = "We automated our appointment reminders with Twilio and Calendly last spring."
    assert [c.automation_type for c in extract_candidates(text)] == ["scheduling"]


def test_meaning_decides_when_keywords_do_not() -> None:
    if prototypes.type_similarities(["probe"]) is None:
        pytest.skip("the bundled MiniLM is not available")
    text = ("I teach piano from home.\n"
            "Parents now choose lesson times from the open hours I publish in Calendly, and each "
            "lesson lands in my Google Calendar without me lifting a finger.")
    found = extract_candidates(text)
    assert [c.automation_type for c in found] == ["scheduling"]
    assert all(q in text for c in found for q in c.evidence)


def test_weak_similarity_without_keywords_is_other(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under OTHER_SIM and without deciding keywords, a passage's type is "other"."""
    monkeypatch.setattr(passages, "OTHER_SIM", 0.99)
    scores = {"workflow_optimization": 0.75}
    sim = dict.fromkeys(prototypes.TYPE_ORDER, 0.2)
    assert passages.combined_kind(scores, sim, keywords=0.75) == "other"
    assert passages.combined_kind(scores, sim, keywords=3.0) == "workflow_optimization"
    assert passages.combined_kind(scores, {}, keywords=0.75) == "workflow_optimization"
