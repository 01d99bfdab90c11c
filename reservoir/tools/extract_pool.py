"""Page extraction off the event loop: ``extract_page`` (trafilatura plus a BeautifulSoup parse,
tens of milliseconds of CPU per page) runs in a process pool, one process per core, so the
scout's event loop keeps fetching and the embedder keeps working while pages are parsed.

The pool is process-wide, created on first use (a run that reads no web page starts no
process) and shut down cleanly at exit, by ``shutdown_pool()`` (an RQ work horse calls it
when its job ends), or in a forked child, which never uses its parent's pool. Workers are
spawned, not forked: the parent has threads (asyncio's, torch's), and forking those can
deadlock. Extraction stays in-process when the pool would cost more than it saves or cannot
be had:

- the page is small (under ``INLINE_CHARS``): shipping the HTML and the result through a pipe
  costs about what parsing it does, and a test's fixture page never starts the pool;
- ``RESERVOIR_EXTRACT_PROCESSES=0`` (one core, a memory-tight container, debugging);
- the pool broke (a worker was killed, e.g. out of memory): that page is parsed here and the
  next one gets a fresh pool — a page is never lost to the pool.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from reservoir.config import Settings
from reservoir.tools.extract import ExtractedPage, extract_page

log = logging.getLogger(__name__)

INLINE_CHARS = 4_000
_WARM_HTML = "<html><head><title>warm</title></head><body><article><p>warm up</p></article></body></html>"

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def cores() -> int:
    """Cores this process may run on (its affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def pool_size(settings: Settings) -> int:
    """Worker processes for these settings: 0 means extract in-process."""
    wanted = settings.extract_processes
    return cores() if wanted is None else wanted


def _warm() -> None:
    """Import the extractor's libraries once per worker, before the first real page."""
    extract_page(_WARM_HTML, "http://127.0.0.1/")


def get_pool(size: int) -> ProcessPoolExecutor:
    """The process-wide pool of ``size`` workers, created on first use."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            _pool = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_warm)
            _pool_size = size
        return _pool


def start_pool(settings: Settings) -> int:
    """Start the pool now and wait until every worker is ready (a long-lived process that
    wants its first run not to pay for it); returns the number of workers."""
    size = pool_size(settings)
    if size > 0:
        pool = get_pool(size)
        for future in [pool.submit(os.getpid) for _ in range(size)]:
            future.result()
    return size


def shutdown_pool(wait: bool = True) -> None:
    """Stop the worker processes (the next extraction starts a new pool)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def _forget_pool() -> None:
    """In a forked child: the parent's pool (its threads and pipes) is not ours to use."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


atexit.register(shutdown_pool)
os.register_at_fork(after_in_child=_forget_pool)


async def extract_page_async(settings: Settings, html: str, url: str) -> ExtractedPage:
    """``extract_page`` without holding the event loop: in the pool, or in-process when that
    is cheaper or the pool is off (see the module docstring)."""
    size = pool_size(settings)
    if size <= 0 or len(html or "") < INLINE_CHARS:
        return extract_page(html, url)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(get_pool(size), extract_page, html, url)
    except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down meanwhile
        log.warning("the extraction pool is unusable (%s); %s is parsed in-process and the "
                    "next page gets a new pool", type(exc).__name__, url)
        shutdown_pool(wait=False)
        return extract_page(html, url)
