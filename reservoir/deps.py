"""What a run hands every agent: its dependencies (`Deps`) and the agents' task types.

Below the agents and the graphs: agents take these, graphs build and pass them, so imports
point one way (graphs → agents → deps → llm, memory, config).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from reservoir.config import Settings
from reservoir.llm import LlmClient


class SourceSummary(TypedDict):
    """What the scout reports for one source of a run (the CLI prints these)."""

    source_id: int
    name: str
    fetched: int
    new: int
    unchanged: int
    duplicate: int
    failed: int
    error: str | None
    known: int  # listed items already held: set aside before the per-run limit
    skipped: int  # listed items the adapter leaves out by rule (stickied posts)
    left: int  # new items beyond the limit: "N more items: next run"
    query: str | None  # the search this branch ran (None: the source's own listing)
    changed: int  # of `new`, documents whose text changed since they were stored
    gone: int  # stored documents that answered 404/410 or left a complete listing


class ScoutTask(TypedDict):
    """What one parallel scout branch (a `Send`) receives."""

    run_id: str
    source_id: int
    query: str | None


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
