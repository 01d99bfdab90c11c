"""The demo corpus is well-formed and the demo web answers like the channels it imitates.

Runs the real DemoServer on 127.0.0.1 and talks to it over HTTP with httpx.
"""

from __future__ import annotations

import difflib
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from reservoir.demo import (
    DemoServer,
    DemoSite,
    corpus_dir,
    demo_profiles,
    demo_sources,
    load_labels,
    load_site,
    newsletter_dir,
)

TYPES = ("lead_generation", "client_communication", "document_automation", "scheduling",
         "follow_up", "reporting", "marketing", "workflow_optimization")
FIELDS = ("hours_saved_week", "setup_hours", "tool_cost_month", "percent", "other")
KINDS = ("article", "duplicate", "near_duplicate", "no_automation", "injection", "non_english")
ATOM_NS = "{http://www.w3.org/2005/Atom}"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

LABELS: list[dict] = load_labels()["pages"]
WEB = [p for p in LABELS if not p["path"].startswith("folder:")]
FOLDER = [p for p in LABELS if p["path"].startswith("folder:")]
BY_SLUG = {p["slug"]: p for p in LABELS}


def norm(text: str) -> str:
    return " ".join(text.split())


def visible_text(markup: str) -> str:
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return norm(soup.get_text(" "))


def article_text(markup: str) -> str:
    soup = BeautifulSoup(markup, "html.parser")
    body = soup.find(attrs={"itemprop": "articleBody"})
    assert body is not None
    return norm(body.get_text(" "))


def quotes_of(label: dict) -> list[str]:
    quotes = [a["quote"] for a in label["automations"]]
    quotes += [n["quote"] for a in label["automations"] for n in a["numbers"]]
    if "injection_quote" in label:
        quotes.append(label["injection_quote"])
    return quotes


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as demo:
        yield demo


@pytest.fixture(scope="module")
def client(server: DemoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=5) as http:
        yield http


# ---------------------------------------------------------------------------- labels and files
def test_corpus_size_and_files() -> None:
    files = sorted(corpus_dir().glob("*.html"))
    assert len(files) >= 44
    assert len(WEB) >= 40
    assert len(FOLDER) == 3
    assert len({p["slug"] for p in LABELS}) == len(LABELS)
    assert len({p["path"] for p in LABELS}) == len(LABELS)
    manifest = {p["slug"]: p for p in load_site()["pages"]}
    assert set(manifest) == {p["slug"] for p in WEB}
    for label in WEB:
        assert (corpus_dir().parent / manifest[label["slug"]]["file"]).is_file()
        assert manifest[label["slug"]]["path"] == label["path"]
    for label in FOLDER:
        assert (newsletter_dir() / label["path"].removeprefix("folder:")).is_file()
    assert {Path(p["path"]).suffix for p in FOLDER} == {".md", ".txt", ".html"}


def test_label_schema() -> None:
    for label in LABELS:
        assert set(label) >= {"slug", "path", "title", "industry", "language", "kind",
                              "duplicate_of", "automations"}
        assert label["kind"] in KINDS
        for auto in label["automations"]:
            assert auto["automation_type"] in TYPES
            assert auto["tools"] and all(isinstance(t, str) for t in auto["tools"])
            assert auto["quote"] and "\n" not in auto["quote"]
            for number in auto["numbers"]:
                assert number["field"] in FIELDS
                assert isinstance(number["value"], float)
                digits = number["quote"].replace(",", "")
                assert re.search(rf"(?<![\d.]){int(number['value'])}(?![\d])", digits), number


def test_each_automation_type_is_used_at_least_three_times() -> None:
    counts = Counter(a["automation_type"] for p in LABELS for a in p["automations"])
    assert all(counts[t] >= 3 for t in TYPES), counts


def test_special_pages_are_labelled() -> None:
    kinds = Counter(p["kind"] for p in LABELS)
    assert kinds["duplicate"] == 3 and kinds["near_duplicate"] == 3
    assert kinds["no_automation"] == 2 and kinds["injection"] == 1
    assert kinds["non_english"] >= 1
    for label in LABELS:
        if label["kind"] in ("duplicate", "near_duplicate"):
            original = BY_SLUG[label["duplicate_of"]]
            assert original["kind"] == "article"
            assert label["automations"] == original["automations"]
            assert label["path"] != original["path"]
        else:
            assert label["duplicate_of"] is None
        if label["kind"] == "no_automation":
            assert label["automations"] == []
        if label["kind"] == "non_english":
            assert label["language"] != "en" and label["automations"]
    injection = next(p for p in LABELS if p["kind"] == "injection")
    assert "ignore all previous instructions" in injection["injection_quote"].lower()
    assert "http://evil.example" in injection["injection_quote"]
    assert injection["automations"]


# ---------------------------------------------------------------------------- page text
def test_every_quote_is_verbatim_in_the_visible_page_text(client: httpx.Client) -> None:
    for label in WEB:
        response = client.get(label["path"])
        assert response.status_code == 200, label["path"]
        assert response.headers["content-type"].startswith("text/html; charset=")
        text = visible_text(response.text)
        for quote in quotes_of(label):
            assert norm(quote) in text, (label["slug"], quote)
        for auto in label["automations"]:
            for tool in auto["tools"]:
                assert tool in text, (label["slug"], tool)
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.title and soup.title.string
        assert soup.find("link", rel="canonical") is not None


def test_every_quote_is_verbatim_in_the_newsletter_files() -> None:
    for label in FOLDER:
        raw = (newsletter_dir() / label["path"].removeprefix("folder:")).read_text("utf-8")
        text = visible_text(raw) if label["path"].endswith(".html") else norm(raw)
        for quote in quotes_of(label):
            assert norm(quote) in text, (label["slug"], quote)


def test_pages_carry_messy_chrome_and_metadata(client: httpx.Client) -> None:
    styles: Counter = Counter()
    for label in WEB:
        markup = client.get(label["path"]).text
        assert "<script" in markup and "<style" in markup
        assert "cookie" in markup.lower()
        styles["meta"] += 'property="article:published_time"' in markup
        styles["jsonld"] += '"datePublished"' in markup
        styles["time"] += "<time datetime=" in markup
        styles["tables"] += "<table" in markup
    assert all(styles[k] >= 3 for k in ("meta", "jsonld", "time", "tables")), styles


def test_duplicates_share_article_text_and_near_duplicates_differ(client: httpx.Client) -> None:
    for label in WEB:
        if label["kind"] not in ("duplicate", "near_duplicate"):
            continue
        original = BY_SLUG[label["duplicate_of"]]
        copy_page = client.get(label["path"]).text
        original_page = client.get(original["path"]).text
        assert copy_page != original_page  # different chrome
        a, b = article_text(copy_page), article_text(original_page)
        if label["kind"] == "duplicate":
            assert a == b, label["slug"]
        else:
            assert a != b
            assert difflib.SequenceMatcher(None, a, b).ratio() > 0.9
            assert label["title"] != original["title"]


def test_windows_1252_page_decodes(client: httpx.Client) -> None:
    page = next(p for p in load_site()["pages"] if p["charset"] == "windows-1252")
    response = client.get(page["path"])
    assert "charset=windows-1252" in response.headers["content-type"]
    raw = response.content
    assert b"\x80" in raw and b"\xe9" in raw and b"\x92" in raw  # euro sign, e-acute, apostrophe
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "€" in response.text and "é" in response.text and "\u2019" in response.text
    assert "charset=windows-1252" in raw.decode("cp1252")
    label = BY_SLUG[page["slug"]]
    assert any("é" in q or "€" in q for q in quotes_of(label))


# ---------------------------------------------------------------------------- feeds and APIs
def test_rss_feed(client: httpx.Client, server: DemoServer) -> None:
    response = client.get("/feed.xml")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(response.content).find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert len(items) >= 10
    relative = 0
    for item in items:
        tags = {child.tag for child in item}
        assert tags == {"title", "link", "pubDate", "description", "guid"}
        link = item.findtext("link") or ""
        relative += not link.startswith("http")
        resolved = urljoin(server.base_url + "/feed.xml", link)
        assert client.get(resolved).status_code == 200
    assert relative >= 2


def test_atom_feeds_and_sitemap_parse(client: httpx.Client, server: DemoServer) -> None:
    for path in ("/atom.xml", "/producthunt/feed.xml"):
        response = client.get(path)
        assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
        root = ET.fromstring(response.content)
        entries = root.findall(f"{ATOM_NS}entry")
        assert entries
        for entry in entries:
            href = entry.find(f"{ATOM_NS}link").get("href")
            assert href.startswith(server.base_url + "/")
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    urls = sitemap.findall(f"{SITEMAP_NS}url")
    assert len(urls) >= 10
    assert all(u.findtext(f"{SITEMAP_NS}lastmod") for u in urls)
    robots = client.get("/robots.txt")
    assert robots.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Disallow: /private/" in robots.text
    assert f"Sitemap: {server.base_url}/sitemap.xml" in robots.text


def test_hacker_news_shapes(client: httpx.Client, server: DemoServer) -> None:
    top = client.get("/hn/v0/topstories.json").json()
    new = client.get("/hn/v0/newstories.json").json()
    assert top and all(isinstance(i, int) for i in top) and set(top) == set(new)
    times = []
    for item_id in new:
        item = client.get(f"/hn/v0/item/{item_id}.json").json()
        assert {"id", "type", "by", "time", "title", "url", "score", "descendants"} <= set(item)
        assert item["type"] == "story" and item["id"] == item_id
        assert item["url"].startswith(server.base_url + "/")
        times.append(item["time"])
    assert times == sorted(times, reverse=True)
    assert client.get("/hn/v0/item/1.json").json() is None


def test_algolia_search_filters_by_query_words(client: httpx.Client) -> None:
    everything = client.get("/hn/api/v1/search", params={"query": ""}).json()
    keys = {"objectID", "title", "url", "author", "points", "num_comments", "created_at_i",
            "story_text"}
    assert everything["hits"] and all(keys <= set(h) for h in everything["hits"])
    hits = client.get("/hn/api/v1/search", params={"query": "klaviyo flows"}).json()["hits"]
    assert hits and all("klaviyo" in (h["title"] + h["url"]).lower() for h in hits)
    assert len(hits) < len(everything["hits"])
    none = client.get("/hn/api/v1/search", params={"query": "xylophone zebra"}).json()
    assert none["hits"] == [] and none["nbHits"] == 0
    newest = everything["hits"][0]["created_at_i"]
    recent = client.get("/hn/api/v1/search_by_date",
                        params={"query": "", "numericFilters": f"created_at_i>{newest - 1}"})
    assert all(h["created_at_i"] >= newest for h in recent.json()["hits"])


def test_reddit_listing_shapes(client: httpx.Client, server: DemoServer) -> None:
    keys = {"id", "title", "selftext", "url", "permalink", "author", "score", "num_comments",
            "created_utc", "is_self"}
    selfposts = 0
    for sub in ("smallbusiness", "nocode"):
        for path in (f"/r/{sub}/.json", f"/r/{sub}/new.json"):
            listing = client.get(path).json()
            assert listing["kind"] == "Listing"
            children = listing["data"]["children"]
            assert children
            for child in children:
                assert child["kind"] == "t3" and keys <= set(child["data"])
                data = child["data"]
                assert data["url"].startswith(server.base_url + "/")
                if data["is_self"]:
                    selfposts += 1
                    assert len(data["selftext"].split()) > 200
                    assert data["url"] == server.base_url + data["permalink"]
                else:
                    assert data["selftext"] == ""
        created = [c["data"]["created_utc"] for c in
                   client.get(f"/r/{sub}/new.json").json()["data"]["children"]]
        assert created == sorted(created, reverse=True)
    assert selfposts >= 4
    assert client.get("/r/doesnotexist/.json").status_code == 404


def test_producthunt_listing(client: httpx.Client, server: DemoServer) -> None:
    soup = BeautifulSoup(client.get("/producthunt/").text, "html.parser")
    products = soup.select("li.product")
    assert len(products) >= 3
    for product in products:
        assert product.select_one(".product-name").get_text(strip=True)
        assert product.select_one(".product-tagline").get_text(strip=True)
        assert int(product.select_one(".votes").get_text()) > 0
        assert product.select_one("a.product-link")["href"].startswith(server.base_url)


def test_channels_together_cover_every_page(client: httpx.Client, server: DemoServer) -> None:
    base = server.base_url
    seen: set[str] = set()

    def add(url: str) -> None:
        seen.add(urlsplit(url).path)

    for source in demo_sources(base):
        kind, url, config = source["kind"], source["url"], source["config"]
        if kind == "rss":
            for item in ET.fromstring(client.get(url).content).iter("item"):
                add(urljoin(url, item.findtext("link") or ""))
        elif kind in ("atom", "producthunt"):
            for entry in ET.fromstring(client.get(url).content).iter(f"{ATOM_NS}entry"):
                add(entry.find(f"{ATOM_NS}link").get("href"))
        elif kind == "hackernews":
            ids = client.get(f"{url}/{config['list']}.json").json()[: config["limit"]]
            for item_id in ids:
                add(client.get(f"{url}/item/{item_id}.json").json()["url"])
        elif kind == "reddit":
            listing = client.get(f"{url}/{config['listing']}.json",
                                 params={"limit": config["limit"]}).json()
            for child in listing["data"]["children"]:
                add(child["data"]["url"])
        elif kind == "sitemap":
            for loc in ET.fromstring(client.get(url).content).iter(f"{SITEMAP_NS}loc"):
                add(loc.text or "")
        elif kind == "html":
            assert client.get(url).status_code == 200
            add(url)
        elif kind == "folder":
            seen.update(f"folder:{p.name}" for p in Path(url).iterdir())
        else:
            raise AssertionError(kind)
    assert {p["path"] for p in LABELS} <= seen


def test_absolute_urls_follow_the_request_host(client: httpx.Client) -> None:
    response = client.get("/atom.xml", headers={"Host": "demo.example:8123"})
    assert "http://demo.example:8123/articles/" in response.text
    assert "127.0.0.1" not in response.text


# ---------------------------------------------------------------------------- HTTP semantics
@pytest.mark.parametrize("path", ["/articles/skincare-klaviyo-flows.html", "/feed.xml",
                                  "/atom.xml", "/sitemap.xml", "/hn/v0/topstories.json",
                                  "/r/smallbusiness/new.json", "/producthunt/feed.xml"])
def test_conditional_get_answers_304(client: httpx.Client, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_etag = client.get(path, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_etag.headers["etag"] == etag
    by_date = client.get(path, headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = client.get(path, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.content == first.content
    old = format_datetime(datetime(2001, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": old}).status_code == 200


def test_unknown_paths_are_404(client: httpx.Client) -> None:
    for path in ("/nope", "/articles/missing.html", "/hn/v0/unknown.json", "/feed.xml/extra"):
        response = client.get(path)
        assert response.status_code == 404
        assert "charset=" in response.headers["content-type"]


def test_head_and_query_strings(client: httpx.Client) -> None:
    head = client.head("/articles/skincare-klaviyo-flows.html")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 1000
    tracked = client.get("/articles/skincare-klaviyo-flows.html?utm_source=rss")
    assert tracked.status_code == 200


def test_mock_transport_matches_the_server() -> None:
    with httpx.Client(transport=DemoSite().mock_transport(), base_url="http://demo.local") as http:
        feed = http.get("/feed.xml")
        assert feed.status_code == 200 and "http://demo.local/articles/" in feed.text
        assert http.get("/feed.xml", headers={"If-None-Match": feed.headers["etag"]}).status_code \
            == 304


# ---------------------------------------------------------------------------- helpers
def test_demo_sources_and_profiles() -> None:
    sources = demo_sources("http://127.0.0.1:9999/")
    kinds = {s["kind"] for s in sources}
    assert {"rss", "atom", "hackernews", "reddit", "producthunt", "sitemap", "html",
            "folder"} <= kinds
    assert len({s["name"] for s in sources}) == len(sources)
    assert all(set(s) == {"name", "kind", "url", "config"} for s in sources)
    assert "folder" not in {s["kind"] for s in demo_sources("http://x", include_folder=False)}
    profiles = demo_profiles()
    assert len(profiles) == 2
    for profile in profiles:
        assert set(profile) >= {"name", "industry", "team_size", "hourly_rate", "current_tools",
                                "challenges", "goals"}
        assert profile["team_size"] >= 1 and profile["hourly_rate"] > 0
