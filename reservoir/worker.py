"""Background runs on RQ: the run job, its failure bookkeeping, and the nightly schedule.

A worker calls ``runner.execute_run`` exactly as the CLI and the API do, so a run's events and
status land in the shared database and the API's SSE stream follows a run on any worker. RQ
brings the job timeout, retries with backoff, failed jobs with their error and abandoned-job
detection (a worker that stopped heart-beating); this module keeps the Run row true through
all of them: a run waiting for a retry is ``queued``, a run that cannot go on is ``failed``
with the reason, and a re-executed run continues from its LangGraph checkpoint.

Imports stay light at module level: the scheduler process imports this and never runs a graph.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.callbacks import Callback
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError
from rq.job import Job, get_current_job
from rq.utils import now as rq_now
from sqlmodel import col, select

from reservoir.config import Settings, load_settings
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run, as_utc, utcnow

if TYPE_CHECKING:
    from rq.cron import CronJob

log = logging.getLogger(__name__)

QUEUE_NAME = "reservoir"
RETRY_MAX = 3
RETRY_INTERVALS: tuple[int, ...] = (10, 30, 60)
RESULT_TTL = 86_400
SCHEDULE_NAME = "reservoir-nightly-discovery"
SCHEDULE_JOB_TIMEOUT = 300
# RQ job states in which the job will still (or does now) execute.
ACTIVE_JOB_STATES = frozenset({"created", "queued", "started", "scheduled", "deferred",
                               "rate_limited", "ready_to_enqueue"})
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


@dataclass
class Liveness:
    """How fast a dead worker is noticed: a running job heart-beats every ``heartbeat`` s and
    counts as abandoned ``grace`` s after the last beat (RQ's defaults: 30 and 60)."""

    heartbeat: int = 30
    grace: int = 60

    @property
    def ttl(self) -> int:
        return self.heartbeat + self.grace

    @property
    def lock_ttl(self) -> int:
        """Shorter than the grace: a dead job's run lock is gone before RQ retries the job."""
        return max(2, self.grace - 1)


LIVENESS = Liveness()
_WORKER_PID: int | None = None  # set in the worker's main process; a forked horse inherits it


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


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0][:300] if (text or "").strip() else ""


def _event(settings: Settings, run_id: str, type_: str, payload: dict[str, Any]) -> None:
    with session_scope(settings) as session:
        run_queries.add_event(session, run_id, "worker", type_, payload)


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
            "reason": reason, "error": _first_line(error), "in_seconds": delay,
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
                              {"reason": reason, "error": _first_line(error)})


def _no_retry(job: Job | None) -> None:
    if job is not None:
        job.retries_left = 0


def record_interruption(job: Job, error: str, *, transient: bool, reason: str) -> None:
    """An execution ended outside the job function (worker lost, horse killed, callback)."""
    run_id = (job.meta or {}).get("run_id")
    if not run_id:
        return
    settings = load_settings()
    if not transient:
        _no_retry(job)
    if job.should_retry:
        mark_retrying(settings, run_id, error, delay=job.get_retry_interval(),
                      retries_left=(job.retries_left or 1) - 1, reason=reason)
    else:
        mark_failed(settings, run_id, error, reason=reason)


def on_run_job_failure(job: Job, connection: Redis, exc_type: type[BaseException] | None,
                       exc: BaseException | None, tb: Any) -> None:
    """RQ failure callback: also runs for abandoned jobs (their worker died) during cleanup."""
    if isinstance(exc, RunJobError):
        if not exc.retry:
            _no_retry(job)
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


# --------------------------------------------------------------------------- the run job


class RunLock:
    """One execution per run across workers, refreshed while alive.

    RQ may re-run a job it believes abandoned while a horse whose worker died is still
    executing; the lock makes that retry wait instead of racing on the checkpoint. A horse
    whose worker is gone exits, so its run is resumed rather than executed twice.
    """

    def __init__(self, connection: Redis, run_id: str, ttl: int) -> None:
        self.connection, self.key, self.ttl = connection, f"reservoir:run-lock:{run_id}", ttl
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait`` s for a dead holder's lock to expire."""
        deadline = time.monotonic() + wait
        while not self.connection.set(self.key, self.token, nx=True, ex=self.ttl):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)
        self._thread = threading.Thread(target=self._keep, name="run-lock", daemon=True)
        self._thread.start()
        return True

    def _keep(self) -> None:
        parent = _WORKER_PID if _WORKER_PID and _WORKER_PID != os.getpid() else None
        interval = max(0.5, min(self.ttl / 3, 10.0))
        while not self._stop.wait(interval if parent is None else min(interval, 1.0)):
            if parent is not None and os.getppid() != parent:
                log.error("worker process %s is gone: this job stops here and resumes elsewhere",
                          parent)
                os._exit(70)
            try:
                self.connection.eval(
                    "if redis.call('get', KEYS[1]) == ARGV[1] then "
                    "return redis.call('expire', KEYS[1], ARGV[2]) end return 0",
                    1, self.key, self.token, self.ttl)
            except Exception:  # noqa: BLE001 — a Redis blip must not kill the run
                log.warning("could not refresh %s", self.key, exc_info=True)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.connection.eval(
                "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
                "end return 0", 1, self.key, self.token)
        except Exception:  # noqa: BLE001 — it expires on its own
            log.warning("could not release %s", self.key, exc_info=True)


class _FailureCapture(logging.Handler):
    """Keeps the exception the runner logs when a run fails, to classify it by its classes."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.exc: BaseException | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.exc = record.exc_info[1]


def _timeout_error(job: Job | None) -> str:
    seconds = job.timeout if job is not None else "?"
    return (f"JobTimeoutException: the run exceeded the job timeout of {seconds} s "
            "(RESERVOIR_JOB_TIMEOUT); resume it to continue from its last checkpoint")


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
            _no_retry(job)
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
            _no_retry(job)
            raise RunFailed(str(exc)) from None
        except JobTimeoutException:
            _no_retry(job)
            mark_failed(settings, run_id, _timeout_error(job), reason="timeout")
            raise RunFailed(_timeout_error(job)) from None
    finally:
        runner_log.removeHandler(capture)
        lock.release()
        if _WORKER_PID and _WORKER_PID != os.getpid():  # a horse ends with its job: so do
            from reservoir.tools.extract_pool import shutdown_pool  # its extraction workers

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
        _no_retry(job)
        mark_failed(settings, run_id, _timeout_error(job), reason="timeout")
        raise RunFailed(_timeout_error(job))
    if job is not None and job.should_retry and is_transient(capture.exc, error):
        mark_retrying(settings, run_id, error, delay=job.get_retry_interval(),
                      retries_left=(job.retries_left or 1) - 1, reason="transient_error")
        raise RunRetrying(_first_line(error))
    _no_retry(job)
    raise RunFailed(_first_line(error) or "the run failed")


# --------------------------------------------------------------------------- workers


class ReservoirWorker(Worker):
    """RQ's forking worker with a settable grace before a silent job counts as abandoned, and
    the Run row kept true when a work horse is killed (OOM, timeout, ``kill -9``)."""

    grace: int = 60

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        if job.timeout and job.timeout > 0:
            remaining = max(0.0, job.timeout - working_time)
            return int(min(remaining, self.job_monitoring_interval)) + self.grace
        return int(self.job_monitoring_interval) + self.grace

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        started = as_utc(job.started_at) if job.started_at else None
        timed_out = bool(job.timeout and job.timeout > 0 and started
                         and (utcnow() - started).total_seconds() > job.timeout)
        try:
            if timed_out:
                record_interruption(job, _timeout_error(job), transient=False, reason="timeout")
            else:
                record_interruption(job, f"WorkHorseKilled: the process running the job ended "
                                    f"unexpectedly (wait status {ret_val})", transient=True,
                                    reason="horse_killed")
        except Exception:  # noqa: BLE001 — RQ must still fail or retry the job
            log.exception("could not record the end of job %s", job.id)


def _forget_inherited_engines() -> None:
    """In a forked horse: drop the parent's pooled connections without closing them."""
    from reservoir.memory import db

    for engine in list(db._ENGINES.values()):  # noqa: SLF001 — no public reset-after-fork yet
        engine.dispose(close=False)
    db._ENGINES.clear()  # noqa: SLF001


# What a run imports lazily: paid once in the worker instead of in every forked horse (seconds:
# the OpenAI SDK and qdrant-client build hundreds of pydantic models at import).
PRELOAD_MODULES = (
    "reservoir.graphs.runner", "reservoir.agents.scout", "reservoir.agents.analyst",
    "reservoir.agents.analyst_llm", "reservoir.agents.roi", "reservoir.agents.writer",
    "reservoir.memory.vectors", "reservoir.memory.embeddings", "reservoir.memory.chunking",
    "qdrant_client", "qdrant_client.http.models", "qdrant_client.local.qdrant_local",
    "trafilatura", "openai", "langchain_openai",
)


def preload(settings: Settings) -> None:
    """Import what a run uses and read the local embedding weights once, before horses fork.

    No inference here: a torch op in the parent would deadlock its thread pool in children.
    """
    import importlib

    for name in PRELOAD_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 — optional extras; a job reports what it misses
            log.debug("not preloaded: %s (%s)", name, exc)
    if settings.embedding_provider == "local":
        from reservoir.memory.embeddings import LocalEmbedder

        try:
            _ = LocalEmbedder(settings.embedding_model).model
        except Exception as exc:  # noqa: BLE001 — each job reports a missing model itself
            log.warning("embedding model not preloaded: %s", exc)


def prepare_backends(settings: Settings, attempts: int = 5) -> None:
    """Create the schema and the checkpointer's tables before taking jobs: workers starting
    together would otherwise race to create them in their first runs (a unique violation)."""
    from reservoir.memory.checkpoint import open_checkpointer
    from reservoir.memory.db import get_engine

    async def setup_checkpointer() -> None:
        async with open_checkpointer(settings):
            pass

    for attempt in range(1, attempts + 1):
        try:
            get_engine(settings)
            asyncio.run(setup_checkpointer())
            return
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(0.5 * attempt + random.random())


_FORK_HOOK_INSTALLED = False


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None,
               heartbeat: int = 30, grace: int = 60, maintenance_interval: int = 60,
               with_scheduler: bool = True, preload_models: bool = True, simple: bool = False,
               connection: Redis | None = None) -> bool:
    """Work the ``reservoir`` queue until stopped (or until it is empty with ``burst``)."""
    global _WORKER_PID, _FORK_HOOK_INSTALLED
    connection = connection or redis_connection(settings)
    LIVENESS.heartbeat, LIVENESS.grace = heartbeat, grace
    _WORKER_PID = os.getpid()
    if not _FORK_HOOK_INSTALLED:
        os.register_at_fork(after_in_child=_forget_inherited_engines)
        _FORK_HOOK_INSTALLED = True
    prepare_backends(settings)
    if preload_models and not simple:
        preload(settings)
    worker_class: type[Worker] | type[SimpleWorker] = SimpleWorker if simple else ReservoirWorker
    # An idle worker looks for abandoned jobs only between dequeues: wake it that often.
    worker = worker_class([QUEUE_NAME], connection=connection, name=name,
                          job_monitoring_interval=heartbeat, maintenance_interval=maintenance_interval,
                          worker_ttl=maintenance_interval + 15)
    if isinstance(worker, ReservoirWorker):
        worker.grace = grace
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")


# --------------------------------------------------------------------------- the schedule


def _younger_than_timeout(settings: Settings) -> Callable[[Run], bool]:
    """Without a queue, a schedule run is taken as going while younger than the job timeout."""
    def alive(run: Run) -> bool:
        since = as_utc(run.started_at or run.created_at) or utcnow()
        return (utcnow() - since).total_seconds() < settings.job_timeout
    return alive


def start_scheduled_run(settings: Settings, *, tick: str | None,
                        alive: Callable[[Run], bool]) -> str | None:
    """Record the nightly run over every active source and profile, unless one still goes.

    A schedule run that is queued or running and ``alive`` skips this tick; one that is
    neither alive nor finished was lost and is marked failed, so it never blocks the schedule.
    """
    from reservoir.graphs import runner
    from reservoir.memory.sources import active_sources

    with session_scope(settings) as session:
        pending = session.exec(select(Run).where(
            Run.trigger == "schedule", col(Run.status).in_(("queued", "running")))
            .order_by(col(Run.created_at))).all()
        going = next((run for run in pending if alive(run)), None)
        for run in pending:
            if run is going:
                break
            run_queries.set_status(session, run, "failed", error="lost: neither executing nor "
                                   "queued when the next schedule tick came; resume it to continue")
            run_queries.add_event(session, run.id, "scheduler", "failed", {"reason": "lost"})
        if going is not None:
            going_id, going_status = going.id, going.status
        elif not active_sources(session, None):
            log.info("schedule tick %s: no active sources, nothing to discover", tick)
            return None
    if going is not None:
        # Its own transaction: the run's runner may be writing events at the same moment.
        run_queries.record_event(settings, going_id, "scheduler", "tick_skipped", {"tick": tick})
        log.info("schedule tick %s skipped: run %s is still %s", tick, going_id, going_status)
        return None
    run_id = runner.create_discovery_run(settings, trigger="schedule")
    with session_scope(settings) as session:
        run_queries.add_event(session, run_id, "scheduler", "scheduled", {"tick": tick})
    return run_id


def tick_key(name: str, tick: datetime) -> str:
    return f"reservoir:schedule-tick:{name}:{int(tick.timestamp())}"


class ReservoirCronScheduler(CronScheduler):
    """RQ's cron scheduler, safe to run twice: each tick is claimed in Redis before enqueueing.

    RQ 3.0's CronScheduler has no coordination: two instances both enqueue every due job. The
    due time of a cron job is the same on every instance (it comes from the cron expression),
    so ``SET NX`` on a key named after it lets exactly one instance enqueue that tick.
    """

    claim_ttl = 7 * 86_400

    def enqueue_jobs(self) -> list[CronJob]:
        enqueue_time = rq_now()
        due: list[CronJob] = []
        for job in self.get_jobs():
            if not job.should_run():
                continue
            tick = job.next_enqueue_time or enqueue_time
            if job.cron is None or self.connection.set(tick_key(job.name, tick), self.name, nx=True,
                                                       ex=self.claim_ttl):
                job.kwargs = {**job.kwargs, "tick": tick.isoformat()}
                job.enqueue(self.connection)
            else:
                self.log.info("CronScheduler %s: tick %s of %s was enqueued by another instance",
                              self.name, tick.isoformat(), job.name)
            job.set_enqueue_time(enqueue_time)
            due.append(job)
        return due


def next_tick(cron: str, after: datetime | None = None) -> datetime:
    """The next due time (UTC) after ``after``; cron fields are local time, as in RQ."""
    from croniter import croniter

    base = (after or utcnow()).astimezone().replace(tzinfo=None)
    local = croniter(cron, base).get_next(datetime)  # naive local time
    return datetime.fromtimestamp(local.timestamp(), tz=UTC)


def run_schedule_tick(settings: Settings, *, tick: str | None = None,
                      on_event: Callable[[dict[str, Any]], None] | None = None
                      ) -> tuple[str | None, str | None]:
    """One tick without a queue: record the run and execute it here; (run id, status)."""
    from reservoir.graphs import runner

    run_id = start_scheduled_run(settings, tick=tick or utcnow().isoformat(),
                                 alive=_younger_than_timeout(settings))
    if run_id is None:
        return None, None
    return run_id, asyncio.run(runner.execute_run(settings, run_id, on_event=on_event))


def run_schedule_loop(settings: Settings, *, stop: threading.Event | None = None,
                      on_tick: Callable[[datetime, str | None, str | None], None] | None = None,
                      max_ticks: int | None = None) -> int:
    """The embedded scheduler: sleep to each cron tick and run it here; returns ticks run.

    A run that outlasts a tick delays the loop; the missed ticks are skipped, not queued.
    """
    stop = stop or threading.Event()
    ticks = 0
    while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
        due = next_tick(settings.schedule_cron)
        while not stop.is_set() and (wait := (due - utcnow()).total_seconds()) > 0:
            stop.wait(min(wait, 1.0))
        if stop.is_set():
            break
        run_id, status = run_schedule_tick(settings, tick=due.isoformat())
        ticks += 1
        if on_tick is not None:
            on_tick(due, run_id, status)
        stop.wait(max(0.0, (due + timedelta(seconds=1) - utcnow()).total_seconds()))
    return ticks
