"""Calibrate the extractive type classifier: keyword shares + MiniLM prototype similarity.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 python bench/calibrate_types.py [--grid]

Runs the no-model analyst (extraction, then the verification layer) on the demo and
hand-written splits of the extract task — ``extract.jsonl`` (source demo / handwritten) and
``extract-fresh.jsonl`` (hand-written paragraphs written apart from the corpus) — and prints
type accuracy per split for the current constants of ``reservoir.agents.extractive.passages``; with
``--grid`` for every combination of EMB_WEIGHT, OTHER_SIM and STRONG_SIM, best first by the
mean over the splits (each split weighs the same, so the small hand-written sets count as much
as the demo). Never run on real-text test data: it tunes.
"""

from __future__ import annotations

import argparse
import itertools
import statistics

from reservoir.agents.analyst import DocView, extractive_findings, has_signal, verify_all
from reservoir.agents.extractive import passages
from reservoir.config import Settings
from reservoir.evals.metrics import type_accuracy
from reservoir.evals.tasks import DATASETS_DIR, load_jsonl

THRESHOLD = Settings().signal_threshold
GRID = {"EMB_WEIGHT": (2.0, 3.0, 4.0, 5.0, 8.0), "SHARE_POWER": (0.0, 0.5, 1.0),
        "OTHER_SIM": (0.25, 0.3, 0.35), "STRONG_SIM": (0.4, 9.0)}


def splits() -> dict[str, list[dict]]:
    rows = load_jsonl(DATASETS_DIR / "extract.jsonl")
    return {"demo": [r for r in rows if r["source"] == "demo"],
            "handwritten": [r for r in rows if r["source"] == "handwritten"],
            "handwritten-fresh": load_jsonl(DATASETS_DIR / "extract-fresh.jsonl")}


def accuracy(rows: list[dict]) -> float:
    total = 0.0
    for row in rows:
        doc = DocView(0, row["url"], row["title"], row["text"])
        kept: list = []
        if has_signal(doc, THRESHOLD)[0]:  # the analyst's own pre-filter, as in the harness
            kept, _ = verify_all(extractive_findings(doc), doc)
        total += type_accuracy([f.model_dump() for f in kept], row["expected"]["opportunities"])
    return total / len(rows)


def measure(data: dict[str, list[dict]]) -> dict[str, float]:
    return {name: round(accuracy(rows), 3) for name, rows in data.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="search the grid, best first")
    args = parser.parse_args()
    data = splits()
    if not args.grid:
        print(measure(data))
        return
    results = []
    for values in itertools.product(*GRID.values()):
        for name, value in zip(GRID, values, strict=True):
            setattr(passages, name, value)
        scores = measure(data)
        results.append((statistics.mean(scores.values()), dict(zip(GRID, values, strict=True)),
                         scores))
    for mean, params, scores in sorted(results, key=lambda r: -r[0])[:15]:
        print(f"{mean:.3f}", params, scores)


if __name__ == "__main__":
    main()
