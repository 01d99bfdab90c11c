"""The nightly discovery: record a schedule run per cron tick, with a queue or without one.

With Redis, ``ReservoirCronScheduler`` enqueues each tick once however many schedulers run
(the task itself, ``launcher.scheduled_discovery``, goes through the launcher). Without Redis,
``run_schedule_loop`` sleeps to each tick and runs it in this process, through the in-process
launcher its caller passes in (the launcher imports this module, so it is handed over rather
than imported). Both record the run with ``start_scheduled_run``, which never lets two
schedule runs overlap.

Imports stay light at module level: the scheduler process imports this and never runs a graph.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rq.cron import CronScheduler
from rq.utils import now as rq_now
from sqlmodel import col, select

from reservoir.config import Settings
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run, as_utc, utcnow

if TYPE_CHECKING:
    from rq.cron import CronJob

    from reservoir.launcher import RunLauncher

log = logging.getLogger(__name__)

SCHEDULE_NAME = "reservoir-nightly-discovery"
SCHEDULE_JOB_TIMEOUT = 300


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


# --------------------------------------------------------------------------- with a queue


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


# --------------------------------------------------------------------------- without a queue


def next_tick(cron: str, after: datetime | None = None) -> datetime:
    """The next due time (UTC) after ``after``; cron fields are local time, as in RQ."""
    from croniter import croniter

    base = (after or utcnow()).astimezone().replace(tzinfo=None)
    local = croniter(cron, base).get_next(datetime)  # naive local time
    return datetime.fromtimestamp(local.timestamp(), tz=UTC)


def run_schedule_tick(settings: Settings, launcher: RunLauncher, *, tick: str | None = None,
                      on_event: Callable[[dict[str, Any]], None] | None = None
                      ) -> tuple[str | None, str | None]:
    """One tick without a queue: record the run, start it through ``launcher`` (the
    in-process one) and follow it to its end, ``on_event`` seeing each of its events from the
    first; (run id, status), or (None, None) when the tick is skipped."""
    run_id = start_scheduled_run(settings, tick=tick or utcnow().isoformat(),
                                 alive=_younger_than_timeout(settings))
    if run_id is None:
        return None, None
    launcher.launch(run_id)
    return run_id, launcher.follow(run_id, on_event)


def run_schedule_loop(settings: Settings, launcher: RunLauncher, *,
                      stop: threading.Event | None = None,
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
        run_id, status = run_schedule_tick(settings, launcher, tick=due.isoformat())
        ticks += 1
        if on_tick is not None:
            on_tick(due, run_id, status)
        stop.wait(max(0.0, (due + timedelta(seconds=1) - utcnow()).total_seconds()))
    return ticks
