"""kill -9 in the middle of the analyst, resume, and compare with an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import select

from reservoir.demo.server import DemoServer
from reservoir.memory.db import dispose_engines, session_scope
from reservoir.memory.models import Run, RunEvent
from tests.graphs.helpers import demo_settings, register_demo, run_discovery, snapshot, snapshot_diff

CLI = [sys.executable, "-m", "reservoir.cli.main"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVOIR_")}
    env.update(RESERVOIR_DATA_DIR=str(data_dir), RESERVOIR_FETCH_ALLOW="127.0.0.0/8",
               RESERVOIR_FETCH_PER_HOST_RPS="200", RESERVOIR_FETCH_PER_HOST_CONCURRENCY="16",
               RESERVOIR_LLM_PROVIDER="fake", RESERVOIR_LLM_FAKE_LATENCY="0.15",
               RESERVOIR_LLM_MAX_CONCURRENCY="1", HF_HUB_OFFLINE="1")
    return env


def _analysed_events(settings, run_id: str | None) -> tuple[str | None, int]:  # type: ignore[no-untyped-def]
    with session_scope(settings) as session:
        run = session.exec(select(Run)).first()
        if run is None:
            return None, 0
        events = session.exec(select(RunEvent).where(
            RunEvent.run_id == run.id, RunEvent.type == "document_analysed")).all()
        return run.id, len(events)


def test_killed_run_resumes_to_identical_results(tmp_path: Path, demo_server: DemoServer) -> None:
    reference = demo_settings(tmp_path / "reference", llm_provider="fake")
    _, status = run_discovery(reference, demo_server.base_url)
    assert status == "succeeded"
    expected = snapshot(reference)

    crashed_dir = tmp_path / "crashed"
    crashed = demo_settings(crashed_dir, llm_provider="fake")
    register_demo(crashed, demo_server.base_url)
    proc = subprocess.Popen([*CLI, "discover"], env=_env(crashed_dir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run_id, analysed = None, 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and analysed < 5:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        time.sleep(0.2)
        run_id, analysed = _analysed_events(crashed, run_id)
    assert analysed >= 5, "the analyst never got going"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    dispose_engines()
    with session_scope(crashed) as session:
        assert session.get(Run, run_id).status == "running"  # the truth: it died running

    resumed = subprocess.run([*CLI, "runs", "resume", run_id], env=_env(crashed_dir),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    dispose_engines()
    with session_scope(crashed) as session:
        assert session.get(Run, run_id).status == "succeeded"
    diff = snapshot_diff(snapshot(crashed), expected)
    assert not diff, "\n".join(diff)
