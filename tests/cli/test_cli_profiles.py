"""`reservoir profiles add` with the owner's optional facts, and its one-line mistakes."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reservoir.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_headcount_and_volumes_are_stored(env: Path) -> None:
    result = runner.invoke(app, ["profiles", "add", "Acme Realty", "--industry", "real_estate",
                                 "--team-size", "12", "--headcount", "inbound email=1, agents=9",
                                 "--leads-per-month", "320", "--appointments-per-month", "140",
                                 "--json"])
    assert result.exit_code == 0, result.output
    saved = json.loads(result.stdout)
    assert saved["headcount"] == {"inbound email": 1, "agents": 9}
    assert saved["monthly_volumes"] == {"leads": 320.0, "appointments": 140.0}
    listed = json.loads(runner.invoke(app, ["profiles", "list", "--json"]).stdout)
    assert listed["items"][0]["headcount"] == {"inbound email": 1, "agents": 9}
    plain = json.loads(runner.invoke(app, ["profiles", "add", "Solo", "--industry", "legal",
                                           "--json"]).stdout)
    assert plain["headcount"] is None and plain["monthly_volumes"] is None


@pytest.mark.parametrize("args,message", [
    (["--headcount", "agents"], "write ROLE=NUMBER"),
    (["--headcount", "agents=20"], "exceeds the team size (12)"),
    (["--leads-per-month", "-3"], "--leads-per-month"),
])
def test_bad_facts_are_one_clear_line(env: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["profiles", "add", "X", "--industry", "retail",
                                 "--team-size", "12", *args])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output
