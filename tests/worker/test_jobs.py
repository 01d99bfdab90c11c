"""The run job on a real Redis with an in-process RQ worker: events, retries, failures, cancel."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from rq.job import Job
from sqlmodel import select

from reservoir.agents import analyst
from reservoir.config import Settings, load_settings
from reservoir.graphs import runner
from reservoir.launcher import RqLauncher, RunBusyError, follow_run, last_seq, make_launcher
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run, RunEvent
from reservoir.queue.failures import is_transient, on_run_job_failure, on_run_job_stopped
from reservoir.queue.jobs import QUEUE_NAME, enqueue_run, job_id_for, run_queue
from tests.worker.conftest import set_env, work
from tests.worker.helpers import register, snapshot

pytestmark = pytest.mark.redis


def reference(tmp_path: Path, corpus: Path) -> dict[str, Any]:
    """What an uninterrupted run over the same corpus leaves behind."""
    settings = load_settings(data_dir=tmp_path / "reference", llm_provider="fake",
                             llm_fake_latency=0.0, redis_url=None)
    register(settings, corpus)
    run_id = runner.create_discovery_run(settings)
    assert asyncio.run(runner.execute_run(settings, run_id)) == "succeeded"
    return snapshot(settings)


def events(settings: Settings, run_id: str) -> list[RunEvent]:
    with session_scope(settings) as session:
        return list(session.exec(select(RunEvent).where(RunEvent.run_id == run_id)
                                 .order_by(RunEvent.seq)).all())


def run_row(settings: Settings, run_id: str) -> Run:
    with session_scope(settings) as session:
        return session.get(Run, run_id)


def fail_merge(monkeypatch: pytest.MonkeyPatch, exc: BaseException, *, on_call: int = 3,
               times: int = 1) -> list[int]:
    """Make the analyst's per-document transaction raise ``exc`` on its ``on_call``-th call."""
    real = analyst.merge_document
    calls = [0]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if on_call <= calls[0] < on_call + times:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(analyst, "merge_document", flaky)
    return calls


def test_queued_run_executes_on_a_worker_and_its_events_are_in_the_db(
        queue_settings: Settings, connection: redis.Redis) -> None:
    launcher = make_launcher(queue_settings)
    assert isinstance(launcher, RqLauncher)
    run_id = runner.create_discovery_run(queue_settings, trigger="api")
    launcher.launch(run_id)
    assert launcher.is_active(run_id)
    assert launcher.job_state(run_id) == "queued"
    with pytest.raises(RunBusyError):
        launcher.launch(run_id)

    assert work(connection)

    assert run_row(queue_settings, run_id).status == "succeeded"
    types = [e.type for e in events(queue_settings, run_id)]
    assert types[:3] == ["queued", "job_started", "started"]
    assert types.count("document_analysed") == 6 and types[-1] == "succeeded"
    job = Job.fetch(job_id_for(run_id), connection=connection)
    assert job.get_status().value == "finished" and job.return_value() == "succeeded"
    assert not launcher.is_active(run_id)
    # Following a finished run replays its events and returns at once.
    seen: list[dict[str, Any]] = []
    assert launcher.follow(run_id, seen.append) == "succeeded"
    assert [e["type"] for e in seen] == types
    # A finished run cannot be launched again.
    with pytest.raises(runner.RunError):
        launcher.launch(run_id)


def test_follow_streams_events_while_a_worker_runs(queue_settings: Settings,
                                                   connection: redis.Redis) -> None:
    launcher = RqLauncher(queue_settings)
    run_id = runner.create_discovery_run(queue_settings)
    launcher.launch(run_id)
    seen: list[dict[str, Any]] = []
    result: list[str] = []
    follower = threading.Thread(target=lambda: result.append(
        launcher.follow(run_id, seen.append, poll=0.05, timeout=120)))
    follower.start()
    time.sleep(0.3)
    assert result == [] and [e["type"] for e in seen] == ["queued"]  # waits for a worker
    work(connection)
    follower.join(timeout=30)
    assert result == ["succeeded"]
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    assert seen[-1]["type"] == "succeeded"


def test_transient_failure_is_retried_and_resumes_from_the_checkpoint(
        tmp_path: Path, corpus: Path, queue_settings: Settings, connection: redis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    expected = reference(tmp_path, corpus)
    calls = fail_merge(monkeypatch, ConnectionError("database connection reset"))
    launcher = RqLauncher(queue_settings, retry_intervals=(0,))
    run_id = runner.create_discovery_run(queue_settings)
    launcher.launch(run_id)

    work(connection)  # the failed attempt is re-enqueued at once (interval 0) and resumed

    assert run_row(queue_settings, run_id).status == "succeeded"
    assert run_row(queue_settings, run_id).error is None
    log = events(queue_settings, run_id)
    retry = [e for e in log if e.type == "retry_scheduled"]
    assert len(retry) == 1 and retry[0].payload["reason"] == "transient_error"
    assert "ConnectionError" in retry[0].payload["error"]
    assert [e.payload["attempt"] for e in log if e.type == "job_started"] == [1, 2]
    # The second attempt analysed only what the first had not finished.
    assert sum(e.type == "document_analysed" for e in log) == 6
    assert calls[0] == 7  # 6 documents + the failed call
    assert snapshot(queue_settings) == expected
    job = Job.fetch(job_id_for(run_id), connection=connection)
    assert job.get_status().value == "finished" and job.retries_left == 2


def test_retry_waits_with_backoff_and_the_run_says_queued(
        queue_settings: Settings, connection: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_merge(monkeypatch, TimeoutError("model endpoint timed out"))
    launcher = RqLauncher(queue_settings)  # the real backoff: 10, 30, 60 s
    run_id = runner.create_discovery_run(queue_settings)
    launcher.launch(run_id)
    work(connection)

    job = Job.fetch(job_id_for(run_id), connection=connection)
    assert job.get_status().value == "scheduled" and job.retries_left == 2
    registry = run_queue(connection).scheduled_job_registry
    delay = registry.get_scheduled_time(job).timestamp() - time.time()
    assert 5 < delay <= 10
    run = run_row(queue_settings, run_id)
    assert run.status == "queued" and run.finished_at is None  # waiting, not failed
    assert launcher.is_active(run_id)
    assert [e.payload["in_seconds"] for e in events(queue_settings, run_id)
            if e.type == "retry_scheduled"] == [10]

    registry.requeue(job)  # what RQ's scheduler does when the time comes
    work(connection)
    assert run_row(queue_settings, run_id).status == "succeeded"


def test_a_non_transient_failure_fails_the_job_and_the_run_with_its_error(
        queue_settings: Settings, connection: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    real_merge = analyst.merge_document
    fail_merge(monkeypatch, ValueError("malformed finding"), on_call=3, times=100)
    launcher = RqLauncher(queue_settings, retry_intervals=(0,))
    run_id = runner.create_discovery_run(queue_settings)
    launcher.launch(run_id)
    work(connection)

    run = run_row(queue_settings, run_id)
    assert run.status == "failed" and "ValueError: malformed finding" in run.error
    job = Job.fetch(job_id_for(run_id), connection=connection)
    assert job.get_status().value == "failed"
    assert job_id_for(run_id) in run_queue(connection).failed_job_registry.get_job_ids()
    assert "malformed finding" in job.latest_result().exc_string
    assert not any(e.type == "retry_scheduled" for e in events(queue_settings, run_id))
    # Once the cause is fixed, relaunching resumes it from its checkpoint (the failed job goes).
    analysed_before = sum(e.type == "document_analysed" for e in events(queue_settings, run_id))
    monkeypatch.setattr(analyst, "merge_document", real_merge)
    launcher.launch(run_id)
    work(connection)
    assert run_row(queue_settings, run_id).status == "succeeded"
    log = events(queue_settings, run_id)
    assert analysed_before == 2 and sum(e.type == "document_analysed" for e in log) == 6
    assert job_id_for(run_id) not in run_queue(connection).failed_job_registry.get_job_ids()


def test_a_job_queued_under_the_old_module_paths_still_runs(
        queue_settings: Settings, connection: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs enqueued before the queue package name reservoir.worker.*: a worker resolves them."""
    from rq import Retry
    from rq.callbacks import Callback

    fail_merge(monkeypatch, ConnectionError("connection reset by peer"))
    run_id = runner.create_discovery_run(queue_settings)
    run_queue(connection).enqueue(
        "reservoir.worker.run_job", run_id, None, job_id=job_id_for(run_id),
        retry=Retry(max=3, interval=[0]), meta={"run_id": run_id, "retry_max": 3},
        on_failure=Callback("reservoir.worker.on_run_job_failure"),
        on_stopped=Callback("reservoir.worker.on_run_job_stopped"))
    work(connection)  # the transient failure goes through the old callback path, then a retry

    assert run_row(queue_settings, run_id).status == "succeeded"
    log = events(queue_settings, run_id)
    assert [e.payload["attempt"] for e in log if e.type == "job_started"] == [1, 2]
    job = Job.fetch(job_id_for(run_id), connection=connection)
    assert job.func_name == "reservoir.worker.run_job" and job.retries_left == 2
    assert job.failure_callback is on_run_job_failure and job.stopped_callback is on_run_job_stopped
    # New jobs name the functions where they live.
    other = runner.create_discovery_run(queue_settings)
    assert enqueue_run(connection, queue_settings, other).func_name == "reservoir.queue.jobs.run_job"

def test_job_timeout_fails_the_run_without_retry(queue_settings: Settings,
                                                 connection: redis.Redis,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = analyst.merge_document

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(analyst, "merge_document", slow)
    short = queue_settings.model_copy(update={"job_timeout": 2})
    run_id = runner.create_discovery_run(queue_settings)
    enqueue_run(connection, short, run_id, retry_intervals=(0,))
    work(connection)

    run = run_row(queue_settings, run_id)
    assert run.status == "failed" and run.error.startswith("JobTimeoutException")
    assert "job timeout of 2 s" in run.error
    job = Job.fetch(job_id_for(run_id), connection=connection)
    assert job.get_status().value == "failed" and job.retries_left == 0


def test_cancel_a_queued_run_drops_its_job(queue_settings: Settings, connection: redis.Redis) -> None:
    launcher = RqLauncher(queue_settings)
    run_id = runner.create_discovery_run(queue_settings)
    launcher.launch(run_id)
    assert launcher.cancel(run_id) == "cancelled"
    assert launcher.job_state(run_id) == "canceled"
    assert not work(connection)  # nothing left to run
    assert run_row(queue_settings, run_id).status == "cancelled"
    assert launcher.follow(run_id, timeout=5) == "cancelled"


def test_cancel_reaches_a_running_job(queue_settings: Settings, connection: redis.Redis,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = analyst.merge_document

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(analyst, "merge_document", slow)
    launcher = RqLauncher(queue_settings)
    run_id = runner.create_discovery_run(queue_settings)
    launcher.launch(run_id)

    def cancel_when(predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not predicate():
            time.sleep(0.05)
        launcher.cancel(run_id)

    analysed = lambda: sum(e.type == "document_analysed" for e in events(queue_settings, run_id))  # noqa: E731
    canceller = threading.Thread(target=cancel_when, args=(lambda: analysed() >= 2,))
    canceller.start()
    work(connection)
    canceller.join()

    run = run_row(queue_settings, run_id)
    assert run.status == "cancelled" and run.cancel_requested
    assert analysed() < 6
    job = Job.fetch(job_id_for(run_id), connection=connection)
    assert job.get_status().value == "finished" and job.return_value() == "cancelled"


def test_waiting_run_is_only_launched_with_a_decision(queue_settings: Settings,
                                                      connection: redis.Redis) -> None:
    launcher = RqLauncher(queue_settings)
    run_id = runner.create_discovery_run(queue_settings, require_approval=True)
    launcher.launch(run_id)
    work(connection)
    assert run_row(queue_settings, run_id).status == "interrupted"
    with pytest.raises(runner.RunError, match="waiting for approval"):
        launcher.launch(run_id)
    after = last_seq(queue_settings, run_id)
    launcher.launch(run_id, resume_value={"approved": True})  # the previous job is replaced
    seen: list[str] = []
    follower = threading.Thread(target=lambda: seen.append(follow_run(
        queue_settings, run_id, is_active=launcher.is_active, after=after, poll=0.05, timeout=60)))
    follower.start()
    time.sleep(0.3)
    assert seen == []  # still 'interrupted', but its job is queued: keep following
    work(connection)
    follower.join(timeout=30)
    assert seen == ["succeeded"]


def test_transient_classification() -> None:
    import httpx
    from sqlalchemy.exc import OperationalError

    assert is_transient(ConnectionResetError())
    assert is_transient(httpx.ConnectTimeout("slow"))
    assert is_transient(OperationalError("select 1", {}, Exception("server closed the connection")))
    wrapped = RuntimeError("node failed")
    wrapped.__cause__ = TimeoutError()
    assert is_transient(wrapped)
    assert not is_transient(ValueError("bad"))
    assert is_transient(error="OperationalError: database is locked\nTraceback ...")
    assert not is_transient(error="KeyError: 'x'")
    # Two workers inserting the same row: the loser retries and merges into the winner's row.
    assert is_transient(error='IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value '
                              'violates unique constraint "ix_opportunity_key"')
    assert not is_transient(error="IntegrityError: NOT NULL constraint failed: opportunity.title")


@pytest.mark.postgres
def test_queue_with_postgres_database_and_checkpointer(
        tmp_path: Path, corpus: Path, pg_settings: Settings, redis_url: str,
        connection: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = set_env(monkeypatch, tmp_path / "pgdata", RESERVOIR_REDIS_URL=redis_url,
                       RESERVOIR_DATABASE_URL=pg_settings.database_url or "")
    assert settings.checkpoint_backend == "postgres"
    register(settings, corpus)
    calls = fail_merge(monkeypatch, ConnectionError("connection reset by peer"))
    run_id = runner.create_discovery_run(settings)
    RqLauncher(settings, retry_intervals=(0,)).launch(run_id)
    work(connection)
    assert run_row(settings, run_id).status == "succeeded"
    assert calls[0] == 7
    assert sum(e.type == "document_analysed" for e in events(settings, run_id)) == 6
    assert QUEUE_NAME == run_queue(connection).name
