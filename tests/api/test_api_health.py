"""Health, readiness, metrics, CORS and the dashboard's public page shells."""

from __future__ import annotations

import httpx
import pytest

from reservoir.api.app import create_app
from reservoir.config import load_settings
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope


async def test_health_and_ready_need_no_key(anon: httpx.AsyncClient) -> None:
    health = await anon.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = await anon.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "vector_store": "ok"}}


async def test_not_ready_when_redis_is_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = load_settings(data_dir=tmp_path / "d", redis_url=f"redis://127.0.0.1:{port}/0")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("unavailable")
    assert body["error"]["code"] == "not_ready" and "redis" in body["error"]["message"]


async def test_ready_with_real_redis(tmp_path, redis_server_url: str) -> None:  # type: ignore[no-untyped-def]
    app = create_app(load_settings(data_dir=tmp_path / "d", redis_url=redis_server_url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/ready")
    assert response.status_code == 200 and response.json()["checks"]["redis"] == "ok"


async def test_metrics(anon: httpx.AsyncClient, client: httpx.AsyncClient, settings, seeded) -> None:  # type: ignore[no-untyped-def]
    with session_scope(settings) as session:
        run = run_queries.get_run(session, seeded.run_id)
        run.tokens_in, run.tokens_out, run.cost_usd = 1200, 300, 0.25
        session.add(run)
        run_queries.create_run(session, trigger="test")
    await client.get("/api/v1/opportunities")
    await client.get(f"/api/v1/opportunities/{seeded.opportunity_ids[0]}")
    await client.get("/api/v1/nothing")
    assert (await anon.get("/metrics")).status_code == 401
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'reservoir_http_request_duration_seconds_count{method="GET",route="/api/v1/opportunities",' \
           'status="200"} 1.0' in text
    assert 'route="/api/v1/opportunities/{opp_id}"' in text  # templates, not raw paths
    assert f"/api/v1/opportunities/{seeded.opportunity_ids[0]}\"" not in text
    assert 'route="unmatched",status="404"' in text
    assert 'reservoir_runs{status="succeeded"} 1.0' in text and 'reservoir_runs{status="queued"} 1.0' in text
    assert 'reservoir_llm_tokens_total{direction="in"} 1200.0' in text
    assert 'reservoir_llm_tokens_total{direction="out"} 300.0' in text
    assert "reservoir_llm_cost_usd_total 0.25" in text
    assert 'reservoir_opportunities{status="new"} 6.0' in text


async def test_metrics_can_be_public(settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, metrics_public=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/metrics")).status_code == 200
        assert (await c.get("/api/v1/runs")).status_code == 401


async def test_cors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=tmp_path / "d", cors_origins="https://app.example")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        preflight = await c.options("/api/v1/runs", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        other = await c.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(load_settings(
            data_dir=tmp_path / "e"))), base_url="http://t") as c:
        plain = await c.get("/health", headers={"Origin": "https://app.example"})
        assert "access-control-allow-origin" not in plain.headers  # no origins configured: no CORS


@pytest.mark.parametrize("path", ["/", "/login", "/runs", "/runs/abc123", "/opportunities",
                                  "/opportunities/7", "/sources", "/reports", "/reports/3", "/documents/4",
                                  "/chat", "/tools", "/tracking"])
async def test_dashboard_shells_are_public_and_locked_down(anon: httpx.AsyncClient, path: str) -> None:
    response = await anon.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert '<script src="/static/app.js"' in response.text
    for attr in ('src="http', "src='http", 'href="http', 'src="//', 'href="//'):
        assert attr not in response.text  # nothing from a CDN or another origin


async def test_dashboard_escapes_path_values(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/runs/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "<script>alert(1)</script>" not in response.text


async def test_static_files(anon: httpx.AsyncClient) -> None:
    for name, kind in [("app.js", "javascript"), ("pages.js", "javascript"), ("app.css", "text/css"),
                       ("favicon.svg", "image/svg")]:
        response = await anon.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    assert (await anon.get("/static/../app.py")).status_code == 404
