"""Digests after a scheduled run: received by a real SMTP server (aiosmtpd) and an HTTP
receiver on loopback; failures retried with backoff, recorded, and never failing the run."""

from __future__ import annotations

import asyncio
import email
import json
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from reservoir.config import Settings, load_settings
from reservoir.demo import demo_profiles
from reservoir.digests import deliver_digests
from reservoir.graphs.runner import create_discovery_run, execute_run
from reservoir.launcher import InProcessLauncher
from reservoir.memory.db import session_scope
from reservoir.memory.models import Delivery, Report, Run, RunEvent
from reservoir.memory.profiles import upsert_profile
from reservoir.memory.runs import create_run
from reservoir.memory.sources import add_source
from reservoir.queue.schedule import run_schedule_tick
from tests.conftest import PAGE_SITE_FILES, free_port

PUBLIC = "http://reservoir.test"


class Mailbox:
    """aiosmtpd handler: keeps every message; answers with ``replies`` first, then 250."""

    def __init__(self, replies: list[str] | None = None) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.replies = list(replies or [])

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.replies:
            return self.replies.pop(0)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


class Hook:
    """The webhook receiver's record: JSON bodies received and the statuses still to answer."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    record = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 — stdlib naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with record.lock:
                status = record.statuses.pop(0) if record.statuses else 200
                if status == 200:
                    record.bodies.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield record, f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000/secret"
    finally:
        server.shutdown()
        server.server_close()


def digest_settings(settings: Settings, smtp_port: int | None, hook_url: str | None,
                    **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": settings.data_dir, "fetch_allow": settings.fetch_allow,
                              "public_url": PUBLIC, "digest_backoff": 0.01, "digest_timeout": 5}
    if smtp_port is not None:
        values.update(digest_smtp_url=f"smtp://127.0.0.1:{smtp_port}",
                      digest_from="reservoir@example.com",
                      digest_to=["owner@example.com", "ops@example.com"])
    if hook_url is not None:
        values["digest_webhook_url"] = hook_url
    return load_settings(**{**values, **overrides})


def _deliveries(settings: Settings) -> list[Delivery]:
    with session_scope(settings) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.channel)).all())


def _events(settings: Settings, run_id: str, prefix: str) -> list[RunEvent]:
    with session_scope(settings) as session:
        return [e for e in session.exec(select(RunEvent).where(RunEvent.run_id == run_id)
                                        .order_by(RunEvent.seq)).all() if e.type.startswith(prefix)]


def test_scheduled_run_sends_each_profile_digest(settings: Settings, page_site: tuple[Any, str],
                                                 mailbox: tuple[Mailbox, int],
                                                 hook: tuple[Hook, str]) -> None:
    pages, base = page_site
    box, port = mailbox
    record, hook_url = hook
    config = digest_settings(settings, port, hook_url)
    with session_scope(config) as session:
        for name in PAGE_SITE_FILES:
            add_source(session, name.split("-")[0], "html", f"{base}/{name}")
        upsert_profile(session, demo_profiles()[0])

    manual = create_discovery_run(config)  # a run someone started: no digest
    assert asyncio.run(execute_run(config, manual)) == "succeeded"
    assert box.messages == [] and record.bodies == [] and _deliveries(config) == []

    status, html = pages.get(f"/{PAGE_SITE_FILES[0]}")
    pages.set(f"/{PAGE_SITE_FILES[0]}", status, html.replace(
        "<p>Start with the reminders", "<p>The practice now also texts a review link after "
        "every visit, and reviews doubled.</p>\n<p>Start with the reminders", 1))
    run_id, status = run_schedule_tick(config, InProcessLauncher(config))
    assert status == "succeeded"

    with session_scope(config) as session:
        report = session.exec(select(Report).where(Report.run_id == run_id)).one()
        counters = session.get(Run, run_id).counters
    link = f"{PUBLIC}/reports/{report.id}"
    assert counters["digests_sent"] == 2 and counters["digests_failed"] == 0

    [(sender, recipients, message)] = box.messages
    assert sender == "reservoir@example.com"
    assert recipients == ["owner@example.com", "ops@example.com"]
    assert message["Subject"] == "Reservoir digest for Harborview Realty Group"
    body = message.get_payload(decode=True).decode()
    assert report.stats["summary"] in body and f"Full report: {link}" in body
    assert "1 page(s) changed: How a two-office dental practice" in body

    [payload] = record.bodies
    assert payload["text"].startswith("Reservoir digest for Harborview Realty Group: ")
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds[0] == "header" and kinds[-1] == "context" and "section" in kinds
    assert payload["blocks"][-1]["elements"][0]["text"] == f"<{link}|Full report>"
    assert "page(s) changed" in json.dumps(payload["blocks"])

    assert [(d.channel, d.status, d.attempts) for d in _deliveries(config)] == [
        ("email", "sent", 1), ("webhook", "sent", 1)]
    assert [e.type for e in _events(config, run_id, "digest")] == ["digest_sent", "digest_sent"]
    last = _events(config, run_id, "")[-1]
    assert last.type == "succeeded"  # digests go out before the run is marked done


def _published_report(settings: Settings) -> str:
    """A run with one published report, as the writer leaves it (stats included)."""
    with session_scope(settings) as session:
        profile = upsert_profile(session, demo_profiles()[1])
        run = create_run(session, trigger="schedule")
        session.add(Report(run_id=run.id, profile_id=profile.id, markdown="# r", html="<h1>r</h1>",
                           status="published", stats={"summary": "Nothing ranked yet.",
                                                      "changes": [], "first_report": True}))
        return run.id


def test_failed_delivery_is_retried_then_recorded(settings: Settings, hook: tuple[Hook, str]
                                                  ) -> None:
    record, hook_url = hook
    closed = free_port()  # nothing listens there: every email attempt fails to connect
    config = digest_settings(settings, closed, hook_url, digest_retries=2)
    record.statuses = [503, 500]  # the webhook recovers on the third attempt
    run_id = _published_report(config)
    events: list[tuple[str, dict[str, Any]]] = []

    counts = asyncio.run(deliver_digests(config, run_id, lambda n, t, p: events.append((t, p))))

    assert counts == {"digests_sent": 1, "digests_failed": 1}
    email_row, webhook_row = _deliveries(config)
    assert (email_row.status, email_row.attempts) == ("failed", 3)
    assert "ConnectionRefusedError" in (email_row.error or "")
    assert (webhook_row.status, webhook_row.attempts, webhook_row.error) == ("sent", 3, None)
    assert webhook_row.target == "127.0.0.1"  # the host only: the url holds the token
    assert len(record.bodies) == 1
    assert sorted(t for t, _ in events) == ["digest_failed", "digest_sent"]
    assert "first report for this profile" in json.dumps(record.bodies[0]["blocks"])

    again = asyncio.run(deliver_digests(config, run_id))  # a resumed run: only what failed
    assert again == {"digests_sent": 0, "digests_failed": 1}
    assert len(record.bodies) == 1 and _deliveries(config)[0].attempts == 6


def test_webhook_goes_through_the_ssrf_guard(tmp_path: Any, hook: tuple[Hook, str],
                                             mailbox: tuple[Mailbox, int]) -> None:
    record, hook_url = hook
    box, port = mailbox
    box.replies = ["550 5.1.1 mailbox unavailable"]
    config = load_settings(data_dir=tmp_path / "data", digest_webhook_url=hook_url,
                           digest_smtp_url=f"smtp://127.0.0.1:{port}", digest_from="r@example.com",
                           digest_to=["x@example.com"], digest_backoff=0.01)  # no fetch_allow
    run_id = _published_report(config)
    counts = asyncio.run(deliver_digests(config, run_id))
    assert counts == {"digests_sent": 0, "digests_failed": 2}
    email_row, webhook_row = _deliveries(config)
    assert webhook_row.attempts == 1 and "SSRF guard" in (webhook_row.error or "")
    assert "loopback" in (webhook_row.error or "")
    assert email_row.attempts == 1 and "SMTP 550" in (email_row.error or "")  # permanent
    assert record.bodies == [] and box.messages == []
