"""The CLI's ``--json`` and the API answer with the same public model of each entity."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from reservoir.cli.main import app as cli
from reservoir.config import Settings
from reservoir.memory import implementations as impl
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.models import BusinessProfile
from tests.api.conftest import seed

TRACEBACK = "RuntimeError: the feed broke\nTraceback (most recent call last):\n  File \"x.py\", line 1"


def _cli(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _reservoir(settings: Settings) -> dict[str, Any]:
    """Every entity the CLI and the API show: seeded rows, a failed run, a tracked opportunity."""
    seeded = seed(settings)
    with session_scope(settings) as session:
        run = run_queries.create_run(session, trigger="test")
        run_queries.set_status(session, run, "failed", error=TRACEBACK)
        run_queries.add_event(session, run.id, "scout", "started", {"sources": 1})
        profile = session.get(BusinessProfile, 1)
        assert profile is not None
        impl.track(session, profile, seeded.opportunity_ids[0], impl.TrackIn(status="bookmarked"))
        return {"run": run.id, "opp": seeded.opportunity_ids[0], "doc": seeded.document_ids[0]}


async def test_cli_json_is_the_api_json(client: httpx.AsyncClient, settings: Settings,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _reservoir(settings)
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(settings.data_dir))
    shows = [
        (["runs", "show", ids["run"]], f"/api/v1/runs/{ids['run']}"),
        (["documents", "show", str(ids["doc"])], f"/api/v1/documents/{ids['doc']}"),
        (["opportunities", "show", str(ids["opp"])], f"/api/v1/opportunities/{ids['opp']}"),
    ]
    lists = [
        (["runs", "list"], "/api/v1/runs"),
        (["sources", "list"], "/api/v1/sources"),
        (["profiles", "list"], "/api/v1/profiles"),
        (["documents", "list"], "/api/v1/documents"),
        (["opportunities", "list"], "/api/v1/opportunities"),
        (["track", "list", "--profile", "1"], "/api/v1/profiles/1/implementations"),
    ]
    for args, path in shows:
        shown = _cli(args)
        shown.pop("searches", None)  # the CLI's run adds which query found which document
        assert shown == (await client.get(path)).json(), args
    for args, path in lists:
        items = _cli(args)["items"]
        assert items and items == (await client.get(path)).json()["items"], args

    run = _cli(["runs", "show", ids["run"]])
    assert run["error"] == "RuntimeError: the feed broke" and run["cancel_requested"] is False
    assert run["events"][0]["payload"] == {"sources": 1}
    opp = _cli(["opportunities", "show", str(ids["opp"])])
    assert opp["roi"][0]["profile_name"] and opp["evidence"][0]["url"]


def test_api_key_json_never_shows_the_key(settings: Settings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(settings.data_dir))
    assert CliRunner().invoke(cli, ["apikey", "create", "ops"]).exit_code == 0
    assert CliRunner().invoke(cli, ["apikey", "revoke", "ops"]).exit_code == 0
    (key,) = _cli(["apikey", "list"])["items"]
    assert set(key) == {"name", "prefix", "created_at", "last_used_at", "revoked_at", "active"}
    assert key["name"] == "ops" and key["active"] is False and key["revoked_at"]
