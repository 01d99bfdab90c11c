"""Embedders (local MiniLM, OpenAI-compatible over a fake transport) and chunking."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reservoir.config import ConfigError, Settings, load_settings
from reservoir.memory.chunking import chunk_text
from reservoir.memory.embeddings import (
    EMBEDDERS,
    EmbeddingError,
    LocalEmbedder,
    OpenAIEmbedder,
    get_embedder,
    register_embedder,
)


@pytest.fixture(scope="session")
def local(tmp_path_factory: pytest.TempPathFactory) -> LocalEmbedder:
    embedder = get_embedder(load_settings(data_dir=tmp_path_factory.mktemp("m")))
    assert isinstance(embedder, LocalEmbedder)
    return embedder


def test_nothing_heavy_is_loaded_until_something_is_embedded(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from reservoir.config import load_settings\n"
        "from reservoir.memory.embeddings import get_embedder\n"
        "from reservoir.memory.vectors import VectorStore, get_vector_store\n"
        "from reservoir.memory.search import search_opportunities\n"
        f"s = load_settings(data_dir={str(tmp_path)!r})\n"
        "assert get_embedder(s).dim == 384\n"
        "assert get_vector_store(s).count('opportunities') == 0\n"
        "assert search_opportunities(s, '') == []\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
        "print('light')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "light", out.stderr


def test_local_vectors_are_normalised_and_meaningful(local: LocalEmbedder) -> None:
    vectors = local.embed(["Send dental appointment reminders by text message",
                           "Text patients before their dentist visit",
                           "Quarterly tax filing for a logistics company", ""])
    assert len(vectors) == 4 and all(len(v) == 384 for v in vectors)
    assert all(abs(math.hypot(*v) - 1.0) < 1e-3 for v in vectors[:3])

    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2]) + 0.2
    assert local.embed([]) == []
    query = local.embed_query("Text patients before their dentist visit")
    assert cos(query, vectors[1]) > 0.999
    assert local.embed_query("Text patients before their dentist visit") == query  # cached


def test_local_model_is_shared_and_batched(local: LocalEmbedder, tmp_path: Path) -> None:
    other = get_embedder(load_settings(data_dir=tmp_path, embedding_batch_size=7))
    assert isinstance(other, LocalEmbedder) and other is not local and other.batch_size == 7
    assert other.model is local.model  # one model per process
    assert get_embedder(load_settings(data_dir=tmp_path, embedding_batch_size=7)) is other


def test_registry(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="EMBEDDING_PROVIDER"):
        get_embedder(settings.model_copy(update={"embedding_provider": "nope"}))

    class Constant:
        name, dim = "constant", 2

        def embed(self, texts: list[str]) -> list[list[float]]:
            return [[1.0, 0.0] for _ in texts]

        def embed_query(self, text: str) -> list[float]:
            return [1.0, 0.0]

    register_embedder("constant-test")(lambda s: Constant())
    try:
        custom = settings.model_copy(update={"embedding_provider": "constant-test"})
        assert get_embedder(custom).embed(["a"]) == [[1.0, 0.0]]
    finally:
        EMBEDDERS.pop("constant-test")


class FakeEmbeddingsApi:
    """An OpenAI-compatible /embeddings endpoint behind httpx.MockTransport (no network)."""

    def __init__(self, dim: int = 3, status: int = 200) -> None:
        self.dim, self.status, self.requests = dim, status, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append((request, body))
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"message": "bad input"}})
        data = [{"object": "embedding", "index": i,
                 "embedding": [float(len(text) + 1)] + [1.0] * (self.dim - 1)}
                for i, text in enumerate(body["input"])]
        return httpx.Response(200, json={"object": "list", "data": data[::-1],  # any order
                                         "model": body["model"],
                                         "usage": {"prompt_tokens": 1, "total_tokens": 1}})


def test_openai_embedder_batches_orders_and_normalises() -> None:
    api = FakeEmbeddingsApi()
    embedder = OpenAIEmbedder("my-embedder", base_url="http://127.0.0.1:9/v1", api_key="k",
                              batch_size=2, http_client=httpx.Client(
                                  transport=httpx.MockTransport(api)))
    vectors = embedder.embed(["a", "bbb", "", "cc", "d"])
    assert len(api.requests) == 3
    request, body = api.requests[0]
    assert request.url == "http://127.0.0.1:9/v1/embeddings"
    assert request.headers["authorization"] == "Bearer k"
    assert body["model"] == "my-embedder" and body["encoding_format"] == "float"
    assert api.requests[1][1]["input"] == [" ", "cc"]  # empty input is not sent as ""
    assert [round(v[0] / v[1]) for v in vectors] == [2, 4, 2, 3, 2]  # input order kept
    assert all(abs(math.hypot(*v) - 1.0) < 1e-9 for v in vectors)
    assert embedder.dim == 3 and len(api.requests) == 4  # unknown model: probed once
    assert embedder.dim == 3 and len(api.requests) == 4


def test_openai_embedder_errors_and_settings() -> None:
    api = FakeEmbeddingsApi(status=400)
    embedder = OpenAIEmbedder("text-embedding-3-small", base_url="http://127.0.0.1:9/v1",
                              http_client=httpx.Client(transport=httpx.MockTransport(api)))
    assert embedder.dim == 1536 and not api.requests  # known size: no call
    with pytest.raises(EmbeddingError, match="failed"):
        embedder.embed(["x"])
    settings = load_settings(embedding_provider="openai", llm_base_url="http://127.0.0.1:9/v1",
                             llm_api_key="secret", embedding_batch_size=64)
    built = get_embedder(settings)
    assert isinstance(built, OpenAIEmbedder)
    assert (built.name, built.base_url, built.batch_size) == (
        "text-embedding-3-small", "http://127.0.0.1:9/v1", 64)


# --------------------------------------------------------------------------- chunking

SENTENCES = [f"Sentence number {i} talks about automating invoices for firm {i}." for i in
             range(120)]


def test_chunk_short_and_empty() -> None:
    assert chunk_text("") == [] and chunk_text("   \n\n  ") == []
    assert chunk_text("One short paragraph.") == ["One short paragraph."]
    with pytest.raises(ValueError):
        chunk_text("x", max_words=10, overlap=10)


def test_chunks_respect_size_sentences_and_overlap() -> None:
    text = " ".join(SENTENCES[:60]) + "\n\n" + " ".join(SENTENCES[60:])
    chunks = chunk_text(text, max_words=60, overlap=15)
    assert len(chunks) > 10
    assert all(len(c.split()) <= 60 for c in chunks)
    assert all(c.endswith(".") for c in chunks)  # cut on sentence boundaries
    for a, b in zip(chunks, chunks[1:], strict=False):
        tail = re.split(r"(?<=\.)\s+", a)[-1]
        assert b.startswith(tail)  # the next passage repeats the last sentence
    joined = " ".join(chunks)
    assert all(s in joined for s in SENTENCES)
    # The paragraph break survives inside the chunk that spans it.
    assert any("firm 59.\n\nSentence number 60" in c for c in chunks)


def test_overlong_sentence_is_cut_with_word_overlap() -> None:
    words = [f"w{i}" for i in range(500)]
    chunks = chunk_text(" ".join(words), max_words=180, overlap=30)
    assert all(len(c.split()) <= 180 for c in chunks)
    assert chunks[0].split()[-30:] == chunks[1].split()[:30]
    assert chunks[-1].split()[-1] == "w499"
    assert {w for c in chunks for w in c.split()} == set(words)


PROSE = """Our dental practice used to lose about six hours every week calling patients to
confirm appointments. Half of those calls went to voicemail, and no-shows still cost us two
or three chairs a day. We connected the practice management system to an SMS service, so
patients now get a text two days before the visit and can confirm or reschedule with a link.

The results were better than expected. No-shows fell by a third within two months, the front
desk answers fewer calls, and the schedule fills itself from the waiting list when someone
cancels. The whole setup took a weekend and costs less than a receptionist's lunch budget.

If you run a small clinic, start with the reminders before you buy anything fancier. Keep the
message short, include the address, and make rescheduling one tap. Patients appreciate it,
and your team gets their mornings back for the people who actually walk through the door.
"""


def test_default_chunks_fit_the_model(local: LocalEmbedder) -> None:
    """180 words of ordinary prose are ~235 word pieces: the model reads each passage whole."""
    text = "\n\n".join([PROSE] * 6)
    tokenizer = local.model.tokenizer
    for chunk in chunk_text(text):
        assert len(tokenizer(chunk)["input_ids"]) <= 256
