"""VectorStore on embedded Qdrant: ids, idempotence, payloads, client sharing, native hybrid.

A tiny bag-of-words embedder stands in for the model: these tests are about the store.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from qdrant_client import models

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.indexing import opportunity_payload, opportunity_text
from reservoir.memory.models import Opportunity
from reservoir.memory.search import OpportunityFilters, search_opportunities
from reservoir.memory.vectors import (
    DOCUMENTS,
    OPPORTUNITIES,
    VectorStore,
    VectorStoreError,
    close_clients,
    get_vector_store,
    sparse_encode,
)


class BagOfWords:
    """Deterministic, normalised hashed word counts; counts calls to check batching."""

    name = "bag-of-words"

    def __init__(self, dim: int = 64) -> None:
        self.dim, self.calls = dim, 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        out = []
        for text in texts:
            vec = [0.0] * self.dim
            for word in text.lower().split():
                vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec])
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


TEXTS = {i: f"opportunity {i} about {topic}" for i, topic in enumerate(
    ["dental reminders", "invoice chasing", "lead scoring", "review requests", "route planning",
     "contract review", "newsletter writing", "onboarding checklists"], start=1)}


def _items(texts: dict[int, str], status: str = "new") -> list[tuple[int, str, dict[str, Any]]]:
    return [(i, t, {"automation_type": "scheduling" if i % 2 else "follow_up",
                    "industries": ["Dental"] if i == 1 else ["Retail"], "status": status,
                    "last_seen_ts": 1_700_000_000.0 + i}) for i, t in texts.items()]


@pytest.fixture
def store(settings: Settings) -> Any:
    vs = VectorStore(settings, embedder=BagOfWords())
    yield vs
    vs.close()


def test_missing_collections_read_as_empty_without_being_created(store: VectorStore) -> None:
    assert store.count(OPPORTUNITIES) == 0
    assert store.dense_search(OPPORTUNITIES, [0.1] * 64, 5) == []
    store.delete(DOCUMENTS, [1, 2])
    store.set_payload(DOCUMENTS, [1], {"status": "x"})
    assert not store.exists(OPPORTUNITIES) and not store.exists(DOCUMENTS)


def test_upserts_are_idempotent_and_ids_are_sql_ids(store: VectorStore) -> None:
    assert store.upsert_opportunities(_items(TEXTS)) == 8
    store.upsert_opportunities(_items(TEXTS))
    store.upsert_opportunities(_items({3: TEXTS[3]}))
    assert store.count(OPPORTUNITIES) == 8
    hits = store.dense_search(OPPORTUNITIES, store.embedder.embed_query(TEXTS[5]), 3)
    assert hits[0][0] == 5 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert hits[0][1] >= hits[1][1] >= hits[2][1]
    # Re-embedding an id with new text moves its point instead of adding one.
    store.upsert_opportunities(_items({5: "completely different words here"}))
    assert store.count(OPPORTUNITIES) == 8
    assert store.dense_search(OPPORTUNITIES, store.embedder.embed_query(TEXTS[5]), 1)[0][0] != 5


def test_payload_filters_delete_and_status_changes(store: VectorStore) -> None:
    store.upsert_opportunities(_items(TEXTS))
    record = store.client.retrieve(OPPORTUNITIES, [1])[0]
    assert record.payload["industries"] == ["dental"]  # matched case-insensitively
    store.set_payload(OPPORTUNITIES, [2, 4], {"status": "approved"})
    approved = models.Filter(must=[models.FieldCondition(
        key="status", match=models.MatchValue(value="approved"))])
    hits = store.dense_search(OPPORTUNITIES, store.embedder.embed_query("x"), 10, approved)
    assert sorted(i for i, _ in hits) == [2, 4]
    store.delete(OPPORTUNITIES, [2, 3])
    assert store.count(OPPORTUNITIES) == 6
    assert store.client.retrieve(OPPORTUNITIES, [4])[0].payload["status"] == "approved"


def test_batches_follow_the_batch_size(settings: Settings) -> None:
    embedder = BagOfWords()
    store = VectorStore(settings.model_copy(update={"embedding_batch_size": 8}),
                        embedder=embedder)
    try:
        store.upsert_chunks([(i, f"chunk {i}", {"document_id": i // 10}) for i in range(1, 601)])
        assert store.count(DOCUMENTS) == 600 and embedder.calls == 3  # 256 + 256 + 88
    finally:
        store.close()


def test_dimension_mismatch_is_refused(settings: Settings, store: VectorStore) -> None:
    store.upsert_opportunities(_items(TEXTS))
    other = VectorStore(settings, embedder=BagOfWords(dim=32))
    with pytest.raises(VectorStoreError, match="64-d vectors"):
        other.upsert_opportunities(_items(TEXTS))
    other.reset(OPPORTUNITIES)
    other.upsert_opportunities(_items(TEXTS))
    assert other.count(OPPORTUNITIES) == 8


def test_one_client_per_location_and_close_reopens(settings: Settings) -> None:
    first = get_vector_store(settings)
    assert get_vector_store(settings) is first
    a, b = VectorStore(settings, embedder=BagOfWords()), VectorStore(settings,
                                                                      embedder=BagOfWords())
    assert a.client is b.client is first.client
    a.upsert_opportunities(_items(TEXTS))
    a.close()  # releases the directory lock; b reopens transparently and sees the data
    assert b.count(OPPORTUNITIES) == 8
    close_clients()
    assert VectorStore(settings, embedder=BagOfWords()).count(OPPORTUNITIES) == 8
    close_clients()


def _in_another_process(settings: Settings, body: str, wait: float = 30.0
                        ) -> subprocess.CompletedProcess[str]:
    code = (
        "import os, sys, time\n"
        "from reservoir.config import load_settings\n"
        "from reservoir.memory.vectors import VectorStore, VectorStoreError\n"
        f"s = load_settings(data_dir={str(settings.data_dir)!r}, store_wait={wait})\n"
        "store = VectorStore(s)\n" + body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_another_process_shares_the_store(settings: Settings, store: VectorStore) -> None:
    """The holder is idle: it hands the store over, and then sees the other process's write."""
    from reservoir.memory.vectors import get_handle

    store.upsert_opportunities(_items(TEXTS))
    vector = store.embedder.embed_query("opportunity 99 about payroll")
    out = _in_another_process(settings, (
        "print('count', store.count('opportunities'))\n"
        f"store.upsert_vectors('opportunities', [99], [{vector!r}], [{{'status': 'new'}}])\n"))
    assert out.returncode == 0, out.stderr
    assert "count 8" in out.stdout
    assert get_handle(settings).handovers >= 1
    assert store.count(OPPORTUNITIES) == 9  # reopened from disk after the handover
    assert store.dense_search(OPPORTUNITIES, vector, 1)[0][0] == 99


def test_a_holder_that_never_lets_go_is_named(settings: Settings, store: VectorStore) -> None:
    """One operation that does not end: the waiter gives up after store_wait, naming us."""
    import os
    import time

    from reservoir.memory.vectors import get_handle

    store.upsert_opportunities(_items(TEXTS))
    release, held = threading.Event(), threading.Event()

    def hold_forever() -> None:
        with get_handle(settings).hold():
            held.set()
            release.wait(60)

    thread = threading.Thread(target=hold_forever)
    thread.start()
    held.wait(10)
    try:
        started = time.monotonic()
        out = _in_another_process(settings, (
            "try:\n"
            "    store.count('opportunities')\n"
            "except VectorStoreError as exc:\n"
            "    print('refused:', exc)\n"), wait=1.0)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert out.stdout.count("\n") == 1 and "refused:" in out.stdout, out.stderr
    assert f"process {os.getpid()}" in out.stdout and "RESERVOIR_QDRANT_URL" in out.stdout
    assert "within 1 s" in out.stdout and elapsed < 30
    assert "Traceback" not in out.stderr


def test_concurrent_use_from_threads(store: VectorStore) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(5):
                store.upsert_opportunities(_items({n * 10 + k: f"text {n} {k}"}))
                store.dense_search(OPPORTUNITIES, store.embedder.embed_query("text"), 5)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and store.count(OPPORTUNITIES) == 20


def test_sparse_encoding() -> None:
    indices, values = sparse_encode("Dental dental reminders for the clinic")
    assert len(indices) == 3 and indices == sorted(indices)  # "for", "the" dropped
    assert sparse_encode("Dental dental reminders for the clinic") == (indices, values)
    assert max(values) > min(values)  # repeated word weighs more
    assert sparse_encode("dental clinic", query=True)[1] == [1.0, 1.0]
    assert sparse_encode("*** the") == ([], [])


def test_native_hybrid_path(settings: Settings) -> None:
    """The server code path (sparse + dense prefetch, payload filter, RRF), run on local mode."""
    store = VectorStore(settings, embedder=BagOfWords(), native_hybrid=True)
    try:
        with session_scope(settings) as session:
            rows = [Opportunity(key=f"k{i}", title=f"Opportunity {i}", summary=t,
                                automation_type="scheduling" if i % 2 else "follow_up",
                                industries=["Dental"] if i == 1 else ["Retail"],
                                last_seen=datetime(2024, 1, i, tzinfo=UTC))
                    for i, t in TEXTS.items()]
            session.add_all(rows)
            session.flush()
            items = [(o.id, opportunity_text(o), opportunity_payload(o)) for o in rows]
            ids = [o.id for o in rows]
        store.upsert_opportunities(items)
        hits = store.hybrid_search(OPPORTUNITIES, store.embedder.embed_query("invoice chasing"),
                                   "invoice chasing", 3)
        assert hits[0][0] == ids[1]
        found = search_opportunities(settings, "dental reminders", store=store)
        assert found[0].id == ids[0] and found[0].dense_rank is None  # fused by Qdrant
        filtered = search_opportunities(settings, "dental reminders", OpportunityFilters(
            automation_type="follow_up", since=datetime(2024, 1, 4, tzinfo=UTC)), store=store)
        assert {h.id for h in filtered} == {ids[3], ids[5], ids[7]}
        assert search_opportunities(settings, "dental", OpportunityFilters(industry="DENTAL"),
                                    store=store)[0].id == ids[0]
        with pytest.raises(VectorStoreError):
            VectorStore(settings, embedder=BagOfWords()).hybrid_search(
                OPPORTUNITIES, [0.0] * 64, "x", 3)
    finally:
        store.close()


def test_vectors_for_reads_local_memory_like_retrieve(store: VectorStore) -> None:
    import numpy as np

    store.upsert_opportunities(_items(TEXTS))
    store.delete(OPPORTUNITIES, [3])
    found, matrix = store.vectors_for(OPPORTUNITIES, [5, 3, 1, 99])
    assert found == [5, 1] and matrix.shape == (2, 64)
    records = {r.id: r.vector["dense"] for r in store.client.retrieve(
        OPPORTUNITIES, [5, 1], with_vectors=True)}
    assert np.allclose(matrix[0], records[5]) and np.allclose(matrix[1], records[1])
    assert store.vectors_for(DOCUMENTS, [1])[0] == []
