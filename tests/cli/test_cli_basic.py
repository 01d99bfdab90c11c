"""CLI through Typer's runner, data directory in a temporary path."""

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


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_and_sources_roundtrip(env: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert (env / "data" / "reservoir.db").exists()
    for i in range(3):
        result = runner.invoke(app, ["sources", "add", f"s{i}", "--kind", "rss",
                                     "--url", f"https://x.test/{i}.xml", "--config", '{"limit": 5}'])
        assert result.exit_code == 0, result.output
    page = _json(["sources", "list", "--json", "--limit", "2"])
    assert page["total"] == 3 and [s["name"] for s in page["items"]] == ["s2", "s1"]
    assert page["items"][0]["config"] == {"limit": 5} and page["items"][0]["last_error"] is None
    assert runner.invoke(app, ["sources", "remove", "s1"]).exit_code == 0
    assert _json(["sources", "list", "--json"])["total"] == 2


@pytest.mark.parametrize("args,message", [
    (["sources", "add", "x", "--kind", "gopher", "--url", "u"], "unknown source kind"),
    (["sources", "add", "x", "--kind", "rss", "--url", "u", "--config", "{oops"], "not valid JSON"),
    (["sources", "remove", "nope"], "no source named"),
    (["opportunities", "list", "--type", "magic"], "unknown automation type"),
    (["opportunities", "show", "42"], "no opportunity 42"),
    (["documents", "show", "42"], "no document"),
])
def test_user_mistakes_are_one_clear_line(env: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_duplicate_source_name(env: Path) -> None:
    args = ["sources", "add", "dup", "--kind", "rss", "--url", "https://x.test/f"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "already exists" in result.output


def test_invalid_config_names_variable(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESERVOIR_FETCH_TIMEOUT", "-3")
    result = runner.invoke(app, ["sources", "list"])
    assert result.exit_code == 2 and "RESERVOIR_FETCH_TIMEOUT" in result.output


def test_empty_lists_as_json(env: Path) -> None:
    assert _json(["opportunities", "list", "--json"]) == {"items": [], "total": 0}
    assert _json(["documents", "list", "--json"]) == {"items": [], "total": 0}


def test_tools_list_and_show(env: Path) -> None:
    from reservoir.config import load_settings
    from reservoir.memory.db import session_scope
    from reservoir.memory.opportunities import OpportunityIn, create_opportunity

    with session_scope(load_settings(data_dir=env / "data")) as db:
        for i in range(3):
            create_opportunity(db, OpportunityIn(
                key=f"opp-{i}", title=f"Automate invoice reminders {i}", summary="Reminders.",
                automation_type="follow_up", industries=["accounting"],
                tools=["Zapier", "Xero"] if i < 2 else ["Make"]))
    page = _json(["tools", "list", "--json"])
    assert page["total"] == 3 and page["items"][0]["name"] in {"Zapier", "Xero"}
    zapier = _json(["tools", "show", "zapier", "--json"])
    assert zapier["name"] == "Zapier" and zapier["opportunities"] == 2
    assert zapier["category"] == "workflow" and zapier["industries"] == {"accounting": 2}
    shown = runner.invoke(app, ["tools", "show", "Zapier"])
    assert shown.exit_code == 0 and "Automate invoice reminders" in shown.stdout
    assert runner.invoke(app, ["tools", "show", "no-such-tool-here"]).exit_code == 1
    found = _json(["tools", "list", "--catalogue", "--contains", "zapier", "--json"])
    assert [t["name"] for t in found["items"]] == ["Zapier"]
