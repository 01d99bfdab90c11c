"""Hacker News via the Firebase API (top/new stories) or the Algolia search API (a query).

Link stories get their article fetched and extracted; Ask-HN style posts use their own text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from reservoir.tools.extract import from_timestamp, html_fragment_to_text
from reservoir.tools.fetch import Fetcher, FetchError
from reservoir.tools.sources.base import (
    DEFAULT_CONCURRENCY,
    JSON_ACCEPT,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    as_int,
    bounded_gather,
    complete_items,
    config_int,
    fetch_source,
    is_http,
    parse_json,
    register_adapter,
    take_new,
)

ALGOLIA_URL = "https://hn.algolia.com/api/v1"
DISCUSSION_URL = "https://news.ycombinator.com/item?id={id}"
SEARCH_PAGE = 100  # hits asked of Algolia: known ones are set aside, then `limit` taken
LISTS = {"topstories", "newstories", "beststories", "askstories", "showstories", "jobstories"}


def discussion_url(spec: SourceSpec, id_: Any) -> str:
    """A story's page on Hacker News: the key it is listed by, whichever API listed it."""
    return str(spec.config.get("item_url") or DISCUSSION_URL).replace("{id}", str(id_))


def _item(spec: SourceSpec, *, id_: Any, title: Any, url: Any, text: Any, author: Any,
          points: Any, comments: Any, when: Any) -> tuple[SourceItem, bool]:
    """One story -> (item, fetch its article?)."""
    discussion = discussion_url(spec, id_)
    body = html_fragment_to_text(text) if isinstance(text, str) else ""
    title = " ".join(str(title or "").split())
    external = isinstance(url, str) and is_http(url)
    item = SourceItem(
        url=url if external else discussion, title=title, text=body if not external else "",
        summary=body if external else "", author=author if isinstance(author, str) else None,
        published_at=from_timestamp(when), points=as_int(points), comments=as_int(comments),
        extra={"hn_id": id_, "discussion_url": discussion, "listing_key": discussion})
    if not external and not item.text:
        item.text = title
    return item, external


class _Firebase:
    def __init__(self, spec: SourceSpec, fetcher: Fetcher) -> None:
        self.spec, self.fetcher = spec, fetcher
        self.base = spec.url.rstrip("/")

    async def ids(self) -> list[int] | None:
        name = str(self.spec.config.get("list", "topstories")).removesuffix(".json")
        if name not in LISTS:
            raise SourceError(f"unknown Hacker News list {name!r}; one of {sorted(LISTS)}")
        fetched = await fetch_source(self.fetcher, f"{self.base}/{name}.json", JSON_ACCEPT,
                                     self.spec)
        if fetched.not_modified:
            return None
        ids = parse_json(fetched.text, fetched.url)
        if not isinstance(ids, list) or not all(as_int(i) is not None for i in ids):
            raise SourceError("unexpected JSON shape: expected a list of story ids", fetched.url)
        return [int(i) for i in ids]

    def job(self, story_id: int) -> Callable[[], Awaitable[tuple[SourceItem, bool] | str | None]]:
        async def run() -> tuple[SourceItem, bool] | str | None:
            url = f"{self.base}/item/{story_id}.json"
            try:
                fetched = await self.fetcher.fetch(url, accept=JSON_ACCEPT)
            except FetchError as exc:
                return f"{url}: {exc.reason}"
            if fetched.not_modified:
                return None
            try:
                data = parse_json(fetched.text, url)
            except SourceError as exc:
                return f"{url}: {exc.reason}"
            if data is None or isinstance(data, dict) and (data.get("deleted") or data.get("dead")):
                return ""  # deleted story: nothing to report
            if not isinstance(data, dict) or "id" not in data:
                return f"{url}: unexpected JSON shape for an item"
            if data.get("type", "story") not in ("story", "job", "poll"):
                return ""
            return _item(self.spec, id_=data["id"], title=data.get("title"),
                         url=data.get("url"), text=data.get("text"), author=data.get("by"),
                         points=data.get("score"), comments=data.get("descendants"),
                         when=data.get("time"))

        return run


async def _algolia(spec: SourceSpec, fetcher: Fetcher, limit: int) -> list[Any] | None:
    base = str(spec.config.get("algolia_url") or ALGOLIA_URL).rstrip("/")
    params = {"query": str(spec.config["query"]), "hitsPerPage": limit}
    if tags := spec.config.get("tags", "story"):
        params["tags"] = tags
    fetched = await fetch_source(fetcher, f"{base}/search?{urlencode(params)}", JSON_ACCEPT,
                                 spec)
    if fetched.not_modified:
        return None
    data = parse_json(fetched.text, fetched.url)
    if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
        raise SourceError("unexpected JSON shape: expected an object with a 'hits' list",
                          fetched.url)
    return data["hits"]


@register_adapter("hackernews")
class HackerNewsAdapter:
    kind = "hackernews"

    @staticmethod
    def searchable(config: dict[str, Any]) -> bool:
        """Searches go to Algolia: a source that names its Algolia endpoint (or is marked
        searchable, for the public one) answers queries."""
        return bool(config.get("algolia_url") or config.get("searchable") is True)

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
        limit = config_int(source, "limit", 30, high=500)
        concurrency = config_int(source, "concurrency", DEFAULT_CONCURRENCY, high=64)
        result = SourceResult(items=[])
        pending: list[tuple[SourceItem, bool]] = []
        if source.config.get("query"):
            hits = await _algolia(source, fetcher, max(limit, SEARCH_PAGE))
            if hits is None:
                return SourceResult(items=[], not_modified=True)
            listed: list[tuple[str, tuple[SourceItem, bool]]] = []
            for hit in hits:
                if not isinstance(hit, dict) or not hit.get("objectID"):
                    result.errors.append(f"{source.name}: search hit without objectID skipped")
                    continue
                entry = _item(
                    source, id_=hit["objectID"], title=hit.get("title"), url=hit.get("url"),
                    text=hit.get("story_text"), author=hit.get("author"),
                    points=hit.get("points"), comments=hit.get("num_comments"),
                    when=hit.get("created_at_i"))
                listed.append((entry[0].extra["listing_key"], entry))
            pending = take_new(source, listed, limit, result)
        else:
            if not is_http(source.url):
                raise SourceError("a hackernews source needs the API base url", source.url)
            api = _Firebase(source, fetcher)
            ids = await api.ids()
            if ids is None:
                return SourceResult(items=[], not_modified=True)
            # Known stories are set aside by their discussion url before the limit applies.
            chosen = take_new(source, [(discussion_url(source, i), i) for i in ids], limit, result)
            for outcome in await bounded_gather([api.job(i) for i in chosen], concurrency):
                if outcome is None:
                    result.unchanged += 1
                elif isinstance(outcome, str):
                    if outcome:
                        result.errors.append(outcome)
                else:
                    pending.append(outcome)
        result.items = await complete_items(fetcher, pending, result, concurrency)
        return result
