"""The indexing module: chunk payloads carry `published_ts`, a status change reaches the payload.

Both run the Qdrant-server code path (native sparse + dense, payload filters, RRF) on
qdrant-client's local mode, whose filter and fusion API is the server's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, replace_chunks, upsert_document
from reservoir.memory.filters import OpportunityFilter
from reservoir.memory.indexing import index_chunks, index_opportunities, status_changed
from reservoir.memory.models import Opportunity
from reservoir.memory.opportunities import set_status
from reservoir.memory.search import OPPORTUNITY_TARGET as OPP
from reservoir.memory.search import ChunkFilters, qdrant_filter, search_chunks
from reservoir.memory.vectors import DOCUMENTS, OPPORTUNITIES, VectorStore
from tests.memory.test_vectors import BagOfWords


def test_chunks_carry_published_ts_for_the_server_date_filter(settings: Settings) -> None:
    store = VectorStore(settings, embedder=BagOfWords(), native_hybrid=True)
    try:
        with session_scope(settings) as session:
            ids = {}
            for year in (2021, 2025):
                doc = upsert_document(session, DocumentIn(
                    url=f"https://a.test/{year}", title=f"{year}", published_at=datetime(
                        year, 6, 1, tzinfo=UTC), text=f"Dental clinics send reminders in {year}.")).document
                chunk = replace_chunks(session, doc.id, [doc.text])[0]  # type: ignore[arg-type]
                ids[year] = chunk.id
            assert index_chunks(store, session, {i: f"dental reminders {y}"
                                                 for y, i in ids.items()}) == 2
        payload = store.client.retrieve(DOCUMENTS, [ids[2025]])[0].payload
        assert payload["published_ts"] == datetime(2025, 6, 1, tzinfo=UTC).timestamp()
        recent = search_chunks(settings, "dental reminders",
                               ChunkFilters(since=datetime(2024, 1, 1, tzinfo=UTC)), store=store)
        assert [h.id for h in recent] == [ids[2025]]
    finally:
        store.close()


def test_a_status_change_updates_the_payload(settings: Settings) -> None:
    store = VectorStore(settings, embedder=BagOfWords(), native_hybrid=True)
    try:
        with session_scope(settings) as session:
            opp = Opportunity(key="k", title="Dental reminders", summary="Text patients.",
                              automation_type="follow_up", industries=["Dental"])
            session.add(opp)
            session.flush()
            index_opportunities(store, [opp])
            approved = qdrant_filter(OPP, OpportunityFilter(status="approved"))
            query = store.embedder.embed_query("dental reminders")
            assert store.hybrid_search(OPPORTUNITIES, query, "dental reminders", 5,
                                       filter=approved) == []  # still `new`
            status_changed(store, set_status(session, opp.id, "approved"))  # type: ignore[arg-type]
            hits = store.hybrid_search(OPPORTUNITIES, query, "dental reminders", 5,
                                       filter=approved)
            assert [i for i, _ in hits] == [opp.id]
        assert store.client.retrieve(OPPORTUNITIES, [opp.id])[0].payload["industries"] == \
            ["dental"]  # the rest of the payload is kept
    finally:
        store.close()
