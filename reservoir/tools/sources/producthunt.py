"""Product Hunt: its Atom/RSS feed (handled by the feed logic) or an HTML listing page whose
product cards are found with generic selectors, then each product page is fetched."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from reservoir.tools.extract import absolute_http
from reservoir.tools.fetch import Fetcher, FetchResult
from reservoir.tools.sources.base import (
    DEFAULT_CONCURRENCY,
    FEED_ACCEPT,
    SourceError,
    SourceItem,
    SourceResult,
    SourceSpec,
    complete_items,
    config_int,
    fetch_source,
    is_http,
    keyed,
    register_adapter,
    take_new,
)
from reservoir.tools.sources.rss import collect_feed

_PRODUCT_CLASS = re.compile(r"product|post-item|launch", re.I)
_TAGLINE_CLASS = re.compile(r"tagline|description|subtitle|summary", re.I)
_VOTE_CLASS = re.compile(r"vote|upvote|points", re.I)
_CARD_TAGS = ["div", "li", "article", "section", "tr", "td"]
_NUMBER = re.compile(r"\d[\d,.]*\s*[kK]?")


def _is_feed(fetched: FetchResult) -> bool:
    head = fetched.text.lstrip("\ufeff \t\r\n")[:200].lower()
    return head.startswith(("<?xml", "<rss", "<feed")) or any(
        t in fetched.content_type for t in ("rss", "atom", "/xml"))


def _cards(soup: BeautifulSoup) -> list[Tag]:
    """Innermost elements that look like one product each (a container of cards is not one)."""
    found = [el for el in soup.find_all(_CARD_TAGS) if isinstance(el, Tag) and (
        el.has_attr("data-product") or el.has_attr("data-product-id")
        or (el.get("data-test") or "").startswith("post-item")
        or any(_PRODUCT_CLASS.search(c) for c in el.get("class", []))
        or el.name == "article")]
    chosen = set(map(id, found))
    cards = []
    for el in found:
        if any(id(d) in chosen for d in el.find_all(True)):
            continue  # holds other cards: a list, not a product
        if el.find("a", href=True):
            cards.append(el)
    return cards


def _votes(card: Tag) -> int | None:
    raw = card.get("data-votes")
    if raw is None:
        el = card.find(attrs={"class": _VOTE_CLASS}) or card.find(attrs={"data-votes": True})
        raw = (el.get("data-votes") or el.get_text(" ")) if isinstance(el, Tag) else None
    match = _NUMBER.search(str(raw or ""))
    if not match:
        return None
    number = match.group(0).replace(",", "").strip()
    scale = 1000 if number[-1:] in "kK" else 1
    try:
        return int(float(number.rstrip("kK ")) * scale)
    except ValueError:
        return None


def parse_listing(text: str, base: str) -> list[SourceItem]:
    """Product cards -> items (title = name, summary = tagline, points = votes)."""
    soup = BeautifulSoup(text, "lxml")
    items: list[SourceItem] = []
    seen: set[str] = set()
    for card in _cards(soup):
        anchors = card.find_all("a", href=True)
        preferred = [a for a in anchors if any(
            k in " ".join(a.get("class", [])) + (a.get("data-test") or "")
            for k in ("product", "title", "name", "link"))]
        link = next((u for u in (absolute_http(card.get("data-url"), base),
                                 *(absolute_http(a["href"], base) for a in preferred + anchors))
                     if u), None)
        if not link or link in seen:
            continue
        seen.add(link)
        heading = card.find(["h1", "h2", "h3", "h4"]) or card.find(
            attrs={"class": re.compile("name|title", re.I)})
        name = (card.get("data-product-name") or card.get("data-name")
                or (heading.get_text(" ") if isinstance(heading, Tag) else "")
                or (preferred or anchors)[0].get_text(" "))
        tagline_el = card.find(attrs={"class": _TAGLINE_CLASS}) or card.find("p")
        tagline = " ".join(tagline_el.get_text(" ").split()) if isinstance(tagline_el, Tag) else ""
        items.append(SourceItem(url=link, title=" ".join(str(name).split()), text="",
                                summary=tagline, points=_votes(card),
                                extra={"listing_url": base, "tagline": tagline}))
    return items


@register_adapter("producthunt")
class ProductHuntAdapter:
    kind = "producthunt"

    async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
        if not is_http(source.url):
            raise SourceError("a producthunt source needs an http(s) url", source.url)
        fetched = await fetch_source(fetcher, source.url, FEED_ACCEPT, source)
        if fetched.not_modified:
            return SourceResult(items=[], not_modified=True)
        if _is_feed(fetched):
            return await collect_feed(source, fetcher, fetched, discover=False)
        products = parse_listing(fetched.text, fetched.url)
        if not products:
            raise SourceError("no products found on the listing page", fetched.url)
        limit = config_int(source, "limit", 30, high=500)
        result = SourceResult(items=[])
        pending = take_new(source, keyed([(item, True) for item in products]), limit, result)
        concurrency = config_int(source, "concurrency", DEFAULT_CONCURRENCY, high=64)
        result.items = await complete_items(fetcher, pending, result, concurrency)
        return result
