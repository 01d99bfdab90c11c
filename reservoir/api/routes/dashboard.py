"""The dashboard's page shells: public HTML; every figure on them comes from the authenticated API.

Pages carry no data, so they need no key; the browser keeps the key in localStorage and the
page scripts send it as a Bearer header (fetch, including the SSE streams).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from reservoir import __version__

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

# Scripts only from /static, data only from this origin; reports render in a sandboxed frame.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'")
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, page: str, title: str, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, template, {"page": page, "title": title, "version": __version__, **context},
        headers=PAGE_HEADERS)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    return _page(request, "overview.html", "overview", "Overview")


@router.get("/login", response_class=HTMLResponse)
def login(request: Request) -> HTMLResponse:
    return _page(request, "login.html", "login", "Sign in")


@router.get("/runs", response_class=HTMLResponse)
def runs(request: Request) -> HTMLResponse:
    return _page(request, "runs.html", "runs", "Runs")


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_detail(request: Request, run_id: str) -> HTMLResponse:
    return _page(request, "run.html", "run", "Run", run_id=run_id)


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities(request: Request) -> HTMLResponse:
    return _page(request, "opportunities.html", "opportunities", "Opportunities")


@router.get("/opportunities/{opp_id:int}", response_class=HTMLResponse)
def opportunity(request: Request, opp_id: int) -> HTMLResponse:
    return _page(request, "opportunity.html", "opportunity", "Opportunity", opp_id=opp_id)


@router.get("/tracking", response_class=HTMLResponse)
def tracking(request: Request) -> HTMLResponse:
    """Projected against actual per profile; the plot is rendered by the API, not here."""
    return _page(request, "tracking.html", "tracking", "Projected vs actual")


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request) -> HTMLResponse:
    return _page(request, "sources.html", "sources", "Sources")


@router.get("/tools", response_class=HTMLResponse)
def tools(request: Request) -> HTMLResponse:
    return _page(request, "tools.html", "tools", "Tools")


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request) -> HTMLResponse:
    return _page(request, "reports.html", "reports", "Reports")


@router.get("/reports/{report_id:int}", response_class=HTMLResponse)
def report(request: Request, report_id: int) -> HTMLResponse:
    return _page(request, "report.html", "report", "Report", report_id=report_id)


@router.get("/documents/{document_id:int}", response_class=HTMLResponse)
def document(request: Request, document_id: int) -> HTMLResponse:
    return _page(request, "document.html", "document", "Document", document_id=document_id)


@router.get("/chat", response_class=HTMLResponse)
def chat(request: Request) -> HTMLResponse:
    return _page(request, "chat.html", "chat", "Ask the reservoir")


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg", status_code=308)
