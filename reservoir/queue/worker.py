"""The worker process: RQ's forking worker, made ready before it takes its first job.

``reservoir worker`` calls ``run_worker``: it creates the schema and the checkpointer's tables
once (workers starting together would race), imports what a run uses before horses fork (paid
once, not per job), and keeps the Run row true when a horse is killed (OOM, timeout,
``kill -9``), which RQ reports to the worker and never to the job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from typing import Any

from redis import Redis
from rq import SimpleWorker, Worker
from rq.job import Job

from reservoir.config import Settings
from reservoir.memory.models import as_utc, utcnow
from reservoir.queue.failures import is_transient, record_interruption, timeout_error
from reservoir.queue.jobs import QUEUE_NAME, redis_connection
from reservoir.queue.lock import LIVENESS

log = logging.getLogger(__name__)


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
                record_interruption(job, timeout_error(job), transient=False, reason="timeout")
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
    global _FORK_HOOK_INSTALLED
    connection = connection or redis_connection(settings)
    LIVENESS.heartbeat, LIVENESS.grace = heartbeat, grace
    LIVENESS.worker_pid = os.getpid()
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
