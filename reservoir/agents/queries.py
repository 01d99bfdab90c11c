"""Query planning: what the run searches for, from the user's focus and the profiles' own
words (challenges and goals), sent to every searchable source.

Templates need no model: a focus is searched as the user wrote it; a profile's challenge or
goal is cut to its content words and anchored to the profile's industry, because a search
engine answers a sentence like "Online leads wait hours for a first call" with noise. With a
model for the scout, its queries for the same needs come after the focus; a model that fails
or answers nothing usable leaves the template queries as they were.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from reservoir.prompts import active_prompt

log = logging.getLogger(__name__)

MAX_QUERIES = 8  # each query goes to every searchable source: bound the fan-out
MAX_QUERY_WORDS = 6
MODEL_QUERY_WORDS = (2, 10)  # a proposal outside this is not a search query
QUERY_SCHEMA = {"type": "object", "properties": {"queries": {
    "type": "array", "items": {"type": "string"}, "maxItems": MAX_QUERIES}},
    "required": ["queries"], "additionalProperties": False}
_WORD = re.compile(r"[^\W_][\w'-]*")
_STOP = frozenset("""
a an the and or but of to in on at for from by with without about into over under as is are
was were be been being it its this that these those we our us you your they their them i my
me he she his her do does did done doing have has had having not no can could should would
will just very too so than then there here when where which who whom what why how all any
each every more most much many some such own same other again once only also still even
especially often always never too first get gets getting got take takes make makes within
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


def parse_model_queries(reply: str) -> list[str]:
    """The model's {"queries": [...]}: short one-line keyword strings only."""
    try:
        data = json.loads(reply)
    except ValueError:
        return []
    raw = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return []
    low, high = MODEL_QUERY_WORDS
    kept = []
    for query in raw:
        if isinstance(query, str) and low <= len(words := query.split()) <= high:
            kept.append(" ".join(words)[:200])
    return kept[:MAX_QUERIES]


async def propose_queries(deps: Any, planned: list[PlannedQuery],
                          needs: list[str]) -> list[PlannedQuery]:
    """Focus first, then the model's queries for the needs, then the templates; unchanged
    without a model for the scout, over budget, or when the model fails."""
    if not needs or not deps.llm.has_model("scout") or deps.llm.over_budget():
        return planned
    prompt = active_prompt("scout.queries", deps.settings.prompt_versions)
    system, user = prompt.render(needs="\n".join(f"- {n}" for n in needs),
                                 limit=str(MAX_QUERIES))
    try:
        reply = await deps.llm.complete("scout", prompt.ref, [
            SystemMessage(content=system), HumanMessage(content=user)], schema=QUERY_SCHEMA)
    except Exception as exc:  # noqa: BLE001 — the template queries stand; a run never fails
        log.warning("query proposal by the model failed: %s", exc)
        return planned
    proposed = [PlannedQuery(q, "model") for q in parse_model_queries(reply)]
    focus = [q for q in planned if q.origin == "focus"]
    rest = [q for q in planned if q.origin != "focus"]
    unique: dict[str, PlannedQuery] = {}
    for query in [*focus, *proposed, *rest]:
        unique.setdefault(query.text.lower(), query)
    return list(unique.values())[:MAX_QUERIES]


def needs_of(focus: Sequence[str], profiles: Sequence[Any]) -> list[str]:
    """What the model is asked to search for: the focus and the profiles' own words."""
    needs = [f.strip() for f in focus if f and f.strip()]
    for profile in profiles:
        industry = str(profile.industry or "").replace("_", " ")
        for phrase in [*(profile.challenges or []), *(profile.goals or [])]:
            needs.append(f"{phrase} ({industry})" if industry else str(phrase))
    return needs
