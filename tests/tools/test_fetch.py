"""Safe fetch over real HTTP on loopback: validators, robots, retries, limits, charsets."""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from reservoir.config import Settings
from reservoir.tools.fetch import (
    ContentTypeError,
    Fetcher,
    FetchError,
    FetchTimeoutError,
    HttpStatusError,
    RobotsDisallowedError,
    TooLargeError,
    TooManyRedirectsError,
    UnsafeUrlError,
    decode_body,
    parse_retry_after,
)

HTML = {"Content-Type": "text/html; charset=utf-8"}
MakeSettings = Callable[..., Settings]


class DictCache:
    """In-memory ValidatorCache."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self.data.get(url, (None, None))

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.data[url] = (etag, last_modified)


async def test_html_page_and_user_agent(server: Any, make_settings: MakeSettings) -> None:
    server.route("/", body="<p>héllo</p>".encode(), headers=HTML)
    settings = make_settings()
    async with Fetcher(settings) as fetcher:
        result = await fetcher.fetch(server.url("/"))
    assert (result.status, result.content_type, result.text) == (200, "text/html", "<p>héllo</p>")
    assert result.url == server.url("/") and not result.not_modified and result.elapsed > 0
    assert server.hits_for("/")[0].headers["user-agent"] == settings.fetch_user_agent


@pytest.mark.parametrize(
    "ctype",
    ["application/rss+xml", "application/atom+xml", "text/xml; charset=utf-8", "application/json",
     "text/plain", "text/markdown", "application/feed+json", "application/xhtml+xml"],
)
async def test_text_types_accepted(server: Any, make_settings: MakeSettings, ctype: str) -> None:
    server.route("/doc", body=b"<x>1</x>", headers={"Content-Type": ctype})
    async with Fetcher(make_settings()) as fetcher:
        assert (await fetcher.fetch(server.url("/doc"))).text == "<x>1</x>"


async def test_etag_conditional_request(server: Any, make_settings: MakeSettings) -> None:
    def page(hit: Any) -> dict[str, Any]:
        if hit.headers.get("if-none-match") == '"v1"':
            return {"status": 304, "headers": {"ETag": '"v1"'}}
        return {"body": b"<p>feed</p>", "headers": {**HTML, "ETag": '"v1"'}}

    server.handle("/feed", page)
    cache = DictCache()
    async with Fetcher(make_settings(), cache=cache) as fetcher:
        first = await fetcher.fetch(server.url("/feed"))
        second = await fetcher.fetch(server.url("/feed"))
        third = await fetcher.fetch(server.url("/feed"), conditional=False)
    assert first.etag == '"v1"' and cache.data[server.url("/feed")] == ('"v1"', None)
    assert second.not_modified and second.status == 304 and second.text == ""
    assert third.status == 200 and third.text == "<p>feed</p>"
    assert "if-none-match" not in server.hits_for("/feed")[2].headers


async def test_last_modified_conditional_request(server: Any, make_settings: MakeSettings) -> None:
    stamp = formatdate(1_700_000_000, usegmt=True)

    def page(hit: Any) -> dict[str, Any]:
        if hit.headers.get("if-modified-since") == stamp:
            return {"status": 304}
        return {"body": b"<p>old</p>", "headers": {**HTML, "Last-Modified": stamp}}

    server.handle("/page", page)
    cache = DictCache()
    async with Fetcher(make_settings(), cache=cache) as fetcher:
        assert (await fetcher.fetch(server.url("/page"))).last_modified == stamp
        again = await fetcher.fetch(server.url("/page"))
    assert again.not_modified and again.last_modified == stamp and again.text == ""


async def test_robots_disallow_is_honoured(server: Any, make_settings: MakeSettings) -> None:
    robots = b"User-agent: *\nDisallow: /private\n"
    server.route("/robots.txt", body=robots, headers={"Content-Type": "text/plain"})
    server.route("/private/page", body=b"no", headers=HTML)
    server.route("/public", body=b"yes", headers=HTML)
    async with Fetcher(make_settings()) as fetcher:
        with pytest.raises(RobotsDisallowedError):
            await fetcher.fetch(server.url("/private/page"))
        assert (await fetcher.fetch(server.url("/public"))).text == "yes"
    assert server.hits_for("/private/page") == []
    assert len(server.hits_for("/robots.txt")) == 1  # cached per host


async def test_robots_rules_for_our_agent(server: Any, make_settings: MakeSettings) -> None:
    robots = b"User-agent: ReservoirBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    server.route("/robots.txt", body=robots, headers={"Content-Type": "text/plain"})
    server.route("/", body=b"x", headers=HTML)
    async with Fetcher(make_settings()) as fetcher:
        with pytest.raises(RobotsDisallowedError):
            await fetcher.fetch(server.url("/"))
    async with Fetcher(make_settings(fetch_respect_robots=False)) as fetcher:
        assert (await fetcher.fetch(server.url("/"))).text == "x"


async def test_robots_server_error_allows_but_logs(
    server: Any, make_settings: MakeSettings, caplog: pytest.LogCaptureFixture
) -> None:
    server.route("/robots.txt", status=500, body=b"oops")
    server.route("/", body=b"ok", headers=HTML)
    with caplog.at_level(logging.WARNING, logger="reservoir.tools.robots"):
        async with Fetcher(make_settings()) as fetcher:
            assert (await fetcher.fetch(server.url("/"))).text == "ok"
    assert "robots.txt" in caplog.text and "500" in caplog.text


async def test_429_retry_after_then_success(server: Any, make_settings: MakeSettings) -> None:
    server.route("/busy", {"status": 429, "headers": {"Retry-After": "1"}},
                 {"body": b"done", "headers": HTML})
    async with Fetcher(make_settings(fetch_respect_robots=False)) as fetcher:
        started = time.monotonic()
        result = await fetcher.fetch(server.url("/busy"))
    hits = server.hits_for("/busy")
    assert result.text == "done" and len(hits) == 2
    assert hits[1].at - hits[0].at >= 0.95
    assert time.monotonic() - started < 3


async def test_retry_after_is_capped(server: Any, make_settings: MakeSettings) -> None:
    server.route("/busy", {"status": 503, "headers": {"Retry-After": "3600"}},
                 {"body": b"done", "headers": HTML})
    settings = make_settings(fetch_respect_robots=False, fetch_max_retry_after=0.2)
    async with Fetcher(settings) as fetcher:
        started = time.monotonic()
        assert (await fetcher.fetch(server.url("/busy"))).text == "done"
    assert 0.15 <= time.monotonic() - started < 2


async def test_503_retries_exhausted(server: Any, make_settings: MakeSettings) -> None:
    server.route("/down", status=503, body=b"later")
    async with Fetcher(make_settings(fetch_respect_robots=False, fetch_retries=2)) as fetcher:
        with pytest.raises(HttpStatusError) as info:
            await fetcher.fetch(server.url("/down"))
    assert info.value.status == 503 and len(server.hits_for("/down")) == 3


async def test_404_is_not_retried(server: Any, make_settings: MakeSettings) -> None:
    async with Fetcher(make_settings(fetch_respect_robots=False)) as fetcher:
        with pytest.raises(HttpStatusError) as info:
            await fetcher.fetch(server.url("/missing"))
    assert info.value.status == 404 and len(server.hits_for("/missing")) == 1


async def test_slow_server_times_out(server: Any, make_settings: MakeSettings) -> None:
    server.route("/slow", body=b"late", headers=HTML, delay=1.5)
    settings = make_settings(fetch_respect_robots=False, fetch_timeout=0.3)
    async with Fetcher(settings) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError):
            await fetcher.fetch(server.url("/slow"))
    assert time.monotonic() - started < 1.2


async def test_connection_refused_is_a_fetch_error(make_settings: MakeSettings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    async with Fetcher(make_settings(fetch_respect_robots=False)) as fetcher:
        with pytest.raises(FetchError, match="network error"):
            await fetcher.fetch(f"http://127.0.0.1:{port}/")


async def test_oversized_stream_stops_reading(server: Any, make_settings: MakeSettings) -> None:
    total = 200 * 1024 * 1024
    server.route("/huge", headers=HTML, stream=total)
    settings = make_settings(fetch_respect_robots=False, fetch_max_bytes=100_000)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(TooLargeError):
            await fetcher.fetch(server.url("/huge"))
    await asyncio.sleep(0.2)
    assert server.streamed < total // 4


async def test_declared_oversize_refused_early(server: Any, make_settings: MakeSettings) -> None:
    server.route("/big", body=b"a" * 300_000, headers=HTML)
    settings = make_settings(fetch_respect_robots=False, fetch_max_bytes=100_000)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(TooLargeError, match="declared"):
            await fetcher.fetch(server.url("/big"))


async def test_gzip_body_is_decoded(server: Any, make_settings: MakeSettings) -> None:
    body = gzip.compress("<p>compressed ✓</p>".encode())
    server.route("/gz", body=body, headers={**HTML, "Content-Encoding": "gzip"})
    async with Fetcher(make_settings(fetch_respect_robots=False)) as fetcher:
        assert (await fetcher.fetch(server.url("/gz"))).text == "<p>compressed ✓</p>"


async def test_size_limit_counts_decoded_bytes(server: Any, make_settings: MakeSettings) -> None:
    bomb = gzip.compress(b"<p>" + b"a" * 2_000_000)
    assert len(bomb) < 100_000
    server.route("/bomb", body=bomb, headers={**HTML, "Content-Encoding": "gzip"})
    settings = make_settings(fetch_respect_robots=False, fetch_max_bytes=100_000)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(TooLargeError):
            await fetcher.fetch(server.url("/bomb"))


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
        ("application/octet-stream", b"\x00\x01\x02"),
        ("application/pdf", b"%PDF-1.7"),
        ("application/zip", b"PK\x03\x04"),
        ("text/html", b"<html>\x00\x00\x01binary"),
        ("text/plain", b"\x89PNG\r\n\x1a\n"),
        ("", b"\x00\x00\x00\x18ftypmp42"),
    ],
)
async def test_binary_bodies_refused(
    server: Any, make_settings: MakeSettings, ctype: str, body: bytes
) -> None:
    server.route("/bin", body=body, headers={"Content-Type": ctype} if ctype else {})
    async with Fetcher(make_settings(fetch_respect_robots=False)) as fetcher:
        with pytest.raises(ContentTypeError):
            await fetcher.fetch(server.url("/bin"))


@pytest.mark.parametrize(
    ("ctype", "body", "expected"),
    [
        ("text/html", b'<html><head><meta charset="windows-1252"></head>caf\xe9 \x93q\x94',
         "caf\u00e9 \u201cq\u201d"),
        ("text/html", b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
         b"na\xefve", "na\u00efve"),
        ("application/rss+xml", b'<?xml version="1.0" encoding="ISO-8859-1"?><t>\xe9t\xe9</t>',
         "\u00e9t\u00e9</t>"),
        ("text/html; charset=koi8-r", b'<meta charset="utf-8">\xf0\xd2\xc9\xd7\xc5\xd4',
         "\u041f\u0440\u0438\u0432\u0435\u0442"),
        ("text/plain", "plain utf-8 \u2713".encode(), "plain utf-8 \u2713"),
    ],
)
async def test_charsets(
    server: Any, make_settings: MakeSettings, ctype: str, body: bytes, expected: str
) -> None:
    server.route("/enc", body=body, headers={"Content-Type": ctype})
    async with Fetcher(make_settings(fetch_respect_robots=False)) as fetcher:
        assert (await fetcher.fetch(server.url("/enc"))).text.endswith(expected)


def test_undeclared_legacy_bytes_are_detected() -> None:
    text = "Le café est très bon, même à la française, déjà vu. " * 5
    assert decode_body(text.encode("cp1252"), "text/plain") == text


async def test_redirect_chain_within_limit(server: Any, make_settings: MakeSettings) -> None:
    server.route("/a", status=301, headers={"Location": "/b"})
    server.route("/b", status=302, headers={"Location": server.url("/c")})
    server.route("/c", status=307, headers={"Location": "d"})
    server.route("/d", body=b"end", headers=HTML)
    async with Fetcher(make_settings(fetch_max_redirects=3)) as fetcher:
        result = await fetcher.fetch(server.url("/a"))
    assert result.text == "end" and result.url == server.url("/d")


async def test_too_many_redirects(server: Any, make_settings: MakeSettings) -> None:
    server.route("/loop", status=302, headers={"Location": "/loop"})
    settings = make_settings(fetch_max_redirects=3, fetch_respect_robots=False)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(TooManyRedirectsError):
            await fetcher.fetch(server.url("/loop"))
    assert len(server.hits_for("/loop")) == 4


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:{port}/secret", "http://2130706433:{port}/secret",
     "http://0x7f000001:{port}/secret", "http://127.1:{port}/secret", "http://0:{port}/secret",
     "http://[::ffff:127.0.0.1]:{port}/secret", "http://[::1]:{port}/secret",
     "file:///etc/passwd", "gopher://127.0.0.1:{port}/"],
)
async def test_redirect_hops_are_vetted(
    server: Any, make_settings: MakeSettings, target: str
) -> None:
    """Only the name `localhost` is allowed: a redirect to loopback by address is refused."""
    server.route("/go", status=302, headers={"Location": target.format(port=server.port)})
    server.route("/secret", body=b"secret", headers=HTML)
    async with Fetcher(make_settings(fetch_allow=["localhost"])) as fetcher:
        with pytest.raises(UnsafeUrlError):
            await fetcher.fetch(server.url("/go", host="localhost"))
    assert len(server.hits_for("/go")) == 1 and server.hits_for("/secret") == []


async def test_redirect_to_internal_name_refused(
    server: Any, make_settings: MakeSettings, fake_resolver: Any
) -> None:
    server.route("/go", status=302, headers={"Location": "http://metadata.example.com/"})
    resolver = fake_resolver({"metadata.example.com": ["169.254.169.254"]})
    async with Fetcher(make_settings(), resolver=resolver) as fetcher:
        with pytest.raises(UnsafeUrlError, match="link-local"):
            await fetcher.fetch(server.url("/go"))


async def test_per_host_rate_limit(server: Any, make_settings: MakeSettings) -> None:
    server.route("/r", body=b"ok", headers=HTML)
    settings = make_settings(fetch_respect_robots=False, fetch_per_host_rps=10)
    async with Fetcher(settings) as fetcher:
        await asyncio.gather(*(fetcher.fetch(server.url("/r")) for _ in range(5)))
    starts = [hit.at for hit in server.hits_for("/r")]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 5 and min(gaps) >= 0.07 and starts[-1] - starts[0] >= 0.38


async def test_per_host_concurrency(server: Any, make_settings: MakeSettings) -> None:
    server.route("/slow", body=b"ok", headers=HTML, delay=0.15)
    settings = make_settings(fetch_respect_robots=False, fetch_per_host_concurrency=1)
    async with Fetcher(settings) as fetcher:
        started = time.monotonic()
        await asyncio.gather(*(fetcher.fetch(server.url("/slow")) for _ in range(3)))
    assert time.monotonic() - started >= 0.44


async def test_bad_input_is_a_fetch_error(make_settings: MakeSettings) -> None:
    async with Fetcher(make_settings()) as fetcher:
        for url in ["http://[::1", "", "not a url", "http://exa mple.com/"]:
            with pytest.raises(FetchError):
                await fetcher.fetch(url)


async def test_injected_transport_errors_are_wrapped(make_settings: MakeSettings) -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset")

    transport = httpx.MockTransport(explode)
    settings = make_settings(fetch_respect_robots=False)
    async with Fetcher(settings, transport=transport) as fetcher:
        with pytest.raises(FetchError, match="ReadError"):
            await fetcher.fetch("http://127.0.0.1:9/")


def test_parse_retry_after() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
