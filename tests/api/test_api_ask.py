"""``POST /ask``: SSE events step/token/citation/done, JSON mode, threads, errors; the real graph too."""

from __future__ import annotations

import json
import sys

import httpx
import pytest
from fastapi import FastAPI

from reservoir.api.app import create_app


async def test_ask_streams_tokens_citations_done(client: httpx.AsyncClient, fake_ask, sse) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/ask", json={"question": "How do I chase invoices?",
                                                      "filters": {"industry": "accounting"}})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = sse(response.text)
    kinds = [e.get("event") for e in events]
    assert kinds[0] == "step" and kinds[-1] == "done"
    assert kinds.index("token") < kinds.index("citation") < kinds.index("done")
    assert "".join(json.loads(e["data"])["text"] for e in events if e.get("event") == "token").strip() \
        == "Send invoice reminders automatically [1]."
    steps = [json.loads(e["data"]) for e in events if e.get("event") == "step"]
    assert [s["name"] for s in steps] == ["started", "retrieved", "answered"]
    (citation,) = [json.loads(e["data"]) for e in events if e.get("event") == "citation"]
    assert citation == {"n": 1, "document_id": 1, "url": "https://example.com/a", "title": "Invoices",
                        "quote": "we chase invoices by hand"}
    done = json.loads(events[-1]["data"])
    assert done == {"answer": "Send invoice reminders automatically [1].", "thread_id": "thread-1",
                    "hits": 2, "citations": 1}
    assert fake_ask.calls[-1]["filters"] == {"industry": "accounting"}


async def test_thread_id_continues(client: httpx.AsyncClient, fake_ask, sse) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/ask", json={"question": "and then?", "thread_id": "abc"})
    assert json.loads(sse(response.text)[-1]["data"])["thread_id"] == "abc"
    assert fake_ask.calls[-1]["thread_id"] == "abc"


async def test_ask_json_mode(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/ask", json={"question": "invoices?"},
                                 headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["answer"].startswith("Send invoice") and body["citations"][0]["n"] == 1 and body["hits"] == 2


async def test_ask_errors(client: httpx.AsyncClient, sse) -> None:  # type: ignore[no-untyped-def]
    events = sse((await client.post("/api/v1/ask", json={"question": "explode now"})).text)
    assert events[-1].get("event") == "error"
    error = json.loads(events[-1]["data"])["error"]
    assert error["code"] == "internal_error" and "secret" not in json.dumps(events)
    events = sse((await client.post("/api/v1/ask", json={"question": "invalid one"})).text)
    assert json.loads(events[-1]["data"])["error"]["code"] == "invalid_question"
    response = await client.post("/api/v1/ask", json={"question": "invalid one"},
                                 headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_question"


async def test_ask_unavailable_is_503(settings, auth, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "reservoir.graphs.ask", None)  # as if the graph were not installed
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth) as c:
        response = await c.post("/api/v1/ask", json={"question": "anything"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "ask_unavailable"


async def test_real_ask_graph(settings, auth, seeded, sse) -> None:  # type: ignore[no-untyped-def]
    """The lead's graph behind the endpoint: an extractive answer whose citations are stored documents."""
    pytest.importorskip("reservoir.graphs.ask", reason="the ask graph is not available")
    app: FastAPI = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth,
                                 timeout=60) as c:
        response = await c.post("/api/v1/ask", json={"question": "How can I automate invoice reminders?"})
        events = sse(response.text)
        assert events[-1].get("event") == "done", events[-3:]
        done = json.loads(events[-1]["data"])
        citations = [json.loads(e["data"]) for e in events if e.get("event") == "citation"]
        assert done["thread_id"] and done["answer"] and citations
        assert {c["document_id"] for c in citations} <= set(seeded.document_ids)
        body = {"question": "Which tools?", "thread_id": done["thread_id"]}
        follow = await c.post("/api/v1/ask", json=body, headers={"Accept": "application/json"})
        assert follow.status_code == 200 and follow.json()["thread_id"] == done["thread_id"]
