"""Source adapters, registered by kind: a new source kind is one new module that decorates
its class with `@register_adapter("kind")` and is imported below."""

from __future__ import annotations

from reservoir.tools.sources import (  # noqa: F401 - imported so each adapter registers itself
    folder,
    hackernews,
    html,
    producthunt,
    reddit,
    rss,
    searxng,
    sitemap,
)
from reservoir.tools.sources.base import (
    ADAPTERS,
    SourceAdapter,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    collect,
    complete_item_from_article,
    get_adapter,
    needs_query,
    register_adapter,
    searchable,
)

__all__ = [
    "ADAPTERS", "SourceAdapter", "SourceError", "SourceItem", "SourceResult", "SourceSpec",
    "collect", "complete_item_from_article", "get_adapter", "needs_query", "register_adapter",
    "searchable",
]
