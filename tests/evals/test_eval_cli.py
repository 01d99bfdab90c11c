"""`reservoir eval run | compare | list` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reservoir.cli.evals import app

runner = CliRunner()


def _run(*args: str) -> dict:
    result = runner.invoke(app, ["run", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_compare_list(cli_env: Path) -> None:
    plain = _run("--task", "extract", "--provider", "none", "--limit", "12")
    assert plain["examples"] == 12 and plain["calls"] == 0 and plain["metrics"]["grounding"] == 1.0
    fake = _run("--task", "extract", "--provider", "fake", "--prompt", "analyst.extract=v2",
                "--limit", "12", "--concurrency", "6", "--label", "fake v2")
    assert fake["calls"] > 0 and fake["prompts"] == {"analyst.extract": "v2"}

    html = cli_env / "report.html"
    result = runner.invoke(app, ["compare", plain["id"], fake["id"][:9], "--html", str(html)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "type_accuracy" in out and "Δ" in out and "fake v2" in out
    assert f"{fake['id']} vs {plain['id']}:" in out and "wins" in out and "losses" in out
    page = html.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 and "Cost vs quality" in page

    listed = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert [r["id"] for r in listed["items"]] == [fake["id"], plain["id"]]
    table = runner.invoke(app, ["list", "--task", "extract"])
    assert table.exit_code == 0 and plain["id"] in table.output


def test_run_human_output(cli_env: Path) -> None:
    result = runner.invoke(app, ["run", "--task", "roi", "--provider", "none", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "roi_in_range" in result.output and "5 examples, 0 errors" in result.output


def test_usage_errors(cli_env: Path) -> None:
    cases = [
        (["run", "--task", "extract", "--prompt", "analyst.extract"], "TASK=VERSION"),
        (["run", "--task", "extract", "--prompt", "analyst.extract=v99", "--provider", "fake"],
         "no prompt"),
        (["run", "--task", "nope"], "unknown task"),
        (["compare", "ev-missing", "ev-other"], "no eval run"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    roi = _run("--task", "roi", "--provider", "none", "--limit", "2")
    extract = _run("--task", "extract", "--provider", "none", "--limit", "2")
    result = runner.invoke(app, ["compare", roi["id"], extract["id"], "--no-html"])
    assert result.exit_code == 2 and "different tasks" in result.output
