"""Hybrid search: dense similarity (Qdrant) + lexical relevance (SQL full text), fused by RRF.

Embedded (no Qdrant server), each part is taken where it is fast: Qdrant's local mode answers
an unfiltered dense top-N in milliseconds but scans payload filters and sparse vectors in
Python, while the SQL store has a real full-text index (SQLite FTS5 bm25, PostgreSQL GIN +
ts_rank_cd) and B-tree indexes for filters. So: dense top-N unfiltered (oversampled), then
one SQL query keeps the ids that exist and pass the filters; lexical ranking runs in SQL
with the same filters, concurrently with the dense part; reciprocal-rank fusion merges them.
With a Qdrant server (``VectorStore.native_hybrid``) the server does it all in one query.

Over 400 lines: the SQL side, the dense side and their fusion are one query plan, in the sections below.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import DateTime, bindparam, text
from sqlmodel import Session, col, select

from reservoir.config import Settings, get_settings
from reservoir.memory.chunking import STOPWORDS, fts5_query, query_terms
from reservoir.memory.db import CHUNK_TSV, OPP_TSV, session_scope
from reservoir.memory.filters import DATE_PARAMS, OpportunityFilter
from reservoir.memory.models import (
    Document,
    DocumentChunk,
    Opportunity,
    as_utc,
)
from reservoir.memory.vectors import DOCUMENTS, OPPORTUNITIES, VectorStore, get_vector_store

__all__ = ["STOPWORDS", "SearchHit", "OpportunityFilter", "OpportunityFilters", "ChunkFilters", "query_terms",
           "fts5_query", "search_opportunities", "search_chunks", "load_opportunities",
           "load_chunks", "rrf", "qdrant_filter"]

RRF_K = 60
MIN_SHOULD_MATCH = 2  # words a lexical match must contain, for queries of 3+ words
PAIR_TERMS = 10  # SQLite matches pairs of the first words (45 pairs at most)
COMMON_TERMS_MIN_ROWS = 200  # below this, no word is dropped for being common
EXACT_FALLBACK_CAP = 2048  # filtered sets up to this size are scored exactly when dense is short
Mode = Literal["hybrid", "dense", "lexical"]

@dataclass(frozen=True)
class SearchHit:
    """One result; the ranks show which retriever found it (None: not in that list)."""

    id: int
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


# The one opportunity filter (memory/filters.py), under the name search used.
OpportunityFilters = OpportunityFilter


@dataclass
class ChunkFilters:
    source_id: int | None = None
    document_id: int | None = None
    since: datetime | None = None  # on the document's published (else fetched) time
    until: datetime | None = None

    def validate(self) -> ChunkFilters:
        return self

    @property
    def active(self) -> bool:
        return any(v is not None for v in vars(self).values())


# --------------------------------------------------------------------------- SQL side
# Plain SQL, one cached text() per query shape: the search path runs three small queries per
# call, and building SQLAlchemy constructs for each cost more than SQLite took to answer them.


@dataclass(frozen=True)
class _Target:
    collection: str
    table: str
    joins: str  # what the filters need besides the table
    id_col: str
    fts_table: str  # SQLite FTS5 external-content table
    bm25: str  # bm25() with column weights (title counts most)
    pg_tsv: str  # PostgreSQL: exactly the indexed expression
    recent: str  # order of "recent" for empty queries


OPPORTUNITY_TARGET = _OPP = _Target(
    OPPORTUNITIES, "opportunity", "", "opportunity.id", "opportunity_fts",
    "bm25(opportunity_fts, 3.0, 1.0, 1.0, 1.0)", OPP_TSV,
    "opportunity.last_seen DESC, opportunity.id DESC")
CHUNK_TARGET = _CHUNK = _Target(
    DOCUMENTS, "document_chunk", " JOIN document ON document.id = document_chunk.document_id",
    "document_chunk.id", "chunk_fts", "bm25(chunk_fts)", CHUNK_TSV,
    "document_chunk.id DESC")
_DATES = DATE_PARAMS


def _filters(target: _Target, filters: Any) -> tuple[list[str], dict[str, Any]]:
    """WHERE conditions (fixed text per filter shape) and their parameters."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if target is _OPP:  # the opportunity filter builds its own, as for the list query
        return filters.conditions(params), params
    when = "coalesce(document.published_at, document.fetched_at)"
    if filters.source_id is not None:
        where.append("document.source_id = :f_source")
        params["f_source"] = filters.source_id
    if filters.document_id is not None:
        where.append("document_chunk.document_id = :f_document")
        params["f_document"] = filters.document_id
    if filters.since:
        where.append(f"{when} >= :f_since")
        params["f_since"] = as_utc(filters.since)
    if filters.until:
        where.append(f"{when} <= :f_until")
        params["f_until"] = as_utc(filters.until)
    return where, params


@lru_cache(maxsize=512)
def _sql(statement: str) -> Any:
    """A text() with typed date parameters (SQLite stores them in SQLAlchemy's format)."""
    dates = [bindparam(n, type_=DateTime()) for n in _DATES if f":{n}" in statement]
    return text(statement).bindparams(*dates)


def _run(session: Session, statement: str, params: dict[str, Any]) -> list[Any]:
    return list(session.execute(_sql(statement), params).all())


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _ids_in(session: Session, column: str) -> str:
    """`column` among the :ids list, as one parameter whatever the list's length."""
    return (f"{column} IN (SELECT value FROM json_each(:ids))" if _is_sqlite(session)
            else f"{column} = ANY(:ids)")


def _ids_param(session: Session, ids: Sequence[int]) -> Any:
    import json

    return json.dumps([int(i) for i in ids]) if _is_sqlite(session) else [int(i) for i in ids]


def _tsquery(n_terms: int) -> str:
    """OR of per-word plainto_tsquery: user text only ever travels as bound parameters."""
    return "(" + " || ".join(f"plainto_tsquery('english', :t{n})" for n in range(n_terms)) + ")"


def lexical_query(session: Session, target: _Target, terms: list[str], filters: Any,
                  limit: int) -> tuple[str, dict[str, Any]]:
    """SQL of the full-text matches that pass the filters, best first (terms non-empty)."""
    where, params = _filters(target, filters)
    params["limit"] = limit
    if _is_sqlite(session):
        params["q"] = fts5_query(terms[:PAIR_TERMS], MIN_SHOULD_MATCH) \
            if len(terms) >= 3 else fts5_query(terms)
        fts = target.fts_table
        ranked = f"SELECT rowid AS id, {target.bm25} AS rank FROM {fts} WHERE {fts} MATCH :q"
    else:
        params.update({f"t{n}": t for n, t in enumerate(terms)})
        tsq = _tsquery(len(terms))
        ranked = (f"SELECT {target.table}.id AS id, -ts_rank_cd({target.pg_tsv}, {tsq}, 1) "
                  f"AS rank FROM {target.table} WHERE {target.pg_tsv} @@ {tsq}")
    join = f" JOIN {target.table} ON {target.id_col} = r.id{target.joins}" if where else ""
    conditions = " WHERE " + " AND ".join(where) if where else ""
    # No filter, no join: the index is kept in step with its table by triggers.
    return (f"SELECT r.id FROM ({ranked}) AS r{join}{conditions} "
            "ORDER BY r.rank, r.id LIMIT :limit"), params


def term_coverage(session: Session, target: _Target, terms: list[str], ids: list[int]
                  ) -> dict[int, int]:
    """How many of the query's words each row matches (same stemming as the index)."""
    if not ids or not terms:
        return {}
    params: dict[str, Any] = {"ids": _ids_param(session, ids)}
    if _is_sqlite(session):
        fts = target.fts_table
        params.update({f"t{n}": fts5_query([t]) for n, t in enumerate(terms)})
        # `+rowid` keeps the id list out of FTS5's planner: given `rowid IN`, FTS5 re-runs
        # the MATCH once per id (10x slower than reading the term's doclist once).
        sql = " UNION ALL ".join(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :t{n} AND "
                                 + _ids_in(session, "+rowid") for n in range(len(terms)))
        return dict(Counter(int(r[0]) for r in _run(session, sql, params)))
    params.update({f"t{n}": t for n, t in enumerate(terms)})
    hits = " + ".join(f"(v @@ plainto_tsquery('english', :t{n}))::int" for n in range(len(terms)))
    sql = (f"SELECT id, {hits} FROM {target.table}, LATERAL (SELECT {target.pg_tsv} AS v) "
           f"AS x WHERE {_ids_in(session, 'id')}")
    return {int(i): int(n) for i, n in _run(session, sql, params)}


_DF: dict[tuple[str, str], tuple[float, int]] = {}  # (db url, fts table:term) -> (when, df)
_DF_TTL = 300.0


def informative_terms(session: Session, target: _Target, terms: list[str]) -> list[str]:
    """SQLite: drop words found in over half the rows of a large table.

    FTS5's bm25 gives them an IDF of ~0 (they cannot change the order), yet every row holding
    one would be scored and sorted: "automate" in an automation reservoir. Document
    frequencies are counted in the index (C) and remembered for five minutes.
    """
    if not _is_sqlite(session) or not terms:
        return terms
    url, now = str(session.get_bind().url), time.monotonic()
    keys = [f"{target.fts_table}:{t}" for t in ["", *terms]]  # "" = the row count
    missing = [k for k in keys if now - _DF.get((url, k), (-1e9, 0))[0] > _DF_TTL]
    if missing:
        fts, parts, params = target.fts_table, [], {}
        for n, key in enumerate(missing):
            term = key.split(":", 1)[1]
            params[f"t{n}"] = fts5_query([term])
            parts.append(f"(SELECT count(*) FROM {target.table})" if not term else
                         f"(SELECT count(*) FROM {fts} WHERE {fts} MATCH :t{n})")
        row = _run(session, "SELECT " + ", ".join(parts), params)[0]
        _DF.update({(url, k): (now, int(v)) for k, v in zip(missing, row, strict=True)})
    rows = _DF[(url, keys[0])][1]
    if rows < COMMON_TERMS_MIN_ROWS:
        return terms
    return [t for t, k in zip(terms, keys[1:], strict=True) if _DF[(url, k)][1] * 2 <= rows]


def lexical_ids(session: Session, target: _Target, terms: list[str], filters: Any,
                limit: int) -> list[int]:
    """BM25-ranked matches; with 3+ query words a match must contain at least two of them.

    OR-queries of natural language match a lot on one incidental word ("firms", "app"), and
    rank fusion rewards any overlap with the dense list, so such matches would outvote the
    right dense answer (Elasticsearch calls the cure minimum_should_match).
    """
    terms = informative_terms(session, target, terms)
    if not terms or limit <= 0:
        return []
    ids = [int(r[0]) for r in _run(session, *lexical_query(session, target, terms, filters,
                                                            limit))]
    if len(terms) < 3 or not ids or _is_sqlite(session):  # SQLite: in the MATCH already
        return ids
    coverage = term_coverage(session, target, terms, ids)
    return [i for i in ids if coverage.get(i, 0) >= MIN_SHOULD_MATCH]


def keep_ids(session: Session, target: _Target, ids: list[int], filters: Any) -> set[int]:
    """The ids that exist in SQL and pass the filters (one indexed query)."""
    if not ids:
        return set()
    where, params = _filters(target, filters)
    params["ids"] = _ids_param(session, ids)
    sql = (f"SELECT {target.id_col} FROM {target.table}{target.joins} WHERE "
           + " AND ".join([_ids_in(session, target.id_col), *where]))
    return {int(r[0]) for r in _run(session, sql, params)}


def _recent_ids(session: Session, target: _Target, filters: Any, limit: int) -> list[int]:
    where, params = _filters(target, filters)
    conditions = " WHERE " + " AND ".join(where) if where else ""
    sql = (f"SELECT {target.id_col} FROM {target.table}{target.joins}{conditions} "
           f"ORDER BY {target.recent} LIMIT :limit")
    return [int(r[0]) for r in _run(session, sql, {**params, "limit": limit})]


# --------------------------------------------------------------------------- dense side

_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """Dense search (numpy, torch: both release the GIL) overlaps the SQL query."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="reservoir-dense")
    return _POOL


def _dense(store: VectorStore, collection: str, query: str, vector: Sequence[float] | None,
           depth: int) -> tuple[list[float], list[tuple[int, float]]]:
    if not store.exists(collection):
        return [], []
    vector = _as_list(vector) if vector is not None else store.embedder.embed_query(query)
    return vector, store.dense_search(collection, vector, depth)


def _as_list(vector: Sequence[float]) -> list[float]:
    return vector.tolist() if hasattr(vector, "tolist") else [float(v) for v in vector]


def _exact(store: VectorStore, collection: str, vector: list[float], ids: list[int]
           ) -> list[tuple[int, float]]:
    """Cosine of a small candidate set, for filters too selective for the dense top-N."""
    import numpy as np

    found, matrix = store.vectors_for(collection, ids)
    if not found:
        return []
    q = np.asarray(vector, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(q) or 1.0)
    scores = matrix @ q / np.where(norms == 0, 1.0, norms)
    return [(i, float(s)) for i, s in zip(found, scores, strict=True)]


def rrf(dense: list[int], lexical: list[int], limit: int, k: int = RRF_K) -> list[SearchHit]:
    """Reciprocal-rank fusion: sum of 1/(k + rank) over the lists that hold the item."""
    d_rank = {i: r for r, i in enumerate(dense, 1)}
    l_rank = {i: r for r, i in enumerate(lexical, 1)}
    scores = {i: 1 / (k + r) for i, r in d_rank.items()}
    for i, r in l_rank.items():
        scores[i] = scores.get(i, 0.0) + 1 / (k + r)
    best = heapq.nsmallest(limit, scores, key=lambda i: (
        -scores[i], min(d_rank.get(i, 10**9), l_rank.get(i, 10**9)), i))
    return [SearchHit(i, scores[i], d_rank.get(i), l_rank.get(i)) for i in best]


# --------------------------------------------------------------------------- entry points


@contextmanager
def _session(source: Session | Settings) -> Iterator[tuple[Session, Settings]]:
    if isinstance(source, Settings):
        with session_scope(source) as session:
            yield session, source
    else:
        yield source, get_settings()


def _search(source: Session | Settings, target: _Target, query: str, filters: Any, limit: int,
            store: VectorStore | None, query_vector: Sequence[float] | None, mode: Mode,
            recent_when_empty: bool) -> list[SearchHit]:
    filters.validate()
    limit = max(0, min(int(limit), 1000))
    terms = query_terms(query)
    with _session(source) as (session, settings):
        if limit == 0:
            return []
        if not terms:  # empty, punctuation, only stopwords: nothing to rank by
            if not recent_when_empty:
                return []
            return [SearchHit(i, 0.0) for i in _recent_ids(session, target, filters, limit)]
        store = store or get_vector_store(settings)
        if store.native_hybrid and mode == "hybrid":
            return _native(session, store, target, query, filters, limit, query_vector)
        depth = max(limit * 5, 50) if not filters.active else max(limit * 40, 400)
        future = _pool().submit(_dense, store, target.collection, query, query_vector, depth) \
            if mode != "lexical" else None
        lexical = lexical_ids(session, target, terms, filters, max(limit * 10, 100)) \
            if mode != "dense" else []
        vector, dense = future.result() if future is not None else ([], [])
        keep = keep_ids(session, target, [i for i, _ in dense], filters)
        dense = [(i, s) for i, s in dense if i in keep]
        if filters.active and vector and len(dense) < limit:
            candidates = _recent_ids(session, target, filters, EXACT_FALLBACK_CAP)
            scores = dict(_exact(store, target.collection, vector, candidates)) | dict(dense)
            dense = sorted(scores.items(), key=lambda p: (-p[1], p[0]))[:depth]
        return rrf([i for i, _ in dense], lexical, limit)


def search_opportunities(source: Session | Settings, query: str,
                         filters: OpportunityFilters | None = None, limit: int = 10, *,
                         store: VectorStore | None = None,
                         query_vector: Sequence[float] | None = None,
                         mode: Mode = "hybrid") -> list[SearchHit]:
    """Best opportunities for a free-text query; an empty query lists the most recent.

    ``source`` is a Settings (a session is opened) or an open Session (then the store
    defaults to the process settings'). ``mode`` isolates one retriever (evaluation).
    """
    return _search(source, _OPP, query, filters or OpportunityFilters(), limit, store,
                   query_vector, mode, recent_when_empty=True)


def search_chunks(source: Session | Settings, query: str, filters: ChunkFilters | None = None,
                  limit: int = 10, *, store: VectorStore | None = None,
                  query_vector: Sequence[float] | None = None,
                  mode: Mode = "hybrid") -> list[SearchHit]:
    """Best document passages for a query (evidence, question answering); empty query: []."""
    return _search(source, _CHUNK, query, filters or ChunkFilters(), limit, store,
                   query_vector, mode, recent_when_empty=False)


def load_opportunities(session: Session, hits: Sequence[SearchHit]
                       ) -> list[tuple[SearchHit, Opportunity]]:
    """The rows behind the hits, in hit order (rows deleted meanwhile are skipped)."""
    rows = {o.id: o for o in session.exec(
        select(Opportunity).where(col(Opportunity.id).in_([h.id for h in hits])))} if hits else {}
    return [(h, rows[h.id]) for h in hits if h.id in rows]


def load_chunks(session: Session, hits: Sequence[SearchHit]
                ) -> list[tuple[SearchHit, DocumentChunk, Document]]:
    if not hits:
        return []
    rows = {c.id: (c, d) for c, d in session.exec(
        select(DocumentChunk, Document).join(Document, Document.id == DocumentChunk.document_id)
        .where(col(DocumentChunk.id).in_([h.id for h in hits])))}
    return [(h, *rows[h.id]) for h in hits if h.id in rows]


# --------------------------------------------------------------------------- Qdrant server


def qdrant_filter(target: _Target, filters: Any) -> Any:
    """The same filters as payload conditions (server mode, where payload indexes exist)."""
    from qdrant_client import models

    def ts(value: datetime | None) -> float | None:
        return as_utc(value).timestamp() if value else None  # type: ignore[union-attr]

    must: list[Any] = []
    match = ({"automation_type": filters.automation_type, "status": filters.status,
              "industries": filters.industry.lower() if filters.industry else None}
             if target is _OPP else
             {"source_id": filters.source_id, "document_id": filters.document_id})
    for key, value in match.items():
        if value is not None and value != "":
            must.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    if filters.since or filters.until:
        key = "last_seen_ts" if target is _OPP else "published_ts"
        must.append(models.FieldCondition(key=key, range=models.Range(
            gte=ts(filters.since), lte=ts(filters.until))))
    return models.Filter(must=must) if must else None


def _native(session: Session, store: VectorStore, target: _Target, query: str, filters: Any,
            limit: int, query_vector: Sequence[float] | None) -> list[SearchHit]:
    vector = _as_list(query_vector) if query_vector is not None \
        else store.embedder.embed_query(query)
    fused = store.hybrid_search(target.collection, vector, query, limit * 2,
                                filter=qdrant_filter(target, filters))
    keep = keep_ids(session, target, [i for i, _ in fused], filters)  # SQL stays the truth
    return [SearchHit(i, s) for i, s in fused if i in keep][:limit]
