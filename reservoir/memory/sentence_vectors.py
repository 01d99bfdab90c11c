"""Sentence vectors kept in the SQL store: asking reads them instead of embedding at question time.

Ask scores every candidate sentence (evidence quotes, passage sentences, page and opportunity
titles) against the question. Embedded at question time, a process that had not seen them
paid seconds per question; so the scout and the analyst embed them as they store them, and
ask reads them back in one query, embedding (and storing) only what it has never seen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reservoir.config import Settings
from reservoir.memory.db import get_engine, session_scope
from reservoir.memory.embeddings import Embedder
from reservoir.memory.models import SentenceVector

_DTYPE = np.dtype("<f4")
_BATCH = 500  # rows per INSERT: far below every driver's parameter limit


def sentence_key(text: str) -> str:
    """Whitespace collapsed, case kept: a cased embedder (OpenAI's) tells "US" from "us"."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _pack(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype=_DTYPE).tobytes()


def _unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=_DTYPE)


# One bound parameter for the whole key list: an expanded IN (...) of hundreds of keys costs
# more to compile than the lookup itself.
_LOAD = {
    "sqlite": 'SELECT "key", vector FROM sentence_vector WHERE embedder = :embedder'
              ' AND "key" IN (SELECT value FROM json_each(:keys))',
    "postgresql": 'SELECT "key", vector FROM sentence_vector WHERE embedder = :embedder'
                  ' AND "key" = ANY(:keys)',
}


def load_vectors(settings: Settings, embedder: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored vectors of ``texts`` by text (those never stored are absent), in one query."""
    keys: dict[str, list[str]] = {}
    for sentence in dict.fromkeys(texts):
        keys.setdefault(sentence_key(sentence), []).append(sentence)
    if not keys:
        return {}
    found: dict[str, np.ndarray] = {}
    with session_scope(settings) as session:
        dialect = session.get_bind().dialect.name
        wanted = json.dumps(list(keys)) if dialect == "sqlite" else list(keys)
        rows = session.execute(text(_LOAD[dialect]), {"embedder": embedder, "keys": wanted})
        for key, blob in rows:
            found.update(dict.fromkeys(keys[key], _unpack(blob)))
    return found


def save_vectors(settings: Settings, embedder: str, vectors: dict[str, Sequence[float]]) -> None:
    """Insert, leaving rows another process stored meanwhile as they are (same text, same vector)."""
    rows = list({sentence_key(t): {"embedder": embedder, "key": sentence_key(t), "vector": _pack(v)}
                 for t, v in vectors.items()}.values())
    if not rows:
        return
    insert = pg_insert if get_engine(settings).dialect.name == "postgresql" else sqlite_insert
    with session_scope(settings, write=True) as session:
        for start in range(0, len(rows), _BATCH):
            statement = insert(SentenceVector).values(rows[start:start + _BATCH])
            session.execute(statement.on_conflict_do_nothing())


def stored_or_embedded(settings: Settings, embedder: Embedder, texts: list[str]) -> list[np.ndarray]:
    """Vectors of ``texts``: stored ones read, the rest embedded in one batch and stored.

    Fresh vectors go through the same float32 round trip as stored ones, so a score never
    depends on whether its sentence was seen before.
    """
    found = load_vectors(settings, embedder.name, texts)
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        fresh = dict(zip(missing, embedder.embed(missing), strict=True))
        save_vectors(settings, embedder.name, fresh)
        found.update((t, np.asarray(v, dtype=_DTYPE)) for t, v in fresh.items())
    return [found[t] for t in texts]


def remember(settings: Settings, embedder: Embedder, texts: Iterable[str]) -> int:
    """Embed and store the sentences not stored yet (at ingest); returns how many were new."""
    unique = [t for t in dict.fromkeys(texts) if t.strip()]
    if not unique:
        return 0
    stored = load_vectors(settings, embedder.name, unique)
    missing = [t for t in unique if t not in stored]
    if missing:
        save_vectors(settings, embedder.name, dict(zip(missing, embedder.embed(missing), strict=True)))
    return len(missing)
