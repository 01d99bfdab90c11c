"""Invalid input is a 4xx with the error body, never a 500; a 500 names nothing internal."""

from __future__ import annotations

from typing import get_args
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from reservoir.api.deps import SessionDep
from reservoir.config import Settings
from reservoir.memory import models, public


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_literals_match_the_schema_enumerations() -> None:
    assert get_args(public.AutomationType) == models.AUTOMATION_TYPES
    assert get_args(public.OpportunityStatus) == models.OPPORTUNITY_STATUSES
    assert get_args(public.RunStatus) == models.RUN_STATUSES
    assert get_args(public.RunKind) == models.RUN_KINDS
    assert get_args(public.SourceKind) == models.SOURCE_KINDS
    assert get_args(public.VolumeKind) == models.VOLUME_KINDS
    assert get_args(public.ImplementationStatus) == models.IMPLEMENTATION_STATUSES
    assert get_args(public.DeliveryStatus) == models.DELIVERY_STATUSES


BAD_PAGING = ["limit=0", "limit=501", "limit=abc", "limit=-1", "offset=-1", "offset=x", "limit=1e3",
              "limit=" + "9" * 40]
LISTS = ["/api/v1/opportunities", "/api/v1/runs", "/api/v1/documents", "/api/v1/sources", "/api/v1/profiles",
         "/api/v1/reports", "/api/v1/deliveries"]


async def test_bad_paging_is_422(client: httpx.AsyncClient) -> None:
    for path in LISTS:
        for query in BAD_PAGING:
            error = assert_error(await client.get(f"{path}?{query}"), 422, "validation_error")
            assert error["details"][0]["loc"][0] == "query", (path, query)
    for query in ["limit=0", "limit=101", "offset=901"]:
        assert_error(await client.get(f"/api/v1/opportunities/search?q=x&{query}"), 422)
    assert_error(await client.get("/api/v1/opportunities/search"), 422)


async def test_bad_filters_are_422(client: httpx.AsyncClient) -> None:
    for query in ["status=bogus", "type=robots", "status=", "industry=" + "x" * 500]:
        error = assert_error(await client.get(f"/api/v1/opportunities?{query}"), 422)
        assert error["message"].startswith("query.")
    for query in ["source_id=0", "source_id=abc", "analysed=maybe"]:
        assert_error(await client.get(f"/api/v1/documents?{query}"), 422)


async def test_bad_run_status_filter(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get("/api/v1/runs?status=sleeping"), 422)
    assert error["message"].startswith("query.status")


async def test_bad_json_is_400(client: httpx.AsyncClient) -> None:
    for body in (b"{bad", b"", b"[1,", b"\xff\xfe"):
        response = await client.post("/api/v1/sources", content=body,
                                     headers={"Content-Type": "application/json"})
        assert response.status_code in (400, 422), (body, response.text)
        assert_error(response, response.status_code)
    assert_error(await client.post("/api/v1/sources", content=b"{bad",
                                   headers={"Content-Type": "application/json"}), 400, "invalid_json")


BAD_BODIES = [
    ("/api/v1/runs", {"sources": "not-a-list"}),
    ("/api/v1/runs", {"surprise": True}),
    ("/api/v1/runs", {"focus": ["x" * 600]}),
    ("/api/v1/runs", []),
    ("/api/v1/sources", {"name": "x", "kind": "ftp", "url": "ftp://x"}),
    ("/api/v1/sources", {"name": "", "kind": "rss", "url": "https://x"}),
    ("/api/v1/sources", {"name": "x", "kind": "rss", "url": "https://x", "config": "no"}),
    ("/api/v1/profiles", {"name": "p", "industry": "law", "team_size": 0}),
    ("/api/v1/profiles", {"name": "p", "industry": "law", "hourly_rate": -5}),
    ("/api/v1/profiles", {"name": "p"}),
    ("/api/v1/ask", {"question": ""}),
    ("/api/v1/ask", {"question": "x" * 5000}),
    ("/api/v1/ask", {"question": "ok", "filters": {"status": "bogus"}}),
    ("/v1/chat/completions", {"model": "m", "messages": []}),
    ("/v1/chat/completions", {"model": "m", "messages": [{"role": "wizard", "content": "hi"}]}),
    ("/v1/chat/completions", {"model": "m", "messages": [{"role": "system", "content": "only system"}]}),
]


async def test_bad_bodies_are_422(client: httpx.AsyncClient) -> None:
    for path, body in BAD_BODIES:
        response = await client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert_error(response, 422)


async def test_bad_patch_and_unknown_ids(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    opp = seeded.opportunity_ids[0]
    assert_error(await client.patch(f"/api/v1/opportunities/{opp}", json={"status": "maybe"}), 422)
    assert_error(await client.patch(f"/api/v1/opportunities/{opp}", json={}), 422)
    missing = await client.patch("/api/v1/opportunities/999999", json={"status": "approved"})
    assert_error(missing, 404, "not_found")
    assert_error(await client.get("/api/v1/opportunities/abc"), 422)
    assert_error(await client.get("/api/v1/opportunities/99999999999999999999999"), 422)
    assert_error(await client.get("/api/v1/documents/424242"), 404)
    assert_error(await client.get("/api/v1/runs/nope"), 404)
    assert_error(await client.get("/api/v1/runs/nope/events"), 404)
    assert_error(await client.post("/api/v1/runs/nope/approve"), 404)
    assert_error(await client.get("/api/v1/reports/77"), 404)
    assert_error(await client.get("/api/v1/reports/77.html"), 404)
    assert_error(await client.get("/api/v1/reports/abc"), 404)
    assert_error(await client.delete("/api/v1/sources/nope"), 404)
    assert_error(await client.get("/api/v1/profiles/nobody"), 404)
    assert_error(await client.put("/api/v1/runs"), 405, "method_not_allowed")
    assert_error(await client.get("/api/v1/nothing-here"), 404)


async def test_bad_last_event_id(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/runs/{seeded.run_id}/events", headers={"Last-Event-ID": "abc"})
    assert_error(response, 422)


async def test_hostile_strings_never_500(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    nasty = ["'; DROP TABLE opportunity; --", '"', "*", "NEAR(", "a OR", "\\", "%", "_", "💥", "\x00",
             "title:foo", "-", "((", "AND AND", "²", "99999999999999999999999", "0", "-1"]
    for text in nasty:
        for path, params in [("/api/v1/opportunities/search", {"q": text}),
                             ("/api/v1/opportunities", {"industry": text or "x", "tool": text or "x"}),
                             ("/api/v1/sources/" + quote(text, safe=""), {}),
                             ("/api/v1/profiles/" + quote(text, safe=""), {}),
                             ("/api/v1/runs/" + quote(text, safe=""), {})]:
            response = await client.get(path, params=params)
            assert response.status_code < 500, (path, text, response.text)
    assert (await client.get("/api/v1/opportunities", params={"limit": 500})).json()["total"] == 6


async def test_unhandled_error_is_500_without_internals(app: FastAPI, auth: dict[str, str]) -> None:
    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth) as c:
        response = await c.get("/api/v1/boom")
    error = assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text and "secret" not in response.text and error["details"] is None


async def test_a_digit_profile_name_is_a_name_not_an_id(client: httpx.AsyncClient) -> None:
    """Found by fuzzing: name "1" used to be looked up as id 1 and rename that profile."""
    first = await client.post("/api/v1/profiles", json={"name": "Acme", "industry": "retail"})
    assert first.status_code == 200, first.text
    goal = "g" * 500
    for _ in range(2):  # re-posting the same digit name updates it, with a 500-character goal
        digit = await client.post("/api/v1/profiles", json={
            "name": str(first.json()["id"]), "industry": "legal", "goals": [goal]})
        assert digit.status_code == 200, digit.text
        assert digit.json()["id"] != first.json()["id"]
    listed = (await client.get("/api/v1/profiles")).json()
    assert sorted(p["name"] for p in listed["items"]) == ["1", "Acme"]
    assert (await client.get("/api/v1/profiles/Acme")).json()["industry"] == "retail"
    assert (await client.get("/api/v1/profiles/1")).json()["industry"] == "legal"


async def test_a_constraint_violation_is_a_409_naming_the_field(any_settings: object) -> None:
    """The net under every write path: the database's own refusal, on SQLite and PostgreSQL."""
    from reservoir.api.app import create_app
    from reservoir.memory.models import BusinessProfile

    app = create_app(any_settings)  # type: ignore[arg-type]

    @app.post("/test-duplicate")
    def duplicate(session: SessionDep) -> dict:
        session.add(BusinessProfile(name="Twin", industry="retail"))
        session.flush()
        session.add(BusinessProfile(name="Twin", industry="retail"))
        session.flush()
        return {}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anon:
        error = assert_error(await anon.post("/test-duplicate"), 409, "conflict")
    assert error["details"] == {"field": "name"}
    assert error["message"] == "name: this value is already taken"


# A url each kind's adapter cannot read: (kind, url, words of the reason).
BAD_SOURCE_URLS = [
    ("rss", "not a url", "http(s) url"),
    ("rss", "/srv/feed.xml", "http(s) url"),
    ("atom", "ftp://x.test/feed.xml", "http(s) url"),
    ("sitemap", "https://", "http(s) url"),
    ("sitemap", "file:///srv/sitemap.xml", "http(s) url"),
    ("html", "javascript:alert(1)", "http(s) url"),
    ("folder", "https://x.test/notes", "a path on this machine"),
    ("folder", "file://remote.test/notes", "on this machine"),
]
GOOD_SOURCE_URLS = [("rss", "https://x.test/feed.xml"), ("sitemap", "http://127.0.0.1:8000/sitemap.xml"),
                    ("folder", "/srv/notes"), ("folder", "notes"), ("folder", "file:///srv/notes")]


async def test_source_urls_are_checked_per_kind(client: httpx.AsyncClient) -> None:
    for kind, url, words in BAD_SOURCE_URLS:
        response = await client.post("/api/v1/sources", json={"name": "s", "kind": kind, "url": url})
        error = assert_error(response, 422, "validation_error")
        assert error["message"].startswith("url: ") and words in error["message"], (kind, url, error)
        assert error["details"] == {"field": "url"}
    assert (await client.get("/api/v1/sources")).json()["total"] == 0  # nothing was registered
    for i, (kind, url) in enumerate(GOOD_SOURCE_URLS):
        response = await client.post("/api/v1/sources", json={"name": f"s{i}", "kind": kind, "url": url})
        assert response.status_code == 201, response.text


def test_the_cli_applies_the_same_source_rule(settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from reservoir.cli.main import app as cli

    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    for kind, url, words in BAD_SOURCE_URLS:
        result = runner.invoke(cli, ["sources", "add", "s", "--kind", kind, "--url", url])
        assert result.exit_code == 1 and "url: " in result.output and words in result.output, (
            kind, url, result.output)
        assert "Traceback" not in result.output
    blank = runner.invoke(cli, ["sources", "add", "s", "--kind", "folder", "--url", "  "])
    assert blank.exit_code == 1 and "url: a folder source needs a path" in blank.output
    for i, (kind, url) in enumerate(GOOD_SOURCE_URLS):
        result = runner.invoke(cli, ["sources", "add", f"s{i}", "--kind", kind, "--url", url])
        assert result.exit_code == 0, result.output
