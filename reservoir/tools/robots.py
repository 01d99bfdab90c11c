"""robots.txt policy: fetched through the guarded fetch path, parsed once, cached per origin."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.robotparser import RobotFileParser

import httpx

log = logging.getLogger(__name__)

# Fetches robots.txt text; returns (status, text). Raising means "unreachable".
RobotsLoader = Callable[[str], Awaitable[tuple[int, str]]]


class RobotsCache:
    """One parsed robots.txt per scheme://host:port; failures are cached for a shorter time."""

    def __init__(self, loader: RobotsLoader, user_agent: str, ttl: float = 3600.0) -> None:
        self._loader = loader
        self._agent = user_agent
        self._ttl = ttl
        self._entries: dict[str, tuple[float, RobotFileParser]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: httpx.URL) -> bool:
        """Whether our user agent may fetch this URL."""
        parser = await self._parser(_origin(url))
        return parser.can_fetch(self._agent, str(url))

    async def _parser(self, origin: str) -> RobotFileParser:
        cached = self._fresh(origin)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._fresh(origin)
            if cached is not None:
                return cached
            parser, ttl = await self._load(origin)
            self._entries[origin] = (time.monotonic() + ttl, parser)
            return parser

    def _fresh(self, origin: str) -> RobotFileParser | None:
        entry = self._entries.get(origin)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    async def _load(self, origin: str) -> tuple[RobotFileParser, float]:
        """A 4xx allows everything; a 5xx or unreachable robots.txt also allows, but is logged."""
        url = origin + "/robots.txt"
        parser = RobotFileParser(url)
        try:
            status, text = await self._loader(url)
        except Exception as exc:  # any failure at all means "unreachable"
            log.warning("robots.txt unreachable at %s (%s); allowing", url, exc)
            parser.allow_all = True
            return parser, self._ttl / 10
        if status >= 500:
            log.warning("robots.txt at %s answered %s; allowing", url, status)
            parser.allow_all = True
            return parser, self._ttl / 10
        if status >= 400:
            parser.allow_all = True
            return parser, self._ttl
        parser.parse(text.splitlines())
        return parser, self._ttl


def _origin(url: httpx.URL) -> str:
    default = 443 if url.scheme == "https" else 80
    port = f":{url.port}" if url.port and url.port != default else ""
    host = url.raw_host.decode("ascii")
    host = f"[{host}]" if ":" in host else host
    return f"{url.scheme}://{host}{port}"
