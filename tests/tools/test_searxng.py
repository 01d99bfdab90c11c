"""Search tools on loopback fixture servers: SearxNG's JSON API, Reddit search and site search
over a sitemap. Bad answers (malformed JSON, 429, 403, timeouts) are clear SourceErrors; a
result pointing at a private address is refused by the SSRF guard and recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reservoir.tools.fetch import Fetcher
from reservoir.tools.sources import SourceError, SourceSpec, collect, needs_query, searchable
from tests.tools.conftest import LoopbackServer
from tests.tools.test_sources import article

JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def searx_answer(query: str, urls: Sequence[str]) -> dict[str, Any]:
    """The shape SearxNG's /search?format=json returns (fields it always sends)."""
    return {"query": query, "number_of_results": len(urls), "results": [
        {"url": url, "title": f"Result {i}", "content": f"Snippet {i} about {query}",
         "engine": "duckduckgo", "engines": ["duckduckgo", "brave"], "positions": [i + 1],
         "score": 1.0 / (i + 1), "category": "general", "publishedDate": None,
         "parsed_url": list(urlsplit(url)) + [""]}
        for i, url in enumerate(urls)],
        "answers": [], "corrections": [], "infoboxes": [], "suggestions": [],
        "unresponsive_engines": []}


def params(server: LoopbackServer, path: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(hit.path).query) for hit in server.hits_for(path)]


@pytest.fixture
def fetcher_for(make_settings: Callable[..., Any]) -> Callable[..., Fetcher]:
    def make(**overrides: Any) -> Fetcher:
        return Fetcher(make_settings(fetch_respect_robots=False, **overrides))
    return make


async def test_searxng_results_are_fetched_with_the_source_options(
        server: LoopbackServer, fetcher_for: Callable[..., Fetcher]) -> None:
    pages = [server.url(f"/p/{i}") for i in range(4)]
    server.route("/search", body=json.dumps(searx_answer("dental no-shows", pages)).encode(),
                 headers=JSON)
    for i in range(4):
        server.route(f"/p/{i}", body=article(f"Page {i}", "dental"), headers=HTML)
    spec = SourceSpec(name="searx", kind="searxng", url=server.url("/"), config={
        "query": "dental no-shows", "categories": ["general", "news"], "language": "en",
        "time_range": "month", "limit": 2}, known=lambda keys: {pages[0]})
    async with fetcher_for() as fetcher:
        result = await collect(spec, fetcher)
    assert params(server, "/search") == [{
        "q": ["dental no-shows"], "format": ["json"], "categories": ["general,news"],
        "language": ["en"], "time_range": ["month"]}]
    # The known page is set aside before the limit: the next two are taken, one is left.
    assert [item.url for item in result.items] == pages[1:3]
    assert (result.known, result.left, result.errors) == (1, 1, [])
    assert "dental business" in result.items[0].text
    assert result.items[0].extra["listing_key"] == pages[1]
    assert server.hits_for("/p/0") == [] and server.hits_for("/p/3") == []


@pytest.mark.parametrize("reply,message", [
    ({"body": b"<html>not json</html>", "headers": JSON}, "malformed JSON"),
    ({"body": b'{"answers": []}', "headers": JSON}, "unexpected JSON shape"),
    ({"status": 429, "body": b"too many", "headers": {"Retry-After": "0"}}, "http status 429"),
    ({"status": 403, "body": b"forbidden"}, "json format enabled"),
    ({"body": b"{}", "headers": JSON, "delay": 3.0}, "timed out"),
])
async def test_bad_searxng_answers_are_clear_errors(
        server: LoopbackServer, fetcher_for: Callable[..., Fetcher], reply: dict[str, Any],
        message: str) -> None:
    server.route("/search", reply)
    spec = SourceSpec(name="searx", kind="searxng", url=server.url(""), config={"query": "x"})
    async with fetcher_for(fetch_timeout=1.0, fetch_retries=1) as fetcher:
        with pytest.raises(SourceError, match=message) as caught:
            await collect(spec, fetcher)
    assert "searxng" in str(caught.value) or "JSON" in str(caught.value)


async def test_searxng_needs_a_query_and_results_obey_the_ssrf_guard(
        server: LoopbackServer, fetcher_for: Callable[..., Fetcher]) -> None:
    spec = SourceSpec(name="searx", kind="searxng", url=server.url("/"))
    async with fetcher_for() as fetcher:
        with pytest.raises(SourceError, match="answers queries"):
            await collect(spec, fetcher)
        urls = ["http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/admin",
                "ftp://files.test/x", server.url("/ok")]
        server.route("/search", body=json.dumps(searx_answer("q", urls)).encode(), headers=JSON)
        server.route("/ok", body=article("Fine", "bakery"), headers=HTML)
        spec.config["query"] = "q"
        result = await collect(spec, fetcher)
    assert [item.url for item in result.items] == [server.url("/ok")]
    refused = [e for e in result.errors if "169.254.169.254" in e or "10.1.2.3" in e]
    assert len(refused) == 2 and all("unsafe address" in e for e in refused), \
        result.errors
    assert any("without an http(s) url" in e for e in result.errors)


def test_which_sources_answer_queries() -> None:
    assert searchable("searxng", {}) and needs_query("searxng")
    assert not searchable("searxng", {"searchable": False})
    assert searchable("hackernews", {"algolia_url": "http://x"})
    assert not searchable("hackernews", {})
    assert searchable("reddit", {"searchable": True}) and not searchable("reddit", {})
    assert searchable("sitemap", {"searchable": True}) and not searchable("rss", {"searchable": True})
    assert not needs_query("reddit")


async def test_reddit_search_is_restricted_to_the_subreddit(
        server: LoopbackServer, fetcher_for: Callable[..., Fetcher]) -> None:
    post = {"id": "q1", "title": "No-shows dropped after SMS reminders",
            "selftext": "Our dental office texts patients two days ahead.", "is_self": True,
            "permalink": "/r/dental/comments/q1/noshows/", "created_utc": 1733000000}
    server.route("/r/dental/search.json", headers=JSON, body=json.dumps(
        {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": post}]}}).encode())
    spec = SourceSpec(name="r", kind="reddit", url=server.url("/r/dental"),
                      config={"query": "dental no-shows"})
    async with fetcher_for() as fetcher:
        result = await collect(spec, fetcher)
    assert [item.title for item in result.items] == ["No-shows dropped after SMS reminders"]
    (sent,) = params(server, "/r/dental/search.json")
    assert sent["q"] == ["dental no-shows"] and sent["restrict_sr"] == ["1"]


SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/blog/dental-reminder-texts-cut-no-shows</loc><lastmod>2024-05-01</lastmod></url>
<url><loc>{base}/blog/bakery-invoices</loc><lastmod>2024-06-01</lastmod></url>
<url><loc>{base}/news/4711</loc><news:news><news:title>How a dental clinic halved its
  no-shows</news:title></news:news></url>
<url><loc>{base}/blog/dental-whitening-prices</loc></url>
</urlset>"""


async def test_site_search_over_a_sitemap(server: LoopbackServer,
                                          fetcher_for: Callable[..., Fetcher]) -> None:
    base = server.url("").rstrip("/")
    server.route("/sitemap.xml", body=SITEMAP.format(base=base).encode(),
                 headers={"Content-Type": "application/xml"})
    for path in ("/blog/dental-reminder-texts-cut-no-shows", "/news/4711",
                 "/blog/bakery-invoices", "/blog/dental-whitening-prices"):
        server.route(path, body=article(path, "dental"), headers=HTML)
    spec = SourceSpec(name="site", kind="sitemap", url=server.url("/sitemap.xml"),
                      config={"query": "dental no-shows reminders"})
    async with fetcher_for() as fetcher:
        result = await collect(spec, fetcher)
    found = [urlsplit(item.extra["listing_key"]).path for item in result.items]
    # Both pages matching most query words, by url words or by their sitemap title; the
    # whitening page matches one word of three and the bakery page none.
    assert found == ["/blog/dental-reminder-texts-cut-no-shows", "/news/4711"]
    assert server.hits_for("/blog/bakery-invoices") == []
