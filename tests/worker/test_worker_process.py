"""Real `reservoir worker` processes: events through the database, kill -9 and resume elsewhere."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from sqlmodel import select

from reservoir.config import load_settings
from reservoir.graphs import runner
from reservoir.launcher import RqLauncher
from reservoir.memory.db import dispose_engines, session_scope
from reservoir.memory.models import Run, RunEvent
from tests.worker.conftest import set_env
from tests.worker.helpers import register, snapshot

pytestmark = [pytest.mark.redis, pytest.mark.slow]

# Notice a dead worker within seconds instead of RQ's default minute and a half.
FAST_LIVENESS = ["--heartbeat", "1", "--grace", "3", "--maintenance-interval", "1"]


def cli() -> list[str]:
    """`reservoir worker` once cli/main.py registers it; the module's own app until then."""
    from reservoir.cli import main

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in main.app.registered_commands}
    module = "reservoir.cli.main" if "worker" in names else "reservoir.cli.worker"
    return [sys.executable, "-m", module]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (a forked work horse runs in a process group of its own)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """What a crashed host or an OOM-killed container does: everything dies at once."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def wait_for(predicate: Callable[[], bool], timeout: float, procs: list[subprocess.Popen[bytes]],
             logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None and proc.returncode not in (0, -9):
                pytest.fail(f"worker exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            tails = "\n---\n".join(log.read_text()[-3000:] for log in logs)
            pytest.fail(f"timed out after {timeout} s\n{tails}")
        time.sleep(0.1)


def test_killed_worker_run_is_resumed_by_another_worker_from_its_checkpoint(
        tmp_path: Path, corpus: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = set_env(monkeypatch, tmp_path / "queued", RESERVOIR_REDIS_URL=redis_url,
                       RESERVOIR_LLM_FAKE_LATENCY="0.4")
    register(settings, corpus)
    run_id = runner.create_discovery_run(settings, trigger="api")
    launcher = RqLauncher(settings, retry_intervals=(0,))
    launcher.launch(run_id)
    env = dict(os.environ)

    def analysed() -> int:
        with session_scope(settings) as session:
            return len(session.exec(select(RunEvent).where(
                RunEvent.run_id == run_id, RunEvent.type == "document_analysed")).all())

    def status() -> str:
        with session_scope(settings) as session:
            return session.get(Run, run_id).status

    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    handles: list[IO[Any]] = [log.open("wb") for log in logs]
    a = subprocess.Popen([*cli(), "worker", "--burst", "--name", "a", *FAST_LIVENESS], env=env,
                         stdout=handles[0], stderr=subprocess.STDOUT, start_new_session=True)
    procs = [a]
    b: subprocess.Popen[bytes] | None = None
    try:
        # The uninterrupted reference, computed here while the worker starts up.
        reference = load_settings(data_dir=tmp_path / "reference", llm_provider="fake",
                                  llm_fake_latency=0.0, redis_url=None)
        register(reference, corpus)
        reference_run = runner.create_discovery_run(reference)
        assert asyncio.run(runner.execute_run(reference, reference_run)) == "succeeded"
        expected = snapshot(reference)

        wait_for(lambda: status() == "running", 120, procs, logs[:1])
        # Start the second worker now so its start-up overlaps the first one's work.
        b = subprocess.Popen([*cli(), "worker", "--name", "b", *FAST_LIVENESS], env=env,
                             stdout=handles[1], stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(b)
        # Events reach the database while the worker process runs the job.
        wait_for(lambda: analysed() >= 2, 120, procs, logs)
        assert launcher.job_state(run_id) == "started" and launcher.active() == [run_id]
        kill_tree(a)
        done_before = analysed()
        assert done_before < 6, "the run finished before it could be killed"
        assert status() == "running"  # the truth: it died running

        wait_for(lambda: status() in ("succeeded", "failed", "cancelled"), 150, procs, logs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_tree(proc)
        for handle in handles:
            handle.close()
    dispose_engines()

    assert status() == "succeeded", logs[1].read_text()[-3000:]
    with session_scope(settings) as session:
        log = session.exec(select(RunEvent).where(RunEvent.run_id == run_id)
                           .order_by(RunEvent.seq)).all()
    retries = [e for e in log if e.type == "retry_scheduled"]
    assert [e.payload["reason"] for e in retries] == ["worker_lost"]
    started = [e.payload for e in log if e.type == "job_started"]
    assert [s["attempt"] for s in started] == [1, 2] and started[0]["pid"] != started[1]["pid"]
    assert started[1]["worker"] == "b"
    # Resumed, not restarted: no document analysed twice across both workers (the event of the
    # one being committed at the kill may be missing: the row and its event are two writes).
    analysed_ids = [e.payload["document_id"] for e in log if e.type == "document_analysed"]
    assert len(analysed_ids) == len(set(analysed_ids)) >= 5
    assert [e.type for e in log].count("source_done") == 1
    # 0 lost, 0 duplicated: the same documents, opportunities and evidence as one clean run.
    assert snapshot(settings) == expected
    assert launcher.job_state(run_id) == "finished"
