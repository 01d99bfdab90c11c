"""A subreddit listing (or, with a query, Reddit search) through Reddit's public JSON: self
posts carry their own text, link posts get the linked article fetched and extracted."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from reservoir.tools.extract import from_timestamp
from reservoir.tools.fetch import Fetcher
from reservoir.tools.sources.base import (
    DEFAULT_CONCURRENCY,
    JSON_ACCEPT,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    as_int,
    complete_items,
    config_int,
    fetch_source,
    is_http,
    parse_json,
    register_adapter,
    take_new,
)

LISTINGS = {"hot", "new", "top", "rising", "controversial", "best"}
LISTING_PAGE = 100  # the most Reddit returns in one listing request
MEDIA_HOSTS = {"i.redd.it", "v.redd.it", "i.imgur.com", "preview.redd.it"}


def listing_url(spec: SourceSpec, limit: int) -> str:
    listing = str(spec.config.get("listing", "hot"))
    if listing not in LISTINGS:
        raise SourceError(f"unknown reddit listing {listing!r}; one of {sorted(LISTINGS)}")
    base = spec.url.rstrip("/")
    path = f"{base}/.json" if listing == "hot" else f"{base}/{listing}.json"
    params: dict[str, Any] = {"limit": limit, "raw_json": 1}
    if listing in ("top", "controversial") and spec.config.get("time"):
        params["t"] = spec.config["time"]
    return f"{path}?{urlencode(params)}"


def search_url(spec: SourceSpec, query: str) -> str:
    """Reddit's search, restricted to the subreddit when the source is one."""
    base = spec.url.rstrip("/")
    params: dict[str, Any] = {"q": query, "limit": LISTING_PAGE, "raw_json": 1,
                              "sort": str(spec.config.get("sort", "relevance"))}
    if "/r/" in base:
        params["restrict_sr"] = 1
    if spec.config.get("time"):
        params["t"] = spec.config["time"]
    return f"{base}/search.json?{urlencode(params)}"


def _posts(data: Any, url: str) -> list[dict[str, Any]]:
    """Validate the Listing shape; wrong shapes fail the source with a reason."""
    listing = data.get("data") if isinstance(data, dict) else None
    children = listing.get("children") if isinstance(listing, dict) else None
    if not isinstance(children, list):
        raise SourceError("unexpected JSON shape: expected a Listing with data.children", url)
    return [c["data"] for c in children if isinstance(c, dict)
            and c.get("kind", "t3") == "t3" and isinstance(c.get("data"), dict)]


def _item(post: dict[str, Any], base: str) -> tuple[SourceItem, bool] | None:
    permalink = post.get("permalink")
    if not isinstance(permalink, str) or not post.get("title"):
        return None
    discussion = urljoin(base, permalink)
    link = post.get("url") if isinstance(post.get("url"), str) else ""
    link = html.unescape(urljoin(base, link)) if link else ""
    selftext = post.get("selftext") if isinstance(post.get("selftext"), str) else ""
    title = " ".join(html.unescape(str(post["title"])).split())
    is_self = (bool(post.get("is_self")) or not is_http(link)
               or link.rstrip("/") == discussion.rstrip("/"))
    media = urlsplit(link).hostname in MEDIA_HOSTS or "/gallery/" in link
    external = not is_self and not media
    author = post.get("author") if isinstance(post.get("author"), str) else None
    item = SourceItem(
        url=link if external else discussion, title=title,
        text="" if external else (html.unescape(selftext).strip() or title),
        summary=html.unescape(selftext).strip()[:1000] if external else "",
        author=author, published_at=from_timestamp(post.get("created_utc")),
        points=as_int(post.get("score")), comments=as_int(post.get("num_comments")),
        extra={"reddit_id": post.get("id"), "discussion_url": discussion,
               "subreddit": post.get("subreddit")})
    return item, external


@register_adapter("reddit")
class RedditAdapter:
    kind = "reddit"

    @staticmethod
    def searchable(config: dict[str, Any]) -> bool:
        """Reddit search (`/search.json?q=`) is opted in per source: `{"searchable": true}`."""
        return config.get("searchable") is True

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
        if not is_http(source.url):
            raise SourceError("a reddit source needs the subreddit url", source.url)
        limit = config_int(source, "limit", 25, high=100)
        # Ask for a full page: known posts are set aside first, then `limit` new ones taken.
        query = str(source.config.get("query") or "").strip()
        url = search_url(source, query) if query else listing_url(source, LISTING_PAGE)
        fetched = await fetch_source(fetcher, url, JSON_ACCEPT, source)
        if fetched.not_modified:
            return SourceResult(items=[], not_modified=True)
        posts = _posts(parse_json(fetched.text, fetched.url), fetched.url)
        result = SourceResult(items=[])
        pending = take_new(source, self._listed(source, posts, result), limit, result)
        concurrency = config_int(source, "concurrency", DEFAULT_CONCURRENCY, high=64)
        result.items = await complete_items(fetcher, pending, result, concurrency)
        return result

    @staticmethod
    def _listed(source: SourceSpec, posts: list[dict[str, Any]], result: SourceResult
                ) -> list[tuple[str, tuple[SourceItem, bool]]]:
        """Posts keyed by their discussion url; stickied ones (they come on top of the real
        posts Reddit returns) and broken ones are left out before any limit applies."""
        skip_stickied = source.config.get("skip_stickied", True) is not False
        listed: list[tuple[str, tuple[SourceItem, bool]]] = []
        for post in posts:
            if skip_stickied and post.get("stickied"):
                result.skipped += 1
                continue
            entry = _item(post, source.url)
            if entry is None:
                result.errors.append(f"{source.url}: post {post.get('id')!r} lacks title/permalink")
                continue
            key = entry[0].extra["discussion_url"]
            entry[0].extra["listing_key"] = key
            listed.append((key, entry))
        return listed
