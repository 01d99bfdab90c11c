"""The persisted LLM response cache: an unchanged input is never paid for twice."""

from __future__ import annotations

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import LlmCacheEntry


class SqlLlmCache:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def get(self, key: str) -> str | None:
        with session_scope(self.settings) as session:
            entry = session.get(LlmCacheEntry, key)
            return entry.response.get("text") if entry else None

    def put(self, key: str, model: str, text: str) -> None:
        with session_scope(self.settings, write=True) as session:
            if session.get(LlmCacheEntry, key) is None:
                session.add(LlmCacheEntry(key=key, model=model, response={"text": text}))
