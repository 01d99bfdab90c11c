"""Change tracking: what each fetch found of a document — new, unchanged, changed or gone —
and what changed for a profile since its last report.

A changed document keeps a short diff (bounded, so a rewritten page cannot bloat the row) and
loses the evidence its new text no longer holds: every stored quote stays traceable to the text
we hold. Its analysis is reset by the upsert, so the analyst re-reads it — and only it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from reservoir.memory.hashing import canonical_url
from reservoir.memory.models import (
    Document,
    Evidence,
    Opportunity,
    Report,
    RoiEstimate,
    Source,
    as_utc,
    utcnow,
)

DIFF_MAX_LINES = 40
DIFF_MAX_CHARS = 4000
DIFF_LINE_CHARS = 300
GONE_STATUSES = frozenset({404, 410})
LIST_LIMIT = 10


def text_diff(old: str, new: str) -> tuple[str, str]:
    """A unified diff of two texts (no context lines, bounded) and a one-line note."""
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0))[2:]
    added = sum(1 for line in lines if line.startswith("+"))
    removed = sum(1 for line in lines if line.startswith("-"))
    kept: list[str] = []
    size = 0
    for line in lines:
        line = line if len(line) <= DIFF_LINE_CHARS else line[:DIFF_LINE_CHARS] + "…"
        if len(kept) >= DIFF_MAX_LINES or size + len(line) > DIFF_MAX_CHARS:
            kept.append(f"… ({len(lines) - len(kept)} more diff lines)")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept), f"+{added} / -{removed} lines"


def _squash(text: str) -> str:
    return " ".join(text.split())


def record_change(session: Session, doc: Document, old_text: str) -> None:
    """The document's text was replaced: keep the diff, drop evidence the text lost."""
    now = utcnow()
    doc.change_diff, doc.change_note = text_diff(old_text, doc.text)
    doc.change_status, doc.status_at, doc.changed_at = "changed", now, now
    if doc.id is not None:
        drop_lost_evidence(session, doc)


def drop_lost_evidence(session: Session, doc: Document) -> int:
    """Evidence whose quote the document's new text no longer holds; mentions recounted."""
    text = _squash(doc.text)
    rows = session.exec(select(Evidence).where(Evidence.document_id == doc.id)).all()
    lost = [e for e in rows if _squash(e.quote) not in text]
    for evidence in lost:
        session.delete(evidence)
    session.flush()
    for opp_id in {e.opportunity_id for e in lost}:
        opp = session.get(Opportunity, opp_id)
        if opp is not None:
            opp.mentions = int(session.exec(select(func.count(func.distinct(
                Evidence.document_id))).where(Evidence.opportunity_id == opp_id)).one())
            session.add(opp)
    return len(lost)


def mark_seen(doc: Document, status: str) -> None:
    """A fetch found the document (new or unchanged): a gone one is back."""
    doc.change_status, doc.status_at = status, utcnow()
    if status != "changed" and doc.change_note and doc.change_note.startswith("gone"):
        doc.change_note = None


def mark_gone(session: Session, source_id: int | None, urls: Iterable[str], reason: str) -> int:
    """Documents of the source at these urls are gone (HTTP 404/410, or no longer listed)."""
    wanted = {canonical_url(u) for u in urls}
    if not wanted:
        return 0
    statement = select(Document).where(
        col(Document.url).in_(wanted) | col(Document.listed_url).in_(wanted),
        Document.change_status != "gone")
    if source_id is not None:
        statement = statement.where(Document.source_id == source_id)
    return _set_gone(session, session.exec(statement).all(), reason)


def mark_unlisted(session: Session, source_id: int, listed: Iterable[str], seen: Iterable[str]
                  ) -> int:
    """Documents of a source whose listing is complete (a sitemap, followed links) that the
    listing no longer names: gone. Urls read this run count as listed (canonical urls)."""
    keep = {canonical_url(u) for u in listed} | {canonical_url(u) for u in seen}
    rows = session.exec(select(Document).where(Document.source_id == source_id,
                                               Document.change_status != "gone")).all()
    unlisted = [d for d in rows if d.url not in keep and (d.listed_url or d.url) not in keep]
    return _set_gone(session, unlisted, "gone: no longer listed")


def _set_gone(session: Session, docs: Iterable[Document], reason: str) -> int:
    count = 0
    now = utcnow()
    for doc in docs:
        doc.change_status, doc.status_at, doc.change_note = "gone", now, reason
        session.add(doc)
        count += 1
    return count


# ----------------------------------------------------------------------------- the report's view


@dataclass
class Changes:
    """What changed for one profile since its previous report (``since`` None: first report)."""

    since: datetime | None
    new_opportunities: list[dict[str, Any]] = field(default_factory=list)
    new_mentions: list[dict[str, Any]] = field(default_factory=list)
    changed_figures: list[dict[str, Any]] = field(default_factory=list)
    changed_documents: list[dict[str, Any]] = field(default_factory=list)
    gone_documents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new_opportunities or self.new_mentions or self.changed_figures
                    or self.changed_documents or self.gone_documents)

    def summary_lines(self) -> list[str]:
        """One line per kind of change, for digests and the run's summary."""
        lines = []
        if self.new_opportunities:
            lines.append(f"{len(self.new_opportunities)} new opportunit"
                         f"{'y' if len(self.new_opportunities) == 1 else 'ies'}: "
                         + "; ".join(o["title"] for o in self.new_opportunities[:5]))
        if self.new_mentions:
            lines.append(f"{len(self.new_mentions)} with new mentions: "
                         + "; ".join(f"{o['title']} (+{o['new']})" for o in self.new_mentions[:5]))
        if self.changed_figures:
            lines.append(f"{len(self.changed_figures)} figure(s) changed: " + "; ".join(
                f"{f['title']} ${f['before']:,.0f} → ${f['after']:,.0f}/month"
                for f in self.changed_figures[:5]))
        if self.changed_documents:
            lines.append(f"{len(self.changed_documents)} page(s) changed: "
                         + "; ".join(d["title"] or d["url"] for d in self.changed_documents[:5]))
        if self.gone_documents:
            lines.append(f"{len(self.gone_documents)} page(s) gone")
        return lines


def previous_report(session: Session, profile_id: int, run_id: str | None) -> Report | None:
    """The profile's latest report written by another run (rejected drafts included: the
    reader has not seen what changed since, but they were told nothing new either)."""
    statement = select(Report).where(Report.profile_id == profile_id)
    if run_id is not None:
        statement = statement.where((col(Report.run_id).is_(None)) | (Report.run_id != run_id))
    return session.exec(statement.order_by(col(Report.created_at).desc(),
                                           col(Report.id).desc())).first()


def changes_since(session: Session, profile_id: int, previous: Report | None) -> Changes:
    """New opportunities, new mentions, changed figures and pages since ``previous``."""
    since = as_utc(previous.created_at) if previous is not None else None
    changes = Changes(since=since)
    if since is None:
        return changes
    scored = set(session.exec(select(RoiEstimate.opportunity_id).where(
        RoiEstimate.profile_id == profile_id)).all())
    fresh = session.exec(select(Opportunity).where(
        Opportunity.created_at >= since, col(Opportunity.status).in_(["new", "approved"]))
        .order_by(col(Opportunity.total_score).desc(), col(Opportunity.id))).all()
    changes.new_opportunities = [{"id": o.id, "title": o.title} for o in fresh
                                 if o.id in scored][:LIST_LIMIT]
    fresh_ids = {o.id for o in fresh}
    rows = session.exec(select(Evidence.opportunity_id, func.count(func.distinct(
        Evidence.document_id))).where(Evidence.created_at >= since, Evidence.kind == "claim")
        .group_by(Evidence.opportunity_id)).all()
    for opp_id, count in sorted(rows, key=lambda r: (-r[1], r[0])):
        opp = session.get(Opportunity, opp_id)
        if opp is None or opp_id in fresh_ids or opp_id not in scored:
            continue
        changes.new_mentions.append({"id": opp_id, "title": opp.title, "new": int(count),
                                     "mentions": opp.mentions})
    changes.new_mentions = changes.new_mentions[:LIST_LIMIT]
    changes.changed_figures = _changed_figures(session, profile_id, previous)
    changes.changed_documents, changes.gone_documents = _changed_documents(session, since)
    return changes


def _changed_figures(session: Session, profile_id: int, previous: Report
                     ) -> list[dict[str, Any]]:
    """Monthly net values of the previous report's opportunities (its ``stats["figures"]``)
    that moved by a dollar or more since."""
    before = {int(k): float(v) for k, v in ((previous.stats or {}).get("figures") or {}).items()}
    if not before:
        return []
    rows = session.exec(select(RoiEstimate.opportunity_id, RoiEstimate.monthly_net_value).where(
        RoiEstimate.profile_id == profile_id, col(RoiEstimate.opportunity_id).in_(before))).all()
    out = []
    for opp_id, value in sorted(rows):
        if abs(before[opp_id] - value) >= 1.0:
            opp = session.get(Opportunity, opp_id)
            out.append({"id": opp_id, "title": opp.title if opp else str(opp_id),
                        "before": before[opp_id], "after": round(float(value), 2)})
    return out[:LIST_LIMIT]


def _changed_documents(session: Session, since: datetime
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    changed = session.exec(select(Document).where(
        Document.change_status == "changed", col(Document.changed_at) >= since)
        .order_by(Document.url)).all()
    gone = session.exec(select(Document).where(
        Document.change_status == "gone", col(Document.status_at) >= since)
        .order_by(Document.url)).all()

    def view(doc: Document) -> dict[str, Any]:
        analysed = doc.analysed_at is not None and doc.changed_at is not None and \
            as_utc(doc.analysed_at) >= as_utc(doc.changed_at)  # type: ignore[operator]
        return {"id": doc.id, "url": doc.url, "title": doc.title, "note": doc.change_note or "",
                "diff": (doc.change_diff or "").splitlines()[:8], "reanalysed": analysed}

    return [view(d) for d in changed][:LIST_LIMIT], [view(d) for d in gone][:LIST_LIMIT]


def broken_sources(session: Session) -> list[dict[str, Any]]:
    """Active sources whose last fetch failed: name, error and since when."""
    rows = session.exec(select(Source).where(Source.active == True,  # noqa: E712
                                             Source.consecutive_failures > 0)
                        .order_by(Source.name)).all()
    return [{"name": s.name, "error": (s.last_error or "").splitlines()[0][:300] if s.last_error
             else "", "since": as_utc(s.failing_since or s.last_fetched_at),
             "failures": s.consecutive_failures} for s in rows]
