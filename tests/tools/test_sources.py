"""Source adapters over real HTTP on loopback: a threaded http.server on 127.0.0.1 serves the
fixture feeds, JSON and pages; the real Fetcher reads them. No other address is ever used."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reservoir.config import load_settings
from reservoir.tools.fetch import Fetcher
from reservoir.tools.sources import (
    ADAPTERS,
    SourceError,
    SourceResult,
    SourceSpec,
    collect,
    get_adapter,
    register_adapter,
)

PARA = ("The owner of a {topic} business explains how they spent {hours} hours every week on "
        "manual data entry, copying orders from email into spreadsheets and invoices, until a "
        "small script and a shared inbox took over the repetitive parts of the job.")


def article(title: str, topic: str, *, canonical: str | None = None, date: str | None = None,
            links: str = "") -> bytes:
    """An article page with the usual clutter around the text that matters."""
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    head += f'<meta property="article:published_time" content="{date}">' if date else ""
    paras = "".join(f"<p>{PARA.format(topic=topic, hours=h)}</p>" for h in (3, 5, 8))
    return (f"<html><head><title>{title}</title>{head}</head><body>"
            "<nav><a href='/'>Home</a> <a href='/about'>NAVTEXT</a></nav>"
            "<div class='cookie-banner'>COOKIETEXT we use cookies <button>OK</button></div>"
            f"<article><h1>{title}</h1>{paras}{links}</article>"
            "<div id='comments'><p class='comment'>COMMENTTEXT nice one</p></div>"
            "</body></html>").encode()


@dataclass
class Route:
    body: bytes
    status: int = 200
    ctype: str = "text/html; charset=utf-8"
    etag: str | None = None


@dataclass
class Site:
    """Scripted routes (query string ignored) and a log of requested paths."""

    port: int = 0
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def add(self, path: str, body: str | bytes, status: int = 200,
            ctype: str = "text/html; charset=utf-8", etag: str | None = None) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, status, ctype, etag)
        return self.url(path)

    def json(self, path: str, value: Any) -> str:
        return self.add(path, json.dumps(value), ctype="application/json")

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit.split("?")[0] == path)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            site.hits.append(self.path)
            route = site.routes.get(self.path.split("?")[0])
            if route is None:
                route = Route(b"not found", 404, "text/plain")
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.ctype)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: site.hits is the record."""

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


class MemoryCache:
    """Validator cache for conditional requests."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self.data.get(url, (None, None))

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.data[url] = (etag, last_modified)


def make_fetcher(tmp_path: Path, cache: MemoryCache | None = None, **overrides: Any) -> Fetcher:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data", "fetch_allow": ["127.0.0.0/8"],
        "fetch_respect_robots": False, "fetch_retries": 0, "fetch_timeout": 3.0,
        "fetch_connect_timeout": 1.0, "fetch_per_host_rps": 1000.0,
    }
    values.update(overrides)
    return Fetcher(load_settings(**values), cache=cache)


@pytest.fixture
async def fetcher(tmp_path: Path) -> AsyncIterator[Fetcher]:
    async with make_fetcher(tmp_path) as shared:
        yield shared


def spec(kind: str, url: str, **config: Any) -> SourceSpec:
    return SourceSpec(name=f"test-{kind}", kind=kind, url=url, config=config)


def assert_clean(text: str) -> None:
    for noise in ("NAVTEXT", "COOKIETEXT", "COMMENTTEXT"):
        assert noise not in text


# ----------------------------------------------------------------------------- rss / atom

RSS = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Small biz blog</title><link>/</link>
<item><title>Bakery invoices</title><link>/a/bakery</link>
  <pubDate>Tue, 05 Mar 2024 09:30:00 +0200</pubDate><dc:creator>Jane</dc:creator></item>
<item><title>Plumber quotes</title><link>{base}/a/plumber</link>
  <description>&lt;p&gt;A short &lt;b&gt;teaser&lt;/b&gt;.&lt;/p&gt;</description>
  <author>bob@example.com (Bob)</author></item>
<item><title>Full text inside</title><link>/a/full</link>
  <content:encoded><![CDATA[<p>{long}</p><p>{long}</p>]]></content:encoded></item>
<item><title>Duplicate</title><link>/a/bakery</link></item>
</channel></rss>"""


async def test_title_only_feed_items_are_completed_from_articles(site: Site,
                                                                 fetcher: Fetcher) -> None:
    long = PARA.format(topic="dental", hours=4)
    site.add("/feed.xml", RSS.format(base=site.url("").rstrip("/"), long=long),
             ctype="application/rss+xml")
    site.add("/a/bakery", article("Bakery invoices", "bakery",
                                  canonical=site.url("/articles/bakery")))
    site.add("/a/plumber", article("Plumber quotes", "plumbing",
                                   canonical="http://elsewhere.test/plumber"))
    result = await collect(spec("rss", site.url("/feed.xml")), fetcher)
    assert result.errors == [] and not result.not_modified
    by_title = {item.title: item for item in result.items}
    assert list(by_title) == ["Bakery invoices", "Plumber quotes", "Full text inside"]
    bakery = by_title["Bakery invoices"]
    assert bakery.url == site.url("/articles/bakery")  # same-host canonical wins
    assert "owner of a bakery business" in bakery.text and "8 hours" in bakery.text
    assert_clean(bakery.text)
    assert bakery.author == "Jane"
    assert bakery.published_at == datetime(2024, 3, 5, 7, 30)
    assert bakery.extra["link"] == site.url("/a/bakery")  # relative link resolved
    plumber = by_title["Plumber quotes"]
    assert plumber.url == site.url("/a/plumber")  # foreign canonical ignored
    assert "plumbing business" in plumber.text and plumber.summary == "A short teaser."
    assert plumber.author == "Bob"
    full = by_title["Full text inside"]
    assert full.text.count("dental business") == 2 and full.url == site.url("/a/full")
    assert site.count("/a/full") == 0 and site.count("/a/bakery") == 1


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/blog/">
<title>Atom blog</title>
<entry><title type="html">Clinic &amp;amp; SMS</title>
  <link rel="self" href="/api/1"/><link rel="alternate" type="text/html" href="posts/clinic"/>
  <summary>Short.</summary><published>2024-01-02T10:00:00Z</published>
  <author><name>Ann</name></author></entry>
<entry><title>Xhtml content</title><link href="posts/xhtml"/>
  <updated>2024-01-03T10:00:00+01:00</updated>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>{long}</p><p>{long}</p>
  </div></content></entry>
</feed>"""


async def test_atom_feed_links_content_and_dates(site: Site, fetcher: Fetcher) -> None:
    long = PARA.format(topic="law", hours=6)
    site.add("/atom.xml", ATOM.format(base=site.url("").rstrip("/"), long=long),
             ctype="application/atom+xml")
    site.add("/blog/posts/clinic", article("Clinic", "clinic"))
    result = await collect(spec("atom", site.url("/atom.xml")), fetcher)
    assert result.errors == []
    clinic, xhtml = result.items
    assert clinic.url == site.url("/blog/posts/clinic") and clinic.title == "Clinic & SMS"
    assert "clinic business" in clinic.text and clinic.author == "Ann"
    assert clinic.published_at == datetime(2024, 1, 2, 10, 0)
    assert xhtml.url == site.url("/blog/posts/xhtml") and xhtml.text.count("law business") == 2
    assert xhtml.published_at == datetime(2024, 1, 3, 9, 0)
    assert site.count("/blog/posts/xhtml") == 0


async def test_feed_304_and_article_304(site: Site, tmp_path: Path) -> None:
    long = PARA.format(topic="dental", hours=4)
    site.add("/feed.xml", RSS.format(base="", long=long), ctype="application/rss+xml", etag='"f1"')
    site.add("/a/bakery", article("Bakery", "bakery"), etag='"a1"')
    site.add("/a/plumber", article("Plumber", "plumbing"), etag='"a2"')
    async with make_fetcher(tmp_path, cache=MemoryCache()) as fetcher:
        first = await collect(spec("rss", site.url("/feed.xml")), fetcher)
        assert len(first.items) == 3 and first.unchanged == 0
        again = await collect(spec("rss", site.url("/feed.xml")), fetcher)
        assert again == SourceResult(items=[], not_modified=True)
        site.routes["/feed.xml"].etag = '"f2"'  # the feed changed, its articles did not
        changed = await collect(spec("rss", site.url("/feed.xml")), fetcher)
    assert changed.unchanged == 2 and [i.title for i in changed.items] == ["Full text inside"]


async def test_broken_article_is_an_error_entry_not_a_failure(site: Site,
                                                              fetcher: Fetcher) -> None:
    items = "".join(f"<item><title>T{i}</title><link>/a/{i}</link></item>" for i in range(4))
    site.add("/feed.xml", f"<rss><channel><title>x</title>{items}</channel></rss>",
             ctype="application/rss+xml")
    for i in (0, 1, 3):
        site.add(f"/a/{i}", article(f"T{i}", "bakery"))
    site.add("/a/2", "boom", status=500, ctype="text/plain")
    result = await collect(spec("rss", site.url("/feed.xml"), concurrency=2), fetcher)
    assert [item.title for item in result.items] == ["T0", "T1", "T3"]
    assert len(result.errors) == 1
    assert site.url("/a/2") in result.errors[0] and "500" in result.errors[0]


async def test_robots_rules_apply_to_articles(site: Site, tmp_path: Path) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", ctype="text/plain")
    site.add("/feed.xml", "<rss><channel><item><title>A</title><link>/a/ok</link></item>"
             "<item><title>B</title><link>/private/no</link></item></channel></rss>",
             ctype="application/rss+xml")
    site.add("/a/ok", article("A", "bakery"))
    site.add("/private/no", article("B", "bakery"))
    async with make_fetcher(tmp_path, fetch_respect_robots=True) as fetcher:
        result = await collect(spec("rss", site.url("/feed.xml")), fetcher)
    assert [i.title for i in result.items] == ["A"]
    assert "robots" in result.errors[0] and site.count("/private/no") == 0


async def test_malformed_feeds(site: Site, fetcher: Fetcher) -> None:
    site.add("/garbage.xml", "this is <<< not xml at all &&", ctype="application/rss+xml")
    with pytest.raises(SourceError, match="malformed feed XML"):
        await collect(spec("rss", site.url("/garbage.xml")), fetcher)
    site.add("/json.xml", '{"not": "a feed"}', ctype="application/xml")
    with pytest.raises(SourceError, match="malformed feed XML|not an RSS/Atom feed"):
        await collect(spec("rss", site.url("/json.xml")), fetcher)
    site.add("/other.xml", "<urlset><url><loc>x</loc></url></urlset>", ctype="application/xml")
    with pytest.raises(SourceError, match="not an RSS/Atom feed"):
        await collect(spec("rss", site.url("/other.xml")), fetcher)
    with pytest.raises(SourceError, match="cannot fetch source: http status 404"):
        await collect(spec("rss", site.url("/missing.xml")), fetcher)
    long = PARA.format(topic="shop", hours=2)
    site.add("/sloppy.xml", f"<rss><channel><item><title>Caf&eacute; &nbsp;</title>"
             f"<link>/a/1</link><description>{long}{long}</description></item></channel></rss>",
             ctype="application/rss+xml")
    salvaged = await collect(spec("rss", site.url("/sloppy.xml")), fetcher)
    assert len(salvaged.items) == 1 and "shop business" in salvaged.items[0].text
    assert "salvaged" in salvaged.errors[0]


async def test_html_page_leads_to_its_advertised_feed(site: Site, fetcher: Fetcher) -> None:
    site.add("/", '<html><head><link rel="alternate" type="application/rss+xml" '
             'href="/feed.xml"></head><body>home</body></html>')
    long = PARA.format(topic="salon", hours=2) * 3
    site.add("/feed.xml", f"<rss><channel><item><title>S</title><link>/s</link>"
             f"<description>{long}</description></item></channel></rss>",
             ctype="application/rss+xml")
    result = await collect(spec("rss", site.url("/")), fetcher)
    assert [i.url for i in result.items] == [site.url("/s")]


# ----------------------------------------------------------------------------- hackernews


async def test_hackernews_firebase(site: Site, fetcher: Fetcher) -> None:
    site.json("/v0/topstories.json", [1, 2, 3, 4, 5])
    site.json("/v0/item/1.json", {"id": 1, "type": "story", "by": "pg", "time": 1700000000,
                                  "title": "Automating bakery invoices",
                                  "url": site.url("/story/1"), "score": 120, "descendants": 45})
    site.json("/v0/item/2.json", {"id": 2, "type": "story", "by": "ann", "time": 1700000100,
                                  "title": "Ask HN: How do you automate quotes?",
                                  "text": "I run a <i>plumbing</i> shop.<p>Quotes take hours.",
                                  "score": 7, "descendants": 3})
    site.json("/v0/item/3.json", None)
    site.add("/v0/item/4.json", "{broken", ctype="application/json")
    site.json("/v0/item/5.json", {"id": 5, "type": "story", "title": "Dead link",
                                  "url": site.url("/story/missing")})
    site.add("/story/1", article("Bakery", "bakery"))
    result = await collect(spec("hackernews", site.url("/v0"), limit=10), fetcher)
    story, ask = result.items
    assert story.url == site.url("/story/1") and story.title == "Automating bakery invoices"
    assert "bakery business" in story.text and story.points == 120 and story.comments == 45
    assert story.author == "pg" and story.published_at == datetime(2023, 11, 14, 22, 13, 20)
    assert story.extra["discussion_url"] == "https://news.ycombinator.com/item?id=1"
    assert ask.url == "https://news.ycombinator.com/item?id=2"
    assert ask.text == "I run a plumbing shop.\nQuotes take hours." and ask.points == 7
    assert len(result.errors) == 2
    assert any("item/4.json" in e and "malformed JSON" in e for e in result.errors)
    assert any("/story/missing" in e and "404" in e for e in result.errors)


async def test_hackernews_list_limit_and_new_stories(site: Site, fetcher: Fetcher) -> None:
    site.json("/v0/newstories.json", [7, 8, 9])
    for i in (7, 8, 9):
        site.json(f"/v0/item/{i}.json", {"id": i, "title": f"Ask {i}", "text": "body"})
    result = await collect(spec("hackernews", site.url("/v0/"), list="newstories", limit=2),
                           fetcher)
    assert [i.title for i in result.items] == ["Ask 7", "Ask 8"]
    assert site.count("/v0/item/9.json") == 0


async def test_hackernews_algolia(site: Site, fetcher: Fetcher) -> None:
    site.json("/algolia/search", {"hits": [
        {"objectID": "11", "title": "Invoice OCR for small shops", "url": site.url("/story/11"),
         "author": "x", "points": 50, "num_comments": 9, "created_at_i": 1700000000},
        {"objectID": "12", "title": "Ask HN: scheduling?", "story_text": "We book by phone.",
         "author": "y", "points": 3, "num_comments": 1, "created_at_i": 1700000000},
        "junk"]})
    site.add("/story/11", article("OCR", "printing"))
    result = await collect(spec("hackernews", site.url("/v0"), query="invoice automation",
                                algolia_url=site.url("/algolia")), fetcher)
    assert [i.points for i in result.items] == [50, 3]
    assert "printing business" in result.items[0].text
    assert result.items[1].text == "We book by phone."
    assert "query=invoice+automation" in next(h for h in site.hits if "search" in h)
    assert len(result.errors) == 1


@pytest.mark.parametrize(("body", "reason"), [
    ("{not json", "malformed JSON"), ('{"ids": [1]}', "unexpected JSON shape"),
    ('["a", "b"]', "unexpected JSON shape")])
async def test_hackernews_bad_json(site: Site, fetcher: Fetcher, body: str, reason: str) -> None:
    site.add("/v0/topstories.json", body, ctype="application/json")
    with pytest.raises(SourceError, match=reason):
        await collect(spec("hackernews", site.url("/v0")), fetcher)
    site.json("/algolia/search", {"results": []})
    with pytest.raises(SourceError, match="hits"):
        await collect(spec("hackernews", site.url("/v0"), query="q",
                           algolia_url=site.url("/algolia")), fetcher)


# ----------------------------------------------------------------------------- reddit


def listing(*posts: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": p} for p in posts]}}


async def test_reddit_self_and_link_posts(site: Site, fetcher: Fetcher) -> None:
    site.json("/r/smallbusiness/.json", listing(
        {"id": "a1", "title": "How I automated payroll", "selftext": "We used to do it by hand.",
         "url": site.url("/r/smallbusiness/comments/a1/payroll/"), "is_self": True,
         "permalink": "/r/smallbusiness/comments/a1/payroll/", "author": "u1", "score": 42,
         "num_comments": 17, "created_utc": 1700000000.0},
        {"id": "a2", "title": "Great article on &amp; invoicing", "selftext": "",
         "url": site.url("/ext/invoicing"), "is_self": False,
         "permalink": "/r/smallbusiness/comments/a2/great/", "author": "u2", "score": 5,
         "num_comments": 2, "created_utc": 1700000500},
        {"id": "a3", "title": "Pinned rules", "selftext": "Be nice", "stickied": True,
         "permalink": "/r/smallbusiness/comments/a3/rules/", "is_self": True},
        {"id": "a4", "selftext": "no title"}))
    site.add("/ext/invoicing", article("Invoicing", "invoicing"))
    result = await collect(spec("reddit", site.url("/r/smallbusiness")), fetcher)
    self_post, link_post = result.items
    assert self_post.url == site.url("/r/smallbusiness/comments/a1/payroll/")
    assert self_post.text == "We used to do it by hand." and self_post.points == 42
    assert self_post.comments == 17 and self_post.published_at == datetime(2023, 11, 14, 22, 13, 20)
    assert link_post.url == site.url("/ext/invoicing") and "invoicing business" in link_post.text
    assert link_post.title == "Great article on & invoicing"
    assert link_post.extra["discussion_url"] == site.url("/r/smallbusiness/comments/a2/great/")
    assert len(result.errors) == 1 and "a4" in result.errors[0]
    assert any("raw_json=1" in h for h in site.hits)


async def test_reddit_listing_choice_and_bad_shapes(site: Site, fetcher: Fetcher) -> None:
    site.json("/r/x/new.json", listing())
    result = await collect(spec("reddit", site.url("/r/x/"), listing="new"), fetcher)
    assert result.items == [] and site.count("/r/x/new.json") == 1
    site.json("/r/y/.json", {"kind": "Listing", "data": {"after": None}})
    with pytest.raises(SourceError, match="unexpected JSON shape"):
        await collect(spec("reddit", site.url("/r/y")), fetcher)
    site.add("/r/z/.json", "<html>rate limited</html>", ctype="application/json")
    with pytest.raises(SourceError, match="malformed JSON"):
        await collect(spec("reddit", site.url("/r/z")), fetcher)


# ----------------------------------------------------------------------------- producthunt

LISTING = """<html><body><header><a href="/login">Log in</a></header>
<section class="products-list">
 <div data-product="1" class="item">
  <h3><a class="product-link" href="/posts/invoicely">Invoicely</a>
  </h3><p class="tagline">Invoices that chase themselves</p>
  <button class="vote-button">1.2K</button></div>
 <div data-product="2" class="item"><h3><a href="/posts/bookr">Bookr</a></h3>
  <p class="tagline">Appointments without phone tag</p><span class="votes">87</span></div>
 <div data-product="3" class="item"><h3><a href="/posts/gone">Gone</a></h3></div>
</section></body></html>"""


async def test_producthunt_listing(site: Site, fetcher: Fetcher) -> None:
    site.add("/ph", LISTING)
    site.add("/posts/invoicely", article("Invoicely", "accounting"))
    site.add("/posts/bookr", article("Bookr", "salon"))
    result = await collect(spec("producthunt", site.url("/ph")), fetcher)
    invoicely, bookr = result.items
    assert (invoicely.title, invoicely.points, invoicely.summary) == (
        "Invoicely", 1200, "Invoices that chase themselves")
    assert "accounting business" in invoicely.text and invoicely.url == site.url("/posts/invoicely")
    assert (bookr.title, bookr.points) == ("Bookr", 87)
    assert len(result.errors) == 1 and "/posts/gone" in result.errors[0]
    site.add("/empty", "<html><body><p>nothing here</p></body></html>")
    with pytest.raises(SourceError, match="no products"):
        await collect(spec("producthunt", site.url("/empty")), fetcher)


async def test_producthunt_feed_delegates_to_feed_logic(site: Site, fetcher: Fetcher) -> None:
    site.add("/feed", '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
             '<entry><title>Bookr</title><link rel="alternate" href="/posts/bookr"/>'
             "<content type='html'>&lt;p&gt;Appointments&lt;/p&gt;</content></entry></feed>",
             ctype="application/atom+xml")
    site.add("/posts/bookr", article("Bookr", "salon"))
    result = await collect(spec("producthunt", site.url("/feed")), fetcher)
    assert [i.title for i in result.items] == ["Bookr"]
    assert "salon business" in result.items[0].text


# ----------------------------------------------------------------------------- html, sitemap


async def test_html_single_page_and_follow(site: Site, fetcher: Fetcher) -> None:
    links = "".join(f'<a href="/case/{i}">case {i}</a> ' for i in range(5))
    site.add("/cases", article("Case studies", "consulting", links=links + '<a href="/x">x</a>'))
    for i in range(5):
        site.add(f"/case/{i}", article(f"Case {i}", f"trade{i}", date=f"2024-02-0{i + 1}T00:00Z"))
    single = await collect(spec("html", site.url("/cases")), fetcher)
    assert [i.title for i in single.items] == ["Case studies"]
    assert_clean(single.items[0].text)
    followed = await collect(spec("html", site.url("/cases"), follow=r"/case/\d+$", max_pages=3),
                             fetcher)
    assert [i.title for i in followed.items] == ["Case studies", "Case 0", "Case 1", "Case 2"]
    assert followed.items[2].published_at == datetime(2024, 2, 2)
    assert site.count("/case/4") == 0 and site.count("/x") == 0
    with pytest.raises(SourceError, match="regex"):
        await collect(spec("html", site.url("/cases"), follow="(unclosed"), fetcher)


async def test_sitemap_index_match_and_limit(site: Site, fetcher: Fetcher) -> None:
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    site.add("/sitemap.xml", f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {ns}>'
             f"<sitemap><loc>{site.url('/sm-blog.xml')}</loc></sitemap>"
             "<sitemap><loc>/sm-broken.xml</loc></sitemap></sitemapindex>",
             ctype="application/xml")
    urls = "".join(f"<url><loc>{site.url(f'/blog/{i}')}</loc><lastmod>2024-01-0{i}</lastmod></url>"
                   for i in range(1, 5))
    site.add("/sm-blog.xml", f"<urlset {ns}>{urls}<url><loc>{site.url('/about')}</loc></url>"
             "</urlset>", ctype="application/xml")
    site.add("/sm-broken.xml", "oops", status=500, ctype="text/plain")
    for i in range(1, 5):
        site.add(f"/blog/{i}", article(f"Blog {i}", "bakery"))
    result = await collect(spec("sitemap", site.url("/sitemap.xml"), match="/blog/", max_pages=3),
                           fetcher)
    assert [i.title for i in result.items] == ["Blog 4", "Blog 3", "Blog 2"]  # newest first
    assert result.items[0].published_at == datetime(2024, 1, 4)
    assert len(result.errors) == 1 and "sm-broken.xml" in result.errors[0]
    assert site.count("/about") == 0
    site.add("/bad.xml", "<html><body>not a sitemap</body></html>", ctype="text/html")
    with pytest.raises(SourceError, match="not a sitemap"):
        await collect(spec("sitemap", site.url("/bad.xml")), fetcher)


# ----------------------------------------------------------------------------- folder


async def test_folder_reads_documents_and_skips_the_rest(tmp_path: Path, fetcher: Fetcher) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.md").write_text("# Payroll notes\n\nWe pay 14 people by hand every month.\n")
    (docs / "b.txt").write_text("Scheduling woes\nThe salon books by phone.\n")
    (docs / "sub" / "c.html").write_bytes(
        b'<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><article>'
        b"<p>The caf\xe9 owner\x92s invoices arrive by fax every Monday morning.</p></article>"
        b"</body></html>")
    (docs / "d.txt").write_bytes(b"\x00\x01\x02binary junk")
    (docs / "e.png").write_bytes(b"\x89PNG\r\n")
    (docs / "big.md").write_text("# Big\n" + "x" * 5000)
    (docs / ".hidden.md").write_text("# secret")
    result = await collect(spec("folder", str(docs), max_bytes=4000), fetcher)
    assert [i.title for i in result.items] == ["Payroll notes", "Scheduling woes", "Caf\u00e9"]
    payroll, salon, cafe = result.items
    assert payroll.url == (docs / "a.md").resolve().as_uri() and payroll.url.startswith("file://")
    assert "14 people" in payroll.text and "books by phone" in salon.text
    assert "caf\u00e9 owner\u2019s invoices" in cafe.text
    assert len(result.errors) == 2
    assert any("big.md" in e and "limit" in e for e in result.errors)
    assert any("d.txt" in e and "binary" in e for e in result.errors)
    via_uri = await collect(spec("folder", docs.as_uri(), recursive=False), fetcher)
    assert [i.title for i in via_uri.items] == ["Payroll notes", "Scheduling woes", "Big"]
    with pytest.raises(SourceError, match="does not exist"):
        await collect(spec("folder", str(tmp_path / "nope")), fetcher)


# ----------------------------------------------------------------------------- registry


def test_registry_knows_every_kind() -> None:
    kinds = {"rss", "atom", "hackernews", "reddit", "producthunt", "html", "sitemap", "folder"}
    assert kinds <= set(ADAPTERS)
    assert get_adapter("atom") is get_adapter("rss")
    with pytest.raises(SourceError, match="unknown source kind"):
        get_adapter("gopher")

    @register_adapter("test-kind")
    class Custom:
        kind = "test-kind"

        async def collect(self, source: SourceSpec, fetcher: Fetcher) -> SourceResult:
            return SourceResult(items=[])

    try:
        assert isinstance(get_adapter("test-kind"), Custom)
    finally:
        ADAPTERS.pop("test-kind")


async def test_bad_config_is_a_source_error(site: Site, fetcher: Fetcher) -> None:
    with pytest.raises(SourceError, match="integer"):
        await collect(spec("hackernews", site.url("/v0"), limit="many"), fetcher)
    with pytest.raises(SourceError, match="unknown reddit listing"):
        await collect(spec("reddit", site.url("/r/x"), listing="sideways"), fetcher)
    with pytest.raises(SourceError, match="http"):
        await collect(spec("rss", "ftp://example.invalid/feed"), fetcher)
