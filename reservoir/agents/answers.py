"""Extractive answers: a direct first line from the best quote, then the supporting items.

Without a model an answer can only be made of what the documents say, so it is made of their
sentences, verbatim: the best sentence leads, the others follow grouped by opportunity (or
by document for passages no opportunity holds). Citations are numbered once per document in
the order they are first used; a citation's quote is every sentence the answer took from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reservoir.agents.lexical import numbers_in, support
from reservoir.agents.relevance import Candidate

NOTHING = "The reservoir holds nothing relevant to this question yet."
RELAXED_TOOL = ("None of the reservoir's sources on this names {tool}, so the answer is not limited "
                "to it: check that the sources above apply to {tool}.")
_SPACES = re.compile(r"\s+")


@dataclass
class Citations:
    """Numbers per document, in order of first use; each keeps the sentences used from it."""

    by_document: dict[int, dict[str, Any]] = field(default_factory=dict)

    def cite(self, candidate: Candidate) -> int:
        entry = self.by_document.get(candidate.document_id)
        if entry is None:
            entry = self.by_document[candidate.document_id] = {
                "n": len(self.by_document) + 1, "document_id": candidate.document_id,
                "url": candidate.url, "title": candidate.title, "quotes": []}
        if candidate.text not in entry["quotes"]:
            entry["quotes"].append(candidate.text)
        return int(entry["n"])

    def as_list(self) -> list[dict[str, Any]]:
        return [{**c, "quote": " … ".join(c["quotes"])} for c in self.by_document.values()]


def clean(sentence: str) -> str:
    return _SPACES.sub(" ", sentence).strip()


def _group_label(candidate: Candidate) -> str:
    if candidate.opportunity_title:
        tools = f" ({', '.join(candidate.tools)})" if candidate.tools else ""
        return f"{candidate.opportunity_title}{tools}"
    return f"From “{candidate.title}”" if candidate.title else "From a stored page"


def _groups(selected: list[Candidate]) -> list[tuple[str, list[Candidate]]]:
    """Sentences grouped by opportunity (passages: by document), groups in order of best score."""
    groups: dict[tuple[str, int], list[Candidate]] = {}
    for candidate in selected:
        key = (("opportunity", candidate.opportunity_id) if candidate.opportunity_id
               else ("document", candidate.document_id))
        groups.setdefault(key, []).append(candidate)  # type: ignore[arg-type]
    return [(_group_label(items[0]), items) for items in groups.values()]


def compose(selected: list[Candidate]) -> tuple[str, list[dict[str, Any]]]:
    """(answer text, citations): the lead line, then one item per supporting sentence."""
    if not selected:
        return NOTHING, []
    cites = Citations()
    lead = selected[0]
    lines = [f"{clean(lead.text)} [{cites.cite(lead)}]"]
    items: list[str] = []
    for label, group in _groups(selected):
        rest = [c for c in group if c is not lead]
        if not rest:
            items.append(f"- {label} [{cites.cite(group[0])}]")
        for number, candidate in enumerate(rest):
            prefix = f"- {label}: " if number == 0 else "  "
            items.append(f"{prefix}“{clean(candidate.text)}” [{cites.cite(candidate)}]")
    if items:
        lines += ["", "Also in the reservoir:", *items]
    return "\n".join(lines), cites.as_list()


def _cost_line(title: str, cost: float | None, n: int, quote: str | None) -> str:
    """One opportunity and the monthly cost its source states (or that none is stated)."""
    if cost is None:
        return f"- {title}: no tool cost is quoted [{n}]"
    return f"- {title}: about ${cost:,.0f} a month — “{clean(quote or '')}” [{n}]"


def compose_by_cost(candidates: list[Candidate],
                    costs: dict[int, tuple[float, dict[str, Any]] | None]
                    ) -> tuple[str, list[dict[str, Any]], list[int]]:
    """"Which of those is cheapest?": the previous answer's opportunities by quoted tool cost.

    Only costs the sources state count; an opportunity whose sources quote none says so.
    """
    best: dict[int, Candidate] = {}
    for candidate in candidates:  # best first: each opportunity's most relevant sentence
        if candidate.opportunity_id is not None:
            best.setdefault(candidate.opportunity_id, candidate)
    if not best:
        return NOTHING, [], []

    def sort_key(opp_id: int) -> tuple[int, float]:
        cost = costs.get(opp_id)
        return (0, cost[0]) if cost else (1, 0.0)

    order = sorted(best, key=sort_key)
    cites = Citations()
    lines: list[str] = []
    for opp_id in order:
        candidate, cost = best[opp_id], costs.get(opp_id)
        quote = cost[1]["quote"] if cost else None
        source = Candidate(text=cost[1]["quote"], document_id=cost[1]["document_id"],
                           url=cost[1]["url"], title=cost[1]["title"]) if cost else candidate
        n = cites.cite(source)
        lines.append(_cost_line(candidate.opportunity_title or candidate.title,
                                cost[0] if cost else None, n, quote))
    first = best[order[0]]
    if costs.get(order[0]):
        lead = (f"The cheapest by the costs its sources quote is "
                f"{first.opportunity_title or first.title}.")
    else:
        lead = "None of those quotes a tool cost, so the reservoir cannot tell which is cheapest."
    return "\n".join([lead, "", *lines]), cites.as_list(), order


_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(\-])|\n+")
_CLAIM = re.compile(r"(.*?)((?:\s*\[\d+\])+)\s*([.!?;,:]?)", re.S)
_MARK = re.compile(r"\[(\d+)\]")
SUPPORT_MIN = 0.5  # share of a generated claim's content words its quotes must hold


def supported(claim: str, quotes: list[str]) -> bool:
    """The cited quotes hold most of the claim's words and every number it states."""
    joined = " ".join(quotes)
    if not numbers_in(claim) <= numbers_in(joined):
        return False
    return support(claim, joined) >= SUPPORT_MIN


def claims(text: str) -> list[tuple[str, list[int], str]]:
    """(claim, cited numbers, punctuation after the markers) for each marker group.

    A claim is the last sentence before its markers: an uncited sentence before it is not
    part of it (it is dropped, having no citation). Text after the last marker is uncited.
    """
    out = []
    for match in _CLAIM.finditer(text):
        before = [part for part in _BOUNDARY.split(match.group(1)) if part.strip()]
        claim = before[-1].strip(" ;,") if before else ""
        out.append((claim, [int(n) for n in _MARK.findall(match.group(2))], match.group(3)))
    return out


def _with_marks(claim: str, numbers: list[int], punctuation: str) -> str:
    """"… from Jobber" + [1] + "." -> "… from Jobber [1].": markers before the full stop."""
    body = claim.strip()
    end = ""
    if body[-1:] in ".!?" and not punctuation:
        body, end = body[:-1].rstrip(), body[-1]
    return f"{body} {''.join(f'[{n}]' for n in numbers)}{punctuation or end or '.'}"


def check_generated(text: str, citations: list[dict[str, Any]]
                    ) -> tuple[str, list[dict[str, Any]]]:
    """A model's answer with every unsupported claim removed, citations renumbered.

    Each claim must cite a retrieved quote that supports it; a number that was not retrieved
    counts as no citation, uncited sentences are dropped. Returns ("", []) when nothing
    survives, so the caller keeps the extractive answer.
    """
    by_n = {int(c["n"]): c for c in citations}
    kept_claims: list[tuple[str, list[int], str]] = []
    for claim, cited, punctuation in claims(text):
        numbers = list(dict.fromkeys(n for n in cited if n in by_n))
        if claim and numbers and supported(claim, [by_n[n]["quote"] for n in numbers]):
            kept_claims.append((claim, numbers, punctuation))
    if not kept_claims:
        return "", []
    renumber: dict[int, int] = {}
    for _, numbers, _ in kept_claims:
        for n in numbers:
            renumber.setdefault(n, len(renumber) + 1)
    parts = [_with_marks(c, [renumber[n] for n in numbers], p) for c, numbers, p in kept_claims]
    kept = [{**by_n[old], "n": new} for old, new in renumber.items()]
    return re.sub(r"[;,:]$", ".", " ".join(parts)), kept
