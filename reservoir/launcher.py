"""Where a recorded run executes: the ``RunLauncher`` seam, in this process or on RQ workers.

``make_launcher(settings)`` gives ``RqLauncher`` when ``RESERVOIR_REDIS_URL`` is set, else
``InProcessLauncher``. Both start a run and return at once, and ``follow`` reads the run's
events from the RunEvent table until it finishes or waits for approval — the same wherever
the run executes, which is how the CLI and the API's SSE stream follow a run on a worker.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from redis import Redis

from reservoir.config import Settings
from reservoir.graphs import runner
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run

log = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any]], None]

# A run stops moving once finished or waiting for a person.
ENDING_STATUSES = (*run_queries.FINAL_STATUSES, "interrupted")
# The runner sets the status just before its last event; these close a run's stream.
ENDING_EVENTS = frozenset({"succeeded", "failed", "cancelled", "interrupted", "cancel_requested"})


class RunBusyError(RuntimeError):
    """The run is already queued or executing; starting it twice would race on its checkpoint."""


class RunLauncher(Protocol):
    def launch(self, run_id: str, *, resume_value: Any = None) -> None:
        """Start (or continue) the run in the background; return at once."""

    def is_active(self, run_id: str) -> bool:
        """True while the run is queued or executing under this launcher."""

    def active(self) -> list[str]:
        """Ids of the runs executing now."""

    def cancel(self, run_id: str, *, force: bool = False) -> str:
        """Request a cancel; the run's status after it."""

    def follow(self, run_id: str, on_event: EventCallback | None = None, *, after: int = 0,
               poll: float = 0.25, timeout: float | None = None) -> str:
        """Replay and follow the run's events; its status once it stops moving."""

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop accepting runs; give executing ones ``timeout`` seconds."""


def _check_launchable(settings: Settings, run_id: str, resume_value: Any) -> str:
    """The full run id, or RunError: unknown, finished, or waiting for a decision."""
    run = runner.resumable(settings, run_id)
    if run.status == "interrupted" and resume_value is None:
        raise runner.RunError(f"run {run.id} is waiting for approval: approve or reject it")
    return run.id


def last_seq(settings: Settings, run_id: str) -> int:
    """The newest event's seq: follow from here to see only what a relaunch adds."""
    with session_scope(settings) as session:
        events = run_queries.events_after(session, run_id, 0, limit=100_000)
        return events[-1].seq if events else 0


def follow_run(settings: Settings, run_id: str, on_event: EventCallback | None = None, *,
               is_active: Callable[[str], bool] = lambda _id: False, after: int = 0,
               poll: float = 0.25, grace: float = 10.0, timeout: float | None = None) -> str:
    """Poll the run's events (after ``after``) until it stops moving; returns its status.

    Stops when the status is final or ``interrupted``, the launcher no longer has the run
    queued or executing, and the newest event closes the run — or, without such an event,
    ``grace`` seconds after the status settled. ``timeout`` returns the status as it is then.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    settled_since: float | None = None
    last_type: str | None = None
    while True:
        with session_scope(settings) as session:
            events = run_queries.events_after(session, run_id, after, 500)
            run = session.get(Run, run_id)
            if run is None:
                raise runner.RunError(f"no run {run_id!r}")
            status = run.status
            records = [{"seq": e.seq, "node": e.node, "type": e.type, "payload": e.payload}
                       for e in events]
        for record in records:
            after, last_type = record["seq"], record["type"]
            if on_event is not None:
                on_event(record)
        if len(records) == 500:
            continue
        now = time.monotonic()
        if status in ENDING_STATUSES and not is_active(run_id):
            settled_since = settled_since if settled_since is not None and not records else now
            if last_type in ENDING_EVENTS or now - settled_since >= grace:
                return status
        else:
            settled_since = None
        if deadline is not None and now >= deadline:
            return status
        time.sleep(poll)


class InProcessLauncher:
    """Runs execute in this process, one daemon thread and event loop each (the embedded
    default): graph nodes do blocking work that must not stall a server's own loop."""

    def __init__(self, settings: Settings, **dep_overrides: Any) -> None:
        self.settings = settings
        self._dep_overrides = dep_overrides
        self._active: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False

    def launch(self, run_id: str, *, resume_value: Any = None) -> None:
        run_id = _check_launchable(self.settings, run_id, resume_value)
        with self._lock:
            if self._closed:
                raise RunBusyError("shutting down: no new runs")
            if run_id in self._active:
                raise RunBusyError(f"run {run_id} is already executing")
            thread = threading.Thread(target=self._target, args=(run_id, resume_value),
                                      name=f"run-{run_id[:8]}", daemon=True)
            self._active[run_id] = thread
        thread.start()

    def _target(self, run_id: str, resume_value: Any) -> None:
        try:
            status = asyncio.run(runner.execute_run(self.settings, run_id, resume_value=resume_value,
                                                    **self._dep_overrides))
            log.info("run %s ended: %s", run_id, status)
        except runner.RunError as exc:
            log.warning("run %s could not continue: %s", run_id, exc)
        except Exception:  # noqa: BLE001 — a background run must never take the process down
            log.exception("run %s crashed", run_id)
        finally:
            with self._lock:
                self._active.pop(run_id, None)

    def is_active(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._active

    def active(self) -> list[str]:
        with self._lock:
            return list(self._active)

    def cancel(self, run_id: str, *, force: bool = False) -> str:
        """A running run stops at its next step; there is no harder stop in-process."""
        return runner.request_cancel(self.settings, run_id)

    def follow(self, run_id: str, on_event: EventCallback | None = None, *, after: int = 0,
               poll: float = 0.25, timeout: float | None = None) -> str:
        return follow_run(self.settings, run_id, on_event, is_active=self.is_active, after=after,
                          poll=poll, timeout=timeout)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Runs still executing after ``timeout`` stay ``running`` and resume from a checkpoint."""
        with self._lock:
            self._closed = True
            threads = list(self._active.values())
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class RqLauncher:
    """Runs go on the ``reservoir`` RQ queue; ``reservoir worker`` processes execute them."""

    def __init__(self, settings: Settings, connection: Redis | None = None, *,
                 retry_intervals: tuple[int, ...] | None = None) -> None:
        from reservoir import queue as worker

        self.settings = settings
        self.connection = connection or worker.redis_connection(settings)
        self.retry_intervals = retry_intervals or worker.RETRY_INTERVALS

    def launch(self, run_id: str, *, resume_value: Any = None) -> None:
        """Enqueue the run (its job id is ``run-<id>``); RunBusyError if a job of it is active."""
        from reservoir import queue as worker

        run_id = _check_launchable(self.settings, run_id, resume_value)
        guard = f"reservoir:launch:{run_id}"
        if not self.connection.set(guard, "1", nx=True, ex=30):
            raise RunBusyError(f"run {run_id} is being launched")
        try:
            previous = worker.fetch_run_job(self.connection, run_id)
            if previous is not None:
                if previous.get_status(refresh=True).value in worker.ACTIVE_JOB_STATES:
                    raise RunBusyError(f"run {run_id} is already {previous.get_status().value} "
                                       "on the queue")
                previous.delete()  # a finished/failed job of an earlier launch; the run row keeps its story
            worker.enqueue_run(self.connection, self.settings, run_id, resume_value=resume_value,
                               retry_intervals=self.retry_intervals)
        finally:
            self.connection.delete(guard)

    def job_state(self, run_id: str) -> str | None:
        from reservoir import queue as worker

        return worker.job_state(self.connection, run_id)

    def is_active(self, run_id: str) -> bool:
        from reservoir import queue as worker

        return worker.is_job_active(self.connection, run_id)

    def active(self) -> list[str]:
        from reservoir import queue as worker

        registry = worker.run_queue(self.connection).started_job_registry
        return [job_id.removeprefix("run-") for job_id in registry.get_job_ids(cleanup=False)
                if job_id.startswith("run-")]

    def cancel(self, run_id: str, *, force: bool = False) -> str:
        """Cancel the run: a queued job is dropped from the queue; a running one stops at its
        next step, or at once with ``force`` (RQ's stop-job command kills its work horse; the
        run is resumable from its last checkpoint, but is recorded as cancelled)."""
        from rq.command import send_stop_job_command

        from reservoir import queue as worker

        run_id = runner.resumable(self.settings, run_id).id
        status = runner.request_cancel(self.settings, run_id)
        job = worker.fetch_run_job(self.connection, run_id)
        state = job.get_status(refresh=True).value if job is not None else None
        if job is not None and state in worker.ACTIVE_JOB_STATES - {"started"}:
            job.cancel()
            worker.mark_failed(self.settings, run_id, "cancelled before it started",
                               reason="cancelled")
        elif job is not None and state == "started" and force:
            send_stop_job_command(self.connection, job.id)
        with session_scope(self.settings) as session:
            run = session.get(Run, run_id)
            return run.status if run else status

    def follow(self, run_id: str, on_event: EventCallback | None = None, *, after: int = 0,
               poll: float = 0.25, timeout: float | None = None) -> str:
        return follow_run(self.settings, run_id, on_event, is_active=self.is_active, after=after,
                          poll=poll, timeout=timeout)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Queued and running jobs belong to the workers; only the connection closes."""
        self.connection.close()


def make_launcher(settings: Settings, **dep_overrides: Any) -> RunLauncher:
    """The queue when ``redis_url`` is set, else this process."""
    if settings.redis_url:
        return RqLauncher(settings)
    return InProcessLauncher(settings, **dep_overrides)


_LAUNCHERS: dict[str, RunLauncher] = {}
_LAUNCHERS_LOCK = threading.Lock()


def get_launcher(settings: Settings) -> RunLauncher:
    """One launcher per queue (or per process without one), so ``follow`` knows what runs here."""
    key = settings.redis_url or f"in-process:{settings.sqlalchemy_url}"
    with _LAUNCHERS_LOCK:
        if key not in _LAUNCHERS:
            _LAUNCHERS[key] = make_launcher(settings)
        return _LAUNCHERS[key]


def launch(settings: Settings, run_id: str, *, resume_value: Any = None) -> None:
    """Start a recorded run in the background (queue or this process); return at once."""
    get_launcher(settings).launch(run_id, resume_value=resume_value)


def follow(settings: Settings, run_id: str, on_event: EventCallback | None = None, *,
           after: int = 0, timeout: float | None = None) -> str:
    """Follow a run's events from the database until it finishes or waits; its status."""
    return get_launcher(settings).follow(run_id, on_event, after=after, timeout=timeout)


def scheduled_discovery(tick: str | None = None) -> str | None:
    """The RQ task the cron scheduler enqueues: record the nightly run and queue it."""
    from reservoir.config import load_settings
    from reservoir.queue.schedule import start_scheduled_run

    settings = load_settings()
    launcher = RqLauncher(settings)
    run_id = start_scheduled_run(settings, tick=tick, alive=lambda run: launcher.is_active(run.id))
    if run_id is not None:
        launcher.launch(run_id)
    return run_id


def build_cron_scheduler(settings: Settings, connection: Redis | None = None,
                         name: str = "") -> Any:
    """RQ's cron scheduler (made safe to run twice) enqueueing `scheduled_discovery`.

    Here rather than in worker.py: the task goes through the launcher, and the launcher uses
    the worker's queue helpers, so the dependency points one way (launcher → worker).
    """
    from reservoir import queue as worker

    scheduler = worker.ReservoirCronScheduler(
        connection=connection or worker.redis_connection(settings), name=name)
    scheduler.register(scheduled_discovery, worker.QUEUE_NAME, cron=settings.schedule_cron,
                       job_timeout=worker.SCHEDULE_JOB_TIMEOUT, name=worker.SCHEDULE_NAME)
    return scheduler
