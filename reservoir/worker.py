"""Old dotted paths of queued jobs; the code lives in ``reservoir/queue/``.

RQ stores a job's function and callbacks by dotted path. Jobs enqueued before the queue
package existed name ``reservoir.worker.run_job``, ``reservoir.worker.on_run_job_failure`` and
``reservoir.worker.on_run_job_stopped``; a job waiting in the queue, waiting for a retry, or
re-run after its worker died resolves those names on whichever worker takes it. Needed only
while a queue may hold such a job (an upgrade with runs queued); new jobs name
``reservoir.queue.jobs.run_job`` and ``reservoir.queue.failures.*``. Import nothing from here.
"""

from __future__ import annotations

from reservoir.queue.failures import on_run_job_failure, on_run_job_stopped
from reservoir.queue.jobs import run_job

__all__ = ["on_run_job_failure", "on_run_job_stopped", "run_job"]
