"""Reports: list, JSON, and the rendered HTML and Markdown."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlmodel import Session

from reservoir.api.deps import AUTH, DbId, OptionalId, PageDep, SessionDep
from reservoir.api.errors import not_found
from reservoir.api.schemas import Page
from reservoir.memory import reports as report_queries
from reservoir.memory.models import Report
from reservoir.memory.public import ReportDetail, ReportPublic

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=AUTH)

# A report quotes scraped text: even rendered on its own, it may not run scripts or load anything.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _load(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise not_found(f"report {report_id}")
    return report


@router.get("", response_model=Page[ReportPublic], summary="List reports, newest first")
def list_reports(session: SessionDep, page: PageDep, profile_id: OptionalId = None) -> dict[str, Any]:
    found = report_queries.list_reports(session, profile_id=profile_id, limit=page.limit, offset=page.offset)
    return page.page([ReportPublic.model_validate(r) for r in found.items], found.total)


@router.get("/{report_id:int}.html", response_class=HTMLResponse, summary="A report as HTML")
def report_html(report_id: DbId, session: SessionDep) -> HTMLResponse:
    return HTMLResponse(_load(session, report_id).html, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/{report_id:int}.md", response_class=PlainTextResponse, summary="A report as Markdown")
def report_markdown(report_id: DbId, session: SessionDep) -> PlainTextResponse:
    return PlainTextResponse(_load(session, report_id).markdown, media_type="text/markdown; charset=utf-8")


@router.get("/{report_id:int}", response_model=ReportDetail, summary="A report as JSON")
def get_report(report_id: DbId, session: SessionDep) -> ReportDetail:
    return ReportDetail.model_validate(_load(session, report_id))
