"""What a failed execution does to its run: classify the error, keep the Run row true.

RQ retries a job, fails it, or finds it abandoned; whichever happens, the Run row must say so:
a run waiting for a retry is ``queued``, a run that cannot go on is ``failed`` with the
reason. The run job (``jobs.run_job``), RQ's failure/stopped callbacks and the worker's
killed-horse hook all come here, so the rules live in one place.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from rq.job import Job

from reservoir.config import Settings, load_settings
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run

# Exception names that say "try again later", matched over the MRO (classes from many
# libraries: SQLAlchemy/psycopg, httpx, openai, redis, the standard library).
TRANSIENT_ERRORS = frozenset({
    "OperationalError", "InterfaceError", "DisconnectionError", "ConnectionError",
    "ConnectionResetError", "ConnectionRefusedError", "ConnectionAbortedError",
    "BrokenPipeError", "TimeoutError", "TransportError", "NetworkError", "TimeoutException",
    "ConnectError", "ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout",
    "ReadError", "WriteError", "RemoteProtocolError", "APIConnectionError", "APITimeoutError",
    "RateLimitError", "InternalServerError", "BusyLoadingError", "AbandonedJobError",
    "TransientError",
})


class TransientError(RuntimeError):
    """Raise (or subclass) for a failure that a later attempt may not meet."""


# --------------------------------------------------------------------------- classification


def _exception_chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _lost_race(name: str, message: str) -> bool:
    """A unique violation: another worker inserted the same row first; a retry merges into it."""
    return name in ("IntegrityError", "UniqueViolation") and (
        "duplicate key" in message or "UNIQUE constraint failed" in message)


def is_transient(exc: BaseException | None = None, error: str | None = None) -> bool:
    """A failure worth another attempt: by the exception's classes, else the recorded text."""
    for item in _exception_chain(exc):
        names = [cls.__name__ for cls in type(item).__mro__]
        if any(name in TRANSIENT_ERRORS for name in names):
            return True
        if any(_lost_race(name, str(item)) for name in names):
            return True
    if exc is None and error:
        first = error.strip().splitlines()[0] if error.strip() else ""
        head = first.split(":", 1)[0].rsplit(".", 1)[-1].strip()
        return head in TRANSIENT_ERRORS or _lost_race(head, first)
    return False


class RunJobError(Exception):
    """The job already recorded this failure on the Run row; callbacks leave it alone."""

    retry = False


class RunFailed(RunJobError):
    """The run ended ``failed`` for a reason another attempt would meet again."""


class RunRetrying(RunJobError):
    """A transient failure; the run is ``queued`` again and RQ retries it with backoff."""

    retry = True


class RunBusy(RunJobError):
    """Another live execution holds the run; retried later, the Run row is not touched."""

    retry = True


# --------------------------------------------------------------------------- run-row bookkeeping


def first_line(text: str | None) -> str:
    """The error's first line, short enough for an event payload."""
    return (text or "").strip().splitlines()[0][:300] if (text or "").strip() else ""


def timeout_error(job: Job | None) -> str:
    """The recorded error of a run that outlived its job timeout (from the job or the worker)."""
    seconds = job.timeout if job is not None else "?"
    return (f"JobTimeoutException: the run exceeded the job timeout of {seconds} s "
            "(RESERVOIR_JOB_TIMEOUT); resume it to continue from its last checkpoint")


def mark_retrying(settings: Settings, run_id: str, error: str, *, delay: int, retries_left: int,
                  reason: str) -> None:
    """The run waits for another attempt: ``queued``, the error kept in the event."""
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        if run is None or run.status in ("succeeded", "cancelled", "interrupted"):
            return
        run.status, run.finished_at, run.error = "queued", None, None
        session.add(run)
        run_queries.add_event(session, run_id, "worker", "retry_scheduled", {
            "reason": reason, "error": first_line(error), "in_seconds": delay,
            "retries_left": retries_left})


def mark_failed(settings: Settings, run_id: str, error: str, *, reason: str) -> None:
    """The run cannot go on: ``failed`` with why (a ``failed`` run gets the better reason)."""
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        if run is None or run.status in ("succeeded", "cancelled", "interrupted"):
            return
        if run.cancel_requested:
            run_queries.set_status(session, run, "cancelled")
            run_queries.add_event(session, run_id, "worker", "cancelled", {"reason": reason})
            return
        run_queries.set_status(session, run, "failed", error=error)
        run_queries.add_event(session, run_id, "worker", "failed",
                              {"reason": reason, "error": first_line(error)})


def no_retry(job: Job | None) -> None:
    """Tell RQ this job gets no further attempt (the failure is recorded as final)."""
    if job is not None:
        job.retries_left = 0


def record_interruption(job: Job, error: str, *, transient: bool, reason: str) -> None:
    """An execution ended outside the job function (worker lost, horse killed, callback)."""
    run_id = (job.meta or {}).get("run_id")
    if not run_id:
        return
    settings = load_settings()
    if not transient:
        no_retry(job)
    if job.should_retry:
        mark_retrying(settings, run_id, error, delay=job.get_retry_interval(),
                      retries_left=(job.retries_left or 1) - 1, reason=reason)
    else:
        mark_failed(settings, run_id, error, reason=reason)


# --------------------------------------------------------------------------- RQ callbacks
# Enqueued jobs name these by dotted path: see the shim reservoir/worker.py for older jobs.


def on_run_job_failure(job: Job, connection: Redis, exc_type: type[BaseException] | None,
                       exc: BaseException | None, tb: Any) -> None:
    """RQ failure callback: also runs for abandoned jobs (their worker died) during cleanup."""
    if isinstance(exc, RunJobError):
        if not exc.retry:
            no_retry(job)
        return
    name = exc_type.__name__ if exc_type else "Error"
    abandoned = name == "AbandonedJobError"
    error = ("AbandonedJobError: the worker running this job stopped heart-beating (it died "
             "or was killed); the run resumes from its last checkpoint" if abandoned
             else f"{name}: {exc}")
    record_interruption(job, error, transient=abandoned or is_transient(exc),
                        reason="worker_lost" if abandoned else "job_error")


def on_run_job_stopped(job: Job, connection: Redis) -> None:
    """RQ stopped callback (``send_stop_job_command``): a cancel that could not wait."""
    run_id = (job.meta or {}).get("run_id")
    if run_id:
        mark_failed(load_settings(), run_id, "stopped: the job was stopped on its worker",
                    reason="stopped")
