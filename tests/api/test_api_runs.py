"""Runs through the API with the real runner: start, SSE framing, replay, approval, cancel."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlmodel import select

from reservoir.graphs import runner
from reservoir.memory.db import session_scope
from reservoir.memory.models import Report
from reservoir.memory.profiles import upsert_profile


def wait_status(settings, run_id: str, statuses: tuple[str, ...], timeout: float = 30) -> str:  # type: ignore[no-untyped-def]
    from reservoir.memory import runs as run_queries

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(settings) as session:
            status = run_queries.get_run(session, run_id).status
        if status in statuses:
            return status
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {status}")


async def test_start_run_and_follow_events(client: httpx.AsyncClient, sse, settings) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/runs", json={"focus": ["invoicing"]})
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["status"] in ("queued", "running") and run["trigger"] == "api"
    assert run["params"]["focus"] == ["invoicing"]
    assert response.headers["location"] == f"/api/v1/runs/{run['id']}"

    stream = await client.get(f"/api/v1/runs/{run['id']}/events")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"].startswith("no-cache")
    events = sse(stream.text)
    assert events[0] == {"retry": "2000"}
    body, end = [e for e in events[1:-1] if ":" not in e], events[-1]  # heartbeats are comments
    for event in body:  # every event: id = seq, event = type, one JSON data line
        assert set(event) == {"id", "event", "data"}
        data = json.loads(event["data"])
        assert int(event["id"]) == data["seq"] and event["event"] == data["type"]
        assert set(data) == {"seq", "ts", "node", "type", "payload"}
    seqs = [int(e["id"]) for e in body]
    assert seqs == list(range(1, len(seqs) + 1))
    assert body[0]["event"] == "queued" and body[-1]["event"] == "succeeded"
    assert end["event"] == "end" and "id" not in end
    assert json.loads(end["data"]) == {"run_id": run["id"], "status": "succeeded"}

    detail = (await client.get(f"/api/v1/runs/{run['id']}")).json()
    assert detail["status"] == "succeeded" and detail["finished_at"]
    assert [e["seq"] for e in detail["events"]] == seqs
    listed = (await client.get("/api/v1/runs", params={"status": "succeeded"})).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == run["id"]
    assert (await client.get(f"/api/v1/runs/{run['id'][:8]}")).json()["id"] == run["id"]  # prefix

    # Last-Event-ID replays from there; ?after= does the same for clients that cannot set headers.
    replay = sse((await client.get(f"/api/v1/runs/{run['id']}/events", headers={"Last-Event-ID": "3"})).text)
    assert [int(e["id"]) for e in replay if "id" in e] == seqs[3:]
    after = sse((await client.get(f"/api/v1/runs/{run['id']}/events", params={"after": len(seqs)})).text)
    assert [e.get("event") for e in after if ":" not in e] == [None, "end"]


async def test_approve_and_reject(client: httpx.AsyncClient, sse, settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(settings) as session:
        upsert_profile(session, {"name": "Acme", "industry": "accounting"})
    ids = {}
    for verb in ("approve", "reject"):
        body = {"require_approval": True, "profiles": ["Acme"]}
        run = (await client.post("/api/v1/runs", json=body)).json()
        events = [e for e in sse((await client.get(f"/api/v1/runs/{run['id']}/events")).text) if "event" in e]
        assert events[-1]["event"] == "end" and json.loads(events[-1]["data"])["status"] == "interrupted"
        assert events[-2]["event"] == "interrupted"
        resumed = await client.post(f"/api/v1/runs/{run['id']}/resume")
        assert resumed.json()["error"]["code"] == "run_waiting"
        decided = await client.post(f"/api/v1/runs/{run['id']}/{verb}")
        assert decided.status_code == 202, decided.text
        wait_status(settings, run["id"], ("succeeded", "failed"))
        again = await client.post(f"/api/v1/runs/{run['id']}/{verb}")
        assert again.status_code == 409 and again.json()["error"]["code"] == "run_not_waiting"
        ids[verb] = run["id"]
        tail = sse((await client.get(f"/api/v1/runs/{run['id']}/events",
                                     headers={"Last-Event-ID": events[-2]["id"]})).text)
        assert [e.get("event") for e in tail if e.get("event")][-2:] == ["succeeded", "end"]
    with session_scope(settings) as session:
        reports = {r.run_id: r.status for r in session.exec(select(Report)).all()}
    assert reports == {ids["approve"]: "published", ids["reject"]: "rejected"}


async def test_start_a_report_run(client: httpx.AsyncClient, sse, settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(settings) as session:
        upsert_profile(session, {"name": "Acme", "industry": "accounting"})
    response = await client.post("/api/v1/runs", json={"kind": "report", "profile": "Acme"})
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["kind"] == "report" and run["trigger"] == "api"
    assert run["params"]["profiles"] == ["Acme"]
    events = [e for e in sse((await client.get(f"/api/v1/runs/{run['id']}/events")).text) if "event" in e]
    assert json.loads(events[-1]["data"])["status"] == "succeeded"
    with session_scope(settings) as session:
        (report,) = session.exec(select(Report).where(Report.run_id == run["id"])).all()
    assert report.status == "published"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"kind": "report"}, "profile", "needs the name of the profile"),
    ({"kind": "report", "profile": "nobody"}, "profile", "nobody"),
    ({"kind": "report", "profile": "Acme", "focus": ["x"]}, "focus", "not an option of a report"),
    ({"kind": "report", "profile": "Acme", "profiles": ["Acme"]}, "profiles", "not an option"),
    ({"profile": "Acme"}, "profile", "only for kind 'report'"),
    ({"kind": "ask"}, "kind", ""),
])
async def test_a_bad_run_body_is_a_422_naming_the_field(client: httpx.AsyncClient, settings,  # type: ignore[no-untyped-def]
                                                        body, field, words) -> None:
    with session_scope(settings) as session:
        upsert_profile(session, {"name": "Acme", "industry": "accounting"})
    response = await client.post("/api/v1/runs", json=body)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert message.startswith(f"{field}: ") and words in message
    listed = (await client.get("/api/v1/runs")).json()
    assert listed["total"] == 0  # nothing was recorded


async def test_cancel_and_conflicts(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    waiting = (await client.post("/api/v1/runs", json={"require_approval": True})).json()
    wait_status(settings, waiting["id"], ("interrupted",))
    cancelled = await client.post(f"/api/v1/runs/{waiting['id']}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    for verb in ("cancel", "resume", "approve", "reject"):
        response = await client.post(f"/api/v1/runs/{waiting['id']}/{verb}")
        assert response.status_code == 409, (verb, response.text)
    unknown = await client.post("/api/v1/runs", json={"profiles": ["nobody"]})
    assert unknown.status_code == 422 and "nobody" in unknown.json()["error"]["message"]


async def test_live_stream_heartbeats_and_follows(settings, app, auth, live_server, sse) -> None:  # type: ignore[no-untyped-def]
    """A run nobody launched: the stream stays open with heartbeats until the run is cancelled."""
    run_id = runner.create_discovery_run(settings, trigger="test")
    async with httpx.AsyncClient(base_url=live_server.base_url, headers=auth, timeout=10) as http:
        async with http.stream("GET", f"/api/v1/runs/{run_id}/events") as stream:
            seen: list[str] = []
            async for line in stream.aiter_lines():
                seen.append(line)
                if line.startswith(": heartbeat") and not any("cancel" in s for s in seen):
                    assert (await http.post(f"/api/v1/runs/{run_id}/cancel")).status_code == 202
        events = sse("\n".join(seen))
    kinds = [e.get("event") for e in events]
    assert kinds[1] == "queued" and "cancel_requested" in kinds and kinds[-1] == "end"
    assert any(":" in e for e in events)  # the heartbeat comment
    assert json.loads(events[-1]["data"])["status"] == "cancelled"


@pytest.mark.slow
async def test_discovery_on_demo_corpus(client: httpx.AsyncClient, settings, sse) -> None:  # type: ignore[no-untyped-def]
    """The whole pipeline through the API: demo sources and profiles, a run, its results."""
    demo = pytest.importorskip("reservoir.demo", reason="reservoir.demo (the demo corpus) is not available")
    server_mod = pytest.importorskip("reservoir.demo.server", reason="reservoir.demo.server is not available")
    with server_mod.DemoServer() as srv:
        # One feed keeps the test quick; the full corpus is `make demo`'s job.
        for source in [s for s in demo.demo_sources(srv.base_url) if s["kind"] == "rss"][:1]:
            body = {"name": source["name"], "kind": source["kind"], "url": source["url"],
                    "config": source.get("config") or {}}
            created = await client.post("/api/v1/sources", json=body)
            assert created.status_code == 201, created.text
        for profile in demo.demo_profiles()[:1]:
            assert (await client.post("/api/v1/profiles", json=profile)).status_code == 200
        run = (await client.post("/api/v1/runs", json={})).json()
        events = sse((await client.get(f"/api/v1/runs/{run['id']}/events")).text)
    assert json.loads(events[-1]["data"])["status"] == "succeeded", events[-3:]
    opps = (await client.get("/api/v1/opportunities")).json()
    assert opps["total"] > 0
    detail = (await client.get(f"/api/v1/opportunities/{opps['items'][0]['id']}")).json()
    assert detail["evidence"] and detail["evidence"][0]["url"].startswith(srv.base_url)
    assert (await client.get("/api/v1/reports")).json()["total"] == 1
    hits = (await client.get("/api/v1/opportunities/search", params={"q": detail["title"]})).json()
    assert detail["id"] in [o["id"] for o in hits["items"][:5]]
