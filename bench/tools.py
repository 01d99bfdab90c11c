"""Tool recognition: matcher speed and tool precision/recall/F1 per dataset split.

    .venv/bin/python bench/tools.py speed
    RESERVOIR_DATA_DIR=/tmp/ev .venv/bin/python -m reservoir.cli.main eval run --task extract \\
        --provider none
    .venv/bin/python bench/tools.py splits --db /tmp/ev/reservoir.db [--run RUN_ID]

``speed`` times ``match_tools`` on 10 KB slices of the extract dataset's texts (each slice 5
times) and prints the median and p95 CPU milliseconds per 10 KB, with and without the
unknown-product finder.
``splits`` reads an eval run's stored per-example metrics and prints, per ``source`` split of
the dataset, the mean of the per-example tool metrics (what the harness reports over all
examples) and the micro-averaged precision/recall over tool names.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time
from collections import defaultdict
from pathlib import Path

from _common import percentile

from reservoir.agents.catalogue import match_tools
from reservoir.evals.metrics import canonical_tool

DATASET = Path(__file__).resolve().parent.parent / "reservoir/evals/datasets/extract.jsonl"


def _examples() -> list[dict]:
    return [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line]


def speed(repeats: int = 5) -> None:
    corpus = "\n\n".join(e["text"] for e in _examples())
    slices = [corpus[i:i + 10_000] for i in range(0, len(corpus) - 10_000 + 1, 10_000)]
    match_tools(slices[0])  # warm the regex caches
    for label, unknown in (("catalogue + unknown products", True), ("catalogue only", False)):
        cpu: list[float] = []
        for _ in range(repeats):
            for piece in slices:
                start = time.process_time()  # CPU time: the machine is shared, wall time is noisy
                match_tools(piece, unknown=unknown)
                cpu.append((time.process_time() - start) * 1000)
        print(f"{label}: {len(slices)} slices of 10 KB x {repeats}: median "
              f"{statistics.median(cpu):.2f} ms, p95 {percentile(cpu, 95):.2f} ms CPU per 10 KB")


def splits(db: Path, run: str | None) -> None:
    split_of = {e["id"]: e.get("source", "?") for e in _examples()}
    expected = {e["id"]: {canonical_tool(t) for o in e["expected"]["opportunities"]
                          for t in o["tools"]} for e in _examples()}
    con = sqlite3.connect(db)
    run = run or con.execute("SELECT id FROM eval_run WHERE task='extract' "
                             "ORDER BY created_at DESC LIMIT 1").fetchone()[0]
    macro: dict[str, list[dict[str, float]]] = defaultdict(list)
    micro: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # hit, found, wanted
    for example_id, output, metrics in con.execute(
            "SELECT example_id, output, metrics FROM eval_example WHERE run_id=?", (run,)):
        split = split_of.get(example_id, "?")
        macro[split].append(json.loads(metrics))
        found = {canonical_tool(t) for o in json.loads(output).get("opportunities", [])
                 for t in o.get("tools", [])}
        want = expected.get(example_id, set())
        counts = micro[split]
        counts[0] += len(found & want)
        counts[1] += len(found)
        counts[2] += len(want)
    print(f"run {run}")
    print(f"{'split':12} {'n':>3} {'P':>6} {'R':>6} {'F1':>6}   micro P  micro R  (hit/found/wanted)")
    for split in sorted(macro):
        rows = macro[split]
        mean = {k: sum(r.get(k, 0.0) for r in rows) / len(rows)
                for k in ("tool_precision", "tool_recall", "tool_f1")}
        hit, found, want = micro[split]
        print(f"{split:12} {len(rows):>3} {mean['tool_precision']:6.3f} {mean['tool_recall']:6.3f} "
              f"{mean['tool_f1']:6.3f}   {hit / max(found, 1):7.3f}  {hit / max(want, 1):7.3f}  "
              f"({hit}/{found}/{want})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("speed")
    sp = sub.add_parser("splits")
    sp.add_argument("--db", type=Path, required=True)
    sp.add_argument("--run")
    args = parser.parse_args()
    if args.command == "speed":
        speed()
    else:
        splits(args.db, args.run)


if __name__ == "__main__":
    main()
