"""What goes into Qdrant, in one place: the text, payload and id of each opportunity and chunk.

Point ids are the SQL ids. The analyst, the scout, the eval sandbox and re-indexing call these
functions, so the payload a Qdrant server filters on (status, industries, dates) is the same
whoever wrote the point; a status change updates the payload in place (no re-embedding), so a
status-filtered search on a server never returns stale results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from reservoir.memory.models import Document, DocumentChunk, Opportunity, as_utc
from reservoir.memory.vectors import OPPORTUNITIES, Item, VectorStore


def _ts(value: Any) -> float | None:
    return as_utc(value).timestamp() if value is not None else None  # type: ignore[union-attr]


def opportunity_text(opp: Opportunity) -> str:
    """What an opportunity's vector encodes (the analyst's merge check embeds the same)."""
    return f"{opp.title}. {opp.summary}"


def opportunity_payload(opp: Opportunity) -> dict[str, Any]:
    return {"automation_type": opp.automation_type, "industries": list(opp.industries),
            "status": opp.status, "first_seen_ts": _ts(opp.first_seen),
            "last_seen_ts": _ts(opp.last_seen)}


def chunk_payload(chunk: DocumentChunk, document: Document) -> dict[str, Any]:
    """Its document and source, and when it was published (else fetched): the date filter."""
    return {"document_id": chunk.document_id, "source_id": document.source_id,
            "published_ts": _ts(document.published_at or document.fetched_at)}


def opportunity_items(opps: Iterable[Opportunity | None]) -> list[Item]:
    return [(int(o.id), opportunity_text(o), opportunity_payload(o))  # type: ignore[arg-type]
            for o in opps if o is not None]


def chunk_items(session: Session, texts: Mapping[int, str]) -> list[Item]:
    """(id, text, payload) for chunks by id, their payload read from their document rows."""
    if not texts:
        return []
    rows = session.exec(select(DocumentChunk, Document)
                        .join(Document, col(Document.id) == col(DocumentChunk.document_id))
                        .where(col(DocumentChunk.id).in_(list(texts)))).all()
    return [(int(chunk.id), texts[chunk.id], chunk_payload(chunk, document))  # type: ignore[index,arg-type]
            for chunk, document in rows]


def index_opportunities(store: VectorStore, opps: Iterable[Opportunity | None]) -> int:
    return store.upsert_opportunities(opportunity_items(opps))


def index_chunks(store: VectorStore, session: Session, texts: Mapping[int, str]) -> int:
    return store.upsert_chunks(chunk_items(session, texts))


def status_changed(store: VectorStore, opp: Opportunity) -> None:
    """The status-change hook: the point's payload follows the SQL row."""
    store.set_payload(OPPORTUNITIES, [int(opp.id)], {"status": opp.status})  # type: ignore[arg-type]
