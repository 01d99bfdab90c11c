"""Loopback HTTP servers for fetch tests, plus two safety nets that keep test traffic on this
machine even if the SSRF guard had a bug: sockets only reach loopback, and no DNS is ever sent."""

from __future__ import annotations

import ipaddress
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from reservoir.config import Settings, load_settings
from reservoir.tools import fetch, ssrf


@dataclass
class Reply:
    """One canned answer; `stream` > 0 writes that many bytes without a Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stream: int = 0


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float


ReplySpec = Reply | dict[str, Any]
Route = list[Reply] | Callable[[Hit], ReplySpec]


def as_reply(spec: ReplySpec) -> Reply:
    return spec if isinstance(spec, Reply) else Reply(**spec)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-answer is what several tests do on purpose."""


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with scripted routes and a request log."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.streamed = 0
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def route(self, path: str, *replies: ReplySpec, **single: Any) -> None:
        """Answer `path` with these replies (Reply or its fields as a dict) in order; the
        last one repeats. Keyword arguments describe a single reply."""
        self.routes[path] = [as_reply(r) for r in replies] or [Reply(**single)]

    def handle(self, path: str, func: Callable[[Hit], ReplySpec]) -> None:
        self.routes[path] = func

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path.split("?")[0] == path]

    def next_reply(self, hit: Hit) -> Reply:
        with self._lock:
            self.hits.append(hit)
            route = self.routes.get(hit.path.split("?")[0])
            if route is None:
                return Reply(404, b"not found", {"Content-Type": "text/plain"})
            if callable(route):
                return as_reply(route(hit))
            return route.pop(0) if len(route) > 1 else route[0]


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between header and body

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            hit = Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
            reply = server.next_reply(hit)
            try:
                time.sleep(reply.delay)
                self._answer(reply)
            except (ConnectionError, TimeoutError, OSError):
                self.close_connection = True

        def _answer(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            if reply.stream:
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                self._stream(reply.stream)
                return
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def _stream(self, total: int) -> None:
            chunk = b"x" * 65536
            while server.streamed < total:
                self.wfile.write(chunk)
                self.wfile.flush()
                server.streamed += len(chunk)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: the hit log is the record."""

    return Handler


class LoopbackOnlyBackend(httpcore.AsyncNetworkBackend):
    """Real sockets, but only to loopback addresses: anything else fails the test."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            pytest.fail(f"test tried to open a socket to non-loopback {host}:{port}")
        self.connects.append((host, port))
        return await self._inner.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def no_dns(host: str, port: int) -> list[str]:
    """The default resolver in tests: any real DNS lookup is a test failure."""
    pytest.fail(f"test tried a real DNS lookup for {host!r}; pass resolver=FakeResolver(...)")


class FakeResolver:
    """Resolve from a table and count lookups; unknown names fail the test, never touch DNS."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            pytest.fail(f"unexpected DNS lookup for {host!r}")
        return self.table[host]


def _no_connection(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"the guard let a request through to {request.url}")


@pytest.fixture
def fake_resolver() -> type[FakeResolver]:
    return FakeResolver


@pytest.fixture
def fail_transport() -> httpx.MockTransport:
    """A transport for non-loopback targets: any request reaching it fails the test."""
    return httpx.MockTransport(_no_connection)


@pytest.fixture(autouse=True)
def _keep_traffic_local(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ssrf, "socket_backend", LoopbackOnlyBackend)
    monkeypatch.setattr(fetch, "system_resolver", no_dns)
    yield


@pytest.fixture
def make_server() -> Iterator[Callable[..., LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def make(tls: ssl.SSLContext | None = None) -> LoopbackServer:
        servers.append(LoopbackServer(tls).start())
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., LoopbackServer]) -> LoopbackServer:
    return make_server()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Fast, loopback-allowed settings; tests override what they exercise."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data", "fetch_allow": ["127.0.0.0/8", "localhost"],
            "fetch_timeout": 2.0, "fetch_connect_timeout": 1.0, "fetch_retries": 2,
            "fetch_backoff": 0.01, "fetch_max_retry_after": 2.0, "fetch_per_host_rps": 1000.0,
        }
        values.update(overrides)
        return load_settings(**values)

    return make
