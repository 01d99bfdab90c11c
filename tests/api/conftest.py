"""API fixtures: an app on the test settings, a key, an httpx client, a live uvicorn server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from reservoir.api.app import create_app
from reservoir.api.auth import create_api_key
from reservoir.config import Settings
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, upsert_document
from reservoir.memory.models import Report, RoiEstimate, utcnow
from reservoir.memory.opportunities import EvidenceIn, OpportunityIn, create_opportunity, set_scores
from reservoir.memory.profiles import upsert_profile
from reservoir.memory.sources import add_source


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class FakeAskResult:
    answer: str
    citations: list[dict[str, Any]]
    thread_id: str | None
    hits: list[dict[str, Any]] = field(default_factory=list)


class FakeAsk:
    """Stands in for the ask graph where the test is about HTTP, not retrieval quality."""

    def __init__(self, document_id: int = 1, url: str = "https://example.com/a") -> None:
        self.document_id, self.url = document_id, url
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, settings: Settings, question: str, *, thread_id: str | None = None,
                       filters: dict[str, Any] | None = None, on_token: Any = None,
                       history: list[str] | None = None) -> FakeAskResult:
        self.calls.append({"question": question, "thread_id": thread_id, "filters": filters,
                           "history": history})
        if question.startswith("explode"):
            raise RuntimeError("secret internal detail")
        if question.startswith("invalid"):
            raise ValueError("question mentions nothing the reservoir knows")
        answer = "Send invoice reminders automatically [1]."
        if on_token is not None:
            on_token({"step": "retrieved", "hits": 2, "relevant": True})
            for word in answer.split(" "):
                on_token({"token": word + " "})
                await asyncio.sleep(0)
        return FakeAskResult(
            answer=answer, thread_id=thread_id or "thread-1",
            citations=[{"n": 1, "document_id": self.document_id, "url": self.url, "title": "Invoices",
                        "quote": "we chase invoices by hand"}],
            hits=[{"id": 1}, {"id": 2}],
        )


@pytest.fixture
def fake_ask() -> FakeAsk:
    return FakeAsk()


@pytest.fixture
def app(settings: Settings, fake_ask: FakeAsk) -> FastAPI:
    return create_app(settings, ask_fn=fake_ask, sse_poll=0.05, sse_heartbeat=0.3, shutdown_grace=5)


def make_key(settings: Settings, name: str = "tester") -> str:
    with session_scope(settings) as session:
        return create_api_key(session, name)[1]


@pytest.fixture
def api_key(settings: Settings) -> str:
    return make_key(settings)


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture
async def client(app: FastAPI, auth: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=auth) as c:
        yield c
    app.state.launcher.shutdown(10)


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class LiveServer:
    """uvicorn on a free loopback port in a thread: real sockets, real streaming."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                timeout_graceful_shutdown=3)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="uvicorn-test")

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@dataclass
class Seeded:
    source_id: int
    document_ids: list[int]
    opportunity_ids: list[int]
    profile_ids: list[int]
    report_id: int
    run_id: str


def seed(settings: Settings, opportunities: int = 6) -> Seeded:
    """A small reservoir written through the memory functions, as the agents would."""
    types = ["lead_generation", "scheduling", "reporting"]
    with session_scope(settings) as session:
        source = add_source(session, "blog", "rss", "https://example.com/feed.xml")
        docs = [upsert_document(session, DocumentIn(
            url=f"https://example.com/post-{i}", title=f"Post {i}", source_id=source.id,
            text=f"Post {i}: we chase invoices by hand every week using spreadsheets and email {i}.",
        )).document
            for i in range(3)]
        profiles = [upsert_profile(session, {"name": "Acme Accounting", "industry": "accounting",
                                             "team_size": 5, "hourly_rate": 80.0}),
                    upsert_profile(session, {"name": "Bright Realty", "industry": "real_estate"})]
        opps = []
        for i in range(opportunities):
            opp = create_opportunity(session, OpportunityIn(
                key=f"opp-{i}", title=f"Automate invoice reminders {i}",
                summary=f"Send reminders for unpaid invoices, variant {i}.",
                automation_type=types[i % 3], industries=["accounting"] if i % 2 == 0 else ["real_estate"],
                tools=["Zapier", "Xero"] if i % 2 == 0 else ["Make"], steps=["Watch invoices", "Email"],
                complexity=1 + i % 10,
                evidence=[EvidenceIn(document_id=docs[i % 3].id, quote="we chase invoices by hand")]))
            set_scores(session, opp, {"total_score": 40 + i, "demand": 60})
            opp.created_at = utcnow() - timedelta(minutes=opportunities - i)  # later ones are newer
            session.add(opp)
            opps.append(opp)
        session.flush()
        session.add(RoiEstimate(opportunity_id=opps[0].id, profile_id=profiles[0].id, hours_saved_week=3.0,
                                hourly_value=80.0, setup_hours=6.0, tool_cost_month=20.0,
                                monthly_net_value=1020.0, payback_months=0.5, confidence=0.7,
                                assumptions="3 h/week of chasing", method="heuristic"))
        run = run_queries.create_run(session, trigger="test", params={})
        run_queries.set_status(session, run, "succeeded")
        report = Report(run_id=run.id, profile_id=profiles[0].id, markdown="# Report\n\nHello *world*",
                        html="<html><body><h1>Report</h1><script>alert(1)</script></body></html>",
                        opportunity_ids=[o.id for o in opps[:2]], status="published")
        session.add(report)
        session.flush()
        return Seeded(source.id, [d.id for d in docs], [o.id for o in opps], [p.id for p in profiles],
                      report.id, run.id)


@pytest.fixture
def seeded(settings: Settings) -> Seeded:
    return seed(settings)


@pytest.fixture
def live_server_factory() -> type[LiveServer]:
    """For tests that build their own app (other settings, launcher or ask function)."""
    return LiveServer


@pytest.fixture
def key_factory() -> Any:
    return make_key


def parse_sse(text: str) -> list[dict[str, Any]]:
    """Events as dicts of their fields (data joined), plus comments under key ':'."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event: dict[str, Any] = {}
        for line in block.split("\n"):
            field_, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field_ == "data" and "data" in event:
                event["data"] += "\n" + value
            else:
                event[field_ or ":"] = value
        events.append(event)
    return events


@pytest.fixture
def sse() -> Any:
    return parse_sse
