"""Safe fetch: one shared httpx client behind the SSRF guard, robots.txt, per-host politeness,
retries, size and content-type limits. Every failure is a typed FetchError, never a crash.

Over 400 lines: `Fetcher` is one request pipeline (guard, robots, politeness, retries, limits).
"""

from __future__ import annotations

import asyncio
import copy
import email.utils
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC
from types import TracebackType
from typing import Protocol
from urllib.parse import urljoin

import charset_normalizer
import httpx

from reservoir.config import Settings
from reservoir.tools.robots import RobotsCache
from reservoir.tools.ssrf import (
    AllowList,
    FetchError,
    PinnedTransport,
    Resolver,
    Target,
    UnsafeUrlError,
    check_address,
    system_resolver,
    vet_url,
)

__all__ = [
    "AllowList", "ContentTypeError", "FetchError", "FetchResult", "FetchTimeoutError",
    "Fetcher", "HttpStatusError", "Resolver", "RobotsDisallowedError", "TooLargeError",
    "TooManyRedirectsError", "UnsafeUrlError", "ValidatorCache", "check_address",
    "decode_body", "parse_retry_after",
]

log = logging.getLogger(__name__)

DEFAULT_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,"
    "application/atom+xml;q=0.9,application/json;q=0.8,text/plain;q=0.7,text/markdown;q=0.7,"
    "*/*;q=0.1"
)
TEXT_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "text/xml", "application/xml", "application/rss+xml",
    "application/atom+xml", "application/rdf+xml", "application/json", "application/feed+json",
    "application/ld+json", "text/plain", "text/markdown", "text/x-markdown",
})
BINARY_MAGIC = (b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 503})
# Browsers decode these labels as windows-1252; so do we (curly quotes survive).
WHATWG_ALIASES = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
                  "latin-1": "cp1252", "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}
_HEADER_CHARSET = re.compile(rb"charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.\-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.\-]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9_.\-]+)[\"']")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


class RobotsDisallowedError(FetchError):
    """robots.txt forbids our user agent from this URL."""


class ContentTypeError(FetchError):
    """The body is binary or of a type the agents cannot read."""


class TooLargeError(FetchError):
    """The (decoded) body went over settings.fetch_max_bytes; reading stopped there."""


class HttpStatusError(FetchError):
    """A 4xx/5xx answer (after retries for 429/503)."""

    def __init__(self, reason: str, url: str = "", status: int = 0) -> None:
        super().__init__(reason, url)
        self.status = status


class FetchTimeoutError(FetchError):
    """Connect, read or overall deadline exceeded."""


class TooManyRedirectsError(FetchError):
    """More than settings.fetch_max_redirects hops."""


@dataclass
class FetchResult:
    url: str
    status: int
    content_type: str
    text: str
    etag: str | None
    last_modified: str | None
    not_modified: bool
    elapsed: float


class ValidatorCache(Protocol):
    """Where conditional-request validators live; the owner decides when puts persist."""

    def get(self, url: str) -> tuple[str | None, str | None]: ...

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None: ...


@dataclass
class _Reply:
    url: httpx.URL
    status: int
    headers: httpx.Headers
    body: bytes = b""


def media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def check_content_type(header: str, url: str) -> str:
    """Refuse declared binaries before reading the body; an absent type is sniffed later."""
    mtype = media_type(header)
    if not mtype or mtype in TEXT_TYPES or mtype.endswith(("+xml", "+json")):
        return mtype
    raise ContentTypeError(f"unsupported content type {mtype}", url)


def sniff_binary(body: bytes, header: str, url: str) -> None:
    """A 'text' body with NUL bytes or a binary signature up front is really binary."""
    head = body[:1024]
    if any(head.startswith(bom) for bom, enc in _BOMS if enc == "utf-16"):
        return
    charset = _HEADER_CHARSET.search(header.encode("latin-1", "replace"))
    if charset and charset.group(1).lower().startswith((b"utf-16", b"utf-32")):
        return
    if b"\x00" in head or head.startswith(BINARY_MAGIC):
        raise ContentTypeError(f"binary body declared as {media_type(header) or 'text'}", url)


def _declared_charsets(body: bytes, header: str) -> list[str]:
    found: list[str] = [enc for bom, enc in _BOMS if body.startswith(bom)]
    declared = _HEADER_CHARSET.search(header.encode("latin-1", "replace"))
    if declared:
        found.append(_label(declared.group(1)))
    head = body[:4096]
    for match in (_XML_DECL.search(head), _META_CHARSET.search(head)):
        if match:
            label = _label(match.group(1))
            # An ASCII-readable declaration cannot be UTF-16; browsers read it as UTF-8.
            found.append("utf-8" if label.startswith("utf-16") else label)
    return found


def _label(raw: bytes) -> str:
    label = raw.decode("ascii").lower()
    return WHATWG_ALIASES.get(label, label)


def decode_body(body: bytes, content_type: str = "") -> str:
    """Header charset (BOM first), then <meta>/XML declaration, then UTF-8, then detection."""
    for encoding in _declared_charsets(body, content_type):
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return _detect(body)


def _detect(body: bytes) -> str:
    """charset-normalizer, but a near tie goes to windows-1252, the web's undeclared default."""
    matches = list(charset_normalizer.from_bytes(body))
    if not matches:
        return body.decode("utf-8", errors="replace")
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= matches[0].chaos + 0.15:
            return str(match)
    return str(matches[0])


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in delta-seconds or as an HTTP-date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _HostGate:
    """Per-host politeness: a concurrency cap and a minimum interval between request starts."""

    def __init__(self, concurrency: int, rps: float) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        self._interval = 1.0 / rps
        self._next = 0.0

    async def wait_turn(self) -> None:
        """Reserve the next start slot (no await in between, so no lock is needed)."""
        now = time.monotonic()
        start = max(now, self._next)
        self._next = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)


class Fetcher:
    """The only way agents fetch the web; share one per process (it owns the client)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        cache: ValidatorCache | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self._settings = settings
        self._allow = AllowList.from_entries(settings.fetch_allow)
        self._resolver = resolver or system_resolver
        self._cache = cache
        self._pins: dict[str, str] = {}
        limits = httpx.Limits(max_connections=max(100, settings.fetch_concurrency))
        self._client = httpx.AsyncClient(
            transport=transport or PinnedTransport(self._pins, limits),
            timeout=httpx.Timeout(settings.fetch_timeout, connect=settings.fetch_connect_timeout),
            follow_redirects=False,
            trust_env=False,  # no env proxies: they would bypass the pinned addresses
            headers={"User-Agent": settings.fetch_user_agent},
        )
        self._global = asyncio.Semaphore(settings.fetch_concurrency)
        self._gates: dict[str, _HostGate] = {}
        self._robots = RobotsCache(self._load_robots, settings.fetch_user_agent)

    @property
    def settings(self) -> Settings:
        """What adapters read their own limits from (e.g. the extraction pool's size)."""
        return self._settings

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def with_cache(self, cache: ValidatorCache | None) -> Fetcher:
        """A view sharing the client, host limits and robots cache, with its own validators.

        Each source stores its documents before its validators are persisted; sharing one
        client keeps per-host politeness and robots.txt per host, not per source.
        """
        view = copy.copy(self)
        view._cache = cache
        return view

    async def fetch(
        self, url: str, *, accept: str | None = None, conditional: bool = True
    ) -> FetchResult:
        """Fetch one URL as text; raises only FetchError subclasses."""
        started = time.monotonic()
        try:
            return await self._fetch(url, accept, conditional, started)
        except FetchError as exc:
            log.info("fetch refused: %s", exc)
            raise
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise FetchTimeoutError(f"timed out ({type(exc).__name__})", url) from None
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise FetchError(f"network error: {type(exc).__name__}: {exc}", url) from None
        except Exception as exc:  # the contract: never an unhandled exception
            log.exception("unexpected fetch failure for %s", url)
            raise FetchError(f"unexpected error: {type(exc).__name__}: {exc}", url) from None

    async def _fetch(
        self, url: str, accept: str | None, conditional: bool, started: float
    ) -> FetchResult:
        etag, modified = (None, None)
        if conditional and self._cache is not None:
            etag, modified = self._cache.get(url)
        headers = {"Accept": accept or DEFAULT_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        reply = await self._follow(
            url, headers, robots=self._settings.fetch_respect_robots,
            retries=self._settings.fetch_retries, check_type=True,
        )
        if reply.status == 304:
            return FetchResult(
                url=str(reply.url), status=304, text="", not_modified=True,
                content_type=media_type(reply.headers.get("content-type", "")),
                etag=reply.headers.get("etag") or etag,
                last_modified=reply.headers.get("last-modified") or modified,
                elapsed=time.monotonic() - started,
            )
        if not 200 <= reply.status < 300:
            raise HttpStatusError(f"http status {reply.status}", str(reply.url), reply.status)
        return self._result(url, reply, started)

    def _result(self, url: str, reply: _Reply, started: float) -> FetchResult:
        header = reply.headers.get("content-type", "")
        sniff_binary(reply.body, header, str(reply.url))
        result = FetchResult(
            url=str(reply.url), status=reply.status, text=decode_body(reply.body, header),
            content_type=media_type(header) or "text/plain",
            etag=reply.headers.get("etag"), last_modified=reply.headers.get("last-modified"),
            not_modified=False, elapsed=time.monotonic() - started,
        )
        if self._cache is not None:
            self._cache.put(url, result.etag, result.last_modified)
        return result

    async def _follow(
        self, url: str, headers: dict[str, str], *, robots: bool, retries: int, check_type: bool
    ) -> _Reply:
        """Follow redirects by hand so every hop is vetted (and robots-checked) again."""
        current = url
        for _ in range(self._settings.fetch_max_redirects + 1):
            target = await self._vet(current)
            if robots and not await self._robots.allowed(target.url):
                raise RobotsDisallowedError("disallowed by robots.txt", current)
            reply = await self._with_retries(target, headers, retries, check_type)
            location = reply.headers.get("location")
            if reply.status not in REDIRECTS or not location:
                return reply
            current = urljoin(str(target.url), location)
        limit = self._settings.fetch_max_redirects
        raise TooManyRedirectsError(f"more than {limit} redirects", url)

    async def _vet(self, url: str) -> Target:
        """SSRF check with a bounded DNS lookup; the checked address becomes the pin."""
        async with asyncio.timeout(self._settings.fetch_connect_timeout):
            target = await vet_url(url, self._allow, self._resolver)
        self._pins[target.host_key] = target.ip
        return target

    async def _with_retries(
        self, target: Target, headers: dict[str, str], retries: int, check_type: bool
    ) -> _Reply:
        """Retry connect failures, 429 and 503 with jittered exponential backoff."""
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                reply = await self._send(target, headers, check_type)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if last:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            if reply.status in RETRY_STATUSES and not last:
                await asyncio.sleep(self._retry_delay(reply, attempt))
                continue
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        base = self._settings.fetch_backoff
        delay = base * 2**attempt + random.uniform(0, base)
        return min(delay, self._settings.fetch_max_retry_after)

    def _retry_delay(self, reply: _Reply, attempt: int) -> float:
        wait = parse_retry_after(reply.headers.get("retry-after"))
        if wait is None:
            return self._backoff(attempt)
        return min(wait, self._settings.fetch_max_retry_after)

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Per-host semaphore, then the global one, then the per-host start interval."""
        gate = self._gates.get(host)
        if gate is None:
            s = self._settings
            gate = self._gates[host] = _HostGate(s.fetch_per_host_concurrency, s.fetch_per_host_rps)
        async with gate.semaphore, self._global:
            await gate.wait_turn()
            yield

    async def _send(self, target: Target, headers: dict[str, str], check_type: bool) -> _Reply:
        """One request; the body is read (streamed, capped) only for 2xx answers."""
        deadline = self._settings.fetch_connect_timeout + self._settings.fetch_timeout
        async with self._slot(target.host_key), asyncio.timeout(deadline):
            async with self._client.stream("GET", target.url, headers=headers) as resp:
                reply = _Reply(target.url, resp.status_code, resp.headers)
                if 200 <= resp.status_code < 300:
                    if check_type:
                        check_content_type(resp.headers.get("content-type", ""), str(target.url))
                    reply.body = await self._read_capped(resp, str(target.url))
                return reply

    async def _read_capped(self, resp: httpx.Response, url: str) -> bytes:
        """Stop reading as soon as the decoded (gunzipped) body passes the limit."""
        limit = self._settings.fetch_max_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit and "content-encoding" not in resp.headers:
            raise TooLargeError(f"declared body of {declared} bytes over {limit}", url)
        chunks: list[bytes] = []
        total = 0
        async for chunk in resp.aiter_bytes():
            total += len(chunk)
            if total > limit:
                raise TooLargeError(f"body over {limit} bytes", url)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _load_robots(self, url: str) -> tuple[int, str]:
        """robots.txt goes through the same guarded, polite path (no robots check, no retry)."""
        reply = await self._follow(
            url, {"Accept": "text/plain"}, robots=False, retries=0, check_type=False
        )
        return reply.status, reply.body.decode("utf-8", errors="replace")
