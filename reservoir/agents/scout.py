"""Scout: fetch one source, store what is new, embed it. One call per `Send` branch.

A failing source never fails the run: its health records why, and the summary says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from reservoir.deps import Deps, ScoutTask, SourceSummary
from reservoir.memory import changes, sightings
from reservoir.memory import sources as source_queries
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, replace_chunks, upsert_document
from reservoir.memory.hashing import canonical_url
from reservoir.memory.http_cache import SqlValidatorCache
from reservoir.memory.indexing import chunk_items
from reservoir.memory.models import Source
from reservoir.memory.vectors import DOCUMENTS

log = logging.getLogger(__name__)


def _summary(source: Source, query: str | None = None, **counts: Any) -> SourceSummary:
    base: dict[str, Any] = {"source_id": source.id, "name": source.name, "fetched": 0, "new": 0,
                            "unchanged": 0, "duplicate": 0, "failed": 0, "error": None,
                            "known": 0, "skipped": 0, "left": 0, "query": query,
                            "changed": 0, "gone": 0}
    base.update(counts)
    return base  # type: ignore[return-value]


def _known_keys(deps: Deps, source_id: int) -> Callable[[Sequence[str]], set[str]]:
    """What the adapter asks before its per-run limit: which listed keys are already held."""

    def known(keys: Sequence[str]) -> set[str]:
        with session_scope(deps.settings) as session:
            return sightings.known_keys(session, source_id, keys)

    return known


async def _collect(source: Source, query: str | None, deps: Deps,
                   cache: SqlValidatorCache) -> Any:
    from reservoir.tools.sources import SourceSpec, get_adapter

    config = dict(source.config or {})
    if query:
        config["query"] = query
    # Items were left on the listing last time: read it again even if it answers 304.
    spec = SourceSpec(name=source.name, kind=source.kind, url=source.url, config=config,
                      known=_known_keys(deps, source.id), conditional=not source.backlog)
    return await get_adapter(source.kind).collect(spec, deps.fetcher().with_cache(cache))


def _store_items(deps: Deps, source_id: int, items: list[Any], run_id: str, stale: list[int],
                 query: str | None = None) -> tuple[dict[str, int], list[int], dict[int, str]]:
    """Upsert documents and their sightings (the listing key, and the query that found
    them); returns counts, new/updated ids, and texts to embed (replaced passages' ids go
    to ``stale``)."""
    from reservoir.memory.chunking import chunk_text

    counts = {"new": 0, "unchanged": 0, "duplicate": 0, "updated": 0}
    fresh: list[int] = []
    to_embed: dict[int, str] = {}
    seen: list[sightings.SightingIn] = []
    with session_scope(deps.settings, write=True) as session:
        for item in items:
            if not (item.text or "").strip():
                continue
            result = upsert_document(session, DocumentIn(
                url=item.url, title=item.title, text=item.text, source_id=source_id,
                author=item.author, published_at=item.published_at, points=item.points,
                comments=item.comments, language=getattr(item, "language", None),
                authoritative=_read_from_itself(item), run_id=run_id,
                listed_url=(getattr(item, "extra", None) or {}).get("link")))
            counts[result.status] += 1
            doc = result.document
            seen.append(sightings.SightingIn(key=item.extra.get("listing_key") or item.url,
                                             document_id=doc.id, query=query))
            if result.status in ("new", "updated") and doc.id is not None:
                fresh.append(doc.id)
                for chunk in replace_chunks(session, doc.id, chunk_text(doc.text), stale):
                    to_embed[chunk.id] = chunk.text  # type: ignore[index]
        sightings.record(session, source_id, run_id, seen)
    return counts, fresh, to_embed


def _record_gone(deps: Deps, source_id: int, result: Any, query: str | None) -> int:
    """Items that answered 404/410, and stored documents a complete listing no longer names
    (never after a search: its results are a slice of the source, not its listing)."""
    with session_scope(deps.settings, write=True) as session:
        gone = changes.mark_gone(session, source_id, result.gone, "gone: the page answered 404/410")
        if result.listed is not None and not query:
            gone += changes.mark_unlisted(session, source_id, result.listed,
                                          [item.url for item in result.items])
    return gone


def _gone_on_failure(deps: Deps, source: Source, exc: Exception) -> None:
    """A single-page source whose page answers 404/410: that document is gone too."""
    status = getattr(exc.__cause__, "status", None) or getattr(exc, "status", None)
    if status in changes.GONE_STATUSES:
        with session_scope(deps.settings, write=True) as session:
            changes.mark_gone(session, source.id, [source.url], f"gone: HTTP {status}")


def _read_from_itself(item: Any) -> bool:
    """False when the page read was another one naming this url as its canonical."""
    fetched = (getattr(item, "extra", None) or {}).get("fetched_url")
    return fetched is None or canonical_url(fetched) == canonical_url(item.url)


def _embed_chunks(deps: Deps, chunk_texts: dict[int, str]) -> None:
    """Index the new chunks; their payload (document, source, published_ts) is indexing's."""
    if not chunk_texts:
        return
    with session_scope(deps.settings) as session:
        items = chunk_items(session, chunk_texts)
    deps.vector_store().upsert_chunks(items)


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


def _backlog(result: Any, query: str | None) -> int | None:
    """The source's own listing sets its backlog; a search (or an unchanged listing, which
    says nothing new about it) leaves the recorded one as it was."""
    if query or result.not_modified:
        return None
    return result.left


async def scout_source(task: ScoutTask, deps: Deps) -> dict[str, Any]:
    """Fetch, store, embed; update the source's health either way."""
    with session_scope(deps.settings) as session:
        source = session.get(Source, task["source_id"])
        if source is None:
            return {"source_summaries": [], "notes": [f"source {task['source_id']} vanished"]}
        cache = SqlValidatorCache()
        cache.load(session)
    query = task.get("query")
    deps.emit("scout", "source_started", {"source": source.name, "query": query})
    try:
        result = await _collect(source, query, deps, cache)
    except Exception as exc:  # noqa: BLE001 — every failure is recorded, none is fatal
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        log.warning("source %s failed: %s", source.name, reason)
        with session_scope(deps.settings, write=True) as session:
            source_queries.record_failure(session, session.get(Source, source.id), reason)
        _gone_on_failure(deps, source, exc)
        summary = _summary(source, query, failed=1, error=reason)
        deps.emit("scout", "source_failed", dict(summary))
        return {"source_summaries": [summary], "counters": {"sources_failed": 1}}
    stale: list[int] = []
    counts, fresh, to_embed = await asyncio.to_thread(_store_items, deps, source.id, result.items,
                                                        task["run_id"], stale, query)
    if stale:  # before the upsert: a reused id must end up with its new vector
        await asyncio.to_thread(deps.vector_store().delete, DOCUMENTS, stale)
    gone = await asyncio.to_thread(_record_gone, deps, source.id, result, query)
    await asyncio.to_thread(_embed_chunks, deps, to_embed)
    await asyncio.to_thread(_remember_sentences, deps, to_embed, fresh)
    with session_scope(deps.settings, write=True) as session:
        cache.flush(session)
        source_queries.record_success(session, session.get(Source, source.id),
                                      backlog=_backlog(result, query))
    errors = list(result.errors)
    summary = _summary(
        source, query, fetched=len(result.items), new=counts["new"] + counts["updated"],
        unchanged=counts["unchanged"] + result.unchanged, duplicate=counts["duplicate"],
        failed=len(errors), error="; ".join(errors[:3]) or None, known=result.known,
        skipped=result.skipped, left=result.left, changed=counts["updated"], gone=gone)
    deps.emit("scout", "source_done", {**summary, "document_ids": fresh})
    return {
        "source_summaries": [summary],
        "counters": {"documents_fetched": len(result.items), "documents_new": len(fresh),
                     "documents_unchanged": summary["unchanged"],
                     "documents_duplicate": counts["duplicate"], "items_failed": len(errors),
                     "items_known": result.known, "items_left": result.left,
                     "documents_changed": counts["updated"], "documents_gone": gone},
    }
