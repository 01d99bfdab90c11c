"""One execution per run across workers, and how the death of the process holding it is noticed.

RQ may re-run a job it believes abandoned while a horse whose worker died is still executing;
the run lock makes that retry wait instead of racing on the checkpoint. ``LIVENESS`` carries
the worker's liveness settings and its pid from ``run_worker`` (queue/worker.py) to the lock
and the run job in each forked horse, which inherits them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass

from redis import Redis

log = logging.getLogger(__name__)


@dataclass
class Liveness:
    """How fast a dead worker is noticed: a running job heart-beats every ``heartbeat`` s and
    counts as abandoned ``grace`` s after the last beat (RQ's defaults: 30 and 60).

    ``worker_pid`` is set in the worker's main process; a forked horse inherits it, which is
    how a horse knows it is one, and whose death should end it.
    """

    heartbeat: int = 30
    grace: int = 60
    worker_pid: int | None = None

    @property
    def ttl(self) -> int:
        return self.heartbeat + self.grace

    @property
    def lock_ttl(self) -> int:
        """Shorter than the grace: a dead job's run lock is gone before RQ retries the job."""
        return max(2, self.grace - 1)

    def in_horse(self) -> bool:
        """This process was forked by a worker to execute one job."""
        return bool(self.worker_pid) and self.worker_pid != os.getpid()


LIVENESS = Liveness()


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
        parent = LIVENESS.worker_pid if LIVENESS.in_horse() else None
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
