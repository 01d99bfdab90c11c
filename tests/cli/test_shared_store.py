"""One embedded data dir, several processes at once: `serve`, `ask`, `search`, `discover` and
`schedule --once` all succeed while the server holds the vector store (issue 15).

Real subprocesses of the `reservoir` command on a loopback port; the corpus is a folder
source (three newsletters of the demo), so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reservoir.api.auth import create_api_key
from reservoir.config import load_settings
from reservoir.memory.db import session_scope
from reservoir.memory.sources import add_source
from tests.conftest import free_port

NEWSLETTERS = Path(__file__).resolve().parents[2] / "reservoir" / "demo" / "newsletter"
COMMAND = [sys.executable, "-m", "reservoir.cli.main"]


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVOIR_")}
    env.update(RESERVOIR_DATA_DIR=str(data), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], env=env, capture_output=True, text=True, timeout=600)


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*COMMAND, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "letters"
    folder.mkdir()
    first = sorted(NEWSLETTERS.iterdir())[0]
    shutil.copy(first, folder / first.name)
    return folder


@pytest.fixture
def served(tmp_path: Path, corpus: Path) -> Iterator[tuple[dict[str, str], str, dict[str, str]]]:
    """A data dir with one discovered newsletter and `reservoir serve` holding its store."""
    env = _env(tmp_path / "data")
    with session_scope(load_settings(data_dir=tmp_path / "data")) as db:
        add_source(db, "letters", "folder", str(corpus))
        key = create_api_key(db, "me")[1]
    seeded = _run(env, "discover", "--json")
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    server = _start(env, "serve", "--port", str(port), "--log-level", "warning")
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("reservoir serve did not answer within 120 s")
        # The server opens (and from now on holds) the embedded vector store.
        first = httpx.get(f"{base}/api/v1/opportunities/search", params={"q": "reminders"},
                          headers=headers, timeout=120)
        assert first.status_code == 200, first.text
        yield env, base, headers
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
        assert "Traceback" not in err, err


@pytest.mark.timeout(900)  # five processes each loading the embedding model on shared cores
def test_cli_and_schedule_share_the_store_with_serve(
        served: tuple[dict[str, str], str, dict[str, str]], corpus: Path) -> None:
    env, base, headers = served
    for letter in sorted(NEWSLETTERS.iterdir())[1:]:  # new documents to embed
        shutil.copy(letter, corpus / letter.name)
    started = time.monotonic()
    procs = {  # each waits for the store at most RESERVOIR_STORE_WAIT (30 s) per operation
        "ask": _start(env, "ask", "How do small businesses automate newsletters?", "--json"),
        "search": _start(env, "search", "automation", "--json"),
        "discover": _start(env, "discover", "--json"),
        "schedule": _start(env, "schedule", "--once", "--json"),
    }
    api_statuses = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        while any(p.poll() is None for p in procs.values()):
            reply = http.get("/api/v1/opportunities/search", params={"q": "automation"})
            api_statuses.append(reply.status_code)
            time.sleep(0.2)
    outputs = {name: p.communicate(timeout=60) for name, p in procs.items()}
    elapsed = time.monotonic() - started
    for name, proc in procs.items():
        out, err = outputs[name]
        assert proc.returncode == 0, f"{name} failed:\n{err}"
        assert "Traceback" not in err, err
    assert set(api_statuses) == {200}, api_statuses
    assert json.loads(outputs["ask"][0])["answer"]
    assert json.loads(outputs["discover"][0])["status"] == "succeeded"
    scheduled = json.loads(outputs["schedule"][0])
    assert scheduled["status"] == "succeeded", scheduled
    print(f"\nconcurrent: 4 CLI processes + {len(api_statuses)} API searches in {elapsed:.1f} s")
    after = httpx.get(f"{base}/api/v1/opportunities/search", params={"q": "newsletter"},
                      headers=headers, timeout=60)
    assert after.status_code == 200 and after.json()["total"] >= 1
