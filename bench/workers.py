"""Queue throughput: discovery runs/minute and documents/s with 1, 2 and 4 `reservoir worker`
processes on one PostgreSQL database and one Redis, the fake model at a set latency per call.

    .venv/bin/python bench/workers.py [--runs 8] [--docs 8] [--latency 0.2] [--workers 1,2,4]
                                      [--embedder fake|local]

Each run discovers its own folder of case studies (distinct documents). Workers start first and
register; the clock runs from enqueueing the runs to the last one finishing, so start-up is not
counted. The figure is the speed-up over one worker (ideal: the worker count, while the model's
latency dominates). `--embedder fake` embeds through a loopback OpenAI-compatible server (no
CPU); `local` uses the bundled model in every worker (CPU-bound on a small machine).

A throw-away PostgreSQL database (127.0.0.1:5432, user postgres) and a private redis-server are
created and removed. SQLite would serialise the workers' writes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from _common import print_kv, print_table, rate  # noqa: E402

PG_ADMIN = os.environ.get("RESERVOIR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CASES = [
    ("dental clinic", "appointment reminders", "Twilio", "Google Calendar"),
    ("law firm", "client intake forms", "Typeform", "Clio"),
    ("bakery", "supplier invoice processing", "Dext", "Xero"),
    ("real estate agency", "lead follow-up emails", "HubSpot", "Gmail"),
    ("accounting practice", "monthly client reports", "QuickBooks", "Looker Studio"),
    ("gym", "membership win-back emails", "Mailchimp", "Stripe"),
    ("plumbing company", "job scheduling and dispatch", "Jobber", "Twilio"),
    ("marketing agency", "social media posting", "Buffer", "Canva"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_corpus(folder: Path, run: int, docs: int) -> None:
    folder.mkdir(parents=True)
    for i in range(docs):
        business, task, tool_a, tool_b = CASES[i % len(CASES)]
        (folder / f"r{run:02d}-{i:02d}.md").write_text(
            f"# Field note {run}-{i}: a {business} automated {task}\n\n"
            f"Our {business} automated {task} with {tool_a} and {tool_b} (site {run}-{i}). "
            f"Every new request now triggers the workflow automatically. It saves about "
            f"{2 + (run + i) % 9} hours a week and {tool_a} costs ${15 + 5 * ((run * 7 + i) % 11)} "
            f"per month. Setup took {3 + i % 6} hours.\n", encoding="utf-8")


class Redis:
    """A private redis-server for the bench, gone at the end."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Database:
    """A throw-away PostgreSQL database, dropped at the end."""

    def __init__(self) -> None:
        import psycopg

        self.admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
        self.name = f"reservoir_bench_{uuid.uuid4().hex[:10]}"
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"

    def close(self) -> None:
        from reservoir.memory.db import dispose_engines

        dispose_engines()
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.close()


def registered_workers(redis_url: str) -> int:
    import redis
    from rq import Worker

    return len(Worker.all(connection=redis.Redis.from_url(redis_url)))


def measure(workers: int, args: argparse.Namespace, embed_env: dict[str, str]) -> dict[str, Any]:
    from sqlmodel import select

    from reservoir.config import load_settings
    from reservoir.graphs import runner
    from reservoir.launcher import RqLauncher
    from reservoir.memory.db import session_scope
    from reservoir.memory.models import Document, Run, RunEvent
    from reservoir.memory.profiles import upsert_profile
    from reservoir.memory.sources import add_source

    with ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="reservoir-bench-"))
        stack.callback(shutil.rmtree, tmp, True)
        db = Database()
        stack.callback(db.close)
        redis_server = Redis(tmp)
        stack.callback(redis_server.close)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVOIR_")}
        env.update(RESERVOIR_DATABASE_URL=db.url, RESERVOIR_REDIS_URL=redis_server.url,
                   RESERVOIR_LLM_PROVIDER="fake", RESERVOIR_LLM_FAKE_LATENCY=str(args.latency),
                   RESERVOIR_LLM_MAX_CONCURRENCY="4", RESERVOIR_FETCH_ALLOW="127.0.0.0/8",
                   HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **embed_env)
        settings = load_settings(data_dir=tmp / "control", database_url=db.url,
                                 redis_url=redis_server.url, llm_provider="fake")
        with session_scope(settings) as session:
            upsert_profile(session, {"name": "Bench Clinic", "industry": "healthcare",
                                     "team_size": 5, "hourly_rate": 50.0})
            for run in range(args.runs):
                write_corpus(tmp / "corpus" / f"r{run}", run, args.docs)
                add_source(session, f"notes-{run}", "folder", str(tmp / "corpus" / f"r{run}"))

        procs: list[subprocess.Popen[bytes]] = []
        logs = []
        for w in range(workers):
            # Own data dir per worker: embedded Qdrant serves one process (a server in compose).
            log = (tmp / f"worker-{w}.log").open("wb")
            logs.append(log)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "reservoir.cli.worker", "worker", "--name", f"w{w}",
                 "--log-level", "warning"],
                env={**env, "RESERVOIR_DATA_DIR": str(tmp / f"worker-{w}")},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

        def stop_workers() -> None:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            for log in logs:
                log.close()

        stack.callback(stop_workers)
        deadline = time.monotonic() + 300
        while registered_workers(redis_server.url) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit("workers did not start: see " + str(tmp))
            time.sleep(0.2)

        launcher = RqLauncher(settings)
        run_ids = [runner.create_discovery_run(settings, sources=[f"notes-{r}"], trigger="test")
                   for r in range(args.runs)]
        started = time.monotonic()
        for run_id in run_ids:
            launcher.launch(run_id)
        final = ("succeeded", "failed", "cancelled", "interrupted")
        while True:
            with session_scope(settings) as session:
                statuses = [session.get(Run, r).status for r in run_ids]
            if all(s in final for s in statuses) or time.monotonic() - started > args.timeout:
                break
            time.sleep(0.2)
        wall = time.monotonic() - started
        with session_scope(settings) as session:
            analysed = len(session.exec(select(Document).where(
                Document.analysed_at.is_not(None))).all())  # type: ignore[union-attr]
            analyses = len(session.exec(select(RunEvent).where(
                RunEvent.type == "document_analysed")).all())
            errors = [(session.get(Run, r).error or "").splitlines()[0][:120] for r in run_ids
                      if session.get(Run, r).status != "succeeded"]
            retries = len(session.exec(select(RunEvent).where(
                RunEvent.type == "retry_scheduled")).all())
        return {"workers": workers, "wall": wall, "runs": statuses.count("succeeded"),
                "failed": len(errors), "errors": errors, "documents": analysed,
                "analyses": analyses, "retries": retries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--docs", type=int, default=8, help="documents per run")
    parser.add_argument("--latency", type=float, default=0.2, help="fake model seconds per call")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--embedder", choices=["fake", "local"], default="fake")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    with ExitStack() as stack:
        embed_env: dict[str, str] = {}
        if args.embedder == "fake":
            from tests.worker.helpers import FakeEmbeddings

            embed_env = stack.enter_context(FakeEmbeddings()).env()
        results = [measure(n, args, embed_env) for n in counts]

    base = rate(results[0]["runs"], results[0]["wall"])
    rows = []
    for r in results:
        runs_per_min = rate(r["runs"], r["wall"]) * 60
        rows.append([r["workers"], r["wall"], runs_per_min, rate(r["documents"], r["wall"]),
                     rate(r["runs"], r["wall"]) / base if base else None, r["failed"], r["retries"],
                     r["analyses"] / r["documents"] if r["documents"] else None])
    print_kv("Setup", [("runs", args.runs), ("documents per run", args.docs),
                       ("model latency s/call", args.latency), ("embedder", args.embedder),
                       ("cores", os.cpu_count())])
    print_table("Workers: throughput (clock from enqueue to the last run's end)",
                ["workers", "wall s", "runs/min", "docs/s", "speed-up", "failed", "retries",
                 "analyses/doc"], rows)
    for r in results:
        for error in r["errors"]:
            print(f"  {r['workers']} worker(s): run failed: {error}")


if __name__ == "__main__":
    main()
