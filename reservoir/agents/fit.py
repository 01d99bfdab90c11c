"""Why an opportunity fits a profile: its industry as stated, its tools, the owner's challenges.

A challenge counts as addressed only when one of the opportunity's evidence sentences is
semantically close to it — cosine similarity of the bundled MiniLM embeddings at or above
`CHALLENGE_THRESHOLD` — and the challenge's closest automation type (the analyst's type
prototypes) is the opportunity's; the threshold is measured on the labelled pairs of
`evals/datasets/fit.jsonl` (`python -m reservoir.evals.fit_threshold`). The reason quotes
both sentences. Industry fit comes only from industries the sources state; a case from
another industry is offered as a transfer, saying where it applies.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from reservoir.memory.models import BusinessProfile, Opportunity

log = logging.getLogger(__name__)

# Measured on evals/datasets/fit.jsonl (47 pairs): precision 0.875, recall 0.583 (evals/README.md).
CHALLENGE_THRESHOLD = 0.31
# Multipliers of the rank (expected value × fit × confidence), documented in the README.
OWN_INDUSTRY, TRANSFER, UNSPECIFIED = 1.0, 0.6, 0.5
CHALLENGE_BONUS, TOOLS_BONUS = 1.5, 1.2
# Where a case from another industry applies: the work each automation type takes over.
APPLIES_WHEREVER: dict[str, str] = {
    "lead_generation": "new leads wait for someone to reply and route them by hand",
    "client_communication": "inbound emails and messages are read and answered by hand",
    "document_automation": "documents are assembled, filed or chased by hand",
    "scheduling": "appointments are booked, confirmed or reminded by hand",
    "follow_up": "customers, quotes or invoices are followed up by hand",
    "reporting": "recurring reports are compiled by hand from spreadsheets",
    "marketing": "posts, emails and campaigns are written and sent by hand",
    "workflow_optimization": "data is copied between tools by hand",
    "other": "the same manual step is done in your own work",
}

# Texts whose vectors a process keeps (384 floats each: about 30 MB at most).
CACHE_MAX = 20_000
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def _embedder() -> Any | None:
    """The bundled MiniLM (offline, shared per process), or None when it cannot load."""
    with _LOCK:
        if "model" not in _STATE:
            try:
                from reservoir.memory.embeddings import BUNDLED_MODEL, LocalEmbedder

                model = LocalEmbedder(BUNDLED_MODEL)
                _ = model.model  # load now, so a missing model is caught here
                _STATE["model"] = model
            except Exception as exc:  # noqa: BLE001 — no model: no challenge is claimed met
                log.warning("fit embeddings unavailable, no challenge will count as met: %s", exc)
                _STATE["model"] = None
        return _STATE["model"]


def _vectors(texts: list[str]) -> dict[str, Any]:
    """Unit vectors per text from a per-process cache; the texts not in it are embedded in
    one `encode` call. Each call pays a fixed cost (and, on a busy machine, the model's
    thread pool waiting for a core), so callers hand over a whole scoring pass at once
    (`prepare`) rather than one opportunity at a time."""
    cache: dict[str, Any] = _STATE.setdefault("cache", {})
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    if len(cache) + len(todo) > CACHE_MAX:
        cache.clear()  # start afresh, re-embedding this call's texts with the rest
        todo = list(dict.fromkeys(texts))
    model = _embedder()
    if todo and model is not None:
        vectors = model.encode(todo)
        for text, vector in zip(todo, vectors, strict=True):
            cache[text] = vector
        _remember_types(todo, vectors)
    return {t: cache[t] for t in texts if t in cache}


def _remember_types(texts: list[str], vectors: Any) -> None:
    """Challenges' automation types from the same vectors (no second embedding)."""
    from reservoir.agents.prototypes import remember_vectors

    remember_vectors(texts, vectors)


def prepare(challenges: list[str], quotes: list[str]) -> None:
    """Embed every challenge and evidence sentence of a scoring pass in one batch; the
    per-opportunity `challenge_match` calls then only read the cache."""
    _vectors([*challenges, *quotes])


def similarity(a: str, b: str) -> float | None:
    """Cosine similarity of two texts, or None without the model."""
    vectors = _vectors([a, b])
    if len(vectors) < 2 and a != b:
        return None
    return float(vectors[a] @ vectors[b]) if a in vectors else None


def challenge_type(challenge: str) -> str | None:
    """The automation type whose prototypes the challenge is closest to (None without them)."""
    from reservoir.agents.prototypes import type_similarities

    rows = type_similarities([challenge])
    if not rows:
        return None
    return max(rows[0].items(), key=lambda kv: kv[1])[0]


def challenge_match(challenges: list[str], quotes: list[str], automation_type: str,
                    threshold: float = CHALLENGE_THRESHOLD) -> tuple[str, str, float] | None:
    """The (challenge, evidence sentence, similarity) pair closest above the threshold, for
    challenges whose own closest automation type is the opportunity's: sentence similarity
    alone also rewards shared subject matter ("email", "follow-ups") with another problem."""
    if not challenges or not quotes:
        return None
    vectors = _vectors([*challenges, *quotes])
    best: tuple[str, str, float] | None = None
    for challenge in challenges:
        if challenge_type(challenge) != automation_type:
            continue
        for quote in quotes:
            if challenge not in vectors or quote not in vectors:
                continue
            sim = float(vectors[challenge] @ vectors[quote])
            if sim >= threshold and (best is None or sim > best[2]):
                best = (challenge, quote, sim)
    return best


@dataclass
class Fit:
    """The fit multiplier and the reasons, one sentence each."""

    factor: float
    reasons: list[str] = field(default_factory=list)
    industry: str = "own"     # own | transfer | unspecified


def _label(industry: str) -> str:
    return industry.replace("_", " ")


def industry_fit(opp: Opportunity, profile: BusinessProfile) -> Fit:
    """Own industry only from the industries the sources state; otherwise a stated transfer."""
    stated = [i for i in opp.industries if i and i.lower() != "unspecified"]
    where = APPLIES_WHEREVER.get(opp.automation_type, APPLIES_WHEREVER["other"])
    if profile.industry.lower() in {i.lower() for i in stated}:
        return Fit(OWN_INDUSTRY, [f"seen in {_label(profile.industry)} businesses "
                                  "(as its sources state)"], "own")
    if stated:
        seen = ", ".join(_label(i) for i in stated[:3])
        return Fit(TRANSFER, [f"seen in {seen}; applies wherever {where}"], "transfer")
    return Fit(UNSPECIFIED, [f"its sources state no industry; applies wherever {where}"],
               "unspecified")


def profile_fit(opp: Opportunity, profile: BusinessProfile, quotes: list[str]) -> Fit:
    """Industry × challenge × tools, each with its reason."""
    fit = industry_fit(opp, profile)
    have = {t.lower() for t in profile.current_tools}
    if overlap := [t for t in opp.tools if t.lower() in have]:
        fit.factor *= TOOLS_BONUS
        fit.reasons.append(f"uses tools you already have ({', '.join(overlap)})")
    if match := challenge_match(list(profile.challenges), quotes, opp.automation_type):
        challenge, quote, sim = match
        fit.factor *= CHALLENGE_BONUS
        fit.reasons.append(f"addresses your challenge “{challenge}”: its source says “{quote}” "
                           f"(similarity {sim:.2f})")
    fit.factor = round(fit.factor, 3)
    return fit
