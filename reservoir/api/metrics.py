"""Prometheus metrics: request latency by route (middleware), run and LLM figures (from SQL).

Each app has its own registry, so several apps in one process (tests) never collide; run
figures are read from the Run table at scrape time, so they agree across processes and restarts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import OPPORTUNITY_STATUSES, RUN_STATUSES, Opportunity, Run

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ReservoirCollector(Collector):
    """Runs by status, LLM tokens and cost, opportunities by status: one query each."""

    def __init__(self, settings: Settings, launcher: Any = None) -> None:
        self.settings, self.launcher = settings, launcher

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("reservoir_database_up", "1 if the metrics query reached the database")
        try:
            with session_scope(self.settings) as session:
                runs = dict(session.exec(select(Run.status, func.count()).group_by(Run.status)).all())
                tokens_in, tokens_out, cost = session.exec(select(
                    func.coalesce(func.sum(Run.tokens_in), 0), func.coalesce(func.sum(Run.tokens_out), 0),
                    func.coalesce(func.sum(Run.cost_usd), 0.0))).one()
                opps = dict(session.exec(select(Opportunity.status, func.count())
                                         .group_by(Opportunity.status)).all())
        except Exception as exc:  # noqa: BLE001 — a scrape reports the outage instead of failing
            log.warning("metrics query failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        gauge = GaugeMetricFamily("reservoir_runs", "Runs by status", labels=["status"])
        for status in RUN_STATUSES:
            gauge.add_metric([status], runs.get(status, 0))
        yield gauge
        tokens = CounterMetricFamily("reservoir_llm_tokens", "LLM tokens used by runs", labels=["direction"])
        tokens.add_metric(["in"], int(tokens_in))
        tokens.add_metric(["out"], int(tokens_out))
        yield tokens
        usd = CounterMetricFamily("reservoir_llm_cost_usd", "LLM cost of runs in US dollars")
        usd.add_metric([], float(cost))
        yield usd
        opp_gauge = GaugeMetricFamily("reservoir_opportunities", "Opportunities by status", labels=["status"])
        for status in OPPORTUNITY_STATUSES:
            opp_gauge.add_metric([status], opps.get(status, 0))
        yield opp_gauge
        if self.launcher is not None and hasattr(self.launcher, "active"):
            active = GaugeMetricFamily("reservoir_runs_executing", "Runs executing in this process")
            active.add_metric([], len(self.launcher.active()))
            yield active


class Metrics:
    def __init__(self, settings: Settings, launcher: Any = None) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "reservoir_http_request_duration_seconds",
            "Time from request to response headers, by route template", ["method", "route", "status"],
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(ReservoirCollector(settings, launcher))


def _route_of(scope: Scope) -> str:
    """The route template (``/api/v1/runs/{run_id}``), never the raw path: bounded label values."""
    # FastAPI >= 0.130 keeps included routes lazily: the full template is on the effective context.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    if path:
        return path
    if scope.get("path", "").startswith("/static/"):
        return "/static"
    return "unmatched"


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): streaming responses pass through untouched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.metrics.latency.labels(scope["method"], _route_of(scope), str(status)).observe(
                    time.perf_counter() - start)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            record(500)
            raise
