"""Catalogue tools in a text, each with the sentence that names it.

Apart from the sentences because numbers, features and candidates all need the tools of a
sentence, and ``find_tools`` is public on its own (tests, the ask graph's callers).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from reservoir.agents.catalogue import match_tools
from reservoir.agents.extractive.sentences import Sentence, split_sentences


@dataclass(frozen=True, slots=True)
class ToolMention:
    name: str          # canonical catalogue name
    category: str
    alias: str         # the text as written
    sentence: str      # verbatim sentence containing it
    start: int         # offsets of the alias in the input
    end: int


def find_tools(text: str) -> list[ToolMention]:
    """Catalogue tools mentioned in the text, each with its verbatim sentence, in text order."""
    return [m for ms in tools_by_sentence(text, split_sentences(text)) for m in ms]


def tools_by_sentence(text: str, sentences: list[Sentence]) -> list[list[ToolMention]]:
    """The tools of each sentence, in order (a match across two sentences belongs to none)."""
    starts = [s.start for s in sentences]
    out: list[list[ToolMention]] = [[] for _ in sentences]
    for hit in match_tools(text):
        i = bisect_right(starts, hit.start) - 1
        if i >= 0 and hit.end <= sentences[i].end:
            s = sentences[i]
            out[i].append(ToolMention(hit.name, hit.category, hit.alias, s.text, hit.start,
                                      hit.end))
    return out
