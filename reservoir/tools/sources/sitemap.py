"""XML sitemaps: <urlset> pages (newest <lastmod> first) and <sitemapindex> files (followed
two levels deep), filtered by config "match", bounded by "max_pages"; each page is extracted.
With a query, a site-restricted search: the pages whose url words (or sitemap titles) match."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from reservoir.tools.extract import parse_date
from reservoir.tools.fetch import Fetcher, FetchError
from reservoir.tools.sources.base import (
    DEFAULT_CONCURRENCY,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    complete_items,
    config_int,
    config_regex,
    fetch_source,
    is_http,
    register_adapter,
    take_new,
)

SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
MAX_DEPTH = 2
MAX_CHILD_SITEMAPS = 25
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_WORD = re.compile(r"[^\W_]+")
_STOP = {"the", "and", "for", "with", "how", "what", "from", "that", "this", "our", "your",
         "www", "html", "htm", "php", "index", "blog", "post", "posts", "page", "pages"}


@dataclass
class Sitemap:
    pages: list[tuple[str, datetime | None]] = field(default_factory=list)
    children: list[tuple[str, datetime | None]] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # <news:title>, <image:title>, ...


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _entries(root: Any, entry: str, base: str) -> list[tuple[str, datetime | None]]:
    found = []
    for el in root:
        if _local(el) != entry:
            continue
        fields = {_local(c): "".join(c.itertext()).strip() for c in el if isinstance(c.tag, str)}
        if fields.get("loc"):
            found.append((urljoin(base, fields["loc"]), parse_date(fields.get("lastmod"))))
    return found


def _titles(root: Any, base: str) -> dict[str, str]:
    """Titles some sitemaps carry per page (news, image and video extensions)."""
    titles: dict[str, str] = {}
    for el in root:
        if _local(el) != "url":
            continue
        loc = next((c for c in el if _local(c) == "loc"), None)
        words = [" ".join(t.itertext()).strip() for t in el.iter() if _local(t) == "title"]
        if loc is not None and any(words):
            titles[urljoin(base, "".join(loc.itertext()).strip())] = " ".join(w for w in words if w)
    return titles


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def site_search(pages: list[tuple[str, datetime | None]], titles: dict[str, str],
                query: str) -> list[tuple[str, datetime | None]]:
    """Site-restricted search: pages whose url words (and title, when the sitemap gives one)
    hold at least half of the query's words, best match first. A word matches a page word
    it starts (so "reminder" finds "reminders")."""
    wanted = _terms(query)
    if not wanted:
        return []
    scored = []
    for url, lastmod in pages:
        have = _terms(urlsplit(url).path + " " + titles.get(url, ""))
        hits = sum(1 for w in wanted if any(h.startswith(w) or w.startswith(h) and len(h) > 3
                                            for h in have))
        if hits * 2 >= len(wanted):
            scored.append((hits, url, lastmod))
    scored.sort(key=lambda s: s[0], reverse=True)  # stable: newest first within a score
    return [(url, lastmod) for _, url, lastmod in scored]


def parse_sitemap(text: str, url: str) -> Sitemap:
    """Sitemap XML (or a plain list of urls, one per line) -> pages and child sitemaps."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("<"):
        lines = [line.strip() for line in stripped.splitlines() if line.strip()]
        if lines and all(is_http(line) for line in lines):
            return Sitemap(pages=[(line, None) for line in lines])
        raise SourceError("not a sitemap (neither XML nor a list of urls)", url)
    data = _XML_DECL.sub("", stripped, count=1).encode("utf-8")
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"malformed sitemap XML: {exc}", url) from None
    if root is None:
        raise SourceError("malformed sitemap XML: nothing parsed", url)
    kind = _local(root)
    if kind == "urlset":
        return Sitemap(pages=_entries(root, "url", url), titles=_titles(root, url))
    if kind == "sitemapindex":
        return Sitemap(children=_entries(root, "sitemap", url))
    raise SourceError(f"not a sitemap (root element <{kind}>)", url)


def _newest_first(entries: list[tuple[str, datetime | None]]) -> list[tuple[str, datetime | None]]:
    return sorted(entries, key=lambda e: e[1] or datetime.min, reverse=True)


@register_adapter("sitemap")
class SitemapAdapter:
    kind = "sitemap"

    @staticmethod
    def searchable(config: dict[str, Any]) -> bool:
        """Site search over the sitemap's urls is opted in per source: `{"searchable": true}`."""
        return config.get("searchable") is True

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
        if not is_http(source.url):
            raise SourceError("a sitemap source needs an http(s) url", source.url)
        match = config_regex(source, "match")
        max_pages = config_int(source, "max_pages", 50, high=5000)
        fetched = await fetch_source(fetcher, source.url, SITEMAP_ACCEPT, source)
        if fetched.not_modified:
            return SourceResult(items=[], not_modified=True)
        result = SourceResult(items=[])
        pages: list[tuple[str, datetime | None]] = []
        titles: dict[str, str] = {}
        seen_maps = {source.url, fetched.url}
        level = [parse_sitemap(fetched.text, fetched.url)]
        for depth in range(MAX_DEPTH + 1):
            children: list[tuple[str, datetime | None]] = []
            for sitemap in level:
                pages.extend(sitemap.pages)
                children.extend(sitemap.children)
                titles.update(sitemap.titles)
            if depth == MAX_DEPTH:
                if children:
                    result.errors.append(f"{source.url}: sitemaps nested deeper than "
                                         f"{MAX_DEPTH} levels ignored")
                break
            level = []
            for child, _ in _newest_first(children)[:MAX_CHILD_SITEMAPS]:
                if child in seen_maps:
                    continue
                seen_maps.add(child)
                level.append(await self._child(fetcher, child, result, source.conditional))
        pages = [p for p in _newest_first(pages) if not match or match.search(p[0])]
        if query := str(source.config.get("query") or "").strip():
            pages = site_search(pages, titles, query)
        unique: dict[str, datetime | None] = {}
        for url, lastmod in pages:
            unique.setdefault(url, lastmod)
        result.listed = list(unique)
        pending = [(SourceItem(url=url, title="", text="",
                               extra={"lastmod": lastmod, "listing_key": url}), True)
                   for url, lastmod in take_new(
                       source, [(url, (url, lastmod)) for url, lastmod in unique.items()],
                       max_pages, result, recheck=max_pages)]
        concurrency = config_int(source, "concurrency", DEFAULT_CONCURRENCY, high=64)
        result.items = await complete_items(fetcher, pending, result, concurrency)
        for item in result.items:
            item.published_at = item.published_at or item.extra.get("lastmod")
        return result

    @staticmethod
    async def _child(fetcher: Fetcher, url: str, result: SourceResult,
                     conditional: bool) -> Sitemap:
        """A child sitemap that fails is an error entry, not the end of the source."""
        try:
            fetched = await fetcher.fetch(url, accept=SITEMAP_ACCEPT, conditional=conditional)
        except FetchError as exc:
            result.errors.append(f"{url}: {exc.reason}")
            return Sitemap()
        if fetched.not_modified:
            return Sitemap()
        try:
            return parse_sitemap(fetched.text, fetched.url)
        except SourceError as exc:
            result.errors.append(f"{url}: {exc.reason}")
            return Sitemap()
