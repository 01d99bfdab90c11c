"""A clean Redis database per test, settings that the job's own load_settings() sees, a worker."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker

from reservoir.config import Settings, load_settings
from reservoir.queue.jobs import QUEUE_NAME
from tests.worker.helpers import FakeEmbeddings, register, write_corpus

# Slow enough to cancel mid-analyst, fast enough for the suite.
FAKE_LATENCY = "0.05"


@pytest.fixture(scope="session")
def embeddings() -> Iterator[FakeEmbeddings]:
    with FakeEmbeddings() as server:
        yield server


@pytest.fixture(autouse=True)
def _fake_embeddings(embeddings: FakeEmbeddings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here, and every process it starts, embeds through the loopback server."""
    for key, value in embeddings.env().items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    client = redis.Redis.from_url(redis_server_url)
    client.flushall()
    yield redis_server_url
    client.flushall()
    client.close()


@pytest.fixture
def connection(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", 6)


def set_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, **extra: str) -> Settings:
    """Jobs read their settings from the environment, as a real worker does."""
    env = {"RESERVOIR_DATA_DIR": str(data_dir), "RESERVOIR_FETCH_ALLOW": "127.0.0.0/8",
           "RESERVOIR_LLM_PROVIDER": "fake", "RESERVOIR_LLM_FAKE_LATENCY": FAKE_LATENCY,
           "RESERVOIR_LLM_MAX_CONCURRENCY": "1", **extra}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings()


@pytest.fixture
def queue_settings(tmp_path: Path, redis_url: str, corpus: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Settings:
    """SQLite in a tmp data dir, the private Redis, the fake model, one folder source."""
    settings = set_env(monkeypatch, tmp_path / "data", RESERVOIR_REDIS_URL=redis_url)
    register(settings, corpus)
    return settings


def work(connection: redis.Redis, *, burst: bool = True) -> bool:
    """An in-process RQ worker over the queue until it is empty (job logic, no fork)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = SimpleWorker([QUEUE_NAME], connection=connection)
        return worker.work(burst=burst, with_scheduler=False)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
