"""Documents/s through the whole discovery graph on the demo corpus, served on loopback.

    .venv/bin/python bench/discover.py [--latency 0.3] [--concurrency 4] [--per-host-rps R]

Scenarios, each in a fresh temporary data dir unless said otherwise:
  (a) no model: the agents' deterministic strategies;
  (b) the fake model (settings llm_provider=fake) with a set latency and concurrency bound,
      to show whether the pipeline keeps the model busy;
  (c) a re-run of (b) in the same data dir over the unchanged sources: must make 0 model calls.
Per-phase times come from the RunEvent timestamps (reservoir.memory.runs.events_after).

With --base-url (an OpenAI-compatible server on loopback, e.g. llama.cpp serving SmolLM2),
scenario (d) runs discovery over --real-docs Hacker News items of the demo web with that real
model: model calls and tokens per new document, the model-busy ratio (time inside model calls
/ run wall time), documents/s and the share of the model's claims that verification dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from _common import hermetic_env, mib, peak_rss, print_kv, print_table, rate  # noqa: E402

from reservoir.demo import DemoServer, DemoSite, demo_profiles, demo_sources  # noqa: E402
from reservoir.demo.server import Response  # noqa: E402

# The supervisor's routing phase -> the node that runs until the supervisor's next step.
PHASE_NODE = {"scouting": "scout", "analysing": "analyst", "scoring": "roi", "writing": "writer"}
NODES = ("setup", "scout", "analyst", "roi", "writer", "finish")


class CountingSite(DemoSite):
    """The demo web, counting requests and 304 answers (read between scenarios)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def respond(self, method: str, target: str, headers: Mapping[str, str],
                base_url: str) -> Response:
        resp = super().respond(method, target, headers, base_url)
        with self._count_lock:
            self.counts["requests"] += 1
            self.counts[f"status_{resp.status}"] += 1
            if target.startswith("/robots.txt"):
                self.counts["robots"] += 1
        return resp

    def take(self) -> Counter[str]:
        with self._count_lock:
            counts, self.counts = self.counts, Counter()
        return counts


@dataclass
class Scenario:
    """One discovery run and what its events, Run row and the demo web say about it."""

    name: str
    status: str = ""
    wall: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    counters: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    tokens: tuple[int, int] = (0, 0)
    http: Counter[str] = field(default_factory=Counter)
    chunks: int = 0  # passages embedded by the scout
    rss: int = 0

    @property
    def new_docs(self) -> int:
        return int(self.counters.get("documents_new", 0))

    @property
    def calls(self) -> int:
        return int(self.usage.get("calls", 0))

    def role_calls(self, role: str) -> int:
        return int(self.usage.get("by_role", {}).get(role, 0))


def make_settings(data_dir: Path, provider: str, args: argparse.Namespace) -> Any:
    """Embedded storage in `data_dir`, loopback fetching, the model as the scenario wants."""
    from reservoir.config import Settings, load_settings

    defaults = Settings.model_fields
    return load_settings(
        _env_file=None, data_dir=data_dir, database_url=None, qdrant_url=None, redis_url=None,
        fetch_allow=["127.0.0.0/8"], llm_provider=provider, llm_cache=True,
        llm_fake_latency=args.latency if provider == "fake" else 0.0,
        llm_max_concurrency=args.concurrency,
        fetch_per_host_rps=args.per_host_rps or defaults["fetch_per_host_rps"].default,
        fetch_per_host_concurrency=(args.per_host_concurrency
                                    or defaults["fetch_per_host_concurrency"].default))


def register(settings: Any, base_url: str) -> tuple[list[str], list[str]]:
    """The demo's sources and profiles, as `reservoir demo` registers them."""
    from reservoir.memory.db import session_scope
    from reservoir.memory.profiles import upsert_profile
    from reservoir.memory.sources import add_source

    with session_scope(settings) as db:
        sources = [add_source(db, s["name"], s["kind"], s["url"], s.get("config"),
                              replace=True).name for s in demo_sources(base_url)]
        profiles = [upsert_profile(db, p).name for p in demo_profiles()]
    return sources, profiles


def phase_times(events: list[Any]) -> dict[str, float]:
    """Seconds per node: each supervisor step opens the phase it routes to."""
    times = dict.fromkeys(NODES, 0.0)
    start = next((e.ts for e in events if e.node == "runner" and e.type == "started"), events[0].ts)
    current = "setup"
    for event in events:
        if event.node == "supervisor" and event.type == "step":
            times[current] += _seconds(start, event.ts)
            start = event.ts
            current = PHASE_NODE.get(event.payload.get("phase"), "finish")
    times[current] += _seconds(start, events[-1].ts)
    return times


def _seconds(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds())


async def run_scenario(name: str, settings: Any, sources: list[str], profiles: list[str],
                       site: CountingSite) -> Scenario:
    """Create and execute one discovery run; read back its events and Run row."""
    from reservoir.graphs.runner import create_discovery_run, execute_run
    from reservoir.memory.db import session_scope
    from reservoir.memory.models import Run
    from reservoir.memory.runs import events_after

    site.take()
    chunks_before = count_chunks(settings)
    started = time.perf_counter()
    run_id = create_discovery_run(settings, sources=sources, profiles=profiles,
                                  require_approval=False, trigger="cli")
    status = await execute_run(settings, run_id)
    wall = time.perf_counter() - started
    with session_scope(settings) as db:
        events = events_after(db, run_id, 0, limit=100_000)
        run = db.get(Run, run_id)
        counters = dict(run.counters or {})
        tokens = (run.tokens_in, run.tokens_out)
    final = next((e for e in reversed(events) if e.node == "runner"), None)
    usage = dict(final.payload.get("usage", {})) if final is not None else {}
    counters = {k: v for k, v in counters.items() if k not in ("sources", "reports")}
    return Scenario(name, status, wall, phase_times(events), counters, usage, tokens, site.take(),
                    count_chunks(settings) - chunks_before, peak_rss())


def count_chunks(settings: Any) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from reservoir.memory.db import session_scope
    from reservoir.memory.models import DocumentChunk

    with session_scope(settings) as db:
        return int(db.exec(select(func.count()).select_from(DocumentChunk)).one())


def warm_up(settings: Any) -> float:
    """Imports, the embedding model and the extraction pool, once per process (as a server or
    worker has them)."""
    import qdrant_client  # noqa: F401

    import reservoir.graphs.discovery  # noqa: F401
    import reservoir.tools.extract  # noqa: F401
    from reservoir.memory.embeddings import load_sentence_transformer
    from reservoir.tools.extract_pool import start_pool

    started = time.perf_counter()
    if settings.embedding_provider == "local":
        load_sentence_transformer(settings.embedding_model).encode(["warm up"])
    start_pool(settings)  # the page-extraction processes, as a long-lived process has them
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.3, help="fake model latency, s (0.3)")
    parser.add_argument("--concurrency", type=int, default=4, help="llm_max_concurrency (4)")
    parser.add_argument("--per-host-rps", type=float, default=None,
                        help="fetch_per_host_rps (default: the product default; the whole demo "
                             "web is one host)")
    parser.add_argument("--per-host-concurrency", type=int, default=None,
                        help="fetch_per_host_concurrency (default: the product default)")
    parser.add_argument("--base-url", default=None,
                        help="a real OpenAI-compatible server on loopback: adds scenario (d)")
    parser.add_argument("--model", default="smollm2", help="model name at --base-url")
    parser.add_argument("--real-docs", type=int, default=6, help="documents for (d) (6)")
    parser.add_argument("--structured-output", default="json_object_schema",
                        help="RESERVOIR_LLM_STRUCTURED_OUTPUT for (d)")
    args = parser.parse_args()
    if args.base_url:
        real_model_bench(args)
        return
    removed = hermetic_env("RESERVOIR_")
    total_started = time.perf_counter()
    load_before = os.getloadavg()[0]
    site = CountingSite()
    with tempfile.TemporaryDirectory(prefix="reservoir-bench-discover-") as tmp, \
            DemoServer(site=site) as server:
        root = Path(tmp)
        first = make_settings(root / "a", "none", args)
        embed_load = warm_up(first)
        results: list[Scenario] = []
        for name, folder, provider in (("(a) no model", "a", "none"),
                                       (f"(b) fake model {args.latency:g}s x{args.concurrency}",
                                        "b", "fake"),
                                       ("(c) re-run of (b), same data dir", "b", "fake")):
            settings = make_settings(root / folder, provider, args)
            sources, profiles = register(settings, server.base_url)
            results.append(asyncio.run(run_scenario(name, settings, sources, profiles, site)))
        from reservoir.memory.db import dispose_engines

        dispose_engines()
    report(results, args, first, embed_load, removed, load_before, total_started, len(sources))


def real_model_bench(args: argparse.Namespace) -> None:
    """(d): discovery with a real model server, over a few documents of the demo web."""
    from reservoir.config import load_settings
    from reservoir.memory.db import dispose_engines, session_scope
    from reservoir.memory.sources import add_source

    host = urlsplit(args.base_url).hostname or ""
    if not host.startswith("127.") and host != "localhost":
        raise SystemExit("--base-url must be on loopback: benches send no traffic elsewhere")
    hermetic_env("RESERVOIR_")
    site = CountingSite()
    with tempfile.TemporaryDirectory(prefix="reservoir-bench-model-") as tmp, \
            DemoServer(site=site) as server:
        settings = load_settings(
            _env_file=None, data_dir=Path(tmp), database_url=None, qdrant_url=None,
            redis_url=None, fetch_allow=["127.0.0.0/8"], llm_provider="openai",
            llm_base_url=args.base_url, llm_model=args.model, llm_cache=False,
            llm_max_concurrency=args.concurrency, llm_timeout=600,
            llm_structured_output=args.structured_output)
        embed_load = warm_up(settings)
        _, profiles = register(settings, server.base_url)
        with session_scope(settings) as db:
            add_source(db, "bench-hn", "hackernews", f"{server.base_url}/hn/v0",
                       {"list": "topstories", "limit": args.real_docs}, replace=True)
        d = asyncio.run(run_scenario(f"(d) {args.model} at {args.base_url}", settings,
                                     ["bench-hn"], profiles[:1], site))
        dispose_engines()
    checked = d.counters.get("claims_checked", 0)
    dropped = d.counters.get("claims_dropped", 0)
    busy = float(d.usage.get("busy_s", 0.0))
    print(f"\nbench/discover.py (d): {d.new_docs} new documents, model {args.model}, "
          f"concurrency {args.concurrency}, structured output {args.structured_output}; "
          f"embedding model load {embed_load:.1f} s")
    print_kv("Figures", [
        ("status", d.status),
        ("wall time", f"{d.wall:.1f} s"),
        ("documents/s", f"{rate(d.new_docs, d.wall):.3f}"),
        ("model calls by role", str(d.usage.get("by_role", {}))),
        ("model calls per new document", f"{rate(d.calls, d.new_docs):.2f}"),
        ("tokens in/out per new document",
         f"{rate(d.tokens[0], d.new_docs):.0f} / {rate(d.tokens[1], d.new_docs):.0f}"),
        ("model-busy ratio (summed time in model calls / wall; > 1 = calls overlapping)",
         f"{busy / d.wall:.2f}" if d.wall else "-"),
        ("analyst fallbacks to the extractive strategy", str(d.counters.get("engine_fallbacks", 0))),
        ("claims checked / dropped by verification",
         f"{checked} / {dropped} ({rate(dropped, checked):.0%} dropped)"),
        ("opportunities stored", str(d.counters.get("opportunities_created", 0))),
        ("peak RSS of the bench process", mib(d.rss)),
    ])


def report(results: list[Scenario], args: argparse.Namespace, settings: Any, embed_load: float,
           removed: list[str], load_before: float, total_started: float, n_sources: int) -> None:
    """Print the tables and the figures."""
    a, b, c = results
    print(f"\nbench/discover.py: demo corpus on loopback, {n_sources} sources, 2 profiles; "
          f"per-host politeness {settings.fetch_per_host_rps:g} req/s x "
          f"{settings.fetch_per_host_concurrency} (the demo web is one host); "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    if removed:
        print(f"ignored from the environment: {', '.join(removed)}")
    print_table("Runs (documents/s = new documents / run wall time)",
                ["scenario", "status", "wall s", "new docs", "docs/s", "unchanged", "analysed",
                 "opps new", "requests", "304s", "llm calls", "cached", "tokens in/out"],
                [[s.name, s.status, round(s.wall, 2), s.new_docs, round(rate(s.new_docs, s.wall), 2),
                  s.counters.get("documents_unchanged", 0), s.counters.get("documents_analysed", 0),
                  s.counters.get("opportunities_created", 0), s.http["requests"],
                  s.http["status_304"], s.calls, s.usage.get("cached", 0),
                  f"{s.tokens[0]}/{s.tokens[1]}"] for s in results])
    print_table("Phases (seconds, from RunEvent timestamps)", ["scenario", *NODES, "sum"],
                [[s.name, *(round(s.phases[n], 2) for n in NODES), round(sum(s.phases.values()), 2)]
                 for s in results])
    analyst_wall = b.phases["analyst"]
    analyst_calls = b.role_calls("analyst")
    busy = analyst_calls * args.latency / (args.concurrency * analyst_wall) if analyst_wall else 0.0
    achieved = analyst_calls * args.latency / analyst_wall if analyst_wall else 0.0
    floor = analyst_calls * args.latency / args.concurrency
    # Without a model the analyst phase is only its own work (extraction and the serial,
    # document-ordered merges): the model cannot be kept busier than that leaves room for.
    model_free = a.phases["analyst"]
    bound = "the model" if floor > model_free else "merge work, not the model"
    print_kv("Figures", [
        ("(b) model calls by role", str(b.usage.get("by_role", {}))),
        ("(b) LLM calls per new document",
         f"{rate(b.calls, b.new_docs):.2f} (analyst only: {rate(analyst_calls, b.new_docs):.2f})"),
        ("(b) model-busy ratio in the analyst phase",
         f"{busy:.2f}  = {analyst_calls} calls x {args.latency:g}s / ({args.concurrency} x "
         f"{analyst_wall:.2f}s)"),
        ("(b) achieved model concurrency", f"{achieved:.2f} of {args.concurrency}"),
        ("(b) model time at full concurrency", f"{floor:.2f}s (analyst phase took {analyst_wall:.2f}s)"),
        ("(b) model time vs model-free work ((a)'s analyst phase)",
         f"{floor:.2f}s vs {model_free:.2f}s: the analyst phase is bound by {bound}"),
        ("(a) requests to the one demo host; robots.txt among them",
         f"{a.http['requests']} in {a.phases['scout']:.1f}s of scout phase "
         f"({rate(a.http['requests'], a.phases['scout']):.1f}/s); robots.txt {a.http['robots']}x"),
        ("(a) passages embedded by the scout", f"{a.chunks} ({rate(a.chunks, a.phases['scout']):.1f}/s "
         "of scout phase)"),
        ("(c) model calls on the re-run",
         f"{c.calls} ({'PASS' if c.calls == 0 else 'FAIL'}: must be 0; cache hits "
         f"{c.usage.get('cached', 0)}, Run tokens {c.tokens[0]}/{c.tokens[1]})"),
        ("(c) conditional requests answered 304", f"{c.http['status_304']} of {c.http['requests']}"),
        ("imports, embedding model, extraction pool (once, before the runs)", f"{embed_load:.1f} s"),
        ("peak RSS of the bench process", mib(max(s.rss for s in results))),
        ("total bench time", f"{time.perf_counter() - total_started:.1f} s"),
    ])


if __name__ == "__main__":
    main()
