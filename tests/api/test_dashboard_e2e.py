"""The dashboard in headless Chromium against a real server and the real pipeline.

Scenario: sign in, add a demo source, start a run from the dashboard and watch it finish over
SSE, open an opportunity and change its status, ask a question and follow a citation.
Screenshots land in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reservoir.api.app import create_app
from reservoir.memory.db import session_scope
from reservoir.memory.profiles import upsert_profile

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RUN_TIMEOUT_MS = 180_000

pytestmark = pytest.mark.slow


def _missing(reason: str) -> None:
    if os.environ.get("RESERVOIR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
        page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def test_dashboard_end_to_end(settings, key_factory, live_server_factory, browser_page) -> None:  # type: ignore[no-untyped-def]
    demo = pytest.importorskip("reservoir.demo", reason="reservoir.demo (the demo corpus) is not available")
    from playwright.sync_api import expect

    page = browser_page
    key = key_factory(settings, "browser")
    with session_scope(settings) as session:
        for profile in demo.demo_profiles()[:1]:
            upsert_profile(session, profile)
    app = create_app(settings, sse_poll=0.1)
    with demo.DemoServer() as corpus, live_server_factory(app) as server:
        feed = next(s for s in demo.demo_sources(corpus.base_url) if s["kind"] == "rss")

        # Signing in: no key sends you to the login page; a wrong key is refused there.
        page.goto(f"{server.base_url}/sources")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Fsources$"))
        page.fill("#api-key", "rsv_wrong")
        page.click("#login-form button")
        expect(page.locator("#login-error")).to_contain_text("invalid or revoked")
        page.errors.clear()  # type: ignore[attr-defined]  # the browser logs that refused request
        page.fill("#api-key", key)
        page.click("#login-form button")
        expect(page).to_have_url(f"{server.base_url}/sources")

        # A source added through the form shows up with its health.
        page.fill("#s-name", feed["name"])
        page.select_option("#s-kind", feed["kind"])
        page.fill("#s-url", feed["url"])
        page.click("#source-form button[type=submit]")
        expect(page.locator(f'#sources-table tr[data-source="{feed["name"]}"]')).to_contain_text("ok")

        # Start a run from the dashboard; live progress arrives over SSE until it succeeds.
        page.goto(f"{server.base_url}/runs")
        page.check(f'#run-sources input[value="{feed["name"]}"]')
        page.click("#start-run")
        expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}$"))
        expect(page.locator("#events li").first).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-run-status", "succeeded", timeout=RUN_TIMEOUT_MS)
        expect(page.locator("#run-status")).to_have_text("succeeded")
        expect(page.locator('#events li[data-type="succeeded"]')).to_have_count(1)
        expect(page.locator('#events li[data-type="source_done"]')).to_contain_text(feed["name"])
        shot(page, "run")

        # The overview chart is drawn from the API.
        page.goto(f"{server.base_url}/")
        expect(page.locator("#type-chart svg rect.bar")).to_have_count(9)
        expect(page.locator("#roi-chart svg circle.dot").first).to_be_attached()
        shot(page, "overview")

        # Open an opportunity: evidence with its source, ROI for the profile, a status change.
        page.goto(f"{server.base_url}/opportunities")
        first = page.locator("#opp-table tbody tr a").first
        expect(first).to_be_visible()
        title = first.inner_text()
        first.click()
        expect(page.locator("#opp-title")).to_have_text(title)
        expect(page.locator("#opp-evidence li").first).to_contain_text("source ↗")
        expect(page.locator("#opp-roi tbody tr").first).to_contain_text(demo.demo_profiles()[0]["name"])
        page.click('#status-buttons button[data-status="approved"]')
        expect(page.locator("#opp-status")).to_have_text("approved")
        # Track it for the selected profile: bookmark, then record actuals through the form.
        page.click('#track-buttons button[data-track="bookmarked"]')
        expect(page.locator("#t-status")).to_have_text("bookmarked")
        page.fill("#t-hours", "3")
        page.fill("#t-setup", "8")
        page.click('#track-form button[type="submit"]')
        expect(page.locator("#t-status")).to_have_text("implemented")
        expect(page.locator("#t-hours")).to_have_value("3")
        shot(page, "opportunity")

        # The tools page lists the tools the opportunities use; a name opens their opportunities.
        page.goto(f"{server.base_url}/tools")
        expect(page.locator("#tools-table tbody tr").first).to_be_visible()
        row = page.locator("#tools-table tbody tr").first
        uses = row.locator("td.num").inner_text()
        shot(page, "tools")
        row.locator("td a").click()
        expect(page).to_have_url(re.compile(r"/opportunities\?tool="))
        expect(page.locator("#opp-count")).to_have_text(f"{uses} opportunities")

        # Search from the opportunities page.
        page.goto(f"{server.base_url}/opportunities")
        page.fill("#f-q", title)
        page.click("#opp-filters button[type=submit]")
        expect(page.locator("#opp-count")).to_contain_text("best matches")
        expect(page.locator("#opp-table tbody")).to_contain_text(title)

        # Ask a question; the answer streams in with citations; a citation opens its document.
        page.goto(f"{server.base_url}/chat")
        page.fill("#question", title)
        page.press("#question", "Enter")  # Enter sends
        answer = page.locator(".msg.assistant").last
        expect(answer).to_have_attribute("data-done", "true", timeout=60_000)
        expect(answer.locator(".text")).not_to_be_empty()
        # A follow-up in the same thread: Shift+Enter adds a line, Enter sends.
        page.fill("#question", "and which tools")
        page.press("#question", "Shift+Enter")
        expect(page.locator("#question")).to_have_value("and which tools\n")
        page.press("#question", "Enter")
        expect(page.locator(".msg.assistant")).to_have_count(2)
        expect(page.locator(".msg.assistant").last).to_have_attribute("data-done", "true", timeout=60_000)
        expect(page.locator("#thread")).to_contain_text("continuing conversation")
        # The thread survives a reload; a [n] marker shows its source's quote in place.
        page.reload()
        expect(page.locator(".msg.assistant")).to_have_count(2)
        answer = page.locator(".msg.assistant").first
        answer.locator("a.cite").first.click()
        opened = answer.locator(".citations li.open")
        expect(opened).to_have_count(1)
        expect(opened.locator("blockquote mark").first).to_be_visible()
        citation = answer.locator("a.citation").first
        expect(citation).to_be_visible()
        shot(page, "chat")
        citation.click()
        expect(page).to_have_url(re.compile(r"/documents/\d+"))
        expect(page.locator("#doc-url")).to_have_attribute("href", re.compile(re.escape(corpus.base_url)))
        expect(page.locator("#doc-text")).not_to_be_empty()
        shot(page, "document")

        # The report of the run renders in its sandboxed frame.
        page.goto(f"{server.base_url}/reports")
        page.locator("#reports-table tbody tr a").first.click()
        expect(page.frame_locator("#report-frame").locator("body")).not_to_be_empty()
        shot(page, "report")
    assert page.errors == []  # type: ignore[attr-defined]
