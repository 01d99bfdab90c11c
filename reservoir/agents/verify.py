"""The one verification layer every engine's findings pass before they are stored.

Extractive strategy, LLM graph and CrewAI crew alike are suggestion engines: whatever they
claim is checked against the document text here, and what cannot be traced is dropped and
counted — never stored. The checks, per claim kind:

- ``evidence``: each quote verbatim in the text (``locate_quote``), not addressed to an AI,
  and prose: leading Markdown markers cut off, setup steps, code and calls to action dropped
  (``prose.prose_quote``);
- ``tools``: each tool named in the document (its name, or a catalogue alias of it); the
  sentence that names it becomes the tool's trace (``tool_quotes``);
- ``numbers``: each number's quote verbatim and stating that number;
- ``industries``: only with a verbatim quote that names the industry (``industry_quotes``);
- ``steps`` / ``prerequisites``: only when one sentence of the text supports them (their
  content words and numbers are there);
- ``summary`` / ``title``: a summary whose words the document does not hold is replaced by
  the first evidence quote; a title naming numbers, tools or industries the finding cannot
  cite is rebuilt from the verified fields.

A finding left without evidence is dropped whole (counted as ``findings``).
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reservoir.agents.catalogue import match_tools
from reservoir.agents.extractive import Sentence, split_sentences
from reservoir.agents.findings import (
    Finding,
    NumberClaim,
    locate_quote,
    looks_like_instruction,
    number_in,
)
from reservoir.agents.prose import prose_quote
from reservoir.agents.taxonomy import (
    classify_industry,
    industry_label,
    stated_industries,
    type_label,
)

log = logging.getLogger(__name__)

CLAIM_KINDS = ("findings", "evidence", "tools", "numbers", "industries", "steps",
               "prerequisites", "summary", "title")

_WORD = re.compile(r"[a-z0-9][a-z0-9'’-]*", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_STOP = frozenset(
    "a an the and or of to in on for with by from at as is are was were be been it its this that "
    "these those their our your we you they i he she them his her my me us so then than into "
    "via per each every all any some can could will would should may might must do does did "
    "not no but if when while after before up out over about more most less new".split())
SUPPORT_SHARE = 0.75  # share of a step's content words that one sentence must hold


@dataclass(slots=True)
class Verdict:
    """A verified finding (None when nothing of it could be traced) and what was dropped."""

    finding: Finding | None
    dropped: Counter[str] = field(default_factory=Counter)


def content_words(text: str) -> set[str]:
    return {w.lower().strip("'’-") for w in _WORD.findall(text)} - _STOP


def _names_in_text(text: str, sentences: list[Sentence]) -> dict[str, str]:
    """Lower-cased tool name -> the sentence of the text that names it (catalogue aliases too)."""
    starts = [s.start for s in sentences]
    named: dict[str, str] = {}
    for hit in match_tools(text):
        i = bisect_right(starts, hit.start) - 1
        if i >= 0 and sentences[i].start <= hit.start < sentences[i].end:
            named.setdefault(hit.name.lower(), sentences[i].text)
    return named


def tool_sentence(tool: str, text: str, sentences: list[str], catalogue_hits: dict[str, str]
                  ) -> str | None:
    """The sentence naming ``tool`` (as written, or through a catalogue alias), else None."""
    pattern = re.compile(rf"(?<![\w.@/-]){re.escape(tool.strip())}(?![\w]|\.\w|-\w)", re.I)
    for sentence in sentences:
        if pattern.search(sentence):
            return sentence
    return catalogue_hits.get(tool.lower())


def names_industry(quote: str, industry: str) -> bool:
    """Whether a sentence itself names the industry (a stating keyword or the label's words);
    words that only lean towards one ("orders", "drivers", "claims") do not name it."""
    if industry in stated_industries(quote):
        return True
    label = industry_label(industry).lower()
    return bool(label) and re.search(rf"\b{re.escape(label)}", quote.lower()) is not None


def field_traces(tools: list[str], industries: list[str], evidence: list[dict[str, Any]]
                 ) -> dict[str, dict[str, dict[str, str] | None]]:
    """Each stored tool and industry with the stored sentence that names it, found by the
    rules that verified it (catalogue aliases, industry keywords); None if none does."""
    quotes = [e["quote"] for e in evidence]
    text = "\n".join(quotes)
    hits = _names_in_text(text, split_sentences(text))

    def trace(quote: str | None) -> dict[str, str] | None:
        found = next((e for e in evidence if e["quote"] == quote), None) if quote else None
        return {"quote": found["quote"], "url": found.get("url", "")} if found else None

    return {
        "tools": {t: trace(tool_sentence(t, text, quotes, hits)) for t in tools},
        "industries": {i: trace(next((q for q in quotes if names_industry(q, i)), None))
                       for i in industries},
    }


def claim_count(finding: Finding) -> int:
    """Claims a finding makes: itself, each quote, tool, number, industry, step, prerequisite."""
    return (1 + len(finding.evidence) + len(finding.tools) + len(finding.numbers)
            + len(finding.industries) + len(finding.steps) + len(finding.prerequisites))


def unsupported_figures(text: str, facts: str) -> list[str]:
    """The figures of a model-written text that its facts do not state (1,200 = 1200)."""
    known = {n.replace(",", "") for n in _NUMBER.findall(facts)}
    return [n for n in _NUMBER.findall(text) if n.replace(",", "") not in known]


def industry_quote(text: str, industry: str) -> str | None:
    """The first sentence of the text that names the industry, or None."""
    for sentence in split_sentences(text):
        if names_industry(sentence.text, industry) and not looks_like_instruction(sentence.text):
            return sentence.text
    return None


def supported_by(claim: str, sentences: list[str]) -> str | None:
    """The sentence that supports a short claim: most of its words and all its numbers."""
    words = content_words(claim)
    numbers = set(_NUMBER.findall(claim))
    if not words:
        return None
    for sentence in sentences:
        have = content_words(sentence)
        if numbers - set(_NUMBER.findall(sentence)):
            continue
        if len(words & have) >= SUPPORT_SHARE * len(words):
            return sentence
    return None


def _number_stated(claim: NumberClaim, quote: str) -> bool:
    """The quote states a number; digits must include the claimed value's integer part."""
    digits = [float(n.replace(",", "")) for n in _NUMBER.findall(quote)
              if n.replace(",", "").replace(".", "", 1).isdigit()]
    if digits:
        return any(abs(d - claim.value) < 1e-6 or abs(d - claim.value) / max(abs(d), 1e-9) < 0.01
                   for d in digits) or _derived(claim.value, digits)
    return number_in(claim.value, quote)


def _derived(value: float, digits: list[float]) -> bool:
    """Normalised values (per week from per day/month, ranges' midpoints) stay traceable."""
    for d in digits:
        for factor in (5, 52 / 12, 12, 1 / 12, 1 / 5, 12 / 52, 8, 1 / 60, 4, 0.5, 2, 1 / 4):
            if abs(d * factor - value) <= 0.02 * max(abs(value), 1):
                return True
    return any(abs((a + b) / 2 - value) < 1e-6 for a in digits for b in digits)


def verify(finding: Finding, text: str, *, doc_ref: str = "") -> Verdict:
    """Keep only what the document holds; count every dropped claim by kind."""
    dropped: Counter[str] = Counter()
    parsed = split_sentences(text)
    sentences = [s.text for s in parsed]
    evidence = _verified_evidence(finding.evidence, text, dropped, doc_ref)
    if not evidence:
        dropped["findings"] += 1
        return Verdict(None, dropped)
    hits = _names_in_text(text, parsed)
    tool_quotes: dict[str, str] = {}
    for tool in finding.tools:
        sentence = tool_sentence(tool, text, sentences, hits)
        if sentence is None:
            dropped["tools"] += 1
            log.info("dropped a tool its document does not name from %s: %r", doc_ref, tool)
        else:
            tool_quotes[tool] = sentence
    numbers = []
    for number in finding.numbers:
        found = locate_quote(number.quote, text)
        if found and _number_stated(number, found) and not looks_like_instruction(found):
            numbers.append(number.model_copy(update={"quote": found}))
        else:
            dropped["numbers"] += 1
    industry_quotes: dict[str, str] = {}
    for industry in finding.industries:
        quote = locate_quote(finding.industry_quotes.get(industry, ""), text)
        if not (quote and names_industry(quote, industry) and not looks_like_instruction(quote)):
            quote = industry_quote(text, industry)
        if quote:
            industry_quotes[industry] = quote
        else:
            dropped["industries"] += 1
    steps = _supported(finding.steps, sentences, dropped, "steps")
    prerequisites = _supported(finding.prerequisites, sentences, dropped, "prerequisites")
    tools = list(tool_quotes)
    industries = list(industry_quotes)
    summary = finding.summary
    if summary and supported_by(summary, sentences) is None and not locate_quote(summary, text):
        dropped["summary"] += 1
        summary = evidence[0]
    title = finding.title
    if not _title_traceable(title, text, tools, industries):
        dropped["title"] += 1
        title = rebuild_title(finding.automation_type, evidence[0], tools, industries)
    return Verdict(finding.model_copy(update={
        "evidence": evidence, "numbers": numbers, "tools": tools, "tool_quotes": tool_quotes,
        "industries": industries, "industry_quotes": industry_quotes, "steps": steps,
        "prerequisites": prerequisites, "summary": summary, "title": title}), dropped)


def _verified_evidence(quotes: list[str], text: str, dropped: Counter[str], doc_ref: str
                       ) -> list[str]:
    kept: list[str] = []
    for quote in quotes:
        found = locate_quote(quote, text)
        prose = prose_quote(found) if found else None
        if found and looks_like_instruction(found):
            log.warning("dropped an instruction-like quote from %s: %.80r", doc_ref, found)
            dropped["evidence"] += 1
        elif found and prose is None:
            log.info("dropped a quote that is not prose evidence from %s: %.80r", doc_ref, found)
            dropped["evidence"] += 1
        elif prose:
            if prose not in kept:
                kept.append(prose)
        else:
            log.info("dropped non-verbatim quote from %s: %.80r", doc_ref, quote)
            dropped["evidence"] += 1
    return kept


def _supported(claims: list[str], sentences: list[str], dropped: Counter[str], kind: str
               ) -> list[str]:
    kept = []
    for claim in claims:
        if supported_by(claim, sentences) is not None:
            kept.append(claim)
        else:
            dropped[kind] += 1
    return kept


def _title_traceable(title: str, text: str, tools: list[str], industries: list[str]) -> bool:
    """A title may only state numbers the text holds and tools/industries the finding cites."""
    if set(_NUMBER.findall(title)) - set(_NUMBER.findall(text)):
        return False
    for hit in match_tools(title):
        if hit.name not in tools and hit.alias not in tools:
            return False
    for industry, _ in classify_industry(title):
        if industry not in industries:
            return False
    return True


def rebuild_title(automation_type: str, passage: str, tools: list[str], industries: list[str]
                  ) -> str:
    """A title made only of verified parts: type label, tools, stated industry."""
    title = type_label(automation_type, passage)
    if tools:
        title += " with " + " + ".join(tools[:3])
    if industries:
        title += f" for {industry_label(industries[0])}"
    return title
