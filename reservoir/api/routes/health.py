"""Liveness, readiness and metrics: what orchestrators and Prometheus poll."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from reservoir import __version__
from reservoir.api.deps import SettingsDep, bearer, require_api_key
from reservoir.api.errors import error_body
from reservoir.api.schemas import Health, Readiness
from reservoir.config import Settings
from reservoir.memory.db import session_scope

router = APIRouter(tags=["health"])


def _check(fn: Any) -> str:
    try:
        return fn() or "ok"
    except Exception as exc:  # noqa: BLE001 — readiness reports any failure, by class name
        return f"unavailable: {type(exc).__name__}"


def _database(settings: Settings) -> str:
    from reservoir.memory.db import get_engine

    with get_engine(settings).connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


def _vector_store(settings: Settings) -> str:
    from reservoir.memory.vectors import get_vector_store

    get_vector_store(settings).ping()
    return "ok"


def _redis(settings: Settings) -> str:
    import redis

    client = redis.Redis.from_url(settings.redis_url or "", socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def readiness(settings: Settings) -> dict[str, str]:
    checks = {"database": _check(lambda: _database(settings)),
              "vector_store": _check(lambda: _vector_store(settings))}
    if settings.redis_url:
        checks["redis"] = _check(lambda: _redis(settings))
    return checks


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
async def health() -> Health:
    return Health(version=__version__)


@router.get("/ready", response_model=Readiness, summary="Readiness: database, vector store, Redis",
            responses={503: {"description": "A backend is unavailable; `checks` says which."}})
def ready(settings: SettingsDep) -> Any:
    checks = readiness(settings)
    if all(value == "ok" for value in checks.values()):
        return Readiness(status="ready", checks=checks)
    failing = sorted(name for name, value in checks.items() if value != "ok")
    body = {"status": "not_ready", "checks": checks,
            **error_body("not_ready", f"not ready: {', '.join(failing)}", checks)}
    return JSONResponse(body, status_code=503)


def _metrics_guard(request: Request, settings: SettingsDep,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """Metrics need a key unless the deployment made them public (``metrics_public``)."""
    if not request.app.state.metrics_public:
        with session_scope(settings) as session:
            session.info["settings"] = settings
            require_api_key(session, credentials)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request, _guard: Annotated[None, Depends(_metrics_guard)]) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
