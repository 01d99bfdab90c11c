"""Digest deliveries have a view: `GET /api/v1/deliveries` and `reservoir digests list`, both
printing ``DeliveryPublic`` (the error's first line only), newest first, paginated."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from typer.testing import CliRunner

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import Delivery, Report, utcnow
from reservoir.memory.profiles import upsert_profile
from reservoir.memory.runs import create_run


def seed_deliveries(settings: Settings) -> list[int]:
    """A published report sent by email, its webhook failed after three tries; then a newer
    report's email that failed: the ids, oldest first."""
    now = utcnow()
    with session_scope(settings) as session:
        profile = upsert_profile(session, {"name": "Acme", "industry": "accounting"})
        runs = [create_run(session, trigger="schedule") for _ in range(2)]
        reports = [Report(run_id=run.id, profile_id=profile.id, markdown="# r", html="<h1>r</h1>",
                          status="published") for run in runs]
        session.add_all(reports)
        session.flush()
        rows = [
            Delivery(run_id=runs[0].id, report_id=reports[0].id, profile_id=profile.id,
                     channel="email", target="owner@example.com", status="sent", attempts=1,
                     created_at=now - timedelta(minutes=3), sent_at=now - timedelta(minutes=3)),
            Delivery(run_id=runs[0].id, report_id=reports[0].id, profile_id=profile.id,
                     channel="webhook", target="hooks.example.com", status="failed", attempts=3,
                     error="HTTP 503: busy\nTraceback (most recent call last): ...",
                     created_at=now - timedelta(minutes=2)),
            Delivery(run_id=runs[1].id, report_id=reports[1].id, profile_id=profile.id,
                     channel="email", target="owner@example.com", status="failed", attempts=1,
                     error="SMTP 550: mailbox unavailable", created_at=now - timedelta(minutes=1)),
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


async def test_list_deliveries(client: httpx.AsyncClient, settings: Settings) -> None:
    ids = seed_deliveries(settings)
    page = (await client.get("/api/v1/deliveries")).json()
    assert page["total"] == 3 and [d["id"] for d in page["items"]] == ids[::-1]
    webhook = page["items"][1]
    assert webhook["channel"] == "webhook" and webhook["attempts"] == 3
    assert webhook["error"] == "HTTP 503: busy"  # first line only, never the traceback
    assert set(webhook) == {"id", "run_id", "report_id", "profile_id", "channel", "target",
                            "status", "attempts", "error", "created_at", "sent_at"}

    second = (await client.get("/api/v1/deliveries", params={"limit": 1, "offset": 1})).json()
    assert (second["total"], second["limit"], second["offset"]) == (3, 1, 1)
    assert [d["id"] for d in second["items"]] == [ids[1]]
    failed = (await client.get("/api/v1/deliveries", params={"status": "failed"})).json()
    assert [d["id"] for d in failed["items"]] == [ids[2], ids[1]]
    emails = (await client.get("/api/v1/deliveries", params={"channel": "email"})).json()
    assert [d["id"] for d in emails["items"]] == [ids[2], ids[0]]
    one_report = webhook["report_id"]
    of_report = (await client.get("/api/v1/deliveries", params={"report_id": one_report})).json()
    assert [d["id"] for d in of_report["items"]] == [ids[1], ids[0]]

    for bad in ({"status": "lost"}, {"channel": "pigeon"}, {"limit": 0}, {"report_id": 0}):
        response = await client.get("/api/v1/deliveries", params=bad)
        assert response.status_code == 422, (bad, response.text)


async def test_deliveries_need_a_key(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/api/v1/deliveries")).status_code == 401


def test_digests_list_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from reservoir.cli.main import app as cli

    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(settings.data_dir))
    ids = seed_deliveries(settings)
    runner = CliRunner()
    result = runner.invoke(cli, ["digests", "list", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    assert page["total"] == 3 and [d["id"] for d in page["items"]] == [ids[2], ids[1]]
    assert page["items"][1]["error"] == "HTTP 503: busy"

    table = runner.invoke(cli, ["digests", "list"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "SMTP 550: mailbox unavailable" in table.output and "Traceback" not in table.output
    assert "hooks.example.com" in table.output

    failed = json.loads(runner.invoke(cli, ["digests", "list", "--json", "--status", "failed"]).stdout)
    assert [d["status"] for d in failed["items"]] == ["failed", "failed"]
    bad = runner.invoke(cli, ["digests", "list", "--status", "lost"])
    assert bad.exit_code == 1 and "--status" in bad.output
