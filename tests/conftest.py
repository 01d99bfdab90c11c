"""Shared fixtures: isolated settings, the real PostgreSQL and Redis servers on this machine.

A missing service skips its tests with a reason; with RESERVOIR_REQUIRE_SERVICES=1 (CI)
it fails them instead, so CI never passes by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Test-run switches, not configuration: kept.
KEPT_ENV = {"RESERVOIR_REQUIRE_SERVICES", "RESERVOIR_TEST_LLAMA_ARGS"}
for _key in list(os.environ):
    # The developer's own configuration must not leak into tests.
    if _key.startswith("RESERVOIR_") and _key not in KEPT_ENV:
        del os.environ[_key]

from reservoir.config import Settings, load_settings  # noqa: E402

PG_ADMIN_DSN = os.environ.get("RESERVOIR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def require_services() -> bool:
    return os.environ.get("RESERVOIR_REQUIRE_SERVICES") == "1"


def missing_service(reason: str) -> None:
    """Skip locally, fail in CI."""
    if require_services():
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded default in a private data directory, loopback fetching allowed."""
    return load_settings(data_dir=tmp_path / "data", fetch_allow=["127.0.0.0/8", "localhost"])


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A throw-away database on the real PostgreSQL server, dropped at the end of the run."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        missing_service(f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {exc}")
        return
    name = f"reservoir_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from reservoir.memory.db import dispose_engines

        dispose_engines()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_settings(tmp_path: Path, pg_server_url: str) -> Iterator[Settings]:
    """PostgreSQL-backed settings with empty tables for each test."""
    from sqlmodel import SQLModel

    from reservoir.memory.db import get_engine

    settings = load_settings(
        data_dir=tmp_path / "data", database_url=pg_server_url,
        fetch_allow=["127.0.0.0/8", "localhost"],
    )
    engine = get_engine(settings)
    yield settings
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgres"])
def any_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Runs a test on both databases."""
    if request.param == "sqlite":
        return settings
    return request.getfixturevalue("pg_settings")


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free port, so tests never touch anyone's data."""
    binary = shutil.which("redis-server")
    if not binary:
        missing_service("redis-server is not installed")
        return
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        missing_service("redis-server did not start")
        return
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


CORPUS = Path(__file__).resolve().parents[1] / "reservoir" / "demo" / "corpus"
# Two demo articles the loopback page server starts with (each an `html` source of its own).
PAGE_SITE_FILES = ("dental-text-reminders-twilio-acuity.html", "brokerage-speed-to-lead-zapier.html")


class Pages:
    """What the loopback page server answers: path -> (status, html); a test edits it."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str]] = {
            f"/{name}": (200, (CORPUS / name).read_text(encoding="utf-8"))
            for name in PAGE_SITE_FILES}
        self.lock = threading.Lock()

    def set(self, path: str, status: int, html: str) -> None:
        with self.lock:
            self.pages[path] = (status, html)

    def get(self, path: str) -> tuple[int, str]:
        with self.lock:
            return self.pages.get(path, (404, "not found"))


@pytest.fixture
def page_site() -> Iterator[tuple[Pages, str]]:
    pages = Pages()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 — stdlib naming
            status, html = pages.get(self.path.split("?", 1)[0])
            body = html.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pages, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
