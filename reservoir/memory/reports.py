"""Reports: lookup, and export to files a person can open."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from reservoir.config import Settings
from reservoir.memory.models import BusinessProfile, Report
from reservoir.memory.pagination import Page, paginate


def latest_report(session: Session, profile_id: int) -> Report | None:
    return session.exec(select(Report).where(Report.profile_id == profile_id)
                        .order_by(Report.created_at.desc(), Report.id.desc())).first()


def list_reports(session: Session, *, profile_id: int | None = None, limit: int = 50,
                 offset: int = 0) -> Page[Report]:
    statement = select(Report)
    if profile_id is not None:
        statement = statement.where(Report.profile_id == profile_id)
    return paginate(session, statement, [Report.created_at.desc(), Report.id.desc()], limit,
                    offset)


def set_report_status(session: Session, ids: list[int], status: str) -> None:
    """Publish (or reject) reports: a run's writer, its approval and the report pass do."""
    for report in session.exec(select(Report).where(col(Report.id).in_(ids))).all():
        report.status = status
        session.add(report)


def export_report(settings: Settings, session: Session, report: Report) -> Path:
    """Write the HTML and Markdown beside each other under <data_dir>/reports/."""
    profile = session.get(BusinessProfile, report.profile_id)
    slug = "".join(c if c.isalnum() else "-" for c in (profile.name if profile else "profile"))
    folder = settings.ensure_data_dir() / "reports"
    folder.mkdir(exist_ok=True)
    stem = folder / f"report-{report.id}-{slug.lower().strip('-')}"
    stem.with_suffix(".md").write_text(report.markdown, encoding="utf-8")
    html = stem.with_suffix(".html")
    html.write_text(report.html, encoding="utf-8")
    return html.resolve()
