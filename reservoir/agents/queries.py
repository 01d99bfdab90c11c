"""Query planning: what the run searches for, from the user's focus and the profiles' own
words (challenges and goals), sent to every searchable source.

Templates need no model: a focus is searched as the user wrote it; a profile's challenge or
goal is cut to its content words and anchored to the profile's industry, because a search
engine answers a sentence like "Online leads wait hours for a first call" with noise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

MAX_QUERIES = 8  # each query goes to every searchable source: bound the fan-out
MAX_QUERY_WORDS = 6
_WORD = re.compile(r"[^\W_][\w'-]*")
_STOP = frozenset("""
a an the and or but of to in on at for from by with without about into over under as is are
was were be been being it its this that these those we our us you your they their them i my
me he she his her do does did done doing have has had having not no can could should would
will just very too so than then there here when where which who whom what why how all any
each every more most much many some such own same other again once only also still even
especially often always never too first get gets getting got take takes make makes
""".split())


@dataclass(frozen=True)
class PlannedQuery:
    """A search the run sends, and where it came from (shown with what it found)."""

    text: str
    origin: str  # "focus", or "profile <name>: challenge" / "profile <name>: goal"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _content_words(text: str) -> list[str]:
    words = [w for w in _WORD.findall(text) if w.lower() not in _STOP]
    return words[:MAX_QUERY_WORDS]


def profile_query(phrase: str, industry: str) -> str:
    """A challenge or goal as a search: its content words, plus the industry when the
    phrase does not already name it."""
    words = _content_words(phrase)
    trade = industry.replace("_", " ").strip()
    if trade and trade.lower() not in " ".join(words).lower():
        words.append(trade)
    return " ".join(words)


def plan_queries(focus: Sequence[str], profiles: Sequence[Any]) -> list[PlannedQuery]:
    """Focus first (the user asked for it), then each profile's challenges, then goals;
    duplicates (case-insensitive) dropped, at most MAX_QUERIES."""
    planned: list[PlannedQuery] = [PlannedQuery(" ".join(f.split()), "focus")
                                   for f in focus if f and f.strip()]
    for kind, attribute in (("challenge", "challenges"), ("goal", "goals")):
        for profile in profiles:
            for phrase in getattr(profile, attribute, None) or []:
                text = profile_query(str(phrase), str(profile.industry or ""))
                if text:
                    planned.append(PlannedQuery(text, f"profile {profile.name}: {kind}"))
    unique: dict[str, PlannedQuery] = {}
    for query in planned:
        unique.setdefault(query.text.lower(), query)
    return list(unique.values())[:MAX_QUERIES]
