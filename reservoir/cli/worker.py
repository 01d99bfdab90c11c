"""`reservoir worker`, `reservoir scheduler` and `reservoir schedule`: background runs.

With RESERVOIR_REDIS_URL: `worker` executes queued runs (scale by starting more), `scheduler`
enqueues the nightly discovery (RQ cron; a second instance is harmless). Without Redis,
`schedule` runs the same schedule in this process.
"""

from __future__ import annotations

import logging

import typer

from reservoir.cli.common import console, fail, print_json, settings

app = typer.Typer(help="Background workers and the nightly schedule.", no_args_is_help=True)


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def worker(
    burst: bool = typer.Option(False, "--burst", help="Exit once the queue is empty."),
    name: str = typer.Option(None, "--name", help="Worker name (default: random)."),
    heartbeat: int = typer.Option(30, "--heartbeat", min=1, help="Seconds between a running "
                                  "job's heartbeats."),
    grace: int = typer.Option(60, "--grace", min=3, help="Seconds without a heartbeat after "
                              "which a job's worker counts as dead and the job is retried."),
    maintenance_interval: int = typer.Option(60, "--maintenance-interval", min=1,
                                             help="Seconds between looks for abandoned jobs."),
    preload: bool = typer.Option(True, "--preload/--no-preload", help="Load the graph and the "
                                 "embedding model once, before jobs fork."),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Execute queued runs from the `reservoir` queue (needs RESERVOIR_REDIS_URL)."""
    from reservoir.queue.worker import run_worker

    cfg = settings()
    if not cfg.redis_url:
        fail("`reservoir worker` needs a queue: set RESERVOIR_REDIS_URL (without one, "
             "`reservoir discover` runs in the foreground)")
    _logging(log_level)
    run_worker(cfg, burst=burst, name=name, heartbeat=heartbeat, grace=grace,
               maintenance_interval=maintenance_interval, preload_models=preload)


def scheduler(
    name: str = typer.Option("", "--name", help="Scheduler name (default: host:pid:random)."),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Enqueue a discovery run over all active sources and profiles on RESERVOIR_SCHEDULE_CRON."""
    from reservoir.launcher import build_cron_scheduler

    cfg = settings()
    if not cfg.redis_url:
        fail("`reservoir scheduler` needs RESERVOIR_REDIS_URL; without Redis use `reservoir schedule`")
    _logging(log_level)
    console.print(f"schedule {cfg.schedule_cron!r} (local time): nightly discovery on the queue")
    build_cron_scheduler(cfg, name=name).start()


def schedule(
    once: bool = typer.Option(False, "--once", help="Run one tick now and exit."),
    as_json: bool = typer.Option(False, "--json", help="With --once: the run as JSON."),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    """The nightly discovery without Redis: run RESERVOIR_SCHEDULE_CRON ticks in this process."""
    from reservoir.launcher import InProcessLauncher, RqLauncher, queue_scheduled_run
    from reservoir.queue.schedule import next_tick, run_schedule_loop, run_schedule_tick

    cfg = settings()
    _logging(log_level)
    if once and cfg.redis_url:
        run_id = queue_scheduled_run(cfg, RqLauncher(cfg))
        _report(run_id, "queued" if run_id else None, as_json)
        return
    if cfg.redis_url:
        fail("RESERVOIR_REDIS_URL is set: run `reservoir scheduler` (and `reservoir worker`) "
             "instead, or `reservoir schedule --once` to queue one run now")
    launcher = InProcessLauncher(cfg)
    try:
        if once:
            run_id, status = run_schedule_tick(cfg, launcher)
            _report(run_id, status, as_json)
            if status == "failed":
                raise typer.Exit(1)
            return
        console.print(f"schedule {cfg.schedule_cron!r} (local time); next run at "
                      f"{next_tick(cfg.schedule_cron).astimezone():%Y-%m-%d %H:%M %Z}. "
                      "Ctrl-C stops.")
        run_schedule_loop(cfg, launcher, on_tick=lambda due, run_id, status: console.print(
            f"{due.astimezone():%Y-%m-%d %H:%M} run {run_id or '-'}: {status or 'skipped'}",
            highlight=False))
    except KeyboardInterrupt:
        # The run executes in a thread of this process: recorded failed, resumable from its
        # last checkpoint, as the runner recorded it when it ran on this thread.
        launcher.abandon("KeyboardInterrupt: stopped from the terminal")
        console.print("stopped")


def _report(run_id: str | None, status: str | None, as_json: bool) -> None:
    if as_json:
        print_json({"id": run_id, "status": status or "skipped"})
    elif run_id is None:
        console.print("skipped: a scheduled run is still going, or there is no active source")
    else:
        console.print(f"run {run_id}: {status}", highlight=False)


app.command("worker")(worker)
app.command("scheduler")(scheduler)
app.command("schedule")(schedule)

if __name__ == "__main__":
    app()
