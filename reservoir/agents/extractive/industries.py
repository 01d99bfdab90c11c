"""The industries a candidate names, each with the sentence of the document that states it.

Apart from the candidates because it is the one place that decides whether a title or a
report may name an industry: only one that a sentence states, never one merely scored.
"""

from __future__ import annotations

from reservoir.agents.extractive.features import Feat, add_scores
from reservoir.agents.findings import looks_like_instruction
from reservoir.agents.prose import unmarked
from reservoir.agents.taxonomy import INDUSTRY, ranked, stated_industries

INDUSTRY_MIN = 3.0         # industry score (paragraphs + 3/4 of the document's) to name it


def industries_of(passage: str, doc_industries: dict[str, float], own: list[Feat],
                  feats: list[Feat]) -> list[str]:
    """The best-scoring industries among those a sentence of the document states."""
    stated = set().union(*(stated_industries(f.sent.text) for f in own + feats))
    scores = {k: v for k, v in INDUSTRY.score(passage).items() if k in stated}
    add_scores(scores, {k: v for k, v in doc_industries.items() if k in stated}, 0.75)
    ranked_ind = ranked(scores)
    if not ranked_ind:
        return ["other"]
    top = ranked_ind[0][1]
    return [name for name, s in ranked_ind
            if s >= INDUSTRY_MIN and s >= 0.6 * top][:2] or ["other"]


def quote_industries(industries: list[str], own: list[Feat], feats: list[Feat]
                     ) -> dict[str, str]:
    """Each industry with the sentence that states it (its own passage first, then the
    document); an industry no sentence states is left out, so no title or report names it."""
    out: dict[str, str] = {}
    for industry in industries:
        for feat in own + feats:
            text = feat.sent.text
            if industry in stated_industries(text) and not looks_like_instruction(text):
                out[industry] = unmarked(text)
                break
    return out
