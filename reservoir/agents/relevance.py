"""Sentence-level relevance: which retrieved sentences answer the question, and how well.

Hybrid search ranks opportunities and passages, but a ranking never says "nothing here
answers". So every candidate sentence — an opportunity's evidence quote or a sentence of a
retrieved passage — is scored on its own:

    score = 0.50 × cosine(question, sentence) + 0.30 × cosine(question, closest title)
          + 0.20 × share of the question's content words (IDF-weighted) in titles and sentence

and only sentences at or above ``RELEVANCE_THRESHOLD`` are kept. The weights and the
threshold were measured on the ask dataset (``python -m reservoir.evals.sweep_ask``; the curves
are in reservoir/evals/README.md; the weights and the page gap last on real-dev, checked on
demo and handwritten): the sentence's similarity finds paraphrases, the title's
lifts a sentence whose page is about the question although the sentence alone is terse ("We
automated our appointment reminders …" on a page about a dental practice's no-shows), and
the lexical part keeps the right trade above one that is merely on the same topic.

A sentence that names its own title, when the title is only a name ("The Gap Detector Agent
will watch for gaps in a stream …", "YakChat adds SMS and MMS to Microsoft Teams"), says what
the name means: its title term is then at least the sentence's own similarity
(``names_title``). A page titled only by a product name would otherwise lose to one whose
title describes a neighbouring task, however well its own sentence answers.

A sentence that sends the reader to another retrieved page by its name ("if you want to
output a feed, use the Feed Writer" on a feed reader's page) answers for that page, not its
own; when it is its page's best sentence for the question, the whole page defers to the one
it names (``points_elsewhere``).
"""

from __future__ import annotations

import functools
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from reservoir.agents.lexical import content_words, whole_words

WEIGHTS = (0.50, 0.30, 0.20)  # sentence similarity, title similarity, lexical coverage
RELEVANCE_THRESHOLD = 0.36  # measured: see the module docstring
MAX_DOCUMENTS = 3
DOCUMENT_GAP: float | None = 0.05  # measured: a page this far below the best one is left out
MAX_SENTENCES_PER_DOCUMENT = 2
CLAIM_MARGIN = 0.1  # a relevant page's automation claim may score this much below the rest
MIN_SENTENCE_CHARS = 25  # headings and fragments say too little to answer anything
NAME_WORDS = 4  # a title this short is a name ("Gap Detector Agent"), not a description
# "use the X" / "see the X" / "try the X": a sentence sending the reader to another page's name
_POINTING = r"\b(?:use|see|try)\s+(?:the\s+|an?\s+)?"
_POINTS = re.compile(_POINTING, re.I)  # the cheap test first: most sentences point nowhere

Embed = Callable[[list[str]], Sequence[Sequence[float]]]


@dataclass
class Candidate:
    """One sentence that might answer, with where it comes from (its document, its opportunity)."""

    text: str
    document_id: int
    url: str
    title: str
    opportunity_id: int | None = None
    opportunity_title: str | None = None
    tools: tuple[str, ...] = ()
    score: float = 0.0
    parts: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the three terms, unweighted
    claim: bool = False  # an opportunity's evidence claim (not a number, tool or passage)
    extra: dict[str, object] = field(default_factory=dict)


class VectorCache:
    """Sentence vectors by text: a follow-up or a repeated question re-scores the same quotes.

    Kept as float32 arrays (what the model returns and the SQL store keeps), so a score does
    not depend on where its vectors came from.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def embed(self, name: str, texts: list[str], embed: Embed) -> list[np.ndarray]:
        missing = [t for t in dict.fromkeys(texts) if (name, t) not in self._items]
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                self._items[(name, text)] = np.asarray(vector, dtype=np.float32)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        for text in texts:
            self._items.move_to_end((name, text))  # least recently used goes first
        return [self._items[(name, t)] for t in texts]


VECTORS = VectorCache()


def cosines(query: Sequence[float], vectors: Sequence[Sequence[float]]) -> np.ndarray:
    """The query's cosine with each vector, in one matrix product (float64, as the old loop)."""
    if not len(vectors):
        return np.zeros(0)
    matrix = np.asarray(np.stack([np.asarray(v) for v in vectors]), dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(q)
    return np.divide(matrix @ q, norms, out=np.zeros(len(matrix)), where=norms > 0)


def _key(candidate: Candidate) -> tuple[int, str]:
    return candidate.document_id, " ".join(candidate.text.lower().split())


def unique(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per (document, sentence); the one tied to an opportunity wins."""
    out: dict[tuple[int, str], Candidate] = {}
    for candidate in candidates:
        if len(candidate.text) < MIN_SENTENCE_CHARS:
            continue
        key = _key(candidate)
        if key not in out or (out[key].opportunity_id is None and candidate.opportunity_id):
            out[key] = candidate
    return list(out.values())


def combine(parts: tuple[float, float, float], weights: tuple[float, float, float] = WEIGHTS
            ) -> float:
    return round(sum(w * p for w, p in zip(weights, parts, strict=True)), 4)


def _weights(words: set[str], candidates: list[Candidate]) -> dict[str, float]:
    """Inverse document frequency of the question's words over the retrieved documents.

    In an automation reservoir "automate" and "client" are on every page; "law" or "dental"
    tell the pages apart. A word no retrieved page holds keeps the full weight, so that a
    question about something absent stays unanswered.
    """
    pages: dict[int, set[str]] = {}
    for c in candidates:
        pages.setdefault(c.document_id, set()).update(
            content_words(f"{c.title} {c.opportunity_title or ''} {c.text}"))
    total = max(1, len(pages))
    return {w: math.log(1 + total / max(0.5, sum(1 for p in pages.values() if w in p)))
            for w in words}


def weighted_coverage(weights: dict[str, float], text: str) -> float:
    """Share of the question's (IDF-weighted) content words the text holds."""
    total = sum(weights.values())
    if not total:
        return 0.0
    have = content_words(text)
    return sum(w for word, w in weights.items() if word in have) / total


def _names(candidate: Candidate) -> list[str]:
    """The candidate's titles that are names: at most ``NAME_WORDS`` words, 3 characters or more."""
    return [t for t in (candidate.title, candidate.opportunity_title)
            if t and len(t) >= 3 and len(t.split()) <= NAME_WORDS]


def names_title(candidate: Candidate) -> bool:
    """Whether the sentence writes one of its titles in full, when that title is a name.

    A name is at most ``NAME_WORDS`` words ("YakChat", "Gap Detector Agent"); a descriptive
    title ("Stop qualifying leads by hand: our enrichment and routing setup") has its own
    similarity already, and a sentence holding it is mostly the heading run into the text.
    """
    return any(whole_words(t).search(candidate.text) for t in _names(candidate))


@functools.cache
def _pointing(name: str) -> re.Pattern[str]:
    """"use the <name>", its words written apart or run together ("DataOutputAgent")."""
    words = r"\s*".join(re.escape(w) for w in name.split())
    return re.compile(rf"{_POINTING}{words}(?!\w)", re.I)


def points_elsewhere(candidate: Candidate, others: dict[int, list[str]]) -> bool:
    """Whether the sentence sends the reader to another retrieved page by its name.

    "If you want to output a feed, use the Feed Writer" on the feed reader's page says the
    other page answers, not its own: scored as its own page's answer it leads the question
    away from the page it names.
    """
    if not _POINTS.search(candidate.text):
        return False
    own = {n.lower() for n in _names(candidate)}
    return any(name.lower() not in own and _pointing(name).search(candidate.text)
               for document, names in others.items() if document != candidate.document_id
               for name in names)


def score(question: str, question_vector: Sequence[float], candidates: list[Candidate],
          vectors: Sequence[Sequence[float]], title_vectors: Sequence[Sequence[Sequence[float]]],
          weights: tuple[float, float, float] = WEIGHTS) -> list[Candidate]:
    """Each candidate's relevance (see the module docstring), best first.

    A candidate's titles are its document's and, for evidence, its opportunity's (the
    analyst's verified name for what the page describes); the closer one counts, and a
    sentence that names its title stands for it (``names_title``).
    """
    idf = _weights(content_words(question), candidates)
    sentence = cosines(question_vector, vectors)
    title = cosines(question_vector, [t for titles in title_vectors for t in titles])
    others: dict[int, list[str]] = {}
    for candidate in candidates:
        others.setdefault(candidate.document_id, [])
        others[candidate.document_id] += [n for n in _names(candidate)
                                          if n not in others[candidate.document_id]]
    scored, at = [], 0
    for n, (candidate, titles) in enumerate(zip(candidates, title_vectors, strict=True)):
        context = f"{candidate.title} {candidate.opportunity_title or ''} {candidate.text}"
        own = title[at:at + len(titles)]
        at += len(titles)
        similarity = float(sentence[n])
        titled = float(own.max()) if len(own) else 0.0
        if titled < similarity and names_title(candidate):
            titled = similarity
        parts = (similarity, titled, weighted_coverage(idf, context))
        scored.append(replace(candidate, parts=parts, score=combine(parts, weights)))
    return rank(_defer(scored, others))


def _defer(scored: list[Candidate], others: dict[int, list[str]]) -> list[Candidate]:
    """A sentence that points to another page answers for that page, not its own; and a page
    whose best sentence for the question is such a pointer says the question is the other
    page's: none of its sentences counts (the rest of a feed reader's page is about reading)."""
    pointers = {id(c) for c in scored if points_elsewhere(c, others)}
    if not pointers:
        return scored
    best: dict[int, Candidate] = {}
    for c in rank(scored):
        best.setdefault(c.document_id, c)
    deferring = {d for d, c in best.items() if id(c) in pointers}
    zero = (0.0, 0.0, 0.0)
    return [replace(c, parts=zero, score=0.0)
            if id(c) in pointers or c.document_id in deferring else c for c in scored]


def rank(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.score, c.document_id, c.text))


def select(candidates: list[Candidate], threshold: float = RELEVANCE_THRESHOLD,
           max_documents: int = MAX_DOCUMENTS, gap: float | None = DOCUMENT_GAP
           ) -> list[Candidate]:
    """The sentences that answer, best document first; ``candidates`` come ranked.

    A document is relevant when its best sentence reaches the threshold; the best few are
    kept (with ``gap``, only those close to the best one). From each, its evidence claims
    come first (the analyst's verified "this is the automation" sentences: "we automated
    reminders with Twilio" answers "how do clinics cut no-shows", "the no-show rate fell to
    7 %" only shows the page is on topic), then its other sentences above the threshold.
    """
    best: dict[int, float] = {}
    for candidate in candidates:
        best.setdefault(candidate.document_id, candidate.score)
    top = max(best.values(), default=0.0)
    floor = max(threshold, top - gap) if gap is not None else threshold
    documents = [d for d, s in best.items() if s >= floor][:max_documents]
    kept: list[Candidate] = []
    for document in documents:
        own = [c for c in candidates if c.document_id == document]
        claims = [c for c in own if c.claim and c.score >= threshold - CLAIM_MARGIN]
        others = [c for c in own if c not in claims and c.score >= threshold]
        kept += (claims + others)[:MAX_SENTENCES_PER_DOCUMENT]
    return kept
