"""Documents: upsert by canonical url and content hash, so nothing is stored twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reservoir.memory.changes import mark_seen, record_change
from reservoir.memory.hashing import canonical_url, content_hash
from reservoir.memory.models import Document, DocumentChunk, as_utc, utcnow
from reservoir.memory.pagination import Page, paginate

UpsertStatus = Literal["new", "updated", "unchanged", "duplicate"]


@dataclass
class DocumentIn:
    url: str
    title: str
    text: str
    source_id: int | None = None
    author: str | None = None
    published_at: datetime | None = None
    points: int | None = None
    comments: int | None = None
    language: str | None = None
    # False when the text was read from another page that names this url as its canonical:
    # a copy never overwrites the original's own text.
    authoritative: bool = True
    run_id: str | None = None
    listed_url: str | None = None  # the link the source listed, when it differs from url


@dataclass
class UpsertResult:
    document: Document
    status: UpsertStatus


def _find(session: Session, url: str, digest: str) -> tuple[Document | None, Document | None]:
    by_url = session.exec(select(Document).where(Document.url == url)).first()
    by_hash = session.exec(select(Document).where(Document.content_hash == digest)).first()
    return by_url, by_hash


def _apply(doc: Document, item: DocumentIn, digest: str) -> None:
    doc.title = item.title or doc.title
    doc.text = item.text
    doc.content_hash = digest
    doc.author = item.author or doc.author
    doc.published_at = as_utc(item.published_at) or doc.published_at
    doc.points = item.points if item.points is not None else doc.points
    doc.comments = item.comments if item.comments is not None else doc.comments
    doc.language = item.language or doc.language
    doc.fetched_at = utcnow()
    doc.run_id = item.run_id
    if item.listed_url and canonical_url(item.listed_url) != doc.url:
        doc.listed_url = canonical_url(item.listed_url)
    doc.analysed_at = None
    doc.analysis_version = None


def upsert_document(session: Session, item: DocumentIn) -> UpsertResult:
    """Insert a new document, refresh a changed one, or recognise a duplicate.

    A text already stored under another url is a duplicate (syndicated copies), not a new
    document; a concurrent writer losing the unique race gets the winner's row.
    """
    url = canonical_url(item.url)
    digest = content_hash(item.text)
    by_url, by_hash = _find(session, url, digest)
    if by_url is not None:
        if by_url.content_hash == digest:
            _refresh_engagement(session, by_url, item)
            mark_seen(by_url, "unchanged")
            session.add(by_url)
            return UpsertResult(by_url, "unchanged")
        if by_hash is not None or not item.authoritative:
            return UpsertResult(by_hash or by_url, "duplicate")
        old_text = by_url.text
        _apply(by_url, item, digest)
        record_change(session, by_url, old_text)
        session.add(by_url)
        session.flush()
        return UpsertResult(by_url, "updated")
    if by_hash is not None:
        _keep_original_url(session, by_hash, url, item)
        return UpsertResult(by_hash, "duplicate")
    doc = Document(url=url, source_id=item.source_id, content_hash=digest, title=item.title,
                   text=item.text)
    _apply(doc, item, digest)
    mark_seen(doc, "new")
    try:
        with session.begin_nested():
            session.add(doc)
        session.flush()
    except IntegrityError:
        by_url, by_hash = _find(session, url, digest)
        winner = by_url or by_hash
        if winner is None:
            raise
        return UpsertResult(winner, "unchanged" if by_url else "duplicate")
    return UpsertResult(doc, "new")


def _keep_original_url(session: Session, doc: Document, url: str, item: DocumentIn) -> None:
    """Same text under two urls: keep the earliest published (the original, not the
    syndicated copy), ties broken by the url itself, so the outcome is the same whichever
    copy a parallel fetch stored first."""
    if not item.authoritative:
        return
    mine = (as_utc(item.published_at) is None, as_utc(item.published_at) or doc.fetched_at, url)
    theirs = (doc.published_at is None, doc.published_at or doc.fetched_at, doc.url)
    if mine < theirs:
        doc.url = url
        doc.published_at = as_utc(item.published_at) or doc.published_at
        session.add(doc)
        session.flush()


def _refresh_engagement(session: Session, doc: Document, item: DocumentIn) -> None:
    if (item.points, item.comments) != (None, None) and (
        (doc.points, doc.comments) != (item.points, item.comments)
    ):
        doc.points, doc.comments = item.points, item.comments
        session.add(doc)


def replace_chunks(session: Session, document_id: int, texts: list[str],
                   removed: list[int] | None = None) -> list[DocumentChunk]:
    """The document's passages, replaced only when they changed (point ids stay stable).

    The ids of replaced passages go to ``removed``, so their vector points can be deleted.
    """
    existing = list(session.exec(
        select(DocumentChunk).where(DocumentChunk.document_id == document_id)
        .order_by(DocumentChunk.ordinal)
    ).all())
    if [c.text for c in existing] == texts:
        return existing
    for chunk in existing:
        session.delete(chunk)
        if removed is not None and chunk.id is not None:
            removed.append(chunk.id)
    session.flush()
    chunks = [DocumentChunk(document_id=document_id, ordinal=i, text=t) for i, t in enumerate(texts)]
    session.add_all(chunks)
    session.flush()
    return chunks


def get_document(session: Session, ref: int | str) -> Document | None:
    if isinstance(ref, int) or str(ref).isdigit():
        return session.get(Document, int(ref))
    return session.exec(select(Document).where(Document.url == canonical_url(str(ref)))).first()


def list_documents(session: Session, *, source_id: int | None = None, limit: int = 50,
                   offset: int = 0, analysed: bool | None = None) -> Page[Document]:
    statement = select(Document)
    if source_id is not None:
        statement = statement.where(Document.source_id == source_id)
    if analysed is not None:
        statement = statement.where(
            col(Document.analysed_at).is_not(None) if analysed
            else col(Document.analysed_at).is_(None)
        )
    return paginate(session, statement, [Document.fetched_at.desc(), Document.id.desc()],
                    limit, offset)


def documents_by_ids(session: Session, ids: list[int]) -> list[Document]:
    if not ids:
        return []
    rows = session.exec(select(Document).where(col(Document.id).in_(ids))).all()
    order = {doc_id: i for i, doc_id in enumerate(ids)}
    return sorted(rows, key=lambda d: order.get(d.id or 0, 0))


def mark_analysed(session: Session, document: Document, version: str) -> None:
    document.analysed_at = utcnow()
    document.analysis_version = version
    session.add(document)
