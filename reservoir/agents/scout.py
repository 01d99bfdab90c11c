"""Scout: fetch one source, store what is new, embed it. One call per `Send` branch.

A failing source never fails the run: its health records why, and the summary says so.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from reservoir.graphs.context import Deps
from reservoir.graphs.state import ScoutTask, SourceSummary
from reservoir.memory import sources as source_queries
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, replace_chunks, upsert_document
from reservoir.memory.hashing import canonical_url
from reservoir.memory.http_cache import SqlValidatorCache
from reservoir.memory.models import Source
from reservoir.memory.vectors import DOCUMENTS

log = logging.getLogger(__name__)


def _summary(source: Source, **counts: Any) -> SourceSummary:
    base: dict[str, Any] = {"source_id": source.id, "name": source.name, "fetched": 0, "new": 0,
                            "unchanged": 0, "duplicate": 0, "failed": 0, "error": None}
    base.update(counts)
    return base  # type: ignore[return-value]


async def _collect(source: Source, query: str | None, deps: Deps,
                   cache: SqlValidatorCache) -> Any:
    from reservoir.tools.sources import SourceSpec, get_adapter

    config = dict(source.config or {})
    if query:
        config["query"] = query
    spec = SourceSpec(name=source.name, kind=source.kind, url=source.url, config=config)
    return await get_adapter(source.kind).collect(spec, deps.fetcher().with_cache(cache))


def _store_items(deps: Deps, source_id: int, items: list[Any], run_id: str, stale: list[int]
                 ) -> tuple[dict[str, int], list[int], dict[int, str]]:
    """Upsert documents; returns counts, new/updated ids, and texts to embed (replaced
    passages' ids go to ``stale``)."""
    from reservoir.memory.chunking import chunk_text

    counts = {"new": 0, "unchanged": 0, "duplicate": 0, "updated": 0}
    fresh: list[int] = []
    to_embed: dict[int, str] = {}
    with session_scope(deps.settings, write=True) as session:
        for item in items:
            if not (item.text or "").strip():
                continue
            result = upsert_document(session, DocumentIn(
                url=item.url, title=item.title, text=item.text, source_id=source_id,
                author=item.author, published_at=item.published_at, points=item.points,
                comments=item.comments, language=getattr(item, "language", None),
                authoritative=_read_from_itself(item), run_id=run_id))
            counts[result.status] += 1
            doc = result.document
            if result.status in ("new", "updated") and doc.id is not None:
                fresh.append(doc.id)
                for chunk in replace_chunks(session, doc.id, chunk_text(doc.text), stale):
                    to_embed[chunk.id] = chunk.text  # type: ignore[index]
    return counts, fresh, to_embed


def _read_from_itself(item: Any) -> bool:
    """False when the page read was another one naming this url as its canonical."""
    fetched = (getattr(item, "extra", None) or {}).get("fetched_url")
    return fetched is None or canonical_url(fetched) == canonical_url(item.url)


def _embed_chunks(deps: Deps, chunk_texts: dict[int, str], doc_of: dict[int, int],
                  source_id: int) -> None:
    if not chunk_texts:
        return
    deps.vector_store().upsert_chunks([
        (chunk_id, text, {"document_id": doc_of.get(chunk_id), "source_id": source_id})
        for chunk_id, text in chunk_texts.items()
    ])


def _remember_sentences(deps: Deps, chunk_texts: dict[int, str], doc_ids: list[int]) -> None:
    """Vectors of what ask will score from these pages (passage sentences, page titles),
    stored now so that a question never waits for them."""
    from sqlmodel import col, select

    from reservoir.agents.extractive import split_sentences
    from reservoir.agents.relevance import MIN_SENTENCE_CHARS
    from reservoir.memory.models import Document
    from reservoir.memory.sentence_vectors import remember

    texts = [s.text for text in chunk_texts.values() for s in split_sentences(text)
             if len(s.text) >= MIN_SENTENCE_CHARS]
    if doc_ids:
        with session_scope(deps.settings) as session:
            texts += session.exec(select(Document.title).where(col(Document.id).in_(doc_ids))).all()
    remember(deps.settings, deps.vector_store().embedder, texts)


def _chunk_owners(deps: Deps, chunk_ids: list[int]) -> dict[int, int]:
    from sqlmodel import col, select

    from reservoir.memory.models import DocumentChunk

    if not chunk_ids:
        return {}
    with session_scope(deps.settings) as session:
        rows = session.exec(select(DocumentChunk.id, DocumentChunk.document_id)
                            .where(col(DocumentChunk.id).in_(chunk_ids))).all()
    return {cid: did for cid, did in rows}


async def scout_source(task: ScoutTask, deps: Deps) -> dict[str, Any]:
    """Fetch, store, embed; update the source's health either way."""
    with session_scope(deps.settings) as session:
        source = session.get(Source, task["source_id"])
        if source is None:
            return {"source_summaries": [], "notes": [f"source {task['source_id']} vanished"]}
        cache = SqlValidatorCache()
        cache.load(session)
    deps.emit("scout", "source_started", {"source": source.name, "query": task.get("query")})
    try:
        result = await _collect(source, task.get("query"), deps, cache)
    except Exception as exc:  # noqa: BLE001 — every failure is recorded, none is fatal
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        log.warning("source %s failed: %s", source.name, reason)
        with session_scope(deps.settings, write=True) as session:
            source_queries.record_failure(session, session.get(Source, source.id), reason)
        summary = _summary(source, failed=1, error=reason)
        deps.emit("scout", "source_failed", dict(summary))
        return {"source_summaries": [summary], "counters": {"sources_failed": 1}}
    stale: list[int] = []
    counts, fresh, to_embed = await asyncio.to_thread(_store_items, deps, source.id, result.items,
                                                        task["run_id"], stale)
    if stale:  # before the upsert: a reused id must end up with its new vector
        await asyncio.to_thread(deps.vector_store().delete, DOCUMENTS, stale)
    owners = _chunk_owners(deps, list(to_embed))
    await asyncio.to_thread(_embed_chunks, deps, to_embed, owners, source.id)
    await asyncio.to_thread(_remember_sentences, deps, to_embed, fresh)
    with session_scope(deps.settings, write=True) as session:
        cache.flush(session)
        source_queries.record_success(session, session.get(Source, source.id))
    errors = list(result.errors)
    summary = _summary(
        source, fetched=len(result.items), new=counts["new"] + counts["updated"],
        unchanged=counts["unchanged"] + result.unchanged, duplicate=counts["duplicate"],
        failed=len(errors), error="; ".join(errors[:3]) or None)
    deps.emit("scout", "source_done", dict(summary))
    return {
        "source_summaries": [summary], "new_document_ids": fresh,
        "counters": {"documents_fetched": len(result.items), "documents_new": len(fresh),
                     "documents_unchanged": summary["unchanged"],
                     "documents_duplicate": counts["duplicate"], "items_failed": len(errors)},
    }
