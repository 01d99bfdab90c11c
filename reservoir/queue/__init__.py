"""Background runs on RQ, one room per noun.

- ``jobs``: a run's job — the queue, the job id, its state, enqueueing it, and ``run_job``,
  the function a worker executes for it.
- ``failures``: what a failed execution does to its Run row (transient or final), and RQ's
  failure and stopped callbacks.
- ``lock``: one execution per run across workers, and how a dead worker is noticed.
- ``worker``: the ``reservoir worker`` process (preload, backends, the forking worker).
- ``schedule``: the nightly discovery — the cron scheduler with a queue, the loop without.

The names the launcher uses are re-exported here, so it imports the queue as one thing.
"""

from __future__ import annotations

from reservoir.queue.failures import (
    TransientError,
    is_transient,
    mark_failed,
    mark_retrying,
)
from reservoir.queue.jobs import (
    ACTIVE_JOB_STATES,
    QUEUE_NAME,
    RETRY_INTERVALS,
    RETRY_MAX,
    enqueue_run,
    fetch_run_job,
    is_job_active,
    job_id_for,
    job_state,
    redis_connection,
    run_job,
    run_queue,
)
from reservoir.queue.lock import LIVENESS, RunLock
from reservoir.queue.schedule import (
    SCHEDULE_JOB_TIMEOUT,
    SCHEDULE_NAME,
    ReservoirCronScheduler,
    next_tick,
    run_schedule_loop,
    run_schedule_tick,
    start_scheduled_run,
)
from reservoir.queue.worker import ReservoirWorker, run_worker

__all__ = [
    "ACTIVE_JOB_STATES", "LIVENESS", "QUEUE_NAME", "RETRY_INTERVALS", "RETRY_MAX",
    "SCHEDULE_JOB_TIMEOUT", "SCHEDULE_NAME", "ReservoirCronScheduler", "ReservoirWorker",
    "RunLock", "TransientError", "enqueue_run", "fetch_run_job", "is_job_active",
    "is_transient", "job_id_for", "job_state", "mark_failed", "mark_retrying", "next_tick",
    "redis_connection", "run_job", "run_queue", "run_schedule_loop", "run_schedule_tick",
    "run_worker", "start_scheduled_run",
]
