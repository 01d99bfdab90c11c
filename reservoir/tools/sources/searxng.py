"""SearxNG, a self-hosted metasearch engine, through its JSON API (`/search?q=…&format=json`):
each result's page is fetched and extracted. It only answers queries — the run's focus, the
profiles' challenges and goals, the supervisor's follow-up — or a fixed config "query".

Options (source config): categories ("general,news"), language ("en"), time_range
("day" | "week" | "month" | "year"), engines, limit (pages taken per query, default 10).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from reservoir.tools.extract import parse_date
from reservoir.tools.fetch import Fetcher, FetchError, HttpStatusError
from reservoir.tools.sources.base import (
    DEFAULT_CONCURRENCY,
    JSON_ACCEPT,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    complete_items,
    config_int,
    is_http,
    keyed,
    parse_json,
    register_adapter,
    take_new,
)

TIME_RANGES = {"day", "week", "month", "year"}
OPTIONS = ("categories", "language", "engines")


def search_url(spec: SourceSpec, query: str) -> str:
    """The instance's /search endpoint with the query and the source's options."""
    params: dict[str, Any] = {"q": query, "format": "json"}
    for key in OPTIONS:
        if value := spec.config.get(key):
            params[key] = ",".join(value) if isinstance(value, list) else str(value)
    if time_range := spec.config.get("time_range"):
        if time_range not in TIME_RANGES:
            raise SourceError(f"unknown searxng time_range {time_range!r}; one of "
                              f"{sorted(TIME_RANGES)}", spec.url)
        params["time_range"] = time_range
    base = spec.url.rstrip("/")
    base = base if base.endswith("/search") else f"{base}/search"
    return f"{base}?{urlencode(params)}"


async def _search(fetcher: Fetcher, url: str) -> Any:
    """The JSON answer; a refusal names the usual cause (the json format switched off)."""
    try:
        fetched = await fetcher.fetch(url, accept=JSON_ACCEPT, conditional=False)
    except HttpStatusError as exc:
        hint = (" (is the json format enabled in the instance's settings.yml, "
                "search.formats?)" if exc.status == 403 else "")
        raise SourceError(f"searxng search failed: {exc.reason}{hint}", url) from exc
    except FetchError as exc:
        raise SourceError(f"searxng search failed: {exc.reason}", url) from exc
    return parse_json(fetched.text, fetched.url)


def parse_results(data: Any, url: str) -> tuple[list[SourceItem], list[str]]:
    """SearxNG's {"results": [...]} -> items to fetch, plus notes on what was unusable."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise SourceError("unexpected JSON shape: expected an object with a 'results' list", url)
    items: list[SourceItem] = []
    notes: list[str] = []
    for result in data["results"]:
        link = result.get("url") if isinstance(result, dict) else None
        if not isinstance(link, str) or not is_http(link):
            notes.append(f"{url}: search result without an http(s) url skipped")
            continue
        title = result.get("title") if isinstance(result.get("title"), str) else ""
        content = result.get("content") if isinstance(result.get("content"), str) else ""
        items.append(SourceItem(
            url=link, title=" ".join(title.split()), text="", summary=content.strip()[:1000],
            published_at=parse_date(result.get("publishedDate")) if isinstance(
                result.get("publishedDate"), str) else None,
            extra={"engines": result.get("engines") or [], "search_url": url}))
    if not items and data.get("unresponsive_engines"):
        engines = ", ".join(str(e[0]) if isinstance(e, list) and e else str(e)
                            for e in data["unresponsive_engines"][:5])
        notes.append(f"{url}: no results; unresponsive engines: {engines}")
    return items, notes


@register_adapter("searxng")
class SearxngAdapter:
    kind = "searxng"
    needs_query = True  # nothing to list without one: the supervisor only sends it queries

    @staticmethod
    def searchable(config: dict[str, Any]) -> bool:
        return config.get("searchable", True) is not False

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
        if not is_http(source.url):
            raise SourceError("a searxng source needs the instance's http(s) url", source.url)
        query = str(source.config.get("query") or "").strip()
        if not query:
            raise SourceError("a searxng source answers queries: run with --focus, a profile "
                              "with challenges or goals, or set config 'query'", source.url)
        limit = config_int(source, "limit", 10, high=100)
        url = search_url(source, query)
        found, notes = parse_results(await _search(fetcher, url), url)
        result = SourceResult(items=[], errors=notes)
        pending = take_new(source, keyed([(item, True) for item in found]), limit, result)
        concurrency = config_int(source, "concurrency", DEFAULT_CONCURRENCY, high=64)
        result.items = await complete_items(fetcher, pending, result, concurrency)
        return result
