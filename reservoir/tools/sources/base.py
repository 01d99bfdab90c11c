"""Shared shapes and helpers of the source adapters: items, results, the registry, and
"complete an item by fetching its article" (used by rss, hackernews, reddit, producthunt...)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from reservoir.tools.extract import ExtractedPage, extract_text_document
from reservoir.tools.extract_pool import extract_page_async
from reservoir.tools.fetch import Fetcher, FetchError, FetchResult

T = TypeVar("T")

FULL_TEXT_CHARS = 400  # shorter feed text is a teaser: fetch the article behind it
DEFAULT_CONCURRENCY = 8
JSON_ACCEPT = "application/json"
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml, "
               "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1")
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5,*/*;q=0.1"
GONE_STATUSES = frozenset({404, 410})  # the page was removed: its document is gone


class SourceError(Exception):
    """The source as a whole failed (unreachable, malformed, wrong shape); `reason` says why."""

    def __init__(self, reason: str, url: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url

    def __str__(self) -> str:
        return f"{self.reason} [{self.url}]" if self.url else self.reason


@dataclass
class SourceItem:
    url: str
    title: str
    text: str
    summary: str = ""
    author: str | None = None
    published_at: datetime | None = None  # naive UTC
    points: int | None = None
    comments: int | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # source ids, discussion url, feed link


@dataclass
class SourceResult:
    items: list[SourceItem]
    not_modified: bool = False
    unchanged: int = 0  # items skipped because their page answered 304
    errors: list[str] = field(default_factory=list)  # per-item failures; the source still succeeds
    skipped: int = 0  # listed items the adapter leaves out by rule (stickied posts, ...)
    known: int = 0  # listed items the reservoir already holds: set aside before the limit
    left: int = 0  # new items beyond this run's limit: the next run takes them
    gone: list[str] = field(default_factory=list)  # item urls that answered 404/410
    # Every url the listing names, when the listing is complete (a sitemap, followed links):
    # a stored document it no longer names is gone. None for rolling feeds, whose old items
    # drop off the end by design.
    listed: list[str] | None = None


KnownKeys = Callable[[Sequence[str]], set[str]]


@dataclass
class SourceSpec:
    """What an adapter needs from a Source row.

    `known` answers which listing keys the reservoir already holds (None: nothing is known);
    `conditional` False re-reads the listing itself even when it answers 304, because items
    were left on it last time.
    """

    name: str
    kind: str
    url: str
    config: dict[str, Any] = field(default_factory=dict)
    known: KnownKeys | None = None
    conditional: bool = True

    @classmethod
    def from_source(cls, source: Any) -> SourceSpec:
        return cls(name=source.name, kind=source.kind, url=source.url,
                   config=dict(source.config or {}))


class SourceAdapter(Protocol):
    kind: str

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult: ...


ADAPTERS: dict[str, SourceAdapter] = {}


def register_adapter(*kinds: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: one instance of the adapter serves every listed kind."""

    def decorate(cls: type[T]) -> type[T]:
        instance = cls()
        for kind in kinds:
            ADAPTERS[kind] = instance  # type: ignore[assignment]
        return cls

    return decorate


def get_adapter(kind: str) -> SourceAdapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise SourceError(f"unknown source kind {kind!r}; known: {known}") from None


def searchable(kind: str, config: dict[str, Any]) -> bool:
    """Whether a source answers a query (focus, profile or follow-up searches): the adapter
    says, from the source's config; `{"searchable": false}` opts any source out."""
    adapter = ADAPTERS.get(kind)
    check = getattr(adapter, "searchable", None)
    return bool(check and config.get("searchable", True) is not False and check(config))


def needs_query(kind: str) -> bool:
    """A search-only kind (searxng) has no listing of its own to read without a query."""
    return bool(getattr(ADAPTERS.get(kind), "needs_query", False))


async def collect(spec: SourceSpec, fetcher: Fetcher) -> SourceResult:
    """Run the adapter registered for spec.kind."""
    return await get_adapter(spec.kind).collect(spec, fetcher)


# ----------------------------------------------------------------------------- config, parsing


def config_int(spec: SourceSpec, key: str, default: int, low: int = 1, high: int = 1000) -> int:
    value = spec.config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SourceError(f"config {key!r} must be an integer, got {value!r}", spec.url)
    try:
        number = int(value)
    except ValueError:
        raise SourceError(f"config {key!r} must be an integer, got {value!r}", spec.url) from None
    return max(low, min(high, number))


def config_regex(spec: SourceSpec, key: str) -> re.Pattern[str] | None:
    pattern = spec.config.get(key)
    if not pattern:
        return None
    try:
        return re.compile(str(pattern))
    except re.error as exc:
        raise SourceError(f"config {key!r} is not a valid regex: {exc}", spec.url) from None


def parse_json(text: str, url: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SourceError(f"malformed JSON: {exc}", url) from None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


async def fetch_source(fetcher: Fetcher, url: str, accept: str,
                       spec: SourceSpec | None = None) -> FetchResult:
    """The source's own document: a failure here fails the whole source."""
    conditional = spec is None or spec.conditional
    try:
        return await fetcher.fetch(url, accept=accept, conditional=conditional)
    except FetchError as exc:
        raise SourceError(f"cannot fetch source: {exc.reason}", url) from exc


async def page_from_fetch(fetched: FetchResult, fetcher: Fetcher) -> ExtractedPage:
    """Extract whatever text document the fetcher returned (HTML, markdown or plain text);
    HTML is parsed in the extraction pool, off the event loop."""
    if fetched.content_type in ("text/plain", "text/markdown", "text/x-markdown"):
        return extract_text_document(fetched.text, fetched.url)
    return await extract_page_async(fetcher.settings, fetched.text, fetched.url)


def preferred_url(page: ExtractedPage, final_url: str) -> str:
    """The canonical url when it stays on the fetched host (else it may be spoofed or a hub)."""
    canonical = page.canonical_url
    if canonical and urlsplit(canonical).hostname == urlsplit(final_url).hostname:
        return canonical
    return final_url


def item_from_page(page: ExtractedPage, url: str, **overrides: Any) -> SourceItem:
    item = SourceItem(url=url, title=page.title, text=page.text,
                      summary=page.description or "", author=page.author,
                      published_at=page.published_at, language=page.language)
    for key, value in overrides.items():
        setattr(item, key, value)
    return item


# ----------------------------------------------------------------------------- working through a listing


def take_new(spec: SourceSpec, entries: Sequence[tuple[str, T]], limit: int,
             result: SourceResult, recheck: int = 0) -> list[T]:
    """Set aside repeated and known entries, then take `limit` of the rest; what is beyond
    the limit is counted in `result.left`, so the next run takes it and the user sees it.

    Each entry is (listing key, value): the key is what the listing names the item by (its
    link, or its discussion url), stable from run to run. A complete listing (a sitemap,
    followed links) also gives back up to `recheck` known entries, in listing order, after the
    new ones: their pages are fetched again (conditionally, so an unchanged one costs a 304)
    and change tracking sees what was edited. Rolling feeds pass none.
    """
    unique: dict[str, T] = {}
    for key, value in entries:
        unique.setdefault(key, value)
    known = spec.known(list(unique)) if spec.known and unique else set()
    fresh = [(key, value) for key, value in unique.items() if key not in known]
    result.known += len(unique) - len(fresh)
    result.left += max(0, len(fresh) - limit)
    again = [value for key, value in unique.items() if key in known][:recheck]
    return [value for _, value in fresh[:limit]] + again


def keyed(items: Sequence[tuple[SourceItem, bool]]) -> list[tuple[str, tuple[SourceItem, bool]]]:
    """Key (item, fetch?) pairs by their listed url, remembered on the item for the scout."""
    for item, _ in items:
        item.extra.setdefault("listing_key", item.url)
    return [(entry[0].extra["listing_key"], entry) for entry in items]


# ----------------------------------------------------------------------------- article completion


async def bounded_gather(jobs: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run job factories concurrently, at most `limit` at a time, results in job order."""
    semaphore = asyncio.Semaphore(max(1, limit))

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


def needs_article(item: SourceItem, min_chars: int = FULL_TEXT_CHARS) -> bool:
    """A title-only or teaser item whose link can be fetched."""
    return is_http(item.url) and len(item.text.strip()) < min_chars


async def complete_item_from_article(item: SourceItem, fetcher: Fetcher) -> SourceItem | None:
    """Fill an item's text from the page behind its link; None on 304. Raises FetchError."""
    fetched = await fetcher.fetch(item.url, accept=HTML_ACCEPT)
    if fetched.not_modified:
        return None
    page = await page_from_fetch(fetched, fetcher)
    feed_text = item.text
    item.extra.setdefault("link", item.url)
    item.extra["fetched_url"] = fetched.url
    item.url = preferred_url(page, fetched.url)
    item.text = page.text if len(page.text) > len(feed_text) else feed_text
    item.title = item.title or page.title
    item.summary = item.summary or feed_text[:1000] or page.description or ""
    item.author = item.author or page.author
    item.published_at = item.published_at or page.published_at
    item.language = item.language or page.language
    if not item.text.strip():
        raise FetchError("no main text extracted", fetched.url)
    return item


async def complete_items(
    fetcher: Fetcher, pending: Sequence[tuple[SourceItem, bool]], result: SourceResult,
    concurrency: int,
) -> list[SourceItem]:
    """Fetch articles for the items flagged True; failures go to result.errors, 304s to
    result.unchanged; order is kept and duplicate urls are dropped."""

    def job(item: SourceItem, fetch: bool) -> Callable[[], Awaitable[SourceItem | str | None]]:
        async def run() -> SourceItem | str | None:
            if not fetch:
                return item
            try:
                return await complete_item_from_article(item, fetcher)
            except FetchError as exc:
                if getattr(exc, "status", None) in GONE_STATUSES:
                    result.gone.append(item.url)
                return f"{exc.url or item.url}: {exc.reason}"
            except Exception as exc:  # noqa: BLE001 - one bad page must not sink the source
                return f"{item.url}: {type(exc).__name__}: {exc}"

        return run

    outcomes = await bounded_gather([job(item, fetch) for item, fetch in pending], concurrency)
    items: list[SourceItem] = []
    seen: set[str] = set()
    for outcome in outcomes:
        if outcome is None:
            result.unchanged += 1
        elif isinstance(outcome, str):
            result.errors.append(outcome)
        elif outcome.url not in seen:
            seen.add(outcome.url)
            items.append(outcome)
    return items
