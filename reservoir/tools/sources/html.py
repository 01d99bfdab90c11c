"""A single web page as one item, optionally following its links that match a regex
(config "follow", bounded by "max_pages") to one item per followed page."""

from __future__ import annotations

from reservoir.tools.fetch import Fetcher
from reservoir.tools.sources.base import (
    DEFAULT_CONCURRENCY,
    HTML_ACCEPT,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    complete_items,
    config_int,
    config_regex,
    fetch_source,
    is_http,
    item_from_page,
    keyed,
    page_from_fetch,
    preferred_url,
    register_adapter,
    take_new,
)


@register_adapter("html")
class HtmlAdapter:
    kind = "html"

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
        if not is_http(source.url):
            raise SourceError("an html source needs an http(s) url", source.url)
        follow = config_regex(source, "follow")
        max_pages = config_int(source, "max_pages", 20, high=500)
        fetched = await fetch_source(fetcher, source.url, HTML_ACCEPT, source)
        if fetched.not_modified:
            return SourceResult(items=[], not_modified=True)
        page = await page_from_fetch(fetched, fetcher)
        result = SourceResult(items=[])
        start = preferred_url(page, fetched.url)
        if page.text.strip() and source.config.get("include_start", True) is not False:
            result.items.append(item_from_page(page, start, extra={"link": source.url}))
        if follow is None:
            if not result.items:
                result.errors.append(f"{fetched.url}: no main text extracted")
            return result
        skip = {source.url, fetched.url, start}
        targets = [u for u in page.all_links if u not in skip and follow.search(u)]
        result.listed = [start, *targets]
        pending = take_new(source, keyed([(SourceItem(url=u, title="", text=""), True)
                                          for u in targets]), max_pages, result,
                           recheck=max_pages)
        concurrency = config_int(source, "concurrency", DEFAULT_CONCURRENCY, high=64)
        followed = await complete_items(fetcher, pending, result, concurrency)
        seen = {item.url for item in result.items}
        result.items.extend(item for item in followed if item.url not in seen)
        return result
