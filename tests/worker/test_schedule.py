"""The nightly schedule: RQ cron with a per-tick claim, no overlap, and the in-process loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq.cron import get_cron_job_ids
from sqlmodel import select
from typer.testing import CliRunner

from reservoir.cli.worker import app as worker_cli
from reservoir.config import Settings
from reservoir.graphs import runner
from reservoir.launcher import (
    InProcessLauncher,
    RqLauncher,
    build_cron_scheduler,
    scheduled_discovery,
)
from reservoir.memory.db import session_scope
from reservoir.memory.models import Run, RunEvent
from reservoir.queue.jobs import run_queue
from reservoir.queue.schedule import (
    SCHEDULE_NAME,
    next_tick,
    run_schedule_loop,
    run_schedule_tick,
    start_scheduled_run,
)
from tests.worker.conftest import set_env, work
from tests.worker.helpers import register


def runs(settings: Settings) -> list[Run]:
    with session_scope(settings) as session:
        return list(session.exec(select(Run).order_by(Run.created_at)).all())


def due_now(scheduler: object, tick: datetime) -> None:
    """Make the scheduler's cron job due at ``tick``, as if that time had just come."""
    for job in scheduler.get_jobs():  # type: ignore[attr-defined]
        job.next_enqueue_time = tick


@pytest.mark.redis
def test_two_schedulers_enqueue_each_tick_once(queue_settings: Settings,
                                               connection: redis.Redis) -> None:
    first = build_cron_scheduler(queue_settings, connection, name="first")
    second = build_cron_scheduler(queue_settings, connection, name="second")
    tick = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    for scheduler in (first, second):
        due_now(scheduler, tick)
    assert len(first.enqueue_jobs()) == 1 and len(second.enqueue_jobs()) == 1  # both were due
    queue = run_queue(connection)
    assert queue.count == 1  # ... but the tick was enqueued once
    assert len(get_cron_job_ids(SCHEDULE_NAME, connection)) == 1
    # Both moved on to the next tick of the cron expression.
    assert first.get_jobs()[0].next_enqueue_time == second.get_jobs()[0].next_enqueue_time > tick

    work(connection)  # the tick job records the run and queues it; the same worker runs it
    (run,) = runs(queue_settings)
    assert run.trigger == "schedule" and run.status == "succeeded"
    assert run.params["sources"] == ["notes"] and run.params["profiles"] == ["Acme Dental"]
    with session_scope(queue_settings) as session:
        scheduled = session.exec(select(RunEvent).where(RunEvent.type == "scheduled")).one()
    assert scheduled.payload["tick"] == tick.isoformat()


@pytest.mark.redis
def test_a_tick_is_skipped_while_the_scheduled_run_is_still_going(
        queue_settings: Settings, connection: redis.Redis) -> None:
    launcher = RqLauncher(queue_settings)
    first = scheduled_discovery(tick="t1")  # the tick job's work: a run recorded and queued
    assert first is not None and launcher.is_active(first)
    assert scheduled_discovery(tick="t2") is None  # queued: not started twice

    during: list[str | None] = []

    def tick_while_running() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with session_scope(queue_settings) as session:
                if session.get(Run, first).status == "running":
                    break
            time.sleep(0.02)
        during.append(scheduled_discovery(tick="t3"))

    ticker = threading.Thread(target=tick_while_running)
    ticker.start()
    work(connection)
    ticker.join()
    assert during == [None]  # running: not started twice either
    assert [r.id for r in runs(queue_settings)] == [first]
    with session_scope(queue_settings) as session:
        skipped = session.exec(select(RunEvent).where(RunEvent.type == "tick_skipped")).all()
    assert [e.payload["tick"] for e in skipped] == ["t2", "t3"]

    deadline = time.monotonic() + 30  # "done" includes RQ recording the job as finished
    while launcher.is_active(first) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = scheduled_discovery(tick="t4")  # once it is done, the next tick starts a new one
    assert second is not None and second != first


@pytest.mark.redis
def test_a_lost_scheduled_run_does_not_block_the_schedule(queue_settings: Settings) -> None:
    launcher = RqLauncher(queue_settings)
    lost = runner.create_discovery_run(queue_settings, trigger="schedule")  # never enqueued
    new = start_scheduled_run(queue_settings, tick="t", alive=lambda r: launcher.is_active(r.id))
    assert new is not None and new != lost
    with session_scope(queue_settings) as session:
        row = session.get(Run, lost)
        assert row.status == "failed" and row.error.startswith("lost")


@pytest.mark.redis
def test_two_scheduler_processes_enqueue_each_tick_once(queue_settings: Settings,
                                                        connection: redis.Redis) -> None:
    env = {k: v for k, v in os.environ.items()}
    env["RESERVOIR_SCHEDULE_CRON"] = "* * * * * */2"  # every 2 seconds (croniter's seconds field)
    procs = [subprocess.Popen([sys.executable, "-m", "reservoir.cli.worker", "scheduler",
                               "--name", f"s{i}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for i in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(get_cron_job_ids(SCHEDULE_NAME, connection)) < 3:
            for proc in procs:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            time.sleep(0.2)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=20)
    enqueued = get_cron_job_ids(SCHEDULE_NAME, connection)
    claims = [k.decode() for k in connection.keys("reservoir:schedule-tick:*")]
    assert len(enqueued) >= 3
    assert len(enqueued) == len(claims)  # one job per tick, however many schedulers
    winners = {connection.get(k).decode() for k in claims}
    assert winners <= {"s0", "s1"}


def test_schedule_once_runs_a_tick_in_this_process_without_redis(
        tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESERVOIR_REDIS_URL", raising=False)
    settings = set_env(monkeypatch, tmp_path / "embedded")
    assert settings.redis_url is None
    register(settings, corpus)
    cli = CliRunner()
    result = cli.invoke(worker_cli, ["schedule", "--once", "--json"])
    assert result.exit_code == 0, result.output
    (run,) = runs(settings)
    assert run.trigger == "schedule" and run.status == "succeeded"
    assert f'"id": "{run.id}"' in result.output

    # A scheduled run still going (here: one that another process just queued) skips the tick.
    going = runner.create_discovery_run(settings, trigger="schedule")
    result = cli.invoke(worker_cli, ["schedule", "--once", "--json"])
    assert result.exit_code == 0 and '"status": "skipped"' in result.output
    assert [r.id for r in runs(settings)][-1] == going

    # Without Redis the RQ commands say what to use instead.
    assert cli.invoke(worker_cli, ["worker", "--burst"]).exit_code == 1
    assert cli.invoke(worker_cli, ["scheduler"]).exit_code == 1


def test_schedule_loop_runs_each_due_tick(tmp_path: Path, corpus: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESERVOIR_REDIS_URL", raising=False)
    settings = set_env(monkeypatch, tmp_path / "loop", RESERVOIR_SCHEDULE_CRON="* * * * * *")
    register(settings, corpus)
    ticks: list[tuple[datetime, str | None, str | None]] = []
    stop = threading.Event()
    assert run_schedule_loop(settings, InProcessLauncher(settings), stop=stop, max_ticks=2,
                             on_tick=lambda *tick: ticks.append(tick)) == 2
    assert [status for _, _, status in ticks] == ["succeeded", "succeeded"]
    assert ticks[0][0] < ticks[1][0]
    assert [r.trigger for r in runs(settings)] == ["schedule", "schedule"]


class RecordingLauncher(InProcessLauncher):
    """The in-process launcher, noting each run it is asked to start."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.launched: list[str] = []

    def launch(self, run_id: str, *, resume_value: object = None) -> None:
        self.launched.append(run_id)
        super().launch(run_id, resume_value=resume_value)


def test_a_tick_without_a_queue_goes_through_the_launcher(
        tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESERVOIR_REDIS_URL", raising=False)
    settings = set_env(monkeypatch, tmp_path / "door")
    register(settings, corpus)
    launcher = RecordingLauncher(settings)
    events: list[str] = []
    run_id, status = run_schedule_tick(settings, launcher, tick="t",
                                       on_event=lambda event: events.append(event["type"]))
    assert run_id is not None and launcher.launched == [run_id]
    assert status == "succeeded" and not launcher.is_active(run_id)
    assert "scheduled" in events and events[-1] == "succeeded"  # followed to its end

    going = runner.create_discovery_run(settings, trigger="schedule")  # still going: skipped
    assert run_schedule_tick(settings, launcher, tick="t2") == (None, None)
    assert launcher.launched == [run_id] and going not in launcher.launched


def test_next_tick_follows_the_cron_expression_in_local_time() -> None:
    after = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    tick = next_tick("0 3 * * *", after)
    local = tick.astimezone()
    assert (local.hour, local.minute) == (3, 0) and tick > after
    assert tick - after <= timedelta(days=1)
    assert next_tick("*/15 * * * *", after) == after + timedelta(minutes=15)


@pytest.mark.redis
def test_schedule_once_with_redis_queues_the_run(queue_settings: Settings,
                                                 connection: redis.Redis) -> None:
    cli = CliRunner()
    result = cli.invoke(worker_cli, ["schedule", "--once", "--json"])
    assert result.exit_code == 0 and '"status": "queued"' in result.output, result.output
    (run,) = runs(queue_settings)
    assert run.trigger == "schedule" and RqLauncher(queue_settings).job_state(run.id) == "queued"
    # The loop is the RQ scheduler's job when there is a queue.
    looping = cli.invoke(worker_cli, ["schedule"])
    assert looping.exit_code == 1 and "reservoir scheduler" in looping.output
