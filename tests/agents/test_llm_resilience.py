"""The model client against an OpenAI-compatible server on loopback that misbehaves on purpose.

The server is scripted because the behaviour under test is the client's: what it sends
(max_tokens, response_format), and what it does when a server answers 429 with Retry-After,
hangs past the timeout, or rejects schema-constrained output. The real client (ChatOpenAI
and the OpenAI SDK) does the HTTP; the real SmolLM2 server is met in tests/model.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from reservoir.agents.analyst import DocView, _extract_one
from reservoir.agents.analyst_llm import extraction_schema, llm_engine
from reservoir.config import Settings, load_settings
from reservoir.deps import Deps
from reservoir.limiter import AdaptiveConcurrency, RateLimiter, RedisCounter
from reservoir.llm import LlmClient

TEXT = ("Acme Dental automated its appointment reminders. We use Twilio to send appointment "
        "reminders by SMS the day before each visit. The automation saves 5 hours per week for "
        "the front desk.")
DOC = DocView(id=1, url="https://example.com/acme", title="Acme reminders", text=TEXT)
Answer = tuple[int, dict[str, str], dict[str, Any] | str, float]


def completion(content: str) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "tiny",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}}


class ChatServer:
    """POST /v1/chat/completions answered by a script; every request body is kept."""

    def __init__(self, script: Callable[[dict[str, Any], int], Answer]) -> None:
        self.script = script
        self.bodies: list[dict[str, Any]] = []
        self.times: list[float] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.bodies.append(body)
                owner.times.append(time.monotonic())
                status, headers, payload, delay = owner.script(body, len(owner.bodies))
                time.sleep(delay)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for key, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # closing does not wait for a hanging reply
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server() -> Iterator[Callable[..., ChatServer]]:
    servers: list[ChatServer] = []

    def make(script: Callable[[dict[str, Any], int], Answer]) -> ChatServer:
        servers.append(ChatServer(script))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def client_for(server: ChatServer, tmp_path: Path, **overrides: Any) -> LlmClient:
    settings = load_settings(data_dir=tmp_path / "data", llm_provider="openai",
                             llm_base_url=server.base_url, llm_model="tiny", **overrides)
    return LlmClient(settings)


def ask(client: LlmClient, schema: dict[str, Any] | None = None, times: int = 1) -> str:
    """Ask in one event loop (the SDK's async client belongs to the loop that made it)."""
    async def calls() -> list[str]:
        return [await client.complete("analyst", f"test.v{i}", [HumanMessage(content="hi")],
                                      schema=schema) for i in range(times)]

    return "|".join(asyncio.run(calls()))


def test_each_call_carries_its_roles_reply_bound_and_the_schema(
        chat_server: Callable[..., ChatServer], tmp_path: Path) -> None:
    server = chat_server(lambda body, n: (200, {}, completion("{}"), 0.0))
    client = client_for(server, tmp_path, llm_max_tokens={"analyst": 321},
                        llm_structured_output="json_object_schema")
    assert ask(client, extraction_schema()) == "{}"
    body = server.bodies[0]
    # llama.cpp's server reads max_tokens and ignores OpenAI's newer max_completion_tokens.
    assert body["max_tokens"] == 321 and "max_completion_tokens" not in body
    assert body["response_format"]["type"] == "json_object"
    assert body["response_format"]["schema"]["$defs"]["Finding"]["properties"]["tools"]
    assert client.usage.tokens_in == 40 and client.usage.tokens_out == 12


def test_a_429_with_retry_after_is_waited_out_then_retried(
        chat_server: Callable[..., ChatServer], tmp_path: Path) -> None:
    def script(body: dict[str, Any], n: int) -> Answer:
        if n == 1:
            return 429, {"Retry-After": "1"}, {"error": {"message": "slow down"}}, 0.0
        return 200, {}, completion("fine"), 0.0

    server = chat_server(script)
    client = client_for(server, tmp_path, llm_max_concurrency=4)
    assert ask(client) == "fine"
    assert len(server.bodies) == 2
    assert server.times[1] - server.times[0] >= 0.95  # Retry-After honoured
    assert client.concurrency.limit == 4  # the SDK's retry succeeded: no overload reached us


def test_a_server_that_rejects_the_schema_form_is_asked_again_without_it(
        chat_server: Callable[..., ChatServer], tmp_path: Path) -> None:
    def script(body: dict[str, Any], n: int) -> Answer:
        if body.get("response_format", {}).get("type") == "json_schema":
            # What llama-cpp-python's server answers to a form it does not know.
            return 500, {}, {"error": {"message": "('body', 'response_format', 'type') Input "
                                       "should be 'text' or 'json_object'"}}, 0.0
        return 200, {}, completion("{}"), 0.0

    server = chat_server(script)
    client = client_for(server, tmp_path, llm_structured_output="json_schema", llm_max_retries=0)
    assert ask(client, extraction_schema(), times=2) == "{}|{}"
    assert [("response_format" in b) for b in server.bodies] == [True, False, False]
    assert client.structured == "none"


def test_a_hanging_server_times_out_and_the_document_is_analysed_without_it(
        chat_server: Callable[..., ChatServer], tmp_path: Path) -> None:
    server = chat_server(lambda body, n: (200, {}, completion("{}"), 30.0))
    client = client_for(server, tmp_path, llm_timeout=0.3, llm_max_retries=1,
                        llm_max_concurrency=4)
    deps = Deps(settings=client.settings, llm=client)
    started = time.monotonic()
    findings, dropped = asyncio.run(_extract_one(llm_engine, DOC, deps))
    assert time.monotonic() - started < 25.0  # never waited for the hanging reply
    assert len(server.bodies) == 2  # the call and its one retry
    assert dropped["engine_fallbacks"] == 1
    assert findings and any("Twilio" in f.tools for f in findings)
    assert client.concurrency.limit == 2  # the timed-out call halved what is sent at once


def test_adaptive_concurrency_halves_on_overload_and_grows_back_slowly() -> None:
    async def scenario() -> list[int]:
        limit = AdaptiveConcurrency(8)
        seen = [limit.limit]
        await limit.record(overloaded=True)
        seen.append(limit.limit)
        await limit.record(overloaded=True)
        seen.append(limit.limit)
        for _ in range(4):
            await limit.record(overloaded=False)
        seen.append(limit.limit)
        return seen

    assert asyncio.run(scenario()) == [8, 4, 2, 3]


def test_adaptive_concurrency_never_runs_more_than_its_limit() -> None:
    async def scenario() -> int:
        limit = AdaptiveConcurrency(2)
        running = peak = 0

        async def task() -> None:
            nonlocal running, peak
            async with limit:
                running += 1
                peak = max(peak, running)
                await asyncio.sleep(0.01)
                running -= 1

        await asyncio.gather(*(task() for _ in range(10)))
        return peak

    assert asyncio.run(scenario()) == 2


@pytest.mark.redis
def test_the_rate_budget_is_shared_through_redis(redis_server_url: str) -> None:
    """Two limiters (two worker processes) share one allowance: the third request waits
    for the next minute."""
    from redis import Redis

    start = time.monotonic()
    redis = Redis.from_url(redis_server_url)
    redis.flushdb()
    first, second = (RateLimiter(2, 0, RedisCounter(redis), "test",
                                 clock=lambda: 59.0 + time.monotonic() - start)
                     for _ in range(2))

    async def scenario() -> float:
        await first.acquire(10)
        await second.acquire(10)
        await second.acquire(10)
        return second.waited

    waited = asyncio.run(scenario())
    assert 0.0 < waited <= 1.05  # until the next minute, 1 s away on this clock


def test_tokens_per_minute_are_counted_with_the_reply_bound(settings: Settings) -> None:
    limiter = RateLimiter(0, 1000, clock=lambda: 30.0)
    asyncio.run(limiter.acquire(600))
    assert not limiter._fits(0, 600)
    assert limiter._fits(1, 600)


def test_each_agent_can_have_its_own_model(chat_server: Callable[..., ChatServer],
                                           tmp_path: Path) -> None:
    server = chat_server(lambda body, n: (200, {}, completion(body["model"]), 0.0))
    client = client_for(server, tmp_path, agent_models={"analyst": "strong", "scout": "cheap"})
    async def each_role() -> list[str]:
        return [await client.complete(role, "t.v1", [HumanMessage(content=role)])
                for role in ("analyst", "scout", "writer")]

    replies = asyncio.run(each_role())
    assert replies == ["strong", "cheap", "tiny"]


def test_a_run_against_a_server_that_throttles_then_hangs_completes(
        chat_server: Callable[..., ChatServer], tmp_path: Path) -> None:
    """429 with Retry-After first, then a hang past the timeout: the run still succeeds, every
    document analysed by the extractive strategy, the fallbacks counted."""
    from reservoir.demo.server import DemoServer
    from reservoir.memory.db import session_scope
    from reservoir.memory.models import Run
    from tests.graphs.helpers import demo_settings, run_discovery

    def script(body: dict[str, Any], n: int) -> Answer:
        if n == 1:
            return 429, {"Retry-After": "1"}, {"error": {"message": "slow down"}}, 0.0
        return 200, {}, completion("{}"), 5.0

    server = chat_server(script)
    with DemoServer() as site:
        settings = demo_settings(tmp_path / "data", llm_provider="openai",
                                 llm_base_url=server.base_url, llm_model="tiny",
                                 llm_timeout=0.5, llm_max_retries=1)
        run_id, status = run_discovery(settings, site.base_url,
                                       only=["demo-html-cafe-lumiere-lyon-till-and-cake-orders"])
    assert status == "succeeded"
    with session_scope(settings) as session:
        counters = session.get(Run, run_id).counters
    assert counters["documents_analysed"] >= 1
    assert counters["engine_fallbacks"] == counters["documents_analysed"]
    assert counters["opportunities_created"] >= 1
