"""HTTP latency and throughput of the API on the embedded stack (SQLite + local Qdrant).

    .venv/bin/python bench/api.py [--n 10000] [--concurrency 50] [--requests 3000]

Stores ``n`` opportunities (bulk SQL insert; random normalised vectors written through the
VectorStore), starts ``reservoir.api`` under uvicorn in a child process on loopback, then drives
``GET /api/v1/opportunities`` and ``GET /api/v1/opportunities/search?q=`` with ``concurrency``
httpx clients. Prints p50/p95/p99 latency and requests/s per endpoint; goal p95 <= 100 ms.
Search queries are drawn from a fixed set that is sent once before timing, so the figures
measure the API and the hybrid search, not the first load of the embedding model.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from _common import cpu_count, hermetic_env, percentile, print_kv, print_table  # noqa: E402
from search import make_query, make_text  # noqa: E402  (the search bench's vocabulary)

from reservoir.api.app import WORKER_THREADS  # noqa: E402

GOAL_P95_MS = 100.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def store_opportunities(settings: Any, n: int, rng: random.Random) -> tuple[float, float]:
    """Bulk SQL insert (the FTS triggers index each row) and random unit vectors in Qdrant."""
    import numpy as np
    from sqlalchemy import insert

    from reservoir.memory.db import session_scope
    from reservoir.memory.embeddings import KNOWN_DIMS
    from reservoir.memory.models import Opportunity
    from reservoir.memory.vectors import OPPORTUNITIES, VectorStore

    base = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(1, n + 1):
        title, summary, kind, industries, tools = make_text(rng)
        seen = base + timedelta(minutes=i)
        rows.append({
            "id": i, "key": f"k{i}", "title": title, "summary": summary,
            "automation_type": kind, "industries": industries, "tools": tools, "steps": ["a", "b"],
            "prerequisites": [], "complexity": rng.randint(1, 10), "mentions": rng.randint(1, 9),
            "first_seen": seen, "last_seen": seen, "status": "new", "total_score": rng.randint(20, 90),
            "created_at": seen, "updated_at": seen})
    start = time.perf_counter()
    with session_scope(settings) as session:
        for lo in range(0, n, 5000):
            session.execute(insert(Opportunity.__table__), rows[lo:lo + 5000])
    sql_s = time.perf_counter() - start

    dim = KNOWN_DIMS[settings.embedding_model]
    noise = np.random.default_rng(7)
    store = VectorStore(settings)
    start = time.perf_counter()
    for lo in range(0, n, 2000):
        chunk = rows[lo:lo + 2000]
        vectors = noise.normal(size=(len(chunk), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        payloads = [{"automation_type": r["automation_type"], "industries": r["industries"],
                     "status": r["status"], "first_seen_ts": r["first_seen"].timestamp(),
                     "last_seen_ts": r["last_seen"].timestamp()} for r in chunk]
        store.upsert_vectors(OPPORTUNITIES, [r["id"] for r in chunk], vectors, payloads)
    vec_s = time.perf_counter() - start
    store.close()  # the server process opens the local Qdrant directory next
    return sql_s, vec_s


def serve(data_dir: str, port: int, threads: int) -> None:
    """The child process: the app under uvicorn, one worker, no access log."""
    import uvicorn

    from reservoir.api.app import create_app
    from reservoir.config import load_settings

    app = create_app(load_settings(data_dir=data_dir), worker_threads=threads,
                     db_sessions=min(10, threads))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                timeout_keep_alive=30, timeout_graceful_shutdown=5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): a figure other load does not inflate."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(base_url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


async def drive(base_url: str, key: str, paths: list[str], concurrency: int, total: int,
                timeout: float = 60) -> dict[str, Any]:
    """``total`` requests over ``concurrency`` connections; latency of each, wall-clock rate."""
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        async def worker() -> None:
            for i in counter:
                start = time.perf_counter()
                try:
                    response = await client.get(paths[i % len(paths)])
                    await response.aread()
                except httpx.TransportError as exc:  # counted, not fatal: the figures say how many
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return {"latencies": latencies, "errors": errors, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="opportunities stored")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint")
    parser.add_argument("--queries", type=int, default=40, help="distinct search queries")
    parser.add_argument("--threads", type=int, default=WORKER_THREADS, help="server worker threads")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.threads)
        return

    removed = hermetic_env("RESERVOIR_")
    from reservoir.api.auth import create_api_key
    from reservoir.config import load_settings
    from reservoir.memory.db import dispose_engines, session_scope

    rng = random.Random(11)
    root = Path(tempfile.mkdtemp(prefix="reservoir-bench-api-"))
    settings = load_settings(data_dir=root / "data")
    sql_s, vec_s = store_opportunities(settings, args.n, rng)
    with session_scope(settings) as session:
        key = create_api_key(session, "bench")[1]
    dispose_engines()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, __file__, "--serve", str(settings.data_dir), "--port", str(port),
               "--threads", str(args.threads)]
    proc = subprocess.Popen(command, env=env)
    try:
        start = time.perf_counter()
        wait_ready(base_url, proc)
        queries = [make_query(rng) for _ in range(args.queries)]
        search_paths = [f"/api/v1/opportunities/search?{urlencode({'q': q})}" for q in queries]
        list_paths = ["/api/v1/opportunities", "/api/v1/opportunities?limit=50&offset=50",
                      "/api/v1/opportunities?type=scheduling", "/api/v1/opportunities?status=new&limit=20"]
        # The first search loads the embedding model in the server: wait for it alone.
        asyncio.run(drive(base_url, key, search_paths[:1], 1, 1, timeout=600))
        warm = asyncio.run(drive(base_url, key, search_paths + list_paths, 4, len(search_paths) * 2 + 8))
        warm_s = time.perf_counter() - start
        if warm["errors"]:
            raise SystemExit(f"warm-up failed: {warm['errors']}")
        print_kv("Setup", [
            ("opportunities", f"{args.n:,}"), ("SQL insert", f"{sql_s:.1f} s"),
            ("vectors written", f"{vec_s:.1f} s"), ("server start + warm-up", f"{warm_s:.1f} s"),
            ("cores", cpu_count()), ("ignored env", ", ".join(removed) or "-"),
        ])
        rows = []
        for name, paths in [("GET /api/v1/opportunities", list_paths),
                            ("GET /api/v1/opportunities/search?q=", search_paths)]:
            cpu_before = cpu_seconds(proc.pid)
            result = asyncio.run(drive(base_url, key, paths, args.concurrency, args.requests))
            cpu_ms = (cpu_seconds(proc.pid) - cpu_before) * 1000 / max(1, len(result["latencies"]))
            lat = result["latencies"]
            p95 = percentile(lat, 95) * 1000
            p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
            rows.append([name, len(lat), args.concurrency, round(p50, 1), round(p95, 1), round(p99, 1),
                         round(len(lat) / result["wall"], 1), round(cpu_ms, 2),
                         ", ".join(f"{k}: {v}" for k, v in result["errors"].items()) or 0,
                         "yes" if p95 <= GOAL_P95_MS else "NO"])
        print_table(f"API latency at {args.concurrency} concurrent clients ({args.n:,} opportunities, "
                    f"uvicorn 1 worker, {args.threads} threads, {cpu_count()} cores)",
                    ["endpoint", "requests", "clients", "p50 ms", "p95 ms", "p99 ms", "req/s",
                     "server CPU ms/req", "errors",
                     f"p95<={GOAL_P95_MS:.0f}ms"], rows)
        print(f"\nMachine load average while measuring: {os.getloadavg()[0]:.1f} on {cpu_count()} cores "
              "(other processes inflate latency, and CPU ms/req less so).")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
