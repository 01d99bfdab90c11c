"""API keys: only a hash is stored; missing, invalid and revoked keys get a 401 with the error body."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from reservoir.api.auth import ApiKeyError, create_api_key, hash_key, list_api_keys, revoke_api_key
from reservoir.cli.serve import apikey_app
from reservoir.memory.db import session_scope
from reservoir.memory.models import ApiKey

PROTECTED = ["/api/v1/runs", "/api/v1/opportunities", "/api/v1/opportunities/search?q=x",
             "/api/v1/documents", "/api/v1/sources", "/api/v1/profiles", "/api/v1/reports", "/metrics",
             "/v1/models"]


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["message"]
    assert "details" in body["error"]
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", PROTECTED)
async def test_missing_key_is_401(anon: httpx.AsyncClient, path: str) -> None:
    assert_unauthorized(await anon.get(path))


@pytest.mark.parametrize("header", [
    "Bearer rsv_not-a-real-key", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "rsv_raw-key-without-scheme",
    "Bearer " + "x" * 5000,
])
async def test_invalid_key_is_401(anon: httpx.AsyncClient, header: str) -> None:
    assert_unauthorized(await anon.get("/api/v1/runs", headers={"Authorization": header}))


async def test_valid_key_and_post_routes_need_it(anon: httpx.AsyncClient, api_key: str) -> None:
    assert (await anon.get("/api/v1/runs", headers={"Authorization": f"Bearer {api_key}"})).status_code == 200
    assert (await anon.get("/api/v1/runs", headers={"Authorization": f"bearer {api_key}"})).status_code == 200
    assert_unauthorized(await anon.post("/api/v1/runs", json={}))
    assert_unauthorized(await anon.post("/api/v1/ask", json={"question": "hi"}))
    assert_unauthorized(await anon.post("/v1/chat/completions", json={"model": "m", "messages": []}))
    assert_unauthorized(await anon.delete("/api/v1/sources/blog"))


async def test_revoked_key_is_401(anon: httpx.AsyncClient, settings, api_key: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {api_key}"}
    assert (await anon.get("/api/v1/sources", headers=headers)).status_code == 200
    with session_scope(settings) as session:
        revoke_api_key(session, "tester")
    response = await anon.get("/api/v1/sources", headers=headers)
    assert_unauthorized(response)
    assert "revoked" in response.json()["error"]["message"]


def test_only_hash_and_prefix_are_stored(settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(settings) as session:
        row, plaintext = create_api_key(session, "ci")
    assert plaintext.startswith("rsv_") and len(plaintext) > 40
    with session_scope(settings) as session:
        stored = session.exec(select(ApiKey).where(ApiKey.name == "ci")).one()
        assert stored.key_hash == hash_key(plaintext) and plaintext not in stored.key_hash
        assert plaintext.startswith(stored.prefix) and len(stored.prefix) < 16
        with pytest.raises(ApiKeyError):
            create_api_key(session, "ci")
        with pytest.raises(ApiKeyError):
            revoke_api_key(session, "nobody")


async def test_last_used_is_recorded(anon: httpx.AsyncClient, settings, api_key: str) -> None:  # type: ignore[no-untyped-def]
    await anon.get("/api/v1/runs", headers={"Authorization": f"Bearer {api_key}"})
    with session_scope(settings) as session:
        (row,) = list_api_keys(session)
        assert row.last_used_at is not None and row.revoked_at is None


def test_apikey_cli(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    created = runner.invoke(apikey_app, ["create", "alice", "--json"])
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)["key"]
    assert key.startswith("rsv_")
    plain = runner.invoke(apikey_app, ["create", "bob"])
    assert plain.exit_code == 0 and plain.stdout.strip().startswith("rsv_")
    assert "shown once" in plain.stderr
    duplicate = runner.invoke(apikey_app, ["create", "alice"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr
    listed = json.loads(runner.invoke(apikey_app, ["list", "--json"]).stdout)
    assert [k["name"] for k in listed["items"]] == ["alice", "bob"]
    assert all("key" not in k and "key_hash" not in k for k in listed["items"])
    assert runner.invoke(apikey_app, ["revoke", "alice"]).exit_code == 0
    listed = json.loads(runner.invoke(apikey_app, ["list", "--json"]).stdout)
    assert [k["active"] for k in listed["items"]] == [False, True]
    assert runner.invoke(apikey_app, ["revoke", "nobody"]).exit_code == 1
    with session_scope(settings) as session:
        rows = {r.name: r for r in list_api_keys(session)}
        assert rows["alice"].key_hash == hash_key(key)
