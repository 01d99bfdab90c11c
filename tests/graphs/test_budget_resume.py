"""A run whose model budget runs out pauses cleanly, says so, and a resumed run with a larger
budget analyses the documents left — none lost, none analysed twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import col, select

from reservoir.demo.server import DemoServer
from reservoir.graphs.runner import execute_run
from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Run, RunEvent
from tests.graphs.helpers import demo_settings, run_discovery


def test_a_run_out_of_budget_pauses_and_resumes_with_a_larger_one(
        demo_server: DemoServer, tmp_path: Path) -> None:
    tight = demo_settings(tmp_path / "data", llm_provider="fake", budget_tokens=4000,
                          llm_max_concurrency=1)
    run_id, status = run_discovery(tight, demo_server.base_url, only=["demo-rss"])
    assert status == "interrupted"
    with session_scope(tight) as session:
        pending = session.exec(select(Document).where(col(Document.analysed_at).is_(None))).all()
        analysed = session.exec(select(Document).where(col(Document.analysed_at).isnot(None))).all()
        events = [e.type for e in session.exec(select(RunEvent).where(RunEvent.run_id == run_id))]
        assert session.get(Run, run_id).status == "interrupted"
    assert pending and analysed, "the budget should stop the run part-way"
    assert "budget_reached" in events

    roomy = tight.model_copy(update={"budget_tokens": 10_000_000})
    assert asyncio.run(execute_run(roomy, run_id)) == "succeeded"
    with session_scope(roomy) as session:
        assert not session.exec(select(Document).where(col(Document.analysed_at).is_(None))).all()
        run = session.get(Run, run_id)
        assert run.status == "succeeded" and run.tokens_in > 0
