"""The HTTP application: ``create_app(settings)`` builds a FastAPI app with the API, the
OpenAI-compatible endpoint, health/metrics and the dashboard.

Everything the app needs lives on ``app.state`` (settings, run launcher, metrics), set here and
not in the lifespan, so the app also works under transports that skip lifespan events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from reservoir import __version__
from reservoir.api.answering import AskFn
from reservoir.api.errors import install_error_handlers
from reservoir.api.metrics import Metrics, MetricsMiddleware
from reservoir.api.routes import (
    ask,
    dashboard,
    deliveries,
    documents,
    health,
    implementations,
    openai_compat,
    opportunities,
    profiles,
    reports,
    runs,
    sources,
    tools,
)
from reservoir.config import Settings, get_settings
from reservoir.launcher import RunLauncher, make_launcher

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
# SQLAlchemy's default pool holds 5 + 10 connections: request sessions take at most DB_SESSIONS
# of them (background runs and SSE polls use the rest), and sync routes run on WORKER_THREADS.
DB_SESSIONS = 10
WORKER_THREADS = 12
STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """
Discover, analyse and ROI-score automation opportunities, and ask what the reservoir holds.

Every endpoint except `/health`, `/ready` and the dashboard's page shells needs an API key
(`reservoir apikey create NAME`) sent as `Authorization: Bearer <key>`. Errors always have the
body `{"error": {"code", "message", "details"}}`. Lists take `limit` (1-500) and `offset` and
answer `{"items", "total", "limit", "offset"}`.
"""


def create_app(settings: Settings | None = None, *, launcher: RunLauncher | None = None,
               ask_fn: AskFn | None = None, metrics_public: bool | None = None,
               sse_heartbeat: float = 15.0, sse_poll: float = 0.2,
               shutdown_grace: float = 10.0, worker_threads: int = WORKER_THREADS,
               db_sessions: int = DB_SESSIONS) -> FastAPI:
    """Build the app; ``launcher`` and ``ask_fn`` are seams for other deployments and tests."""
    settings = settings or get_settings()
    run_launcher = launcher or make_launcher(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from reservoir.memory.db import get_engine

        # Sync routes run in anyio's threadpool (40 threads by default); more threads than
        # database sessions only fight over the GIL.
        anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads
        await run_in_threadpool(get_engine, settings)  # schema ready before the first request
        yield
        await run_in_threadpool(run_launcher.shutdown, shutdown_grace)

    app = FastAPI(
        title="Reservoir API", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
    )
    app.state.settings = settings
    app.state.launcher = run_launcher
    app.state.ask = ask_fn
    app.state.metrics_public = bool(getattr(settings, "metrics_public", False)
                                    if metrics_public is None else metrics_public)
    app.state.sse_heartbeat = sse_heartbeat
    app.state.sse_poll = sse_poll
    app.state.metrics = Metrics(settings, run_launcher)
    app.state.db_slots = asyncio.Semaphore(db_sessions)

    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "Accept"],
            expose_headers=["Location"], max_age=600,
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    for module in (runs, ask, opportunities, documents, sources, profiles, implementations,
                   reports, deliveries, tools):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(openai_compat.router, prefix="/v1")
    app.include_router(health.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
