"""Conversations through the real ask graph: ``/api/v1/ask`` threads and OpenAI message history.

The OpenAI-compatible endpoint is exercised with the official ``openai`` client against a real
uvicorn server on loopback, streaming and not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from fastapi import FastAPI

from reservoir.agents.answers import NOTHING
from reservoir.api.app import create_app

pytest.importorskip("reservoir.graphs.ask", reason="the ask graph is not available")

FIRST = "How can I automate invoice reminders?"


@pytest.fixture
def graph_app(settings, seeded) -> FastAPI:  # type: ignore[no-untyped-def]
    return create_app(settings, sse_poll=0.05, sse_heartbeat=0.3, shutdown_grace=5)


@pytest.fixture
def graph_server(graph_app: FastAPI, live_server_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with live_server_factory(graph_app) as server:
        yield server.base_url


async def test_thread_follow_up_and_nothing_relevant(graph_app: FastAPI, auth, sse) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=graph_app), base_url="http://t",
                                 headers=auth, timeout=60) as c:
        events = sse((await c.post("/api/v1/ask", json={"question": FIRST})).text)
        done = json.loads(events[-1]["data"])
        assert done["citations"] >= 1 and "[1][1]" not in done["answer"]
        planned = [json.loads(e["data"]) for e in events
                   if e.get("event") == "step" and json.loads(e["data"])["name"] == "planned"]
        assert planned[0]["query"] == FIRST

        events = sse((await c.post("/api/v1/ask", json={"question": "which of those is cheapest?",
                                                        "thread_id": done["thread_id"]})).text)
        follow = json.loads(events[-1]["data"])
        planned = [json.loads(e["data"]) for e in events
                   if e.get("event") == "step" and json.loads(e["data"])["name"] == "planned"]
        assert planned[0]["query"] == FIRST  # read against the thread's previous question
        assert follow["answer"].startswith("None of those quotes a tool cost")  # none is quoted

        body = {"question": "How do I bake sourdough bread at home?"}
        nothing = (await c.post("/api/v1/ask", json=body, headers={"Accept": "application/json"})).json()
        assert nothing["answer"] == NOTHING and nothing["citations"] == []


def test_openai_client_follows_up_from_messages(graph_server: str, api_key: str) -> None:
    client = openai.OpenAI(base_url=f"{graph_server}/v1", api_key=api_key, max_retries=0)
    first = client.chat.completions.create(model="reservoir", messages=[{"role": "user", "content": FIRST}])
    content = first.choices[0].message.content or ""
    assert "[1]" in content.splitlines()[0]  # the direct answer leads, cited
    assert "\n\nSources:\n[1] [Post " in content and "](https://example.com/post-" in content
    assert first.model_extra["citations"][0]["n"] == 1

    follow = client.chat.completions.create(model="reservoir", messages=[
        {"role": "user", "content": FIRST}, {"role": "assistant", "content": content},
        {"role": "user", "content": "which of those is cheapest?"}])
    assert (follow.choices[0].message.content or "").startswith("None of those quotes a tool cost")


def test_openai_client_streams_the_real_graph(graph_server: str, api_key: str) -> None:
    client = openai.OpenAI(base_url=f"{graph_server}/v1", api_key=api_key, max_retries=0)
    stream = client.chat.completions.create(model="reservoir", stream=True,
                                            messages=[{"role": "user", "content": FIRST}])
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    text = "".join(pieces)
    assert len(pieces) > 3 and "[1]" in text.splitlines()[0]
    assert "Sources:\n[1] [Post " in text
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"][0]
    assert final.model_extra["citations"] and final.model_extra["thread_id"]

    nothing = client.chat.completions.create(model="reservoir", stream=True, messages=[
        {"role": "user", "content": "How do I bake sourdough bread at home?"}])
    text = "".join(c.choices[0].delta.content or "" for c in nothing if c.choices)
    assert text == NOTHING  # no citations, so no sources block


async def test_filters_given_or_read_apply_to_the_search(graph_app: FastAPI, auth) -> None:  # type: ignore[no-untyped-def]
    """The seeded quotes state no tool cost and nothing is newer than now: both filters leave nothing."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=graph_app), base_url="http://t",
                                 headers={**auth, "Accept": "application/json"}, timeout=60) as c:
        assert (await c.post("/api/v1/ask", json={"question": FIRST})).json()["citations"]
        for body in ({"question": FIRST, "filters": {"max_cost_month": 100}},
                     {"question": f"{FIRST[:-1]} under $100/month?"},
                     {"question": FIRST, "filters": {"since": "2100-01-01T00:00:00Z"}}):
            answer = (await c.post("/api/v1/ask", json=body)).json()
            assert answer["answer"] == NOTHING and answer["citations"] == [], body
