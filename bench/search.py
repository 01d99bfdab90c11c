"""Embedding throughput and hybrid-search latency of the embedded stack (SQLite + local Qdrant).

    .venv/bin/python bench/search.py [--sizes 10000,100000] [--quick] [--sample 2048]

1. The model alone (`encode`) beside the pipeline (SQL rows -> VectorStore.upsert_opportunities,
   which embeds and writes to Qdrant) on the same texts: goal pipeline/raw >= 0.8.
2. At each size: `search_opportunities` (hybrid) beside Qdrant local mode's own dense-only
   query on the same collection, with and without a filter; goal hybrid p95 <= 1.5x dense p95.
   Embedding 100k texts on 2 cores would take hours, so the sample's real embeddings are
   reused: row i is a variant of sample text i % sample, its vector the sample's vector plus
   small noise, renormalised. Query vectors are embedded once and passed to both sides.
3. Peak memory: ru_maxrss of the process, and the Python heap peak (tracemalloc) of a search.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from _common import cpu_count, heap_peak_of, mib, peak_rss, percentile  # noqa: E402

TYPES = ["lead_generation", "client_communication", "document_automation", "scheduling",
         "follow_up", "reporting", "marketing", "workflow_optimization"]
TASKS = {
    "lead_generation": ["lead scoring", "prospect enrichment", "website visitor identification",
                        "inbound lead qualification", "cold outreach sequencing"],
    "client_communication": ["email triage", "order status updates", "support chatbot",
                             "client portal messaging", "call summarisation"],
    "document_automation": ["invoice data extraction", "contract clause review",
                            "proposal generation", "claim form processing", "KYC document checks"],
    "scheduling": ["appointment reminders", "technician dispatch", "class booking",
                   "interview scheduling", "shift rostering"],
    "follow_up": ["overdue invoice chasing", "review requests", "abandoned quote follow-up",
                  "lapsed customer reactivation", "post-visit surveys"],
    "reporting": ["KPI dashboards", "month-end close packs", "sales pipeline reports",
                  "food cost reports", "project progress reports"],
    "marketing": ["social media calendars", "personalised newsletters", "review responses",
                  "ad copy variants", "SEO landing pages"],
    "workflow_optimization": ["employee onboarding", "inventory reorder alerts",
                              "expense approvals", "purchase order routing", "IT ticket triage"],
}
INDUSTRIES = ["dental clinics", "law firms", "accounting firms", "real estate agencies",
              "restaurants", "hotels", "e-commerce shops", "HVAC contractors", "roofing companies",
              "fitness studios", "recruitment agencies", "insurance brokers", "physiotherapists",
              "auto repair shops", "marketing agencies", "construction firms", "veterinary clinics",
              "schools", "nonprofits", "logistics companies", "bakeries", "salons",
              "pharmacies", "architects", "consultancies", "florists", "plumbers", "printers",
              "car dealerships", "coworking spaces"]
TOOLS = ["HubSpot", "Salesforce", "Pipedrive", "Zapier", "Make", "n8n", "Twilio", "Slack",
         "Xero", "QuickBooks", "Stripe", "Shopify", "Mailchimp", "Klaviyo", "Calendly",
         "Google Sheets", "Airtable", "Notion", "Zendesk", "Intercom", "DocuSign", "Jobber",
         "ServiceTitan", "Toast", "Mindbody", "Greenhouse", "BambooHR", "Expensify"]
CHANNELS = ["email", "SMS", "WhatsApp", "Slack", "a web form", "the phone", "a chatbot"]
BENEFITS = ["saves about {n} hours a week", "cuts response time by {n}%",
            "recovers {n}% of lost revenue", "reduces errors by {n}%",
            "frees the front desk for {n} hours a day", "lifts conversion by {n}%"]
CITIES = ["in Leeds", "in Austin", "in Lyon", "in Porto", "in Denver", "in Perth", "in Cork",
          "in Utrecht", "in Oslo", "in Tampa", "for franchises", "for solo owners", ""]
QUERY_FORMS = ["how can {ind} automate {task}", "{task} for {ind}",
               "stop wasting time on {task} in {ind}", "tools for {task} with {tool}",
               "{ind} struggling with {task} over {ch}", "cheap way to handle {task}"]


def make_text(rng: random.Random) -> tuple[str, str, str, list[str], list[str]]:
    kind = rng.choice(TYPES)
    task, industry = rng.choice(TASKS[kind]), rng.choice(INDUSTRIES)
    tools = rng.sample(TOOLS, 2)
    title = f"{task[0].upper()}{task[1:]} for {industry}"
    summary = (f"Automate {task} for {industry} over {rng.choice(CHANNELS)} using {tools[0]} "
               f"and {tools[1]}; it {rng.choice(BENEFITS).format(n=rng.randint(2, 60))}.")
    return title, summary, kind, [industry.split()[0].title()], tools


def make_query(rng: random.Random) -> str:
    kind = rng.choice(TYPES)
    return rng.choice(QUERY_FORMS).format(ind=rng.choice(INDUSTRIES), tool=rng.choice(TOOLS),
                                          task=rng.choice(TASKS[kind]), ch=rng.choice(CHANNELS))


def insert_rows(settings: Any, n: int, sample: list[tuple], rng: random.Random) -> list[dict]:
    """Bulk-insert n opportunity rows (ids 1..n): row i is a variant of sample text i % len."""
    from sqlalchemy import insert

    from reservoir.memory.db import session_scope
    from reservoir.memory.models import Opportunity

    base = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(1, n + 1):
        title, summary, kind, industries, tools = sample[(i - 1) % len(sample)]
        seen = base + timedelta(minutes=rng.randint(0, 600_000))
        rows.append({"id": i, "key": f"k{i}", "title": f"{title} {rng.choice(CITIES)}".strip(),
                     "summary": summary, "automation_type": kind, "industries": industries,
                     "tools": tools, "steps": [], "prerequisites": [], "complexity": 5,
                     "mentions": 1, "first_seen": base, "last_seen": seen, "status": "new",
                     "created_at": base, "updated_at": base})
    with session_scope(settings) as session:
        for start in range(0, n, 5000):
            session.execute(insert(Opportunity.__table__), rows[start : start + 5000])
    return rows


def stats(samples: list[float]) -> tuple[float, float]:
    return percentile(samples, 50) * 1000, percentile(samples, 95) * 1000


def timed(fn: Any, items: list[Any]) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - start)
    return out


def timed_pair(first: Any, second: Any, items: list[Any]) -> tuple[list[float], list[float]]:
    """Both functions on each item, alternating which goes first."""
    a: list[float] = []
    b: list[float] = []
    for n, item in enumerate(items):
        order = [(first, a), (second, b)] if n % 2 == 0 else [(second, b), (first, a)]
        for fn, out in order:
            start = time.perf_counter()
            fn(item)
            out.append(time.perf_counter() - start)
    return a, b


def bench_embedding(args: argparse.Namespace, root: Path, rng: random.Random) -> tuple:
    import numpy as np

    from reservoir.config import load_settings
    from reservoir.memory.embeddings import get_embedder
    from reservoir.memory.indexing import opportunity_payload
    from reservoir.memory.vectors import VectorStore

    settings = load_settings(data_dir=root / "embed")
    embedder = get_embedder(settings)
    start = time.perf_counter()
    model = embedder.model  # type: ignore[attr-defined]
    load_s = time.perf_counter() - start
    sample = [make_text(rng) for _ in range(args.sample)]
    rows = insert_rows(settings, len(sample), sample, rng)
    texts = [f"{r['title']}. {r['summary']}" for r in rows]  # = opportunity_text(row)
    tokens = sum(min(256, len(ids)) for ids in model.tokenizer(texts)["input_ids"])
    model.encode(texts[:64], batch_size=settings.embedding_batch_size)  # warm-up

    from sqlmodel import col, select

    from reservoir.memory.db import session_scope
    from reservoir.memory.models import Opportunity

    # Slices of 256 texts, the model alone and the pipeline in turn (alternating which goes
    # first), so load from other processes falls on both sides alike.
    store = VectorStore(settings)
    raw_s = pipe_s = 0.0
    parts = []
    for n_slice, lo in enumerate(range(0, len(texts), 256)):
        ids = [r["id"] for r in rows[lo : lo + 256]]

        def raw_step(lo: int = lo) -> None:
            parts.append(model.encode(texts[lo : lo + 256], batch_size=settings.embedding_batch_size,
                                      normalize_embeddings=True, show_progress_bar=False))

        def pipe_step(ids: list[int] = ids) -> None:
            with session_scope(settings) as session:
                opps = session.exec(select(Opportunity).where(col(Opportunity.id).in_(ids))
                                    .order_by(Opportunity.id)).all()
                items = [(o.id, f"{o.title}. {o.summary}", opportunity_payload(o)) for o in opps]
            store.upsert_opportunities(items)

        steps = [raw_step, pipe_step] if n_slice % 2 == 0 else [pipe_step, raw_step]
        for step in steps:
            start = time.perf_counter()
            step()
            elapsed = time.perf_counter() - start
            if step is raw_step:
                raw_s += elapsed
            else:
                pipe_s += elapsed
    raw = np.concatenate(parts)
    assert store.count("opportunities") == len(texts)
    store.close()
    n = len(texts)
    print(f"\n== Embedding throughput ({n} texts, {tokens / n:.0f} tokens/text avg, batch "
          f"{settings.embedding_batch_size}, {cpu_count()} cores; model load {load_s:.1f} s)")
    print(f"  model alone (encode)       {n / raw_s:8.1f} texts/s  {tokens / raw_s:9.0f} tokens/s")
    print("  pipeline (SQL rows -> VectorStore.upsert_opportunities: embed + Qdrant write)")
    print(f"                             {n / pipe_s:8.1f} texts/s  {tokens / pipe_s:9.0f} tokens/s")
    print(f"  ratio pipeline / raw       {raw_s / pipe_s:8.2f}   (goal >= 0.80)")
    queries = [make_query(rng) for _ in range(args.queries)]
    start = time.perf_counter()
    for q in queries[:50]:
        embedder._embed_query_uncached(q)  # type: ignore[attr-defined]
    embed_q = (time.perf_counter() - start) / 50
    qvecs = model.encode(queries, batch_size=64, normalize_embeddings=True,
                         show_progress_bar=False)
    print(f"  one query embedding        {embed_q * 1000:8.1f} ms (added to hybrid and dense "
          "alike; excluded below)")
    return sample, raw, queries, qvecs, n / pipe_s


def bench_size(n: int, args: argparse.Namespace, root: Path, sample: list, vectors: Any,
               queries: list[str], qvecs: Any, rng: random.Random, rate: float) -> list[tuple]:
    import numpy as np
    from qdrant_client import models

    from reservoir.config import load_settings
    from reservoir.memory.db import dispose_engines
    from reservoir.memory.search import OpportunityFilters, search_opportunities
    from reservoir.memory.vectors import OPPORTUNITIES, VectorStore

    settings = load_settings(data_dir=root / f"n{n}")
    start = time.perf_counter()
    rows = insert_rows(settings, n, sample, rng)
    sql_s = time.perf_counter() - start

    store = VectorStore(settings)
    noise = np.random.default_rng(n)
    start = time.perf_counter()
    for lo in range(0, n, 2000):
        chunk = rows[lo : lo + 2000]
        base = vectors[[(r["id"] - 1) % len(sample) for r in chunk]]
        vecs = base + noise.normal(0, 0.02, base.shape).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        payloads = [{"automation_type": r["automation_type"], "industries": r["industries"],
                     "status": r["status"], "first_seen_ts": r["first_seen"].timestamp(),
                     "last_seen_ts": r["last_seen"].timestamp()} for r in chunk]
        store.upsert_vectors(OPPORTUNITIES, [r["id"] for r in chunk], vecs, payloads)
    write_s = time.perf_counter() - start
    store.close()
    start = time.perf_counter()
    assert store.count(OPPORTUNITIES) == n  # reopens: local mode loads every point
    open_s = time.perf_counter() - start
    print(f"\n== {n:,} opportunities: SQL insert {sql_s:.1f} s ({n / sql_s:,.0f}/s), Qdrant "
          f"local write {write_s:.1f} s ({n / write_s:,.0f} points/s), reopen {open_s:.1f} s")
    print(f"  vectors: the {len(sample)} really embedded sample vectors, reused with noise "
          f"(embedding {n:,} texts at the rate above would take {n / rate / 60:.0f} min)")

    nq = args.queries if n <= 20_000 else max(20, args.queries // 2)
    pairs = list(zip(queries[:nq], qvecs[:nq], strict=True))
    kinds = [rng.choice(TYPES) for _ in pairs]
    flt = {k: models.Filter(must=[models.FieldCondition(
        key="automation_type", match=models.MatchValue(value=k))]) for k in TYPES}
    nf = max(10, nq // (4 if n <= 20_000 else 10))  # local-mode payload filters are slow

    def hybrid(i: int, filtered: bool = False) -> Any:
        q, v = pairs[i]
        f = OpportunityFilters(automation_type=kinds[i]) if filtered else None
        return search_opportunities(settings, q, f, 10, store=store, query_vector=v)

    for i in range(min(10, nq)):  # warm-up both paths
        hybrid(i)
        store.dense_search(OPPORTUNITIES, pairs[i][1], 10)
    idx = list(range(nq))

    def dense(i: int) -> Any:
        return store.dense_search(OPPORTUNITIES, pairs[i][1], 10)

    # Interleaved per query, so a neighbour's load on the machine hits both sides alike.
    plain = timed_pair(dense, hybrid, idx)
    filtered = timed_pair(lambda i: hybrid(i, True), lambda i: store.dense_search(
        OPPORTUNITIES, pairs[i][1], 10, flt[kinds[i]]), idx[:nf])
    hybrid_filtered = filtered[0] + timed(lambda i: hybrid(i, True), idx[nf:])
    results = [
        ("dense-only (Qdrant local)", "none", stats(plain[0])),
        ("hybrid (search_opportunities)", "none", stats(plain[1])),
        ("dense-only (Qdrant local)", "automation_type", stats(filtered[1])),
        ("hybrid (search_opportunities)", "automation_type", stats(hybrid_filtered)),
    ]
    heap = heap_peak_of(hybrid, 0)
    heap_dense = heap_peak_of(dense, 0)
    print(f"  {'query':32} {'filter':16} {'p50 ms':>8} {'p95 ms':>8}")
    for name, f, (p50, p95) in results:
        print(f"  {name:32} {f:16} {p50:8.1f} {p95:8.1f}")
    dense_p95, hyb_p95 = results[0][2][1], results[1][2][1]
    print(f"  hybrid p95 / dense-only p95 (no filter): {hyb_p95 / dense_p95:.2f} (goal <= 1.5); "
          f"with filter, hybrid p95 / Qdrant filtered p95: "
          f"{results[3][2][1] / results[2][2][1]:.2f}")
    print(f"  queries: {nq} ({nf} for Qdrant's filtered scan); heap peak (tracemalloc, numpy "
          f"included) of one query: hybrid {mib(heap)}, dense-only {mib(heap_dense)}; "
          f"process peak RSS so far {mib(peak_rss())}")
    store.close()
    dispose_engines()
    return [(n, *r) for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--quick", action="store_true", help="10k only, smaller sample")
    parser.add_argument("--sample", type=int, default=2048, help="texts really embedded")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.sample, args.queries = "10000", min(args.sample, 512), 100
    sizes = [int(s) for s in args.sizes.split(",") if s]
    warnings.filterwarnings("ignore", message="Local mode is not recommended")
    rng = random.Random(7)
    import sqlite3
    from importlib.metadata import version

    print(f"reservoir search bench: {cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version}, qdrant-client {version('qdrant-client')}, "
          f"sentence-transformers {version('sentence-transformers')}; load average "
          f"{os.getloadavg()[0]:.1f} (other processes share these cores)")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reservoir-bench-") as tmp:
        root = Path(tmp)
        sample, vectors, queries, qvecs, rate = bench_embedding(args, root, rng)
        print(f"  peak RSS after the model: {mib(peak_rss())}")
        for n in sizes:
            bench_size(n, args, root, sample, vectors, queries, qvecs, rng, rate)
    print(f"\nTotal {time.perf_counter() - started:.0f} s; peak RSS {mib(peak_rss())}; load "
          f"average {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
