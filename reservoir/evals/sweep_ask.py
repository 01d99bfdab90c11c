"""Measure the ask graph's relevance threshold (and weights) on the ask dataset.

    python -m reservoir.evals.sweep_ask [--split demo|handwritten|real-dev] [--weights 0.45,0.25,0.30]

Each question's candidate sentences are scored once (the production path:
``graphs.ask.scored_candidates`` after the follow-up rewrite); every threshold then selects,
composes and is scored with the ask task's own metrics. Prints one line per threshold: the
curve the chosen ``RELEVANCE_THRESHOLD`` was read from (reservoir/evals/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from typing import Any

from reservoir.agents import answers, relevance
from reservoir.agents.followup import rewrite
from reservoir.config import get_settings
from reservoir.deps import Deps
from reservoir.evals import metrics as m
from reservoir.evals.splits import COMMITTED
from reservoir.evals.tasks import DATASETS_DIR, TASKS, TaskContext, load_jsonl
from reservoir.graphs.ask import scored_candidates
from reservoir.llm import LlmClient

THRESHOLDS = [round(0.30 + 0.02 * i, 2) for i in range(14)]


def _turn(deps: Deps, example: dict[str, Any]) -> Any:
    """The follow-up rewrite as a thread would make it (earlier turns answered the same way)."""
    previous: dict[str, Any] | None = None
    for earlier in example.get("history", []):
        turn = rewrite(earlier, previous)
        selected = scored_candidates(deps, turn).selected
        previous = {"query": turn.query, "applied": turn.filters,
                    "opportunity_ids": [c.opportunity_id for c in selected if c.opportunity_id]}
    return rewrite(example["question"], previous)


def _output(ctx: TaskContext, text: str, citations: list[dict[str, Any]]) -> dict[str, Any]:
    task = TASKS["ask"]
    first = text.strip().splitlines()[0] if text.strip() else ""
    return {"answer": text, "citations": citations,
            "cited": task._cited(ctx, citations, m.citation_numbers(text)),  # type: ignore[attr-defined]
            "first_cited": task._cited(ctx, citations, m.citation_numbers(first))}  # type: ignore[attr-defined]


GRID = [(0.45, 0.25, 0.30), (0.5, 0.2, 0.3), (0.4, 0.3, 0.3), (0.35, 0.25, 0.4),
        (0.5, 0.3, 0.2), (0.6, 0.0, 0.4), (0.3, 0.3, 0.4)]
GAPS = [None, 0.15, 0.1, 0.07, 0.05]


async def sweep(split: str | None, grid: list[tuple[float, float, float]],
                gaps: list[float | None]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    wanted = (split,) if split else COMMITTED  # the rules were measured on these; never real-test
    examples = [e for e in load_jsonl(DATASETS_DIR / "ask.jsonl") if e["split"] in wanted]
    ctx = TaskContext(settings=get_settings())
    task = TASKS["ask"]
    await task.prepare(ctx, examples)
    sandbox = ctx.extras["sandbox"]
    deps = Deps(settings=sandbox.settings, llm=LlmClient(sandbox.settings, models={}),
                vectors=sandbox.store)
    prepared = []
    for example in examples:
        turn = _turn(deps, example)
        candidates, costs, _ = scored_candidates(deps, turn)
        prepared.append((example, turn, candidates, costs))
    curves = {}
    for weights, gap in [(w, g) for w in grid for g in gaps]:
        curve = []
        for threshold in THRESHOLDS:
            scores = []
            for example, turn, candidates, costs in prepared:
                ranked = relevance.rank([replace(c, score=relevance.combine(c.parts, weights))
                                         for c in candidates])
                if turn.rank_by == "cost":
                    text, citations, _ = answers.compose_by_cost(ranked, costs)
                else:
                    text, citations = answers.compose(relevance.select(ranked, threshold, gap=gap))
                scores.append(task.score(example, _output(ctx, text, citations)))
            curve.append({"threshold": threshold, **m.aggregate(scores)})
        curves[(weights, gap)] = curve
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default=None, choices=[*COMMITTED, "real-dev"],
                        help="One split (default: demo and handwritten); never real-test.")
    parser.add_argument("--weights", default=",".join(str(w) for w in relevance.WEIGHTS))
    parser.add_argument("--grid", action="store_true", help="Also try the weights of GRID.")
    parser.add_argument("--gaps", action="store_true", help="Also try the document gaps of GAPS.")
    args = parser.parse_args()
    weights = tuple(float(w) for w in args.weights.split(","))
    grid = [weights, *[g for g in GRID if g != weights]] if args.grid else [weights]
    names = ("citation_precision", "citation_recall", "faithfulness", "first_line_relevance",
             "abstention")
    gaps = GAPS if args.gaps else [relevance.DOCUMENT_GAP]
    for (chosen, gap), curve in asyncio.run(sweep(args.split, grid, gaps)).items():  # type: ignore[arg-type]
        print(f"weights {chosen} · document gap {gap}")
        print("threshold  " + "  ".join(n[:14].rjust(14) for n in names))
        for row in curve:
            print(f"{row['threshold']:9.2f}  " + "  ".join(
                f"{row.get(n, float('nan')):14.3f}" for n in names))


if __name__ == "__main__":
    main()
