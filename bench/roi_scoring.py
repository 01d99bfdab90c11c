"""Time ROI scoring (roi-v2 with semantic fit): the first call in a fresh process, then warm.

    PYTHONPATH=$PWD .venv/bin/python bench/roi_scoring.py [--runs 3] [--warm 5]

Seeds a private SQLite data dir with one opportunity per labelled automation of the demo
corpus (`reservoir/demo/labels.json`, its quotes as evidence) and the demo profiles, then runs
`roi.score_opportunities` over all of them × all profiles:

- **first call**: in `--runs` fresh processes, so each pays the model load and every
  embedding (what a worker or `reservoir roi` pays once per process);
- **first, CPU**: the process CPU time of that call over all its threads (steadier than the
  wall clock on a shared machine);
- **warm**: `--warm` further calls in the last of those processes (embeddings cached).

Prints the median and p95 of each, and how many `encode` calls and texts the first call made.
No network, no model API (the scorer's model proposals are not asked).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import hermetic_env, percentile, print_kv, print_table  # noqa: E402

LABELS = Path(__file__).resolve().parent.parent / "reservoir" / "demo" / "labels.json"


def seed(data_dir: Path) -> tuple[list[int], list[int]]:
    """One opportunity per labelled automation, the demo profiles; returns their ids."""
    from reservoir.config import load_settings
    from reservoir.demo import demo_profiles
    from reservoir.memory.db import session_scope
    from reservoir.memory.documents import DocumentIn, upsert_document
    from reservoir.memory.opportunities import EvidenceIn, OpportunityIn, create_opportunity
    from reservoir.memory.profiles import upsert_profile

    settings = load_settings(data_dir=data_dir)
    pages = json.loads(LABELS.read_text(encoding="utf-8"))["pages"]
    opp_ids, profile_ids = [], []
    with session_scope(settings) as session:
        for page in pages:
            for n, auto in enumerate(page.get("automations") or []):
                quotes = [auto["quote"], *(x["quote"] for x in auto.get("numbers") or [])]
                doc = upsert_document(session, DocumentIn(
                    url=f"https://bench.example.com/{page['slug']}", title=page["title"],
                    text="\n".join(quotes))).document
                opp = create_opportunity(session, OpportunityIn(
                    key=f"{page['slug']}-{n}", title=page["title"][:200], summary=auto["quote"],
                    automation_type=auto["automation_type"],
                    industries=[page["industry"]] if page.get("industry") else [],
                    tools=list(auto.get("tools") or []),
                    evidence=[EvidenceIn(document_id=doc.id, quote=q,  # type: ignore[arg-type]
                                         kind="claim" if i == 0 else "number")
                              for i, q in enumerate(quotes)]))
                opp_ids.append(opp.id)
        for profile in demo_profiles():
            profile_ids.append(upsert_profile(session, profile).id)
    return opp_ids, profile_ids  # type: ignore[return-value]


def count_encodes() -> dict[str, Any]:
    """Counts the MiniLM `encode` calls and texts of this process (wraps the class method)."""
    from reservoir.memory.embeddings import LocalEmbedder

    counts: dict[str, Any] = {"calls": 0, "texts": 0, "seconds": 0.0}
    original = LocalEmbedder.encode

    def counted(self: Any, texts: list[str]) -> Any:
        counts["calls"] += 1
        counts["texts"] += len(texts)
        started = time.perf_counter()
        try:
            return original(self, texts)
        finally:
            counts["seconds"] += time.perf_counter() - started

    LocalEmbedder.encode = counted  # type: ignore[method-assign]
    return counts


def child(data_dir: Path, warm: int) -> None:
    """One fresh process: the first call, then `warm` more; prints JSON on the last line."""
    from sqlmodel import select

    from reservoir.agents import roi
    from reservoir.config import load_settings
    from reservoir.deps import Deps
    from reservoir.llm import LlmClient
    from reservoir.memory.db import session_scope
    from reservoir.memory.models import BusinessProfile, Opportunity

    counts = count_encodes()
    settings = load_settings(data_dir=data_dir)
    with session_scope(settings) as session:
        opp_ids = list(session.exec(select(Opportunity.id)).all())
        profile_ids = list(session.exec(select(BusinessProfile.id)).all())
    deps = Deps(settings=settings, llm=LlmClient(settings))
    started, cpu = time.perf_counter(), time.process_time()
    roi.score_opportunities(deps, opp_ids, profile_ids)
    first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    first_counts = dict(counts)
    warm_times = []
    for _ in range(warm):
        started = time.perf_counter()
        roi.score_opportunities(deps, opp_ids, profile_ids)
        warm_times.append(time.perf_counter() - started)
    print(json.dumps({"first": first, "first_cpu": first_cpu, "warm": warm_times,
                      "encode_calls": first_counts["calls"],
                      "encode_texts": first_counts["texts"],
                      "encode_seconds": first_counts["seconds"], "opportunities": len(opp_ids),
                      "profiles": len(profile_ids)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes (first calls)")
    parser.add_argument("--warm", type=int, default=5, help="warm calls in the last process")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    hermetic_env("RESERVOIR_")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.child:
        child(args.child, args.warm)
        return 0
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="roi-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        opps, profiles = seed(data_dir)
        results = []
        for run in range(args.runs):
            warm = args.warm if run == args.runs - 1 else 0
            out = subprocess.run([sys.executable, __file__, "--child", str(data_dir),
                                  "--warm", str(warm)], stdout=subprocess.PIPE, text=True,
                                 check=True, env=os.environ)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    firsts = [r["first"] for r in results]
    cpus = [r["first_cpu"] for r in results]
    warms = [w for r in results for w in r["warm"]]
    print_table(f"roi.score_opportunities: {len(opps)} opportunities × {len(profiles)} profiles",
                ["call", "n", "median s", "p95 s", "min s", "max s"],
                [["first (fresh process)", len(firsts), statistics.median(firsts),
                  percentile(firsts, 95), min(firsts), max(firsts)],
                 ["first, CPU s (all threads)", len(cpus), statistics.median(cpus),
                  percentile(cpus, 95), min(cpus), max(cpus)],
                 ["warm", len(warms), statistics.median(warms) if warms else None,
                  percentile(warms, 95), min(warms, default=None), max(warms, default=None)]])
    print_kv("first call's embeddings", [
        ("encode calls", results[0]["encode_calls"]), ("texts encoded", results[0]["encode_texts"]),
        ("encode s, median of runs", statistics.median(r["encode_seconds"] for r in results)),
        ("load average before", " ".join(f"{x:.2f}" for x in load_before)),
        ("load average after", " ".join(f"{x:.2f}" for x in os.getloadavg()))])
    return 0


if __name__ == "__main__":
    sys.exit(main())
