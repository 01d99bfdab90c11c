"""RSS 2.0 / RSS 1.0 (RDF) / Atom feeds, parsed with lxml; teaser items are completed from
the article behind their link."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from reservoir.tools.extract import extract_page, html_fragment_to_text, parse_date
from reservoir.tools.fetch import Fetcher, FetchResult
from reservoir.tools.sources.base import (
    DEFAULT_CONCURRENCY,
    FEED_ACCEPT,
    FULL_TEXT_CHARS,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    complete_items,
    config_int,
    fetch_source,
    is_http,
    keyed,
    needs_article,
    register_adapter,
    take_new,
)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_FEED_ROOTS = {"rss", "feed", "RDF", "channel"}
_AUTHOR_EMAIL = re.compile(r"^\S+@\S+\s*\((.+)\)$")


@dataclass
class ParsedFeed:
    title: str
    items: list[SourceItem]
    warnings: list[str] = field(default_factory=list)


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for child in el:
        if isinstance(child.tag, str):
            found.setdefault(_local(child), []).append(child)
    return found


def _text(el: Any | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def _first(kids: dict[str, list[Any]], *names: str) -> str:
    for name in names:
        for el in kids.get(name, []):
            if value := _text(el):
                return value
    return ""


def _content(el: Any) -> str:
    """Atom content/summary: xhtml is inline markup, html is escaped, text is text."""
    if el.get("type") == "xhtml":
        return "".join(etree.tostring(child, encoding="unicode") for child in el) or _text(el)
    return _text(el)


def _atom_link(kids: dict[str, list[Any]], base: str) -> str:
    links = kids.get("link", [])
    ranked = sorted(links, key=lambda el: (el.get("rel") not in (None, "alternate"),
                                           "html" not in (el.get("type") or "html")))
    for el in ranked:
        href = el.get("href") or _text(el)
        if href and el.get("rel") in (None, "alternate"):
            return urljoin(el.base or base, href.strip())
    return ""


def _author(kids: dict[str, list[Any]]) -> str | None:
    for el in kids.get("author", []) + kids.get("creator", []):
        name = _first(_children(el), "name") or _text(el)
        if name:
            match = _AUTHOR_EMAIL.match(name)
            return match.group(1).strip() if match else name
    return None


def _item(entry: Any, base: str, atom: bool) -> SourceItem | None:
    kids = _children(entry)
    if atom:
        link = _atom_link(kids, base)
    else:
        link = _first(kids, "link")
        guid = kids.get("guid", [None])[0]
        if not link and guid is not None and guid.get("isPermaLink", "true") != "false":
            link = _text(guid)
        link = urljoin(entry.base or base, link) if link else (entry.get(
            "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") or "")
    if not link:
        return None
    full = next((_content(el) for name in ("encoded", "content") for el in kids.get(name, [])
                 if _text(el) or len(el)), "")
    teaser = next((_content(el) for name in ("summary", "description") for el in kids.get(name, [])
                   if _text(el) or len(el)), "")
    full_text = html_fragment_to_text(full) if full else ""
    summary = html_fragment_to_text(teaser) if teaser else ""
    text = full_text if len(full_text) >= len(summary) else summary
    return SourceItem(
        url=link, title=" ".join(html_fragment_to_text(_first(kids, "title")).split()),
        text=text, summary=summary[:1000] if summary != text else "", author=_author(kids),
        published_at=parse_date(_first(kids, "pubDate", "published", "issued", "date",
                                       "updated", "modified")),
        extra={"feed_link": link})


def _parse_xml(text: str, url: str) -> tuple[Any, str | None]:
    """Strict parse first; on a syntax error, lxml's recovery salvages what it can."""
    data = _XML_DECL.sub("", text.lstrip("\ufeff"), count=1).encode("utf-8")
    options = {"resolve_entities": False, "no_network": True, "load_dtd": False}
    try:
        return etree.fromstring(data, etree.XMLParser(**options), base_url=url), None
    except etree.XMLSyntaxError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "syntax error"
    try:
        root = etree.fromstring(data, etree.XMLParser(recover=True, **options), base_url=url)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise SourceError(f"malformed feed XML: {reason}", url)
    return root, reason


def parse_feed(text: str, url: str) -> ParsedFeed:
    """RSS/Atom text -> items (links resolved against url). SourceError if it is not a feed."""
    if not text.strip():
        raise SourceError("empty feed document", url)
    root, broken = _parse_xml(text, url)
    if _local(root) not in _FEED_ROOTS:
        if broken:
            raise SourceError(f"malformed feed XML: {broken}", url)
        raise SourceError(f"not an RSS/Atom feed (root element <{_local(root)}>)", url)
    warnings = [f"{url}: feed XML was malformed ({broken}); salvaged what parsed"] if broken else []
    atom = _local(root) == "feed"
    channel = root if atom or _local(root) == "channel" else next(
        (el for el in root if _local(el) == "channel"), root)
    entries = [el for el in root.iter() if _local(el) in (("entry",) if atom else ("item",))]
    items = [item for item in (_item(e, url, atom) for e in entries) if item is not None]
    if broken and not items:
        raise SourceError(f"malformed feed XML: {broken}", url)
    if len(items) < len(entries):
        warnings.append(f"{url}: {len(entries) - len(items)} feed entries without a link skipped")
    title = _first(_children(channel), "title")
    return ParsedFeed(title=" ".join(title.split()), items=items, warnings=warnings)


def _looks_like_html(fetched: FetchResult) -> bool:
    head = fetched.text.lstrip("\ufeff \t\r\n")[:200].lower()
    if head.startswith(("<?xml", "<rss", "<feed", "<rdf")):
        return False
    return "html" in fetched.content_type or head.startswith(("<!doctype html", "<html"))


async def collect_feed(spec: SourceSpec, fetcher: Fetcher, fetched: FetchResult,
                       *, discover: bool = True) -> SourceResult:
    """Items of an already-fetched feed; an HTML page is followed to its advertised feed."""
    if discover and _looks_like_html(fetched):
        feeds = extract_page(fetched.text, fetched.url).feeds
        if not feeds:
            raise SourceError("not an RSS/Atom feed, and the page advertises none", spec.url)
        feed = await fetch_source(fetcher, feeds[0], FEED_ACCEPT, spec)
        if feed.not_modified:
            return SourceResult(items=[], not_modified=True)
        return await collect_feed(spec, fetcher, feed, discover=False)
    parsed = parse_feed(fetched.text, fetched.url)
    limit = config_int(spec, "limit", 50, high=1000)
    min_chars = config_int(spec, "min_text_chars", FULL_TEXT_CHARS, low=0, high=100_000)
    fetch_articles = spec.config.get("fetch_articles", True) is not False
    result = SourceResult(items=[], errors=list(parsed.warnings))
    listed: list[tuple[SourceItem, bool]] = []
    for item in parsed.items:
        fetch = fetch_articles and needs_article(item, min_chars)
        if not fetch and not item.text:
            item.text = item.title  # nothing better to read; the title still carries signal
        listed.append((item, fetch))
    pending = take_new(spec, keyed(listed), limit, result)
    concurrency = config_int(spec, "concurrency", DEFAULT_CONCURRENCY, high=64)
    result.items = await complete_items(fetcher, pending, result, concurrency)
    return result


@register_adapter("rss", "atom")
class FeedAdapter:
    """RSS and Atom share one parser; `kind` only records what the user called it."""

    kind = "rss"

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
        if not is_http(source.url):
            raise SourceError("a feed source needs an http(s) url", source.url)
        fetched = await fetch_source(fetcher, source.url, FEED_ACCEPT, source)
        if fetched.not_modified:
            return SourceResult(items=[], not_modified=True)
        return await collect_feed(source, fetcher, fetched)
