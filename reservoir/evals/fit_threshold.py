"""Measure the challenge/evidence similarity threshold on the labelled pairs of `fit.jsonl`.

    python -m reservoir.evals.fit_threshold            # sweep, chosen threshold, 2-fold check

The threshold in `agents/fit.py` (`CHALLENGE_THRESHOLD`) is the one this prints as best:
the highest F1 among thresholds with precision >= 0.8 (a wrong "addresses your challenge"
costs an owner's trust more than a missed one). The 2-fold figures choose on one half and measure on the
other, so the reported precision is not only the one the threshold was picked on.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from reservoir.agents.fit import challenge_type, similarity
from reservoir.evals.tasks import DATASETS_DIR, load_jsonl

GRID = [round(0.30 + 0.01 * i, 2) for i in range(41)]  # 0.30 .. 0.70


def scored_pairs() -> list[tuple[float, bool]]:
    """(similarity, addressed) per labelled pair; -1 where the challenge's closest type is
    not the opportunity's (the rule never counts those, whatever the threshold)."""
    out = []
    for row in load_jsonl(DATASETS_DIR / "fit.jsonl"):
        sim = similarity(row["challenge"], row["evidence"])
        if sim is None:
            raise SystemExit("the bundled MiniLM is not available: cannot measure")
        same_type = challenge_type(row["challenge"]) == row["automation_type"]
        out.append((sim if same_type else -1.0, bool(row["addressed"])))
    return out


def prf(pairs: Sequence[tuple[float, bool]], threshold: float) -> tuple[float, float, float]:
    """Precision, recall and F1 of "similarity >= threshold" against the labels."""
    tp = sum(1 for s, y in pairs if s >= threshold and y)
    fp = sum(1 for s, y in pairs if s >= threshold and not y)
    fn = sum(1 for s, y in pairs if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


MIN_PRECISION = 0.8


def best(pairs: Sequence[tuple[float, bool]]) -> float:
    """The threshold of the highest F1 among those with precision >= MIN_PRECISION (else the
    most precise); ties go to higher precision, then the higher value."""
    def key(t: float) -> tuple[bool, float, float, float]:
        p, _, f = prf(pairs, t)
        return (p >= MIN_PRECISION, round(f, 4) if p >= MIN_PRECISION else p, p, t)

    return max(GRID, key=key)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    pairs = scored_pairs()
    for t in GRID[::5]:
        p, r, f = prf(pairs, t)
        print(f"threshold {t:.2f}: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
    chosen = best(pairs)
    p, r, f = prf(pairs, chosen)
    print(f"chosen {chosen:.2f} on all {len(pairs)} pairs: precision {p:.3f} recall {r:.3f} "
          f"F1 {f:.3f}")
    halves = (pairs[0::2], pairs[1::2])
    for i, (train, test) in enumerate((halves, halves[::-1]), 1):
        t = best(train)
        p, r, f = prf(test, t)
        print(f"fold {i}: chosen {t:.2f} on {len(train)}, on the other {len(test)}: "
              f"precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
