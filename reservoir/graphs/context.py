"""Run-scoped dependencies handed to every node as LangGraph runtime context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reservoir.config import Settings
from reservoir.llm import LlmClient


@dataclass
class Deps:
    """Injected, so tests swap the model or the transport without touching the graph."""

    settings: Settings
    llm: LlmClient
    transport: Any | None = None  # an httpx transport for tests; None = the network
    vectors: Any | None = None  # reservoir.memory.vectors.VectorStore, built lazily
    events: Any | None = None  # callable(node, type, payload) for progress
    extras: dict[str, Any] = field(default_factory=dict)

    def vector_store(self) -> Any:
        if self.vectors is None:
            from reservoir.memory.vectors import get_vector_store

            self.vectors = get_vector_store(self.settings)
        return self.vectors

    def fetcher(self) -> Any:
        """One fetcher per run, shared by every scout branch; the runner closes it."""
        if "fetcher" not in self.extras:
            from reservoir.tools.fetch import Fetcher

            self.extras["fetcher"] = Fetcher(self.settings, transport=self.transport)
        return self.extras["fetcher"]

    async def aclose(self) -> None:
        fetcher = self.extras.pop("fetcher", None)
        if fetcher is not None:
            await fetcher.aclose()

    def emit(self, node: str, type_: str, payload: dict[str, Any]) -> None:
        if self.events is not None:
            self.events(node, type_, payload)
