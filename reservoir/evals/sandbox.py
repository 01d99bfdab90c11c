"""A throw-away reservoir for the `ask` task: the eval corpus ingested with no model.

The documents are the extract dataset's texts (the demo corpus and the hand-written cases),
stored, chunked and embedded as the scout does, then analysed by the deterministic analyst,
in a temporary data directory with its own SQLite file, embedded Qdrant and an in-memory
checkpointer — never the user's reservoir. Built once per process and dataset.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reservoir.config import Settings
from reservoir.memory.hashing import short_hash


class MemoEmbedder:
    """Remembers every vector, and embeds what it is primed with in one batch.

    The analyst and the ask graph embed one text at a time; on a busy CPU a hundred single
    calls cost several times one batch of the same texts (the vectors are the same).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self._memo: dict[str, list[float]] = {}

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def prime(self, texts: list[str]) -> None:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self.inner.embed(missing), strict=True))

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.prime(texts)
        return [self._memo[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]  # both embedders embed a query like a document


@dataclass
class Sandbox:
    settings: Settings
    examples_of: dict[int, list[str]]  # document id -> example ids whose text it holds
    opportunities: int
    store: Any  # the VectorStore on the sandbox, with the memoising embedder


_SANDBOXES: dict[str, Sandbox] = {}


def sandbox_settings(base: Settings, data_dir: Path) -> Settings:
    """The base configuration (embedder, thresholds) on private, embedded storage."""
    return base.model_copy(update={
        "data_dir": data_dir, "database_url": None, "qdrant_url": None, "redis_url": None,
        "checkpointer": "memory", "llm_provider": "none", "prompt_versions": {},
    })


def _store(settings: Settings, examples: list[dict[str, Any]]) -> tuple[dict[int, list[str]],
                                                                          dict[int, tuple[int, str]]]:
    from reservoir.memory.chunking import chunk_text
    from reservoir.memory.db import session_scope
    from reservoir.memory.documents import DocumentIn, replace_chunks, upsert_document

    examples_of: dict[int, list[str]] = {}
    chunks: dict[int, tuple[int, str]] = {}
    with session_scope(settings) as session:
        for example in sorted(examples, key=lambda e: e["id"]):
            result = upsert_document(session, DocumentIn(
                url=example["url"], title=example["title"], text=example["text"],
                language=example.get("language")))
            doc = result.document
            examples_of.setdefault(doc.id, []).append(example["id"])  # type: ignore[arg-type]
            if result.status == "new":
                for chunk in replace_chunks(session, doc.id, chunk_text(doc.text)):  # type: ignore[arg-type]
                    chunks[chunk.id] = (doc.id, chunk.text)  # type: ignore[index,assignment]
    return examples_of, chunks


def _index_chunks(settings: Settings, store: Any, chunks: dict[int, tuple[int, str]]) -> None:
    """As the scout does: through the indexing module, so the payload is the production one."""
    from reservoir.memory.db import session_scope
    from reservoir.memory.indexing import index_chunks

    with session_scope(settings) as session:
        index_chunks(store, session, {chunk_id: text for chunk_id, (_, text) in chunks.items()})


def _finding_texts(deps: Any) -> list[str]:
    """What the analyst will embed (its findings' "title. summary"), to embed in one batch."""
    from reservoir.agents.analyst import extractive_findings, pending_documents

    return [f"{f.title}. {f.summary}" for doc in pending_documents(deps)
            for f in extractive_findings(doc)]


async def _build(base: Settings, examples: list[dict[str, Any]]) -> Sandbox:
    from reservoir.agents.analyst import analyse_pending
    from reservoir.deps import Deps
    from reservoir.llm import LlmClient
    from reservoir.memory.embeddings import get_embedder
    from reservoir.memory.vectors import VectorStore

    root = Path(tempfile.mkdtemp(prefix="reservoir-eval-ask-"))
    settings = sandbox_settings(base, root / "data")
    atexit.register(_cleanup, settings, root)
    examples_of, chunks = await asyncio.to_thread(_store, settings, examples)
    store = VectorStore(settings, embedder=MemoEmbedder(get_embedder(settings)))
    deps = Deps(settings=settings, llm=LlmClient(settings, models={}), vectors=store)
    await asyncio.to_thread(_index_chunks, settings, store, chunks)
    await asyncio.to_thread(lambda: store.embedder.prime(_finding_texts(deps)))
    result = await analyse_pending(deps)
    return Sandbox(settings, examples_of, len(result["opportunity_ids"]), store)


def _cleanup(settings: Settings, root: Path) -> None:
    from reservoir.memory.vectors import close_client

    try:
        close_client(settings)
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def get_sandbox(base: Settings, examples: list[dict[str, Any]]) -> Sandbox:
    """The sandbox for this corpus and embedder, built on first use in this process."""
    key = short_hash("|".join([base.embedding_provider, base.embedding_model,
                               str(base.signal_threshold), str(base.merge_threshold),
                               *sorted(e["id"] + short_hash(e["text"]) for e in examples)]))
    if key not in _SANDBOXES:  # the harness prepares a task once, before any example runs
        _SANDBOXES[key] = await _build(base, examples)
    return _SANDBOXES[key]
