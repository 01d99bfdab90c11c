"""Runs go through one door: `report` is a run of kind ``report`` the launcher executes, and
`runs cancel` asks the launcher, which also takes a queued job off the queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from sqlmodel import select
from typer.testing import CliRunner

from reservoir.cli.main import app
from reservoir.config import load_settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import Report, Run
from reservoir.queue import fetch_run_job

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RESERVOIR_LLM_PROVIDER", "fake")
    monkeypatch.delenv("RESERVOIR_REDIS_URL", raising=False)
    return tmp_path


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_report_is_a_run_with_its_events(env: Path) -> None:
    _ok("profiles", "add", "Dental Clinic", "--industry", "dental")
    output = _ok("report", "--profile", "Dental Clinic")
    path = Path("".join(output.split("report: ", 1)[1].split()))  # rich wraps long paths
    assert path.is_file() and path.with_suffix(".md").is_file()

    runs = json.loads(_ok("runs", "list", "--json"))["items"]
    assert [(r["kind"], r["status"]) for r in runs] == [("report", "succeeded")]
    shown = json.loads(_ok("runs", "show", runs[0]["id"], "--json"))
    assert [e["type"] for e in shown["events"]] == [
        "queued", "started", "scored", "reports_written", "succeeded"]
    assert shown["params"]["profiles"] == ["Dental Clinic"]
    with session_scope(load_settings()) as session:
        report = session.exec(select(Report)).one()
    assert report.run_id == runs[0]["id"] and report.status == "published"
    assert shown["counters"]["reports"] == [report.id]
    assert path.name.startswith(f"report-{report.id}-")


def test_report_for_an_unknown_profile_records_nothing(env: Path) -> None:
    result = runner.invoke(app, ["report", "--profile", "nobody"])
    assert result.exit_code == 1 and "no profile named 'nobody'" in result.output
    assert json.loads(_ok("runs", "list", "--json"))["total"] == 0


def test_cancel_takes_a_queued_run_off_the_queue(env: Path, redis_server_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    client = redis.Redis.from_url(redis_server_url)
    client.flushall()
    monkeypatch.setenv("RESERVOIR_REDIS_URL", redis_server_url)
    try:
        run_id = json.loads(_ok("discover", "--detach", "--json"))["id"]
        assert fetch_run_job(client, run_id).get_status().value == "queued"
        assert _ok("runs", "cancel", run_id).strip() == f"cancel requested for {run_id}"
        assert fetch_run_job(client, run_id).get_status(refresh=True).value == "canceled"
        with session_scope(load_settings()) as session:
            assert session.get(Run, run_id).status == "cancelled"
        again = runner.invoke(app, ["runs", "cancel", run_id])
        assert again.exit_code == 1 and f"run {run_id} already cancelled" in again.output
    finally:
        client.flushall()
        client.close()
