"""The report pass: a fresh report for one profile from what the reservoir holds now.

`reservoir report` records it as a run of kind ``report`` (runner.create_report_run) and the
launcher executes it like any run, here or on a worker: it has a run row, events and usage,
and `runs list` shows it. It fetches and analyses nothing; it scores the live opportunities
the profile has no estimate for (as the discovery graph's roi node does, without the model's
proposals), writes the report and publishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reservoir.agents import roi, writer
from reservoir.deps import Deps
from reservoir.graphs.discovery import opportunities_to_score
from reservoir.memory.db import session_scope
from reservoir.memory.models import BusinessProfile
from reservoir.memory.reports import set_report_status


async def report_pass(deps: Deps, run_id: str, profile_id: int | None,
                      cancelled: Callable[[], bool] = lambda: False) -> tuple[str, dict[str, Any]]:
    """Score, write, publish; the run's status and counters. A cancel stops it between steps."""
    with session_scope(deps.settings) as session:
        if profile_id is None or session.get(BusinessProfile, profile_id) is None:
            raise LookupError(f"the profile of report run {run_id} no longer exists")
    ids = opportunities_to_score(deps, [], [profile_id])
    roi.score_opportunities(deps, ids, [profile_id])
    deps.emit("roi", "scored", {"opportunities": len(ids), "profiles": 1})
    if cancelled():
        return "cancelled", {"opportunities_scored": len(ids), "reports": []}
    report_id = await writer.write_report(deps, run_id, profile_id)
    with session_scope(deps.settings) as session:
        set_report_status(session, [report_id], "published")
    deps.emit("writer", "reports_written", {"report_ids": [report_id]})
    return "succeeded", {"opportunities_scored": len(ids), "reports": [report_id]}
