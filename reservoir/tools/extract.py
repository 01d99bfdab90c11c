"""HTML -> text: main content, metadata, links and feeds of one page, offline and fast.

Each page is parsed twice at most: once by lxml (cleaned, then handed to trafilatura for the
main text) and once by BeautifulSoup (metadata, JSON-LD, links, feeds, and the fallback text
when trafilatura finds nothing). No network access happens here.

Over 400 lines: one page's extraction in four sections that share the parsed trees, split by its banners.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import trafilatura
from bs4 import BeautifulSoup, Tag
from lxml import etree
from trafilatura.xml import xmltotxt


@dataclass
class ExtractedPage:
    url: str
    canonical_url: str | None
    title: str
    author: str | None
    published_at: datetime | None  # timezone-naive UTC
    text: str  # main text, one paragraph per line
    links: list[str]  # outbound links of the main content, absolute http(s), deduped
    feeds: list[str]  # discovered RSS/Atom feeds
    language: str | None
    description: str | None = None  # meta/og description, handy as a summary
    all_links: list[str] = field(default_factory=list)  # every http(s) link on the page


# Class/id prefixes of blocks that are never main content: consent banners and comment threads.
# Not state flags such as "comments-open" that themes put on the post wrapper itself.
_NOISE = re.compile(r"^(cookie|consent|gdpr|cmp-|cc-|cc_|comment|disqus|onetrust)"
                    r"(?!.*[-_](open|closed|enabled|disabled|allowed)$)", re.I)
_NOISE_IDS = re.compile(r"^(respond|reply-title)$", re.I)
_COOKIE_TEXT = re.compile(r"\bcookies?\b", re.I)
_COOKIE_ACTION = re.compile(r"\b(accept|agree|consent|allow|reject|decline|policy)\b", re.I)
_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "article",
               "section", "pre", "dl", "form", "li", "tr", "td", "th", "table", "br", "hr",
               "header", "footer", "main", "aside", "nav", "dd", "dt", "figcaption", "address",
               "caption"}
_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
              "iframe", "svg", "button", "select", "dialog"]
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_DATE_META = ("article:published_time", "og:published_time", "og:article:published_time",
              "datepublished", "date", "pubdate", "publishdate", "publish-date", "publish_date",
              "dc.date.issued", "dc.date", "dcterms.date", "dcterms.created", "sailthru.date",
              "parsely-pub-date", "article.published", "published_time", "citation_date")
_AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author",
                "byl", "twitter:creator")
_TEXT_DOC_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\((\S+?)(?:\s+\"[^\"]*\")?\)")
_MD_BLOCK_START = re.compile(r"^(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\|)")
_BARE_URL = re.compile(r"https?://[^\s<>\"')\]]+")


# ----------------------------------------------------------------------------- dates, urls


def to_naive_utc(value: datetime) -> datetime:
    """Aware datetimes become naive UTC; naive ones are taken to be UTC already."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def from_timestamp(value: Any) -> datetime | None:
    """Unix seconds (HN, Reddit) -> naive UTC; junk -> None."""
    try:
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse_date(value: Any) -> datetime | None:
    """RFC 822 (feeds), ISO 8601 (JSON-LD, Atom, <time>) and a few loose shapes -> naive UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    found: datetime | None = None
    iso = re.sub(r"(\.\d{6})\d+", r"\1", text.replace(" UTC", "Z").replace(" GMT", "Z"))
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)
    try:
        found = datetime.fromisoformat(iso)
    except ValueError:
        try:
            found = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            for fmt in ("%Y/%m/%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y", "%d.%m.%Y"):
                try:
                    found = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
    if found is None or not 1970 <= found.year <= 2100:
        return None
    return to_naive_utc(found)


def absolute_http(href: str | None, base: str) -> str | None:
    """Resolve href against base; keep only http(s) urls, without fragment."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        resolved = urldefrag(urljoin(base, href)).url
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return resolved


def _dedupe(urls: list[str | None]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


# ----------------------------------------------------------------------------- charset


def _codec(name: str | None) -> str | None:
    """Python codec for a declared charset; latin-1 is really windows-1252 on the web."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def decode_html(body: bytes, declared_charset: str | None = None) -> str:
    """Decode HTML bytes: declared charset, BOM, <meta charset>/XML declaration, UTF-8, cp1252."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    head = body[:4096]
    sniffed = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    candidates = [_codec(declared_charset), _codec(sniffed.group(1).decode()) if sniffed else None]
    for codec in candidates:
        if codec and not codec.startswith("utf-16"):
            try:
                return body.decode(codec)
            except UnicodeDecodeError:
                continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


# ----------------------------------------------------------------------------- lxml + trafilatura


def _is_noise(el: Any, keep: set[Any]) -> bool:
    """Consent banners and comment threads, by class/id (never the block holding the h1)."""
    names = (el.get("class") or "").split() + [el.get("id") or ""]
    if any(_NOISE.match(n) for n in names if n) or _NOISE_IDS.match(el.get("id") or ""):
        return el.tag not in ("html", "body", "main") and el not in keep
    return False


def _cookie_banners(tree: Any) -> list[Any]:
    """Unlabelled consent banners: a short block mentioning cookies with an accept control."""
    found = []
    for node in tree.xpath("//text()[contains(translate(., 'COKIE', 'cokie'), 'cookie')]"):
        el = node.getparent()
        while el is not None and el.tag not in ("div", "section", "aside", "dialog", "form"):
            el = el.getparent()
        if el is None or el in found:
            continue
        text = el.text_content()
        if (len(text) < 600 and _COOKIE_TEXT.search(text) and _COOKIE_ACTION.search(text)
                and el.xpath(".//button|.//a")):
            found.append(el)
    return found


def _is_layout_table(table: Any) -> bool:
    """Tables used for page layout (nested, holding paragraphs, or link-only) are not data."""
    if table.xpath(".//table|.//p|.//div|.//ul|.//ol|.//blockquote|.//h1|.//h2|.//h3"):
        return True
    text = " ".join(table.text_content().split())
    link_text = sum(len(" ".join(a.text_content().split())) for a in table.iter("a"))
    return bool(text) and link_text / len(text) > 0.5


def _prepare_tree(html: str, base: str) -> Any | None:
    """Parse with lxml, drop consent banners and comment threads, flatten layout tables,
    and make links absolute (trafilatura's own resolution ignores paths and <base>)."""
    try:
        tree = lxml.html.document_fromstring(
            _XML_DECL.sub("", html), parser=lxml.html.HTMLParser(remove_comments=True))
    except (etree.ParserError, ValueError):
        return None
    keep = {a for h1 in tree.iter("h1") for a in h1.iterancestors()}
    noise = [e for e in tree.iter() if isinstance(e.tag, str) and _is_noise(e, keep)]
    for el in noise + _cookie_banners(tree):
        if el.getparent() is not None:
            el.drop_tree()
    tables = [t for t in tree.iter("table") if _is_layout_table(t)]
    for table in tables:
        for el in [table, *table.iter("thead", "tbody", "tfoot", "tr", "td", "th")]:
            el.tag = "div"
    try:
        tree.make_links_absolute(base, resolve_base_href=False, handle_failures="discard")
    except ValueError:
        pass
    return tree


def _trafilatura(tree: Any, base: str) -> tuple[str, list[str], dict[str, Any]]:
    """Main text, in-content links and trafilatura's metadata (title, author, date)."""
    try:
        doc = trafilatura.bare_extraction(
            tree, url=base, include_comments=False, include_links=True, with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception:  # noqa: BLE001 - third-party heuristics must never sink a page
        return "", [], {}
    if doc is None:
        return "", [], {}
    meta = {"title": doc.title, "author": doc.author, "date": doc.date, "language": doc.language}
    if doc.body is None:
        return (doc.text or "").strip(), [], meta
    links = _dedupe([absolute_http(r.get("target"), base) for r in doc.body.iter("ref")])
    etree.strip_tags(doc.body, "ref")
    return _tidy(xmltotxt(doc.body, False)), links, meta


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# ----------------------------------------------------------------------------- BeautifulSoup


def _meta(soup: BeautifulSoup, names: tuple[str, ...]) -> str | None:
    wanted = {n.lower() for n in names}
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
        content = (tag.get("content") or "").strip()
        if key in wanted and content and key not in found:
            found[key] = content
    return next((found[n.lower()] for n in names if n.lower() in found), None)


def _json_ld_nodes(soup: BeautifulSoup) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []

    def walk(value: Any, depth: int) -> None:
        if depth > 6:
            return
        if isinstance(value, list):
            for entry in value:
                walk(entry, depth + 1)
        elif isinstance(value, dict):
            nodes.append(value)
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                walk(value.get(key), depth + 1)

    for script in soup.find_all("script", attrs={"type": re.compile("ld\\+json", re.I)}):
        raw = (script.string or script.get_text() or "").strip()
        raw = re.sub(r"^\s*(<!--|<!\[CDATA\[)|(-->|\]\]>)\s*$", "", raw)
        try:
            walk(json.loads(raw, strict=False), 0)
        except ValueError:
            continue
    return nodes


def _person(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_person(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _article_first(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def is_article(node: dict[str, Any]) -> bool:
        kinds = node.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        return any(isinstance(k, str) and re.search("article|posting|report", k, re.I)
                   for k in kinds)
    return sorted(nodes, key=lambda n: not is_article(n))


def _published(soup: BeautifulSoup, nodes: list[dict[str, Any]]) -> datetime | None:
    for node in nodes:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            if found := parse_date(node.get(key)):
                return found
    if found := parse_date(_meta(soup, _DATE_META)):
        return found
    times = soup.find_all("time", attrs={"datetime": True})
    times.sort(key=lambda t: not (t.has_attr("pubdate") or t.get("itemprop") == "datePublished"))
    for tag in times:
        if found := parse_date(tag["datetime"]):
            return found
    return None


def _main_area(soup: BeautifulSoup) -> Tag | None:
    """The element holding the article: <article>/<main>/role=main, else the densest <p> block."""
    articles = [a for a in soup.find_all("article") if not a.find_parent("article")]
    if articles:
        return max(articles, key=lambda a: len(a.get_text()))
    area = soup.find("main") or soup.find(attrs={"role": "main"})
    if isinstance(area, Tag):
        return area
    best, best_score = None, 0
    for parent in {p.parent for p in soup.find_all("p") if isinstance(p.parent, Tag)}:
        score = sum(len(p.get_text()) for p in parent.find_all("p", recursive=False))
        if score > best_score:
            best, best_score = parent, score
    return best or soup.body


def _block_text(el: Tag) -> str:
    """Text of an element with a line break at every block boundary (destructive)."""
    for tag in el.find_all(True):
        if tag.name in _BLOCK_TAGS:
            tag.insert_before("\n")
            tag.insert_after("\n")
    return _tidy(el.get_text())


def _strip_noise(soup: BeautifulSoup) -> None:
    """Fallback cleanup: layout chrome, navigation, consent banners and comment threads.
    One walk from the root that does not descend into what it drops (deep trees stay O(n))."""
    keep = {id(parent) for h1 in soup.find_all("h1") for parent in h1.parents}

    def is_noise(tag: Tag) -> bool:
        if tag.name in _DROP_TAGS or tag.get("role") in ("navigation", "banner", "contentinfo"):
            return True
        names = tag.get("class", []) + [tag.get("id") or ""]
        return (tag.name not in ("html", "body", "main") and id(tag) not in keep
                and any(_NOISE.match(n) for n in names if n))

    drop: list[Tag] = []
    stack: list[Tag] = [soup]
    while stack:
        for child in stack.pop().find_all(True, recursive=False):
            (drop if is_noise(child) else stack).append(child)
    for tag in drop:
        tag.decompose()


def html_fragment_to_text(fragment: str) -> str:
    """Plain text of an HTML snippet (feed description, HN text); one block per line."""
    if not fragment or "<" not in fragment and "&" not in fragment:
        return _tidy(fragment or "")
    soup = BeautifulSoup(fragment, "lxml")
    for tag in soup.find_all(["script", "style", "noscript", "template"]):
        tag.decompose()
    return _block_text(soup)


# ----------------------------------------------------------------------------- public entry points


def _empty(url: str) -> ExtractedPage:
    return ExtractedPage(url=url, canonical_url=None, title="", author=None, published_at=None,
                         text="", links=[], feeds=[], language=None)


def extract_page(html: str, url: str) -> ExtractedPage:
    """Main text and metadata of one HTML document; never raises on bad markup."""
    html = _CONTROL.sub("", html or "")
    if not html.strip():
        return _empty(url)
    soup = BeautifulSoup(html, "lxml")
    base_tag = soup.find("base", href=True)
    base = absolute_http(base_tag["href"], url) if base_tag else None
    base = base or url
    tree = _prepare_tree(html, base)
    text, links, tmeta = _trafilatura(tree, base) if tree is not None else ("", [], {})

    nodes = _article_first(_json_ld_nodes(soup))
    canonical_tag = soup.find("link", rel=lambda r: bool(r) and "canonical" in r, href=True)
    canonical = absolute_http(canonical_tag["href"], base) if canonical_tag else None
    feeds = _dedupe([absolute_http(link.get("href"), base) for link in soup.find_all(
        "link", rel=lambda r: bool(r) and "alternate" in r, href=True)
        if (link.get("type") or "").lower().split(";")[0].strip() in _FEED_TYPES])
    html_tag = soup.find("html")
    language = (html_tag.get("lang") or html_tag.get("xml:lang")) if html_tag else None
    language = (language or _meta(soup, ("content-language", "og:locale")) or
                tmeta.get("language") or None)
    title_tag = soup.find("title")
    headline = next((n["headline"] for n in nodes if isinstance(n.get("headline"), str)), None)
    title = (tmeta.get("title") or _meta(soup, ("og:title", "twitter:title")) or
             (title_tag.get_text() if title_tag else "") or headline or "")
    author_meta = _meta(soup, _AUTHOR_META)
    if author_meta and author_meta.startswith(("http://", "https://")):
        author_meta = None
    author = (author_meta or next((a for a in (_person(n.get("author")) for n in nodes) if a), None)
              or tmeta.get("author") or None)
    published = _published(soup, nodes) or parse_date(tmeta.get("date"))
    description = _meta(soup, ("description", "og:description", "twitter:description"))
    all_links = _dedupe([absolute_http(a.get("href"), base) for a in soup.find_all("a", href=True)])

    if not text:
        _strip_noise(soup)
        area = _main_area(soup)
        if area is not None:
            links = _dedupe([absolute_http(a.get("href"), base)
                             for a in area.find_all("a", href=True)])
            text = _block_text(area)
    return ExtractedPage(
        url=url, canonical_url=canonical, title=" ".join(title.split()), author=author,
        published_at=published, text=text, links=links, feeds=feeds,
        language=language.strip() if language else None,
        description=description, all_links=all_links)


def extract_page_bytes(body: bytes, url: str, declared_charset: str | None = None) -> ExtractedPage:
    """Like extract_page, for raw bytes whose charset may only be declared in a <meta> tag."""
    return extract_page(decode_html(body or b"", declared_charset), url)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.S)
    if not match:
        return {}, text
    fields = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[match.end():]


def extract_text_document(text: str, url: str, title_hint: str | None = None) -> ExtractedPage:
    """A markdown or plain-text document: title from front matter, first heading or first line."""
    fields, body = _front_matter(_CONTROL.sub("", (text or "").replace("\r\n", "\n")))
    lines = body.splitlines()
    heading = next((m.group(1) for m in map(_TEXT_DOC_HEADING.match, lines) if m), None)
    for i in range(len(lines) - 1):  # setext heading: "Title\n====="
        if heading is None and lines[i].strip() and re.fullmatch(r"\s*=+\s*", lines[i + 1]):
            heading = lines[i].strip()
    first_line = next((line.strip() for line in lines if line.strip()), "")
    title = fields.get("title") or heading or first_line[:200] or title_hint or ""
    links = _dedupe([absolute_http(m.group(2), url) for m in _MD_LINK.finditer(body)] +
                    [absolute_http(m.group(0).rstrip(".,;:"), url)
                     for m in _BARE_URL.finditer(body)])
    plain = _MD_LINK.sub(lambda m: m.group(1), body)
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", plain):
        merged: list[str] = []
        joinable = False
        for line in block.splitlines():
            line = " ".join(line.split())
            if not line or re.fullmatch(r"[=\-*_]{3,}", line):
                joinable = False
                continue
            if joinable and not _MD_BLOCK_START.match(line):
                merged[-1] += " " + line  # re-join hard-wrapped paragraph lines
            else:
                merged.append(_TEXT_DOC_HEADING.sub(r"\1", line))
            joinable = not _TEXT_DOC_HEADING.match(line)
        paragraphs.extend(merged)
    return ExtractedPage(
        url=url, canonical_url=None, title=" ".join(title.split()),
        author=fields.get("author") or None, published_at=parse_date(fields.get("date")),
        text="\n".join(paragraphs), links=links, feeds=[],
        language=fields.get("lang") or fields.get("language") or None,
        description=fields.get("description") or None)
