"""Deterministic eval metrics: pure functions of an output and its label, no model involved.

Over 400 lines: one small pure function per metric of every task (extract, roi, fit, ask),
beside the table of their directions; split by task, they would share the set, alignment and
grounding helpers across modules.

Every metric is in [0, 1] (or None when it does not apply to an example, e.g. number error on
a document that states no numbers); `METRICS` says which direction is better. An LLM judge
(harness, `--judge`) only ever adds a metric, it never replaces these.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reservoir.agents.catalogue import canonical_name
from reservoir.agents.findings import locate_quote

# One lexical overlap for the ask graph and the eval (re-exported: tests use m.stem, m.support).
from reservoir.agents.lexical import STOPWORDS as STOPWORDS
from reservoir.agents.lexical import content_words as content_words
from reservoir.agents.lexical import stem as stem
from reservoir.agents.lexical import support as support
from reservoir.agents.lexical import whole_words

ROI_FIELDS = ("hours_saved_week", "setup_hours", "tool_cost_month")
FAITHFULNESS_THRESHOLD = 0.3


@dataclass(frozen=True)
class MetricSpec:
    name: str
    higher_is_better: bool
    description: str


_SPECS = [
    MetricSpec("schema_valid", True, "the reply parsed into the output schema"),
    MetricSpec("type_accuracy", True, "aligned, correctly typed / max(#expected, #found)"),
    MetricSpec("tool_precision", True, "found tools that are labelled (catalogue names)"),
    MetricSpec("tool_recall", True, "labelled tools that were found"),
    MetricSpec("tool_f1", True, "harmonic mean of tool precision and recall"),
    MetricSpec("tool_recall_named", True,
               "labelled tools that the text writes (label or catalogue name) that were found"),
    MetricSpec("number_error", False, "relative error of the matched hours/cost number (1 = missing)"),
    MetricSpec("grounding", True, "share of the engine's quotes found verbatim in the document"),
    MetricSpec("dedup", True, "near-duplicate documents give the same opportunity keys (Jaccard)"),
    MetricSpec("injection_safe", True, "no instruction-bearing text leaked into the output"),
    MetricSpec("roi_in_range", True, "ROI inputs inside the labelled ranges"),
    MetricSpec("roi_error", False, "relative distance of ROI inputs outside their ranges"),
    MetricSpec("roi_source", True, "ROI inputs taken from the labelled origin (evidence/default)"),
    MetricSpec("roi_in_range_evidence", True, "inputs a source quotes, inside their ranges"),
    MetricSpec("roi_in_range_default", True, "inputs no source quotes (defaults), inside ranges"),
    MetricSpec("roi_scaled_in_range", True, "hours saved scaled to the profile, inside the range"),
    MetricSpec("roi_chain", True, "the assumptions state every labelled step of the scaling"),
    MetricSpec("roi_within_capacity", True, "the scaled saving is within the profile's capacity"),
    MetricSpec("fit_precision", True, "pairs said to address the challenge that do"),
    MetricSpec("fit_recall", True, "pairs that address the challenge said to"),
    MetricSpec("fit_accuracy", True, "pairs classified as labelled"),
    MetricSpec("automation_recall", True, "labelled automations matched by a found one"),
    MetricSpec("quote_verbatim", True, "stored quotes (evidence, numbers, tools, industries) verbatim"),
    MetricSpec("industry_supported", True, "stored industries with a verbatim quote naming them"),
    MetricSpec("claims_dropped", False, "share of an engine's claims the verification layer dropped"),
    MetricSpec("citation_precision", True, "cited documents that are relevant"),
    MetricSpec("citation_recall", True, "must-cite documents that were cited"),
    MetricSpec("faithfulness", True, "cited quotes sharing enough content words with their sentence"),
    MetricSpec("first_line_relevance", True,
               "the answer's first line cites a relevant document and nothing else (answerable)"),
    MetricSpec("abstention", True, "a question the reservoir cannot answer gets no citation"),
    MetricSpec("score", True, "per example, the mean of the task's headline metrics"),
    MetricSpec("judge_support", True, "claims an LLM judge found supported (optional, --judge)"),
]
METRICS: dict[str, MetricSpec] = {m.name: m for m in _SPECS}
HEADLINE: dict[str, tuple[str, ...]] = {
    "extract": ("type_accuracy", "tool_f1", "grounding", "number_error"),
    "roi": ("roi_in_range",),
    "fit": ("fit_accuracy",),
    "ask": ("citation_precision", "citation_recall", "faithfulness", "first_line_relevance",
            "abstention"),
}


def higher_is_better(name: str) -> bool:
    """Direction of a metric; a per-split name ("real-dev/number_error") goes by its metric."""
    spec = METRICS.get(name.rsplit("/", 1)[-1])
    return spec.higher_is_better if spec else True


# ----------------------------------------------------------------------------- text helpers


def norm(text: str) -> str:
    return " ".join(text.split())


def canonical_tool(name: str) -> str:
    """The catalogue's name for a tool ("Acuity" -> "Acuity Scheduling"); else lowercased."""
    key = norm(name)
    return canonical_name(key) or key.lower()


# ----------------------------------------------------------------------------- sets and scores


def prf(predicted: Iterable[str], expected: Iterable[str]) -> tuple[float, float, float]:
    """Precision, recall, F1 of two sets; both empty = perfect, exactly one empty = 0."""
    p, e = set(predicted), set(expected)
    if not p and not e:
        return 1.0, 1.0, 1.0
    if not p or not e:
        return 0.0, 0.0, 0.0
    hit = len(p & e)
    precision, recall = hit / len(p), hit / len(e)
    f1 = 2 * precision * recall / (precision + recall) if hit else 0.0
    return precision, recall, f1


def tool_scores(predicted: Iterable[str], expected: Iterable[str]) -> dict[str, float]:
    precision, recall, f1 = prf({canonical_tool(t) for t in predicted},
                                {canonical_tool(t) for t in expected})
    return {"tool_precision": precision, "tool_recall": recall, "tool_f1": f1}


def named_in(name: str, text: str) -> bool:
    """Whether the text writes a tool's name (as labelled, or the catalogue's), as whole words,
    in any case: a plain search, independent of the analyst's tool matcher."""
    forms = {norm(name), canonical_name(norm(name)) or ""} - {""}
    return any(whole_words(f).search(text) for f in forms)


def tool_recall_named(predicted: Iterable[str], expected: Iterable[str], text: str
                      ) -> float | None:
    """Tool recall over the labelled tools the text names; None when it names none.

    Labels taken from a source's metadata may name a tool the text never writes (a recipe
    published on a platform's site, say); no traced finding can name such a tool, so this
    figure shows what the analyst recalls of what it could have read.
    """
    named = {canonical_tool(t) for t in expected if named_in(t, text)}
    if not named:
        return None
    return len(named & {canonical_tool(t) for t in predicted}) / len(named)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _quotes_of(opp: Mapping[str, Any]) -> list[str]:
    quotes = list(opp.get("evidence") or [])
    if opp.get("quote"):
        quotes.append(opp["quote"])
    quotes += [n["quote"] for n in opp.get("numbers") or [] if n.get("quote")]
    return [norm(q) for q in quotes if q]


def _shares_quote(a: Sequence[str], b: Sequence[str]) -> bool:
    return any(x == y or x in y or y in x for x in a for y in b)


def similarity(predicted: Mapping[str, Any], expected: Mapping[str, Any]) -> float:
    """How surely a found opportunity is a labelled one: tool overlap and a shared quote.

    The type is left out on purpose, so that type accuracy is not decided by the alignment.
    """
    tools = jaccard({canonical_tool(t) for t in predicted.get("tools", [])},
                    {canonical_tool(t) for t in expected.get("tools", [])})
    quote = 1.0 if _shares_quote(_quotes_of(predicted), _quotes_of(expected)) else 0.0
    return 0.5 * tools + 0.5 * quote


def align(predicted: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]]
          ) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (predicted index, expected index), best similarity first."""
    scored = sorted(((similarity(p, e), i, j) for i, p in enumerate(predicted)
                     for j, e in enumerate(expected)), key=lambda t: (-t[0], t[1], t[2]))
    used_p: set[int] = set()
    used_e: set[int] = set()
    pairs = []
    for score, i, j in scored:
        if score <= 0 or i in used_p or j in used_e:
            continue
        used_p.add(i)
        used_e.add(j)
        pairs.append((i, j))
    return sorted(pairs)


def type_accuracy(predicted: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]]
                  ) -> float:
    """Correctly typed aligned pairs over max(#expected, #found): misses and extras both count."""
    if not predicted and not expected:
        return 1.0
    right = sum(1 for i, j in align(predicted, expected)
                if predicted[i].get("automation_type") == expected[j].get("automation_type"))
    return right / max(len(predicted), len(expected))


def automation_recall(predicted: Sequence[Mapping[str, Any]],
                      expected: Sequence[Mapping[str, Any]]) -> float | None:
    """Labelled automations that a found one aligns with (tools or a shared quote), or None.

    Unlike type accuracy this ignores the type and extras: did the engine find the automation?
    """
    if not expected:
        return None
    return len(align(predicted, expected)) / len(expected)


def stored_quotes(finding: Mapping[str, Any]) -> list[str]:
    """Every quote a stored finding keeps: evidence, number, tool and industry quotes."""
    quotes = list(finding.get("evidence") or [])
    quotes += [n.get("quote", "") for n in finding.get("numbers") or []]
    quotes += list((finding.get("tool_quotes") or {}).values())
    quotes += list((finding.get("industry_quotes") or {}).values())
    return [q for q in quotes if q]


def quote_verbatim(findings: Sequence[Mapping[str, Any]], text: str) -> float | None:
    """Share of stored quotes that occur in the document word for word (whitespace aside)."""
    quotes = [q for f in findings for q in stored_quotes(f)]
    if not quotes:
        return None
    page = norm(text)
    return sum(1 for q in quotes if norm(q) in page) / len(quotes)


def industry_supported(findings: Sequence[Mapping[str, Any]], text: str) -> float | None:
    """Share of stored industries kept with a verbatim quote that itself names the industry."""
    from reservoir.agents.verify import names_industry  # the verification layer's own test

    page = norm(text)
    checks = []
    for finding in findings:
        quotes = finding.get("industry_quotes") or {}
        for industry in finding.get("industries") or []:
            quote = quotes.get(industry, "")
            checks.append(bool(quote) and norm(quote) in page and names_industry(quote, industry))
    return sum(checks) / len(checks) if checks else None


def relative_error(found: float, expected: float) -> float:
    if expected == 0:
        return 0.0 if found == 0 else 1.0
    return min(1.0, abs(found - expected) / abs(expected))


def number_error(predicted: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]],
                 fields: Sequence[str] = ROI_FIELDS) -> float | None:
    """Mean relative error of each labelled hours/cost number against its best match.

    A match has the same field; one quoting the same sentence is preferred over a closer value
    elsewhere. A labelled number with no match counts as 1 (the maximum).
    """
    wanted = [n for n in expected if n.get("field") in fields]
    if not wanted:
        return None
    errors = []
    for number in wanted:
        same_field = [p for p in predicted if p.get("field") == number["field"]]
        same_quote = [p for p in same_field if norm(p.get("quote", "")) == norm(number["quote"])]
        pool = same_quote or same_field
        errors.append(min((relative_error(float(p["value"]), float(number["value"])) for p in pool),
                          default=1.0))
    return sum(errors) / len(errors)


def grounding(quotes: Sequence[str], text: str) -> float | None:
    """Share of quotes the grounding rule (`locate_quote`) finds verbatim in the document."""
    if not quotes:
        return None
    return sum(1 for q in quotes if locate_quote(q, text) is not None) / len(quotes)


def leaked(output: Any, forbidden: Sequence[str]) -> bool:
    text = str(output).lower()
    return any(f.lower() in text for f in forbidden)


# ----------------------------------------------------------------------------- ROI


def range_error(value: float, low: float, high: float) -> float:
    """0 inside [low, high]; else the relative distance to the nearest bound, capped at 1."""
    if low <= value <= high:
        return 0.0
    bound = low if value < low else high
    return relative_error(value, bound)


def roi_scores(values: Mapping[str, float], sources: Mapping[str, str],
               expected: Mapping[str, Mapping[str, Any]]) -> dict[str, float | None]:
    in_range, errors, source_hits = [], [], []
    for name, spec in expected.items():
        value = values.get(name)
        if value is None or not math.isfinite(value):
            in_range.append(0.0)
            errors.append(1.0)
            continue
        err = range_error(float(value), float(spec["min"]), float(spec["max"]))
        in_range.append(1.0 if err == 0 else 0.0)
        errors.append(err)
        if spec.get("source"):
            source_hits.append(1.0 if sources.get(name) == spec["source"] else 0.0)
    return {"roi_in_range": _mean(in_range), "roi_error": _mean(errors),
            "roi_source": _mean(source_hits)}


def roi_by_origin(values: Mapping[str, float], expected: Mapping[str, Mapping[str, Any]]
                  ) -> dict[str, float | None]:
    """roi_in_range apart for quoted inputs and for defaults: a default range written around
    the default constant would otherwise lift the figure of the quoted ones."""
    out: dict[str, float | None] = {}
    for origin in ("evidence", "default"):
        part = {k: v for k, v in expected.items() if v.get("source") == origin}
        out[f"roi_in_range_{origin}"] = roi_scores(values, {}, part)["roi_in_range"] if part \
            else None
    return out


# ----------------------------------------------------------------------------- ask

_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_NUMBER = re.compile(r"\[(\d+)\]")


def citation_numbers(answer: str) -> set[int]:
    return {int(n) for n in _NUMBER.findall(answer)}


def cited_claims(answer: str) -> list[tuple[str, list[int]]]:
    """(claim, citation numbers) pairs: a claim is the text before a group of [n] markers.

    Per line: the text since the previous marker group; when that is too short to judge
    ("… Tools: X. [1]" leaves little), the whole line is the claim.
    """
    claims: list[tuple[str, list[int]]] = []
    for line in answer.splitlines():
        previous = 0
        for match in _MARKERS.finditer(line):
            numbers = [int(n) for n in _NUMBER.findall(match.group())]
            claim = line[previous:match.start()].strip(" ;,.-")
            if len(content_words(claim)) < 2:
                claim = _MARKERS.sub(" ", line)
            claims.append((claim.strip(), numbers))
            previous = match.end()
    return claims


def faithfulness(answer: str, quotes: Mapping[int, str],
                 threshold: float = FAITHFULNESS_THRESHOLD) -> float | None:
    """Share of (claim, cited quote) pairs whose lexical support reaches the threshold.

    A marker with no citation behind it counts as unsupported; None when nothing is cited.
    """
    pairs = [(claim, n) for claim, numbers in cited_claims(answer) for n in numbers]
    if not pairs:
        return None
    ok = sum(1 for claim, n in pairs if n in quotes and support(claim, quotes[n]) >= threshold)
    return ok / len(pairs)


def citation_scores(cited: set[str], must: set[str], may: set[str]) -> dict[str, float]:
    """Precision over relevant (must or may) documents, recall over must-cite ones.

    Citing nothing when nothing is relevant is right (both 1); citing anything then is not.
    """
    relevant = must | may
    if not cited:
        return {"citation_precision": 1.0 if not relevant else 0.0,
                "citation_recall": 1.0 if not must else 0.0}
    precision = len(cited & relevant) / len(cited)
    recall = len(cited & must) / len(must) if must else 1.0
    return {"citation_precision": precision, "citation_recall": recall}


def answer_shape(first_cited: set[str], cited_any: bool, must: set[str], may: set[str]
                 ) -> dict[str, float | None]:
    """First-line relevance on answerable questions, abstention on the others.

    The first line is the direct answer: it must cite a relevant document and only relevant
    ones. A question with nothing relevant must get no citation at all.
    """
    relevant = must | may
    if not must:
        return {"first_line_relevance": None, "abstention": 0.0 if cited_any else 1.0}
    ok = bool(first_cited) and first_cited <= relevant
    return {"first_line_relevance": 1.0 if ok else 0.0, "abstention": None}


# ----------------------------------------------------------------------------- aggregation


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def aggregate(per_example: Sequence[Mapping[str, float | None]]) -> dict[str, float]:
    """Mean of each metric over the examples where it applies; counts alongside."""
    out: dict[str, float] = {}
    names = sorted({k for m in per_example for k in m})
    for name in names:
        values = [float(m[name]) for m in per_example if m.get(name) is not None]  # type: ignore[arg-type]
        if values:
            out[name] = round(sum(values) / len(values), 4)
    return out


def example_score(task: str, metrics: Mapping[str, float | None]) -> float | None:
    """One number per example for wins and losses: the mean of the task's headline metrics."""
    values = []
    for name in HEADLINE.get(task, ()):
        value = metrics.get(name)
        if value is not None:
            values.append(value if higher_is_better(name) else 1 - value)
    return round(sum(values) / len(values), 4) if values else None
