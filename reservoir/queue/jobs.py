"""A run's job on the RQ queue: putting it there, finding it, and the function a worker runs.

A worker calls ``runner.execute_run`` exactly as the CLI and the API do, so a run's events and
status land in the shared database and the API's SSE stream follows a run on any worker. RQ
brings the job timeout, retries with backoff, failed jobs with their error and abandoned-job
detection; ``run_job`` turns what happened into the Run row's status (with ``failures``) and a
re-executed run continues from its LangGraph checkpoint.

RQ stores a job's function and callbacks by dotted path (``reservoir.queue.jobs.run_job``);
jobs enqueued before the queue package existed name ``reservoir.worker.*`` (that shim stays).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.callbacks import Callback
from rq.exceptions import NoSuchJobError
from rq.job import Job, get_current_job

from reservoir.config import Settings, load_settings
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run
from reservoir.queue.failures import (
    RunBusy,
    RunFailed,
    RunRetrying,
    first_line,
    is_transient,
    mark_failed,
    mark_retrying,
    no_retry,
    on_run_job_failure,
    on_run_job_stopped,
    timeout_error,
)
from reservoir.queue.lock import LIVENESS, RunLock

log = logging.getLogger(__name__)

QUEUE_NAME = "reservoir"
RETRY_MAX = 3
RETRY_INTERVALS: tuple[int, ...] = (10, 30, 60)
RESULT_TTL = 86_400
# RQ job states in which the job will still (or does now) execute.
ACTIVE_JOB_STATES = frozenset({"created", "queued", "started", "scheduled", "deferred",
                               "rate_limited", "ready_to_enqueue"})


# --------------------------------------------------------------------------- queue helpers


def redis_connection(settings: Settings) -> Redis:
    if not settings.redis_url:
        raise ValueError("RESERVOIR_REDIS_URL is not set: there is no queue")
    return Redis.from_url(settings.redis_url)


def run_queue(connection: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection)


def job_id_for(run_id: str) -> str:
    """One RQ job id per run (no ':' — RQ splits registry entries on it)."""
    return f"run-{run_id}"


def fetch_run_job(connection: Redis, run_id: str) -> Job | None:
    try:
        return Job.fetch(job_id_for(run_id), connection=connection)
    except NoSuchJobError:
        return None


def job_state(connection: Redis, run_id: str) -> str | None:
    job = fetch_run_job(connection, run_id)
    if job is None:
        return None
    try:
        return str(job.get_status(refresh=False).value)
    except Exception:  # noqa: BLE001 — a half-written hash is as good as no job
        return None


def is_job_active(connection: Redis, run_id: str) -> bool:
    return job_state(connection, run_id) in ACTIVE_JOB_STATES


def enqueue_run(connection: Redis, settings: Settings, run_id: str, *, resume_value: Any = None,
                retry_intervals: tuple[int, ...] = RETRY_INTERVALS, retry_max: int = RETRY_MAX,
                at_front: bool = False) -> Job:
    """Put the run on the queue; the caller has checked that no job of it is active."""
    return run_queue(connection).enqueue(
        run_job, run_id, resume_value,
        job_id=job_id_for(run_id), job_timeout=settings.job_timeout, result_ttl=RESULT_TTL,
        retry=Retry(max=retry_max, interval=list(retry_intervals)), at_front=at_front,
        on_failure=Callback(on_run_job_failure), on_stopped=Callback(on_run_job_stopped),
        description=f"discovery run {run_id}", meta={"run_id": run_id, "retry_max": retry_max})


# --------------------------------------------------------------------------- the run job


def _event(settings: Settings, run_id: str, type_: str, payload: dict[str, Any]) -> None:
    with session_scope(settings) as session:
        run_queries.add_event(session, run_id, "worker", type_, payload)


class _FailureCapture(logging.Handler):
    """Keeps the exception the runner logs when a run fails, to classify it by its classes."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.exc: BaseException | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.exc = record.exc_info[1]


def run_job(run_id: str, resume_value: Any = None) -> str:
    """The RQ task: execute (or continue) one run; its status is the job's result.

    A run left ``running`` by a dead worker (or ``failed`` and relaunched) continues from its
    checkpoint: the runner resumes any run not succeeded or cancelled. Failures raise so RQ
    records them: transient ones put the run back to ``queued`` and are retried with backoff,
    others leave it ``failed``.
    """
    from rq.timeouts import JobTimeoutException

    from reservoir.graphs import runner

    settings = load_settings()
    job = get_current_job()
    with session_scope(settings) as session:
        run = run_queries.get_run(session, run_id)
        if run is None:
            no_retry(job)
            raise RunFailed(f"no run {run_id!r} in {settings.sqlalchemy_url.split('@')[-1]}")
        if run.status in ("succeeded", "cancelled"):  # a failed run relaunched is resumed
            log.info("run %s is already %s: nothing to do", run_id, run.status)
            return run.status
        run_id = run.id
    lock = RunLock(job.connection if job else redis_connection(settings), run_id, LIVENESS.lock_ttl)
    if not lock.acquire(wait=LIVENESS.lock_ttl + 1):
        raise RunBusy(f"run {run_id} is executing elsewhere; retrying later")
    capture = _FailureCapture()
    runner_log = logging.getLogger(runner.__name__)
    runner_log.addHandler(capture)
    try:
        retry_max = int((job.meta or {}).get("retry_max", RETRY_MAX)) if job else RETRY_MAX
        attempt = retry_max - (job.retries_left or 0) + 1 if job and job.retries_left is not None else 1
        _event(settings, run_id, "job_started", {
            "worker": job.worker_name if job else None, "attempt": attempt, "pid": os.getpid()})
        try:
            status = asyncio.run(runner.execute_run(settings, run_id, resume_value=resume_value))
        except runner.RunError as exc:
            no_retry(job)
            raise RunFailed(str(exc)) from None
        except JobTimeoutException:
            no_retry(job)
            mark_failed(settings, run_id, timeout_error(job), reason="timeout")
            raise RunFailed(timeout_error(job)) from None
    finally:
        runner_log.removeHandler(capture)
        lock.release()
        if LIVENESS.in_horse():  # a horse ends with its job: so do its extraction workers
            from reservoir.tools.extract_pool import shutdown_pool

            shutdown_pool()
    if status != "failed":
        return status
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        error, cancel_requested = (run.error or "", run.cancel_requested) if run else ("", False)
    if cancel_requested:  # the analyst stops a cancelled run by raising: that is a cancel
        mark_failed(settings, run_id, error, reason="cancelled")
        return "cancelled"
    if isinstance(capture.exc, JobTimeoutException) or error.startswith("JobTimeoutException"):
        no_retry(job)
        mark_failed(settings, run_id, timeout_error(job), reason="timeout")
        raise RunFailed(timeout_error(job))
    if job is not None and job.should_retry and is_transient(capture.exc, error):
        mark_retrying(settings, run_id, error, delay=job.get_retry_interval(),
                      retries_left=(job.retries_left or 1) - 1, reason="transient_error")
        raise RunRetrying(first_line(error))
    no_retry(job)
    raise RunFailed(first_line(error) or "the run failed")
