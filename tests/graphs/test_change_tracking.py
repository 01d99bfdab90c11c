"""Change tracking end to end: a page whose content changes between two runs is re-analysed
(and only it), its diff is kept, and the next report says what changed; a page that answers
404 is gone and its source is named as broken."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from reservoir.config import Settings
from reservoir.demo import demo_profiles
from reservoir.graphs.runner import create_discovery_run, execute_run
from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Report, Run, RunEvent
from reservoir.memory.profiles import upsert_profile
from reservoir.memory.sources import add_source
from tests.conftest import PAGE_SITE_FILES

CHANGED, STEADY = PAGE_SITE_FILES
ADDED = ("Since March the practice also sends a Twilio text to every patient whose insurance "
         "card expired, which saves the front desk another 3 hours a week.")


def _run(settings: Settings) -> str:
    run_id = create_discovery_run(settings)
    assert asyncio.run(execute_run(settings, run_id)) == "succeeded"
    return run_id


def _doc(settings: Settings, name: str) -> Document:
    with session_scope(settings) as session:
        return session.exec(select(Document).where(Document.url.endswith(name))).one()


def _analysed_ids(settings: Settings, run_id: str) -> list[int]:
    with session_scope(settings) as session:
        events = session.exec(select(RunEvent).where(
            RunEvent.run_id == run_id, RunEvent.type == "document_analysed")).all()
        return [e.payload["document_id"] for e in events]


def _report(settings: Settings, run_id: str) -> str:
    with session_scope(settings) as session:
        return session.exec(select(Report).where(Report.run_id == run_id)).one().markdown


def _section(markdown: str, title: str) -> str:
    start = markdown.index(f"## {title}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:end if end > 0 else None]


def test_changed_page_is_reanalysed_alone_and_reported(settings: Settings,
                                                       page_site: tuple[Any, str]) -> None:
    pages, base = page_site
    with session_scope(settings) as session:
        add_source(session, "dental", "html", f"{base}/{CHANGED}")
        add_source(session, "brokerage", "html", f"{base}/{STEADY}")
        upsert_profile(session, demo_profiles()[0])

    first = _run(settings)
    changed, steady = _doc(settings, CHANGED), _doc(settings, STEADY)
    assert (changed.change_status, steady.change_status) == ("new", "new")
    assert sorted(_analysed_ids(settings, first)) == sorted([changed.id, steady.id])
    assert "This is the first report" in _section(_report(settings, first),
                                                  "What changed since your last report")

    status, html = pages.get(f"/{CHANGED}")
    marker = "<p>Start with the reminders"
    assert marker in html
    pages.set(f"/{CHANGED}", status, html.replace(marker, f"<p>{ADDED}</p>\n{marker}", 1))
    second = _run(settings)

    changed_after, steady_after = _doc(settings, CHANGED), _doc(settings, STEADY)
    assert changed_after.change_status == "changed" and changed_after.id == changed.id
    assert f"+{ADDED}" in (changed_after.change_diff or "")
    assert changed_after.change_note == "+1 / -0 lines"
    assert steady_after.change_status == "unchanged"
    assert steady_after.analysed_at == steady.analysed_at  # not analysed again
    assert _analysed_ids(settings, second) == [changed.id]  # re-analysed, and only it
    with session_scope(settings) as session:
        counters = session.get(Run, second).counters
    assert counters["documents_changed"] == 1 and counters["documents_analysed"] == 1

    what_changed = _section(_report(settings, second), "What changed since your last report")
    assert "**Pages that changed** (re-analysed)" in what_changed
    assert changed_after.title in what_changed and changed_after.url in what_changed
    assert f"+{ADDED}" in what_changed and "(analysis pending)" not in what_changed
    assert steady_after.url not in what_changed

    pages.set(f"/{STEADY}", 404, "not found")
    third = _run(settings)
    gone = _doc(settings, STEADY)
    assert gone.change_status == "gone" and gone.change_note == "gone: HTTP 404"
    report = _report(settings, third)
    assert steady_after.url in _section(report, "What changed since your last report")
    assert "**Pages gone**" in report
    sources = _section(report, "Sources")
    assert "**brokerage** failing since" in sources and "404" in sources
    assert "dental" not in sources.split("**Cited**")[0]
