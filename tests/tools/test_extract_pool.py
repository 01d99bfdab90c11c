"""The extraction pool: pages parsed in worker processes while the event loop keeps running,
small pages and a disabled pool in-process, a broken pool survived, a clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reservoir.config import Settings, load_settings
from reservoir.tools import extract_pool
from reservoir.tools.extract import extract_page

CORPUS = Path(__file__).resolve().parents[2] / "reservoir" / "demo" / "corpus"
ARTICLE = (CORPUS / "dental-text-reminders-twilio-acuity.html").read_text(encoding="utf-8")


def heavy_page(paragraphs: int = 1500) -> str:
    """A long article: a good fraction of a second of parsing, long enough to see the loop stall or not."""
    body = "".join(f"<p>Paragraph {i}: the front desk sends a reminder text to patient {i} two "
                   f"days before the visit, and <a href='/p/{i}'>logs</a> the reply.</p>"
                   for i in range(paragraphs))
    return f"<html><head><title>Heavy</title></head><body><article><h1>Heavy</h1>{body}" \
           "</article></body></html>"


@pytest.fixture(autouse=True)
def fresh_pool() -> Iterator[None]:
    extract_pool.shutdown_pool()
    yield
    extract_pool.shutdown_pool()


def _settings(tmp_path: Path, processes: int | None) -> Settings:
    return load_settings(data_dir=tmp_path, extract_processes=processes)


async def _ticks_during(settings: Settings, html: str) -> tuple[int, float]:
    """How often a 5 ms timer fired on the loop while one page was extracted."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started = time.perf_counter()
    await extract_pool.extract_page_async(settings, html, "http://127.0.0.1/heavy")
    elapsed = time.perf_counter() - started
    done.set()
    await task
    return ticks, elapsed


def test_the_loop_keeps_running_while_a_page_is_parsed(tmp_path: Path) -> None:
    html = heavy_page()
    pooled = _settings(tmp_path, 1)
    asyncio.run(extract_pool.extract_page_async(pooled, ARTICLE, "http://127.0.0.1/warm"))
    ticks, elapsed = asyncio.run(_ticks_during(pooled, html))
    assert elapsed > 0.1 and ticks >= elapsed / 0.005 * 0.3  # the loop ran most of the time
    inline_ticks, inline_elapsed = asyncio.run(_ticks_during(_settings(tmp_path, 0), html))
    assert inline_elapsed > 0.1 and inline_ticks <= 2  # in-process, the parse holds the loop


def test_pool_result_equals_in_process_result(tmp_path: Path) -> None:
    settings = _settings(tmp_path, 2)
    url = "http://127.0.0.1/articles/dental.html"
    assert len(ARTICLE) >= extract_pool.INLINE_CHARS
    pooled = asyncio.run(extract_pool.extract_page_async(settings, ARTICLE, url))
    assert extract_pool._pool is not None  # noqa: SLF001 — the page did go to the pool
    assert pooled == extract_page(ARTICLE, url)
    assert "Twilio and Acuity" in pooled.text


def test_small_pages_and_a_disabled_pool_stay_in_process(tmp_path: Path) -> None:
    small = "<html><body><article><p>We automated invoices with Zapier.</p></article></body></html>"
    page = asyncio.run(extract_pool.extract_page_async(_settings(tmp_path, 2), small, "http://x/"))
    assert page.text == "We automated invoices with Zapier." and extract_pool._pool is None  # noqa: SLF001
    asyncio.run(extract_pool.extract_page_async(_settings(tmp_path, 0), ARTICLE, "http://x/"))
    assert extract_pool._pool is None  # noqa: SLF001


def test_a_killed_worker_loses_no_page_and_shutdown_is_clean(tmp_path: Path) -> None:
    settings = _settings(tmp_path, 1)
    asyncio.run(extract_pool.extract_page_async(settings, ARTICLE, "http://127.0.0.1/a"))
    pool = extract_pool._pool  # noqa: SLF001
    assert pool is not None
    [worker] = list(pool._processes.values())  # noqa: SLF001
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    page = asyncio.run(extract_pool.extract_page_async(settings, ARTICLE, "http://127.0.0.1/b"))
    assert "Twilio and Acuity" in page.text  # parsed in-process when the pool broke
    page = asyncio.run(extract_pool.extract_page_async(settings, ARTICLE, "http://127.0.0.1/c"))
    fresh = extract_pool._pool  # noqa: SLF001
    assert fresh is not None and fresh is not pool and "Twilio and Acuity" in page.text
    workers = list(fresh._processes.values())  # noqa: SLF001
    extract_pool.shutdown_pool()
    assert extract_pool._pool is None and not any(p.is_alive() for p in workers)  # noqa: SLF001
