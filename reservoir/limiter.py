"""How fast a process may call its model: adaptive concurrency and a per-minute budget.

Two bounds, because servers fail in two ways. A local server (llama.cpp, Ollama) serves
one or two requests at a time: sending four at once only makes every request wait past its
timeout, so concurrency adapts — halved on a timeout, a 429 or a 5xx, grown back by one
after a run of successes, never above the configured maximum (additive increase,
multiplicative decrease, as TCP does). A hosted API sells requests and tokens per minute:
a fixed one-minute window counts both, in the process, or in Redis when one is configured
so that every RQ worker of a deployment draws on the same allowance.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
GROW_AFTER = 4  # successes in a row before one more request may run at once


class AdaptiveConcurrency:
    """A semaphore whose size follows what the server sustains (AIMD)."""

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.active = 0
        self._streak = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> AdaptiveConcurrency:
        async with self._changed:
            await self._changed.wait_for(lambda: self.active < self.limit)
            self.active += 1
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        async with self._changed:
            self.active -= 1
            self._changed.notify_all()

    async def record(self, overloaded: bool) -> None:
        """Shrink on a sign of overload, grow back slowly on success."""
        async with self._changed:
            if overloaded:
                self._streak = 0
                if self.limit > 1:
                    self.limit = max(1, self.limit // 2)
                    log.info("model server overloaded: concurrency now %d", self.limit)
            else:
                self._streak += 1
                if self._streak >= GROW_AFTER and self.limit < self.maximum:
                    self.limit += 1
                    self._streak = 0
            self._changed.notify_all()


class WindowCounter(Protocol):
    """Adds to a named count of the current one-minute window and returns the new total."""

    def add(self, name: str, window: int, amount: int) -> int: ...


@dataclass
class LocalCounter:
    """The window count of one process."""

    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, name: str, window: int, amount: int) -> int:
        for key in [k for k in self.counts if k[1] < window]:
            del self.counts[key]
        self.counts[(name, window)] = self.counts.get((name, window), 0) + amount
        return self.counts[(name, window)]


class RedisCounter:
    """The window count shared by every process that uses the same Redis."""

    def __init__(self, redis: Any, prefix: str = "reservoir:llm-rate") -> None:
        self.redis = redis
        self.prefix = prefix

    def add(self, name: str, window: int, amount: int) -> int:
        key = f"{self.prefix}:{name}:{window}"
        pipe = self.redis.pipeline()
        pipe.incrby(key, amount)
        pipe.expire(key, int(WINDOW_SECONDS * 2))
        total, _ = pipe.execute()
        return int(total)


class RateLimiter:
    """Requests and tokens per minute; 0 means no limit.

    A call reserves one request and its estimated tokens in the current window; when the
    window is full it waits for the next one. The estimate (prompt characters / 4 plus the
    reply bound) errs high, so the real spend stays under the budget.
    """

    def __init__(self, requests_per_minute: int, tokens_per_minute: int,
                 counter: WindowCounter | None = None, scope: str = "default",
                 clock: Callable[[], float] = time.time) -> None:
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self.counter = counter or LocalCounter()
        self.scope = scope
        self.clock = clock
        self.waited = 0.0

    @property
    def unlimited(self) -> bool:
        return self.rpm <= 0 and self.tpm <= 0

    def _fits(self, window: int, tokens: int) -> bool:
        ok = True
        if self.rpm > 0:
            ok = self.counter.add(f"{self.scope}:requests", window, 1) <= self.rpm
        if ok and self.tpm > 0:
            used = self.counter.add(f"{self.scope}:tokens", window, tokens)
            # One call larger than the whole allowance still runs, alone in its window.
            ok = used <= self.tpm or used == tokens
        return ok

    async def acquire(self, tokens: int) -> None:
        if self.unlimited:
            return
        while True:
            now = self.clock()
            window = int(now // WINDOW_SECONDS)
            if self._fits(window, tokens):
                return
            pause = (window + 1) * WINDOW_SECONDS - now + 0.01
            self.waited += pause
            log.info("model rate budget used for this minute: waiting %.1f s", pause)
            await asyncio.sleep(pause)


_shared: dict[tuple[Any, ...], RateLimiter] = {}


def shared_rate_limiter(requests_per_minute: int, tokens_per_minute: int, scope: str,
                        redis_url: str | None) -> RateLimiter:
    """One limiter per process and endpoint, so every agent draws on the same allowance."""
    key = (requests_per_minute, tokens_per_minute, scope, redis_url)
    if key not in _shared:
        counter: WindowCounter | None = None
        if redis_url and (requests_per_minute > 0 or tokens_per_minute > 0):
            from redis import Redis

            counter = RedisCounter(Redis.from_url(redis_url))
        _shared[key] = RateLimiter(requests_per_minute, tokens_per_minute, counter, scope)
    return _shared[key]
