"""Passages and their types: which paragraphs state an automation, of which type, grouped.

The type classifier of the extractive strategy (keyword scores with MiniLM similarity to the
``prototypes``) and the grouping of same-type passages into the groups that become
candidates. Its constants are the ones ``bench/calibrate_types.py`` tunes, so they live in
this module: set them here (``extractive.passages.EMB_WEIGHT``), not on the package.
"""

from __future__ import annotations

from dataclasses import dataclass

from reservoir.agents.extractive.features import Feat, add_scores
from reservoir.agents.prototypes import type_similarities
from reservoir.agents.taxonomy import AUTOMATION_TYPES

PASSAGE_MIN_SIGNAL = 2.5   # signal points a paragraph needs to count as automation content
TYPE_BOOST = 0.2           # share of its best keyword score that adds to a paragraph's signal
MIN_TYPE_KEYWORDS = 1.5    # keyword score a paragraph needs to start a group of its own type
DOC_PRIOR = 0.05           # weight of the whole document's type scores in a paragraph's type
KEEP_RATIO = 0.2           # a group scoring under this share of the best group is dropped
MAX_CANDIDATES = 3
# Type by meaning (see classify_passages); calibrated by bench/calibrate_types.py on demo + hand-written.
# EMB_WEIGHT and SHARE_POWER: the middle of the grid's best plateau (EMB_WEIGHT 3-5 at 0.5);
# OTHER_SIM: the strictest value that costs nothing there (0.35 loses fresh paragraphs).
EMB_WEIGHT = 4.0           # weight of the prototype similarity against the keyword scores
SHARE_POWER = 0.5          # keyword scores are divided by their sum to this power (1: shares)
OTHER_SIM = 0.3            # best similarity under which an untyped passage is "other"
WATCH_WEIGHT = 1.5         # a watching statement's lean to reporting (as a strong keyword)
STRONG_SIM = 0.4           # similarity that lets a passage naming a tool state an automation


@dataclass(slots=True)
class Group:
    """Same-type passages (and sentences lent for their numbers) that become one candidate."""

    kind: str
    feats: list[Feat]
    signal: float = 0.0

    @property
    def type_score(self) -> float:
        return sum(f.types.get(self.kind, 0.0) for f in self.feats)

    @property
    def score(self) -> float:
        return self.signal + self.type_score


def split_passages(feats: list[Feat], size: int = 6) -> list[list[Feat]]:
    """Paragraphs as passages, a heading joined to the paragraph it introduces; a long
    paragraph is cut into windows of ``size`` sentences."""
    out: list[list[Feat]] = []
    for feat in feats:
        same = out and out[-1][-1].sent.paragraph == feat.sent.paragraph and len(out[-1]) < size
        if same or (out and all(f.is_heading() for f in out[-1])):
            out[-1].append(feat)
        else:
            out.append([feat])
    return out


@dataclass(slots=True)
class Passage:
    """A paragraph (or a window of a long one) with its signal and type."""

    feats: list[Feat]
    kind: str
    signal: float
    strong: bool
    typed: bool  # its own keywords or a close prototype say which type it is


def classify_passages(passages: list[list[Feat]], doc_types: dict[str, float]) -> list[Passage]:
    """Each passage's signal and type; strong = enough signal and a key statement.

    The type combines the passage's keyword scores (plus the tool categories and a small
    document prior), divided by the square root of their sum so that many keywords weigh more
    than a few, with its MiniLM similarity to each type's general descriptions
    (``prototypes``): ``score / sum ** SHARE_POWER + EMB_WEIGHT * similarity``. A passage whose best
    similarity stays under OTHER_SIM and whose keywords do not decide is of type ``other``. A
    passage close to a type's description (STRONG_SIM) that names a tool counts as stating an
    automation even without the words the keyword lists know.
    """
    sims = _similarities(passages)
    out = []
    for feats, sim in zip(passages, sims, strict=True):
        signal = sum(f.signal for f in feats)
        scores, keywords = _type_scores(feats, doc_types)
        kind = combined_kind(scores, sim, keywords)
        states = any(f.states_automation() for f in feats)
        strong = signal + TYPE_BOOST * keywords >= PASSAGE_MIN_SIGNAL and states
        close = bool(sim) and max(sim.values()) >= STRONG_SIM
        if close and not strong:
            strong = any(f.tools and (f.mechanic or f.auto) for f in feats) and (
                signal >= PASSAGE_MIN_SIGNAL / 2)
        out.append(Passage(feats, kind, signal, strong, keywords >= MIN_TYPE_KEYWORDS or close))
    return out


def _type_scores(feats: list[Feat], doc_types: dict[str, float]
                 ) -> tuple[dict[str, float], float]:
    """A passage's type scores (its sentences' keywords and tool categories plus the small
    document prior) and its best type's keyword score alone."""
    scores: dict[str, float] = {}
    for feat in feats:
        add_scores(scores, feat.types)
    keywords = max((sum(f.keywords.get(k, 0.0) for f in feats) for k in scores), default=0.0)
    add_scores(scores, doc_types, DOC_PRIOR)
    return scores, keywords


def _similarities(passages: list[list[Feat]]) -> list[dict[str, float]]:
    """Prototype similarities of the passages that could matter (some signal); {} for others."""
    wanted = [i for i, feats in enumerate(passages) if sum(f.signal for f in feats) > 0]
    texts = [" ".join(f.sent.text for f in passages[i]) for i in wanted]
    found = type_similarities(texts) if EMB_WEIGHT > 0 else None
    out: list[dict[str, float]] = [{} for _ in passages]
    for i, sim in zip(wanted, found or [], strict=False):
        out[i] = sim
    return out


def combined_kind(scores: dict[str, float], sim: dict[str, float], keywords: float) -> str:
    """Damped keyword scores plus weighted similarity; ``other`` when neither convinces."""
    if not sim:
        return max(scores, key=lambda k: scores[k]) if scores else "other"
    total = (sum(v for v in scores.values() if v > 0) or 1.0) ** SHARE_POWER
    combined = {k: max(scores.get(k, 0.0), 0.0) / total + EMB_WEIGHT * sim.get(k, 0.0)
                for k in set(scores) | set(sim)}
    if max(sim.values()) < OTHER_SIM and keywords < MIN_TYPE_KEYWORDS:
        return "other"
    order = {name: i for i, name in enumerate(AUTOMATION_TYPES)}
    return min(combined, key=lambda k: (-combined[k], order.get(k, 99)))


def group_passages(passages: list[Passage]) -> list[Group]:
    """Strong passages grouped by type (one group per type); the best groups are kept.

    A strong passage whose own keywords do not tell its type, or of a type too weak to stand
    alone, joins a kept group at most two passages away, and so does a how-to list right
    after one: they describe the same setup. Without any typed passage, the strong ones form
    one group of the document's dominant type.
    """
    by_type: dict[str, Group] = {}
    typed = [p for p in passages if p.strong and p.typed]
    for p in typed or [p for p in passages if p.strong]:
        group = by_type.setdefault(p.kind, Group(p.kind, []))
        group.feats += p.feats
        group.signal += p.signal
    kept = {g.kind: g for g in _select(list(by_type.values()))}
    for i, p in enumerate(passages):
        is_list = p.signal > 0 and any(f.sent.list_item for f in p.feats)
        if (p.strong and p.kind in kept and (p.typed or not typed)) or not (p.strong or is_list):
            continue
        near = (-1, -2, -3) if is_list and not p.strong else (-1, 1, -2, 2)
        for d in near:
            q = passages[i + d] if 0 <= i + d < len(passages) else None
            if q is not None and q.strong and q.kind in kept and (q.typed or not typed):
                kept[q.kind].feats += p.feats
                break
    for group in kept.values():
        group.feats.sort(key=lambda f: f.sent.start)
    return sorted(kept.values(), key=lambda g: -g.score)


def _select(groups: list[Group]) -> list[Group]:
    """The best group, and up to MAX_CANDIDATES - 1 others strong enough beside it."""
    ranked_groups = sorted(groups, key=lambda g: -g.score)
    if not ranked_groups:
        return []
    best = ranked_groups[0].score
    return [g for i, g in enumerate(ranked_groups[:MAX_CANDIDATES])
            if i == 0 or (g.score >= KEEP_RATIO * best and g.type_score >= MIN_TYPE_KEYWORDS)]


def kind_of(feats: list[Feat], doc_types: dict[str, float], watches: bool = False) -> str:
    """The type of a capability statement's passage: as any passage's, but never ``other``
    (software that does a job between systems is workflow optimisation by definition).
    A product that ``watches`` a source leans to reporting by ``WATCH_WEIGHT`` keyword points."""
    scores, keywords = _type_scores(feats, doc_types)
    if watches:
        scores["reporting"] = scores.get("reporting", 0.0) + WATCH_WEIGHT
    sim = (type_similarities([" ".join(f.sent.text for f in feats)]) or [{}])[0]
    kind = combined_kind(scores, sim, keywords)
    return "workflow_optimization" if kind == "other" else kind
