"""The analyst's extractive strategy: finds automation opportunities without a model.

It never invents a fact. Every string it returns (evidence, summary, steps, the sentence of a
number, a tool or an industry) is a verbatim substring of the input; titles are built from a
type label naming a keyword of the passage, the tools and an industry a sentence states. No
generative model and no network: types combine keywords with the bundled MiniLM's similarity
to general descriptions (``prototypes``, keywords alone without it). It also serves as the
scout's cheap pre-filter (``automation_signal``, keywords only) and as the fallback when a
model fails.

One module per step, each importing only those before it:

- ``sentences``: sentences with offsets, the unit every quote is cut from;
- ``tools``: catalogue tools, each with its sentence;
- ``numbers``: quantities with their meaning and normalisation;
- ``features``: what each sentence says (tools, numbers, type keywords, signal), and the
  pre-filter ``automation_signal``;
- ``passages``: passages, their types (the calibrated classifier) and their groups;
- ``industries``: the industries a candidate may name, each with the sentence stating it;
- ``candidates``: ``extract_candidates``, from groups or a capability statement.

This package exports the names its callers use; the calibrated constants live in
``passages`` (set them there).
"""

from __future__ import annotations

from reservoir.agents.extractive.candidates import Candidate, extract_candidates, states_capability
from reservoir.agents.extractive.features import automation_signal
from reservoir.agents.extractive.numbers import (
    HOURS_PER_WORKDAY,
    WEEKS_PER_MONTH,
    WORKDAYS_PER_WEEK,
    NumberMention,
    find_numbers,
    numbers_in_sentence,
)
from reservoir.agents.extractive.numbers import (
    _value as _value,  # roi_scale reads quantities the same way
)
from reservoir.agents.extractive.sentences import Sentence, split_sentences
from reservoir.agents.extractive.tools import ToolMention, find_tools
from reservoir.agents.taxonomy import classify_automation, classify_industry

__all__ = [
    "HOURS_PER_WORKDAY", "WEEKS_PER_MONTH", "WORKDAYS_PER_WEEK", "Candidate", "NumberMention",
    "Sentence", "ToolMention", "automation_signal", "classify_automation",
    "classify_industry", "extract_candidates", "find_numbers", "find_tools",
    "numbers_in_sentence", "split_sentences", "states_capability",
]
