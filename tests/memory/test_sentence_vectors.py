"""Sentence vectors in the SQL store: stored once per embedder and text, read back in one query,
embedded only on a miss — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.embeddings import LocalEmbedder
from reservoir.memory.models import SentenceVector
from reservoir.memory.sentence_vectors import (
    load_vectors,
    remember,
    save_vectors,
    sentence_key,
    stored_or_embedded,
)


class Counting:
    """The real embedder, with every text it was asked to embed recorded."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.texts = inner, inner.name, []

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


def _rows(settings: Settings) -> int:
    with session_scope(settings) as session:
        return session.exec(select(func.count()).select_from(SentenceVector)).one()


def test_round_trip_per_embedder(any_settings: Settings) -> None:
    save_vectors(any_settings, "model-a", {"We send reminders by SMS.": [0.25, -0.5, 1.0]})
    found = load_vectors(any_settings, "model-a", ["We  send reminders\nby SMS.", "unknown"])
    assert {t: v.tolist() for t, v in found.items()} == {"We  send reminders\nby SMS.": [0.25, -0.5, 1.0]}
    assert load_vectors(any_settings, "model-b", ["We send reminders by SMS."]) == {}
    save_vectors(any_settings, "model-a", {"We send reminders by SMS.": [9.0, 9.0, 9.0]})
    found = load_vectors(any_settings, "model-a", ["We send reminders by SMS."])
    assert found["We send reminders by SMS."].tolist() == [0.25, -0.5, 1.0], \
        "a stored vector is never replaced"
    assert sentence_key("a  b") == sentence_key("a b") != sentence_key("A b")


def test_embeds_only_what_is_not_stored(any_settings: Settings, local: LocalEmbedder) -> None:
    counting = Counting(local)
    first = ["Reminders go out 48 hours before the visit.", "The clinic uses Twilio and Acuity."]
    assert remember(any_settings, counting, first + first) == 2
    assert counting.texts == first and _rows(any_settings) == 2
    assert remember(any_settings, counting, first) == 0 and counting.texts == first
    asked = [first[1], "No-shows fell from 18 % to 7 %.", first[0]]
    vectors = stored_or_embedded(any_settings, counting, asked)
    assert counting.texts == [*first, asked[1]], "only the unseen sentence is embedded"
    assert _rows(any_settings) == 3
    fresh = local.embed(asked)
    for got, want in zip(vectors, fresh, strict=True):
        assert len(got) == 384 and max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-6
    counting.texts.clear()
    again = stored_or_embedded(any_settings, counting, asked)
    assert counting.texts == [] and [v.tolist() for v in again] == [v.tolist() for v in vectors]


def test_reads_many_in_batches(settings: Settings) -> None:
    texts = [f"sentence number {i} about automation" for i in range(1203)]
    save_vectors(settings, "m", {t: [float(i), 1.0] for i, t in enumerate(texts)})
    found = load_vectors(settings, "m", texts)
    assert len(found) == 1203 and found[texts[1202]].tolist() == [1202.0, 1.0]
