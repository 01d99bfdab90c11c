"""The one door for runs: start (``launch``), ``cancel`` and ``follow``, in this process or on RQ.

``make_launcher(settings)`` gives ``RqLauncher`` when ``RESERVOIR_REDIS_URL`` is set, else
``InProcessLauncher``. Both start a run and return at once, and ``follow`` reads the run's
events from the RunEvent table until it finishes or waits for approval — the same wherever
the run executes. The CLI (``discover``, ``runs``, ``demo``, ``report``), the API and the
dashboard (through the API) start, cancel and follow every run, of any kind, through here;
``RunFollower`` is the one follow loop, used by ``follow`` and by the API's SSE stream.
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
from reservoir.memory.models import Run, RunEvent

log = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any]], None]

# A run stops moving once finished or waiting for a person.
ENDING_STATUSES = (*run_queries.FINAL_STATUSES, "interrupted")
# The types of the event that closes a run's story (the runner writes it before the status).
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
    """The full run id, or RunError: unknown, finished, or waiting for a decision (a run
    paused by the model budget continues without one: `runs resume` after raising it)."""
    run = runner.resumable(settings, run_id)
    if (run.status == "interrupted" and resume_value is None
            and not runner.waiting_for_budget(settings, run.id)):
        raise runner.RunError(f"run {run.id} is waiting for approval: approve or reject it")
    return run.id


def last_seq(settings: Settings, run_id: str) -> int:
    """The newest event's seq: follow from here to see only what a relaunch adds."""
    with session_scope(settings) as session:
        events = run_queries.events_after(session, run_id, 0, limit=100_000)
        return events[-1].seq if events else 0


# How long a follower waits, once a run's status has settled with no closing event among its
# events, before it takes the status as final. The runner writes a run's closing event just
# before its final status, and the worker writes both in one transaction; a follower reads the
# status before the events, so it finds the closing event in the same poll and ends at once.
# The grace only ends a follow on a status settled without one (a run that stopped on a
# refused resume, one another process marked): no event is coming, so a short wait suffices.
# 2 s is several polls (0.1-0.25 s) long, so one slow poll cannot end a stream early, and short
# enough that nobody notices it. (The CLI used 10 s and the SSE stream 2 s before they shared
# this loop; the CLI's extra seconds guarded nothing the status-first read does not.)
FOLLOW_GRACE_SECONDS = 2.0
_BATCH = 500


def event_record(event: RunEvent) -> dict[str, Any]:
    """What a follower's callback receives for one event."""
    return {"seq": event.seq, "node": event.node, "type": event.type, "payload": event.payload}


class RunFollower:
    """One follow of one run, a poll at a time: the CLI loops over ``poll`` in ``follow_run``,
    the API's SSE stream in its async loop (with heartbeats). Both stop on the same rule.

    A run has stopped moving when its status is final or ``interrupted``, its launcher no
    longer has it queued or executing, and its newest event closes it — or, with no closing
    event, ``FOLLOW_GRACE_SECONDS`` after the status settled.
    """

    def __init__(self, settings: Settings, run_id: str, *, after: int = 0,
                 is_active: Callable[[str], bool] = lambda _id: False) -> None:
        self.settings, self.run_id, self.after = settings, run_id, after
        self.is_active = is_active
        self.status: str | None = None
        self._settled_since: float | None = None

    def poll(self) -> tuple[list[RunEvent], str | None]:
        """The events after the last poll, and the run's status once it has stopped moving.

        The launcher is asked first and the status read before the events: a run seen idle
        and settled has written everything it will, so its closing event is among them.
        """
        active = self.is_active(self.run_id)
        with session_scope(self.settings) as session:
            run = session.get(Run, self.run_id)
            if run is None:
                raise runner.RunError(f"no run {self.run_id!r}")
            self.status = run.status
            events = self._new_events(session)
            latest = events[-1].type if events else None
            if latest is None and self.status in ENDING_STATUSES and not active:
                latest = run_queries.last_event_type(session, self.run_id)
        return events, self._ended(active, latest, bool(events))

    def _new_events(self, session: Any) -> list[RunEvent]:
        events: list[RunEvent] = []
        while True:
            batch = run_queries.events_after(session, self.run_id, self.after, _BATCH)
            events.extend(batch)
            if batch:
                self.after = batch[-1].seq
            if len(batch) < _BATCH:
                return events

    def _ended(self, active: bool, latest: str | None, moved: bool) -> str | None:
        now = time.monotonic()
        if self.status not in ENDING_STATUSES or active:
            self._settled_since = None
            return None
        if moved or self._settled_since is None:
            self._settled_since = now
        if latest in ENDING_EVENTS or now - self._settled_since >= FOLLOW_GRACE_SECONDS:
            return self.status
        return None


def follow_run(settings: Settings, run_id: str, on_event: EventCallback | None = None, *,
               is_active: Callable[[str], bool] = lambda _id: False, after: int = 0,
               poll: float = 0.25, timeout: float | None = None) -> str:
    """Follow the run's events (after ``after``) until it stops moving; returns its status.

    ``timeout`` returns the status as it is then.
    """
    follower = RunFollower(settings, run_id, after=after, is_active=is_active)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        events, ended = follower.poll()
        for event in events:
            if on_event is not None:
                on_event(event_record(event))
        if ended is not None:
            return ended
        if deadline is not None and time.monotonic() >= deadline:
            return follower.status or "queued"
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

    def abandon(self, reason: str) -> list[str]:
        """This process stops before its runs end (Ctrl-C in the CLI): each run still executing
        is recorded ``failed`` with ``reason``, resumable from its last checkpoint, as the runner
        records an interrupt in its own thread; their daemon threads end with the process."""
        with self._lock:
            self._closed = True
            run_ids = list(self._active)
        for run_id in run_ids:
            runner.record_abandoned(self.settings, run_id, reason)
        return run_ids

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
        from reservoir import queue

        self.settings = settings
        self.connection = connection or queue.redis_connection(settings)
        self.retry_intervals = retry_intervals or queue.RETRY_INTERVALS

    def launch(self, run_id: str, *, resume_value: Any = None) -> None:
        """Enqueue the run (its job id is ``run-<id>``); RunBusyError if a job of it is active."""
        from reservoir import queue

        run_id = _check_launchable(self.settings, run_id, resume_value)
        guard = f"reservoir:launch:{run_id}"
        if not self.connection.set(guard, "1", nx=True, ex=30):
            raise RunBusyError(f"run {run_id} is being launched")
        try:
            previous = queue.fetch_run_job(self.connection, run_id)
            if previous is not None:
                if previous.get_status(refresh=True).value in queue.ACTIVE_JOB_STATES:
                    raise RunBusyError(f"run {run_id} is already {previous.get_status().value} "
                                       "on the queue")
                previous.delete()  # a finished/failed job of an earlier launch; the run row keeps its story
            queue.enqueue_run(self.connection, self.settings, run_id, resume_value=resume_value,
                               retry_intervals=self.retry_intervals)
        finally:
            self.connection.delete(guard)

    def job_state(self, run_id: str) -> str | None:
        from reservoir import queue

        return queue.job_state(self.connection, run_id)

    def is_active(self, run_id: str) -> bool:
        from reservoir import queue

        return queue.is_job_active(self.connection, run_id)

    def active(self) -> list[str]:
        from reservoir import queue

        registry = queue.run_queue(self.connection).started_job_registry
        return [job_id.removeprefix("run-") for job_id in registry.get_job_ids(cleanup=False)
                if job_id.startswith("run-")]

    def cancel(self, run_id: str, *, force: bool = False) -> str:
        """Cancel the run: a queued job is dropped from the queue; a running one stops at its
        next step, or at once with ``force`` (RQ's stop-job command kills its work horse; the
        run is resumable from its last checkpoint, but is recorded as cancelled)."""
        from rq.command import send_stop_job_command

        from reservoir import queue

        run_id = runner.resumable(self.settings, run_id).id
        status = runner.request_cancel(self.settings, run_id)
        job = queue.fetch_run_job(self.connection, run_id)
        state = job.get_status(refresh=True).value if job is not None else None
        if job is not None and state in queue.ACTIVE_JOB_STATES - {"started"}:
            job.cancel()
            queue.mark_failed(self.settings, run_id, "cancelled before it started",
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


def queue_scheduled_run(settings: Settings, launcher: RqLauncher, *,
                        tick: str | None = None) -> str | None:
    """Record the nightly run and queue it, unless a schedule run is still on the queue; its
    id, or None when skipped (one place for the cron task and `reservoir schedule --once`)."""
    from reservoir.queue.schedule import start_scheduled_run

    run_id = start_scheduled_run(settings, tick=tick, alive=lambda run: launcher.is_active(run.id))
    if run_id is not None:
        launcher.launch(run_id)
    return run_id


def scheduled_discovery(tick: str | None = None) -> str | None:
    """The RQ task the cron scheduler enqueues: record the nightly run and queue it."""
    from reservoir.config import load_settings

    settings = load_settings()
    return queue_scheduled_run(settings, RqLauncher(settings), tick=tick)


def build_cron_scheduler(settings: Settings, connection: Redis | None = None,
                         name: str = "") -> Any:
    """RQ's cron scheduler (made safe to run twice) enqueueing `scheduled_discovery`.

    Here rather than in the queue package: the task goes through the launcher, and the launcher uses
    the queue helpers, so the dependency points one way (launcher → queue).
    """
    from reservoir import queue

    scheduler = queue.ReservoirCronScheduler(
        connection=connection or queue.redis_connection(settings), name=name)
    scheduler.register(scheduled_discovery, queue.QUEUE_NAME, cron=settings.schedule_cron,
                       job_timeout=queue.SCHEDULE_JOB_TIMEOUT, name=queue.SCHEDULE_NAME)
    return scheduler
