"""`reservoir track`: bookmark → start → done with actuals, listed next to the projection."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reservoir.cli.main import app
from reservoir.config import load_settings
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, upsert_document
from reservoir.memory.opportunities import EvidenceIn, OpportunityIn, create_opportunity

runner = CliRunner()


@pytest.fixture
def opp_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(tmp_path / "data"))
    with session_scope(load_settings()) as session:
        doc = upsert_document(session, DocumentIn(url="https://example.com/a", title="A",
                                                  text="We save 4 hours a week.")).document
        opp = create_opportunity(session, OpportunityIn(
            key="k", title="Reminder texts", summary="s", automation_type="scheduling",
            evidence=[EvidenceIn(document_id=doc.id, quote="We save 4 hours a week.")]))  # type: ignore[arg-type]
        opp_id = opp.id
    result = runner.invoke(app, ["profiles", "add", "Cafe", "--industry", "hospitality"])
    assert result.exit_code == 0, result.output
    return opp_id  # type: ignore[return-value]


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_steps_and_actuals(opp_id: int) -> None:
    assert _json(["track", "bookmark", str(opp_id), "--profile", "Cafe", "--json"])["status"] \
        == "bookmarked"
    started = _json(["track", "start", str(opp_id), "--profile", "Cafe", "--json"])
    assert started["status"] == "in_progress" and started["started_at"]
    done = _json(["track", "done", str(opp_id), "--profile", "Cafe", "--hours-saved", "2.5",
                  "--setup-hours", "6", "--tool-cost", "19", "--json"])
    assert done["status"] == "implemented" and done["implemented_at"]
    assert (done["actual_hours_saved_week"], done["actual_setup_hours"],
            done["actual_tool_cost_month"]) == (2.5, 6.0, 19.0)
    listed = _json(["track", "list", "--profile", "Cafe", "--json"])
    assert listed["total"] == 1 and listed["items"][0]["title"] == "Reminder texts"
    table = runner.invoke(app, ["track", "list", "--profile", "Cafe"])
    assert "Tracked by Cafe" in table.output and "2.5" in table.output


@pytest.mark.parametrize("args,message", [
    (["track", "start", "999", "--profile", "Cafe"], "no opportunity 999"),
    (["track", "start", "{opp}", "--profile", "Nobody"], "no profile named 'Nobody'"),
    (["track", "done", "{opp}", "--profile", "Cafe", "--hours-saved", "-1"], "--hours-saved"),
])
def test_mistakes_are_one_line(opp_id: int, args: list[str], message: str) -> None:
    result = runner.invoke(app, [a.replace("{opp}", str(opp_id)) for a in args])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output


def test_an_abandoned_opportunity_cannot_be_started(opp_id: int) -> None:
    assert runner.invoke(app, ["track", "abandon", str(opp_id), "--profile", "Cafe"]).exit_code == 0
    result = runner.invoke(app, ["track", "start", str(opp_id), "--profile", "Cafe"])
    assert result.exit_code == 1 and "cannot go from abandoned to in_progress" in result.output
