"""Vector memory on Qdrant: embedded (local files) by default, a server when configured.

Point ids are the SQL ids, so re-indexing an item overwrites its point and the SQL row stays
the source of truth. Local mode locks its directory, hence one client per path per process.
Local mode scans in Python: dense top-N is fast (numpy), payload filters and sparse vectors
are linear Python loops, so the embedded hybrid search (search.py) takes filters and lexical
relevance from SQL. On a server, `hybrid_search` runs sparse + dense + filters natively.

Over 400 lines: `VectorStore` keeps each operation's local and server branches side by side.
"""

from __future__ import annotations

import atexit
import re
import threading
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from reservoir.config import Settings
from reservoir.memory.chunking import STOPWORDS
from reservoir.memory.embeddings import Embedder, get_embedder
from reservoir.memory.qdrant_lease import LocalLease, VectorStoreError

__all__ = ["VectorStore", "VectorStoreError", "get_vector_store", "close_client",
           "close_clients"]

if TYPE_CHECKING:
    import numpy as np
    from qdrant_client import QdrantClient
    from qdrant_client.models import Filter


OPPORTUNITIES = "opportunities"
DOCUMENTS = "documents"
COLLECTIONS = (OPPORTUNITIES, DOCUMENTS)
DENSE = "dense"
SPARSE = "lexical"
# Payload fields a server indexes for filtering (local mode has no payload indexes).
PAYLOAD_INDEXES = {
    OPPORTUNITIES: {"automation_type": "keyword", "industries": "keyword", "status": "keyword",
                    "first_seen_ts": "float", "last_seen_ts": "float"},
    DOCUMENTS: {"document_id": "integer", "source_id": "integer", "published_ts": "float"},
}

Item = tuple[int, str, dict[str, Any]]


# --------------------------------------------------------------------------- clients


class ServerHandle:
    """A Qdrant server: one thread-safe client, no lease."""

    def __init__(self, settings: Settings) -> None:
        from qdrant_client import QdrantClient

        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        self.client = QdrantClient(url=settings.qdrant_url, api_key=api_key, timeout=30)

    @contextmanager
    def hold(self) -> Iterator[QdrantClient]:
        yield self.client

    def close(self) -> None:
        self.client.close()


Handle = ServerHandle | LocalLease
_HANDLES: dict[str, Handle] = {}
_CLIENTS_LOCK = threading.Lock()


def client_key(settings: Settings) -> str:
    if settings.qdrant_url:
        return f"url:{settings.qdrant_url}"
    return f"path:{settings.qdrant_path.resolve()}"


def get_handle(settings: Settings) -> Handle:
    """One handle per Qdrant location per process: a server client, or the local lease."""
    key = client_key(settings)
    with _CLIENTS_LOCK:
        if key not in _HANDLES:
            _HANDLES[key] = ServerHandle(settings) if settings.qdrant_url else LocalLease(
                settings.qdrant_path, settings.store_wait, tune=_tune_local_storage)
        return _HANDLES[key]


def close_client(settings: Settings) -> None:
    """Release this location's client (and the local lease); the next use reopens it."""
    with _CLIENTS_LOCK:
        entry = _HANDLES.get(client_key(settings))
        if isinstance(entry, ServerHandle):  # a closed server client is not reusable
            del _HANDLES[client_key(settings)]
    if entry is not None:
        entry.close()


def close_clients() -> None:
    """Release every client (and local-mode lease) of this process."""
    with _CLIENTS_LOCK:
        entries = list(_HANDLES.values())
        for key in [k for k, e in _HANDLES.items() if isinstance(e, ServerHandle)]:
            del _HANDLES[key]
    for entry in entries:
        try:
            entry.close()
        except Exception:  # noqa: BLE001,S110 - best effort at exit
            pass


atexit.register(close_clients)


def _tune_local_storage(client: QdrantClient, collection: str) -> None:
    """Local mode commits every point separately; WAL makes that ~5x cheaper.

    Durable against a crash of the process; a power cut may lose the last writes, which a
    re-index from SQL restores. Skipped silently if qdrant-client's internals change.
    """
    try:
        conn = client._client.collections[collection].storage.storage  # type: ignore[attr-defined]
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except Exception:  # noqa: BLE001,S110
        pass


# --------------------------------------------------------------------------- sparse encoding

_TOKEN = re.compile(r"[^\W_]+")


def sparse_encode(text: str, *, query: bool = False) -> tuple[list[int], list[float]]:
    """Hashed term weights for a server's sparse index (IDF applied by Qdrant).

    Documents get BM25's saturated term frequency with length normalisation; queries get 1.0
    per term, so the server's IDF modifier turns the dot product into BM25.
    """
    terms = [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]
    counts = Counter(terms)
    length, k1, b, avg = max(1, len(terms)), 1.2, 0.75, 60.0
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        index = zlib.crc32(term.encode("utf-8"))
        value = 1.0 if query else tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
        weights[index] = weights.get(index, 0.0) + value
    indices = sorted(weights)
    return indices, [weights[i] for i in indices]


# --------------------------------------------------------------------------- payloads
# What the text and payload of each point are: reservoir/memory/indexing.py.


def _normalise_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Industries are matched case-insensitively, as in SQL."""
    if isinstance(payload.get("industries"), list):
        payload = {**payload, "industries": [str(i).lower() for i in payload["industries"]]}
    return payload


# --------------------------------------------------------------------------- the store


class VectorStore:
    """Two collections, `opportunities` and `documents`, created on first write."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None,
                 native_hybrid: bool | None = None, client: QdrantClient | None = None) -> None:
        self.settings = settings
        self.native_hybrid = bool(settings.qdrant_url) if native_hybrid is None else native_hybrid
        self.is_local = not settings.qdrant_url
        self._embedder = embedder
        self._injected = client
        self._lock: Any = threading.RLock()
        self._ready: set[str] = set()  # checked against the embedder
        self._seen: set[str] = set()  # known to exist

    # -- plumbing
    @property
    def client(self) -> QdrantClient:
        """The open client (tests, inspection); operations go through `_locked`."""
        with self._locked() as client:
            return client

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        return self._embedder

    @contextmanager
    def _locked(self) -> Iterator[QdrantClient]:
        """One operation: locally, under the lease that other processes may ask for after it."""
        if self._injected is not None:
            with self._lock if self.is_local else nullcontext():
                yield self._injected
            return
        with get_handle(self.settings).hold() as client:
            yield client

    def ping(self) -> None:
        """Reach the store (readiness): raises VectorStoreError with who holds it if not."""
        with self._locked() as client:
            client.get_collections()

    def exists(self, collection: str) -> bool:
        if collection in self._ready or collection in self._seen:
            return True
        with self._locked() as client:
            found = client.collection_exists(collection)
        if found:
            self._seen.add(collection)
        return found

    def ensure_collection(self, collection: str, dim: int | None = None) -> None:
        """Create the collection on first use; refuse one built by a different embedder."""
        from qdrant_client import models

        if collection in self._ready:
            return
        dim = dim or self.embedder.dim
        with self._locked() as client:
            if client.collection_exists(collection):
                info = client.get_collection(collection)
                vectors = info.config.params.vectors
                size = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors \
                    else None
                if size != dim:
                    raise VectorStoreError(
                        f"collection {collection!r} holds {size}-d vectors but the embedder "
                        f"makes {dim}-d ones; drop it (VectorStore.reset) and re-index")
                if self.native_hybrid and SPARSE not in (info.config.params.sparse_vectors or {}):
                    raise VectorStoreError(
                        f"collection {collection!r} has no sparse vectors for native hybrid "
                        "search; drop it (VectorStore.reset) and re-index")
            else:
                sparse = {SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)} \
                    if self.native_hybrid else None
                client.create_collection(
                    collection,
                    vectors_config={DENSE: models.VectorParams(size=dim,
                                                               distance=models.Distance.COSINE)},
                    sparse_vectors_config=sparse)
                if not self.is_local:
                    for field, schema in PAYLOAD_INDEXES[collection].items():
                        client.create_payload_index(collection, field, field_schema=schema)
            if self.is_local:
                _tune_local_storage(client, collection)
        self._ready.add(collection)

    def reset(self, collection: str) -> None:
        """Drop a collection (before a full re-index, e.g. after changing the model)."""
        with self._locked() as client:
            if client.collection_exists(collection):
                client.delete_collection(collection)
        self._ready.discard(collection)
        self._seen.discard(collection)

    def close(self) -> None:
        """Release the client (and the local directory lock) for every user in the process."""
        if self._injected is not None:
            self._injected.close()
        else:
            close_client(self.settings)
        self._ready.clear()
        self._seen.clear()

    # -- writes
    def upsert(self, collection: str, items: Sequence[Item]) -> int:
        """Embed and write (id, text, payload) items; the same id overwrites its point."""
        step = max(256, self.settings.embedding_batch_size * 8)
        done = 0
        for start in range(0, len(items), step):
            batch = items[start : start + step]
            vectors = self.embedder.embed([text for _, text, _ in batch])
            done += self.upsert_vectors(collection, [i for i, _, _ in batch], vectors,
                                        [p for _, _, p in batch],
                                        texts=[t for _, t, _ in batch])
        return done

    def upsert_opportunities(self, items: Sequence[Item]) -> int:
        return self.upsert(OPPORTUNITIES, items)

    def upsert_chunks(self, items: Sequence[Item]) -> int:
        return self.upsert(DOCUMENTS, items)

    def upsert_vectors(self, collection: str, ids: Sequence[int], vectors: Any,
                       payloads: Sequence[dict[str, Any]], texts: Sequence[str] | None = None,
                       ) -> int:
        """Write precomputed vectors (re-index from another store, benchmarks)."""
        from qdrant_client import models

        if not len(ids):
            return 0
        vectors = vectors.tolist() if hasattr(vectors, "tolist") else [list(v) for v in vectors]
        self.ensure_collection(collection, dim=len(vectors[0]))
        named: dict[str, Any] = {DENSE: vectors}
        if self.native_hybrid:
            if texts is None:
                raise ValueError("native hybrid search needs the texts for its sparse vectors")
            named[SPARSE] = [models.SparseVector(indices=ix, values=vs)
                             for ix, vs in map(sparse_encode, texts)]
        batch = models.Batch(ids=[int(i) for i in ids], vectors=named,
                             payloads=[_normalise_payload(p) for p in payloads])
        with self._locked() as client:
            client.upsert(collection, points=batch, wait=True)
        return len(ids)

    def delete(self, collection: str, ids: Sequence[int]) -> None:
        from qdrant_client import models

        if not ids or not self.exists(collection):
            return
        with self._locked() as client:
            client.delete(collection, points_selector=models.PointIdsList(
                points=[int(i) for i in ids]), wait=True)

    def set_payload(self, collection: str, ids: Sequence[int], payload: dict[str, Any]) -> None:
        """Merge fields into existing points, e.g. a status change (no re-embedding)."""
        if not ids or not self.exists(collection):
            return
        with self._locked() as client:
            client.set_payload(collection, payload=_normalise_payload(payload),
                               points=[int(i) for i in ids], wait=True)

    # -- reads
    def count(self, collection: str) -> int:
        if not self.exists(collection):
            return 0
        with self._locked() as client:
            return int(client.count(collection, exact=True).count)

    def dense_search(self, collection: str, query_vector: Sequence[float], limit: int,
                     filter: Filter | None = None) -> list[tuple[int, float]]:
        """Nearest points by cosine similarity, best first, as (id, score)."""
        if limit <= 0 or not self.exists(collection):
            return []
        vector = query_vector.tolist() if hasattr(query_vector, "tolist") else list(query_vector)
        with self._locked() as client:
            result = client.query_points(collection, query=vector, using=DENSE, limit=limit,
                                         query_filter=filter, with_payload=False)
        return [(int(p.id), float(p.score)) for p in result.points]

    def similar_opportunities(self, text: str, limit: int = 5) -> list[tuple[int, float]]:
        """Known opportunities closest to a text (the analyst's merge check)."""
        if not self.exists(OPPORTUNITIES):
            return []
        return self.dense_search(OPPORTUNITIES, self.embedder.embed_query(text), limit)

    def vectors_for(self, collection: str, ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """Stored vectors of some points (exact scoring of a small filtered set)."""
        import numpy as np

        if not ids or not self.exists(collection):
            return [], np.zeros((0, 0), dtype=np.float32)
        with self._locked() as client:
            fast = _local_vectors(client, collection, ids) if self.is_local else None
            if fast is not None:
                return fast
            records = client.retrieve(collection, ids=[int(i) for i in ids],
                                      with_vectors=[DENSE], with_payload=False)
        found = [int(r.id) for r in records]
        matrix = np.asarray([_dense_of(r.vector) for r in records], dtype=np.float32)
        return found, matrix

    def hybrid_search(self, collection: str, query_vector: Sequence[float], query_text: str,
                      limit: int, filter: Filter | None = None, depth: int | None = None,
                      ) -> list[tuple[int, float]]:
        """Server-side hybrid: sparse and dense prefetch under the same filter, fused by RRF.

        Only for collections written with ``native_hybrid`` (they hold sparse vectors).
        """
        from qdrant_client import models

        if not self.native_hybrid:
            raise VectorStoreError("hybrid_search needs native_hybrid (a Qdrant server)")
        if limit <= 0 or not self.exists(collection):
            return []
        depth = depth or max(50, limit * 5)
        vector = query_vector.tolist() if hasattr(query_vector, "tolist") else list(query_vector)
        prefetch = [models.Prefetch(query=vector, using=DENSE, filter=filter, limit=depth)]
        indices, values = sparse_encode(query_text, query=True)
        if indices:
            prefetch.append(models.Prefetch(
                query=models.SparseVector(indices=indices, values=values), using=SPARSE,
                filter=filter, limit=depth))
        with self._locked() as client:
            result = client.query_points(collection, prefetch=prefetch,
                                         query=models.FusionQuery(fusion=models.Fusion.RRF),
                                         limit=limit, with_payload=False)
        return [(int(p.id), float(p.score)) for p in result.points]


def _local_vectors(client: QdrantClient, collection: str, ids: Sequence[int]
                   ) -> tuple[list[int], np.ndarray] | None:
    """Local mode keeps one numpy matrix: index it instead of building a Record per point
    (2,000 points: ~0.1 ms against ~40 ms). None if qdrant-client's internals moved."""
    try:
        coll = client._client.collections[collection]  # type: ignore[attr-defined]
        matrix, deleted = coll.vectors[DENSE], coll.deleted
        gone = coll.deleted_per_vector[DENSE]
        found, rows = [], []
        for point_id in ids:
            idx = coll.ids.get(int(point_id))
            if idx is not None and not deleted[idx] and not gone[idx]:
                found.append(int(point_id))
                rows.append(idx)
        return found, matrix[rows].copy()
    except Exception:  # noqa: BLE001
        return None


def _dense_of(vector: Any) -> list[float]:
    return vector[DENSE] if isinstance(vector, dict) else vector


_STORES: dict[str, VectorStore] = {}


def get_vector_store(settings: Settings) -> VectorStore:
    """The process-wide store for these settings' Qdrant location."""
    key = client_key(settings)
    with _CLIENTS_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = VectorStore(settings)
    return store
