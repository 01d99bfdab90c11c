"""Conversations: a follow-up rewritten against the thread, and filters read from a question.

"and for accountants?" means nothing alone; against a thread whose last question was "How
do dental clinics reduce no-shows?" it means "how do accountants reduce no-shows". Without
a model the rewrite carries the previous subject and filters forward and swaps what the
follow-up names (an industry, a tool); "which of those is cheapest?" points back at the
opportunities of the previous answer and asks for them ranked by quoted cost. With a model,
``prompts/ask/rewrite.v1.md`` writes the standalone question and the same rules read its
filters. Filters are plain JSON (ISO dates) so a thread's checkpoint can hold them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from reservoir.agents.catalogue import match_tools
from reservoir.agents.lexical import content_words, whole_words
from reservoir.agents.taxonomy import (
    AUTOMATION_TYPES,
    INDUSTRY,
    classify_industry,
    stated_industries,
)

_FOLLOWUP_START = re.compile(
    r"^\s*(?:and|also|what about|how about|same for|and what about|what if|but|then|ok(?:ay)?,?)\b",
    re.I)
_POINTS_BACK = re.compile(r"\b(?:those|these|them|that one|this one|the first|the second|of them)\b",
                          re.I)
_CHEAPEST = re.compile(r"\b(?:cheapest|least expensive|lowest[- ]cost|costs? the least|cheaper)\b",
                       re.I)
_BUDGET = re.compile(
    r"\b(?:under|below|less than|cheaper than|at most|max(?:imum)?|up to|within)\s*"
    r"(?:\$|usd\s*|€|£)?\s*(\d[\d,]*(?:\.\d+)?)\s*(?:\$|usd|dollars|euros?|€|£)?\s*"
    r"(?:/|a|per|each)\s*(month|mo|year|yr)\b", re.I)
_RECENT = (
    (re.compile(r"\b(?:new|added|found|seen)?\s*(?:this|past|last) week\b|\blast 7 days\b", re.I), 7),
    (re.compile(r"\b(?:new|added|found|seen)?\s*(?:this|past|last) month\b|\blast 30 days\b", re.I),
     30),
    (re.compile(r"\b(?:today|last 24 hours)\b", re.I), 1),
)
_TYPE_WORDS = {t: t.replace("_", "[ -]") for t in AUTOMATION_TYPES if t != "other"}
_TYPE = re.compile(r"\b(" + "|".join(_TYPE_WORDS.values()) + r")\s+(?:automations?|opportunit(?:y|ies))\b",
                   re.I)
FILTER_KEYS = ("industry", "tool", "automation_type", "since", "max_cost_month")


@dataclass
class Turn:
    """What one question asks once the thread is taken into account."""

    query: str
    filters: dict[str, Any] = field(default_factory=dict)
    followup: bool = False
    rank_by: str | None = None  # "cost": the previous answer's opportunities, cheapest first
    within: list[int] = field(default_factory=list)  # opportunity ids the question points back at
    relaxed: list[str] = field(default_factory=list)  # filters left out: nothing relevant passed

    def as_state(self) -> dict[str, Any]:
        return {"query": self.query, "applied": self.filters, "followup": self.followup,
                "rank_by": self.rank_by, "within": self.within}


NAMING_WEIGHT = 2.0  # keyword weight of words that name a trade ("dentists"), not a topic


def _industry(text: str) -> tuple[str | None, list[str]]:
    """The industry a question names clearly, and the words that named it.

    Only the naming words are returned ("dental clinics", not "client reports"), so that a
    follow-up swapping the trade keeps the topic of the question it rewrites.
    """
    ranked = classify_industry(text)
    if not ranked or ranked[0][1] < 1.0 or ranked[0][0] == "other":
        return None, []
    name = ranked[0][0]
    if name not in stated_industries(text):
        # Opportunities carry only the industries their documents state; a word that merely
        # leans ("delivery") would filter the right answers out.
        return None, []
    return name, [matched for label, weight, _, matched in INDUSTRY.hits(text)
                  if label == name and weight >= NAMING_WEIGHT]


def read_filters(question: str, now: datetime | None = None) -> dict[str, Any]:
    """Industry, tool, automation type, budget ("under $100/month") and recency ("this week")."""
    filters: dict[str, Any] = {}
    industry, _ = _industry(question)
    if industry:
        filters["industry"] = industry
    tools = [m.name for m in match_tools(question)]
    if len(tools) == 1:
        filters["tool"] = tools[0]
    kind = _TYPE.search(question)
    if kind:
        filters["automation_type"] = kind.group(1).lower().replace(" ", "_").replace("-", "_")
    budget = _BUDGET.search(question)
    if budget:
        amount = float(budget.group(1).replace(",", ""))
        per_year = budget.group(2).lower() in ("year", "yr")
        filters["max_cost_month"] = round(amount / 12, 2) if per_year else amount
    for pattern, days in _RECENT:
        if pattern.search(question):
            filters["since"] = ((now or datetime.now(UTC)) - timedelta(days=days)).isoformat()
            break
    return filters


def _strip(text: str, words: list[str]) -> str:
    for word in words:
        text = re.sub(rf"\b{re.escape(word)}\b", " ", text, flags=re.I)
    return re.sub(r"\s+", " ", text).strip()


def _residue(question: str, filters: dict[str, Any]) -> set[str]:
    """The question's content words that are not filter words or follow-up glue."""
    _, industry_words = _industry(question)
    words = content_words(_strip(question, industry_words))
    words -= content_words(" ".join(str(v) for v in filters.values()))
    return words - {"what", "about", "which", "cheapest", "one", "best", "those", "them"}


def is_followup(question: str, filters: dict[str, Any]) -> bool:
    """Points back ("those"), or says little beyond filters ("and for accountants?").

    "and how do I bake bread?" starts like a follow-up but names a subject of its own.
    """
    if _POINTS_BACK.search(question) or _CHEAPEST.search(question):
        return True
    left = len(_residue(question, filters))
    return left < 2 or (left < 3 and bool(_FOLLOWUP_START.search(question)))


def rewrite(question: str, previous: dict[str, Any] | None, now: datetime | None = None) -> Turn:
    """The standalone question and filters; ``previous`` is the last turn's state (or None)."""
    filters = read_filters(question, now)
    if not previous or not previous.get("query") or not is_followup(question, filters):
        return Turn(query=question.strip(), filters=filters)
    before = str(previous["query"])
    merged = {**(previous.get("applied") or {}), **filters}
    query = before
    if "industry" in filters:
        _, old_words = _industry(before)
        _, new_words = _industry(question)
        query = f"{_strip(before, old_words).rstrip('?')} for {' '.join(new_words)}?"
    elif _POINTS_BACK.search(question) or _CHEAPEST.search(question):
        query = before
    else:
        extra = " ".join(sorted(_residue(question, filters)))
        query = f"{before.rstrip('?')} {extra}".strip() + "?" if extra else before
    if "tool" in filters and filters["tool"].lower() not in query.lower():
        # "and to Telegram?" after "… to a Slack channel?": the new tool takes the old one's
        # place, as a new industry does; a question that named none gets "with <tool>".
        old = str((previous.get("applied") or {}).get("tool") or "")
        named = whole_words(old) if old else None
        if named is not None and named.search(query):
            query = named.sub(str(filters["tool"]), query)
        else:
            query = f"{query.rstrip('?')} with {filters['tool']}?"
    points_back = bool(_POINTS_BACK.search(question) or _CHEAPEST.search(question))
    return Turn(query=query, filters=merged, followup=True,
                rank_by="cost" if _CHEAPEST.search(question) else None,
                within=list(previous.get("opportunity_ids") or []) if points_back else [])
