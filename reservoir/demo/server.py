"""A small local web for the offline demo: article pages, RSS/Atom feeds, sitemap, robots.txt,
and Hacker News-, Reddit- and Product Hunt-shaped endpoints, all built from the shipped corpus.

Absolute urls are built from the request's Host header, so the server works on any port.
Every 200 answer carries an ETag and a Last-Modified header; conditional requests get a 304.

Over 400 lines: `DemoSite` renders every endpoint shape of the demo web from one corpus.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

DEMO_DIR = Path(__file__).resolve().parent

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

_STEM = re.compile(r"(ations|ation|ings|ing|ers|er|ed|es|s)$")
_WORD = re.compile(r"[a-z0-9]+")
_PRIVATE_PAGE = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Drafts (private)</title></head>"
    "<body><h1>Unpublished drafts</h1><p>This area is excluded by robots.txt. "
    "Crawlers that respect robots.txt never fetch it.</p></body></html>"
)


@dataclass
class Response:
    """One HTTP answer of the demo web."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    etag: str | None = None
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def header_items(self) -> list[tuple[str, str]]:
        items = [("Content-Type", self.content_type)]
        if self.etag:
            items.append(("ETag", self.etag))
        if self.last_modified:
            items.append(("Last-Modified", format_datetime(self.last_modified, usegmt=True)))
        items.extend(self.headers.items())
        return items


def _parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _stem(word: str) -> str:
    return _STEM.sub("", word) if len(word) > 4 else word


def _matches(words: list[str], text: str) -> bool:
    """Algolia-like: every query word must prefix-match some word of the text (crude stemming)."""
    tokens = {_stem(t) for t in _WORD.findall(text.lower())}
    for word in words:
        w = _stem(word)
        if not any(t.startswith(w) or (len(t) >= 4 and w.startswith(t)) for t in tokens):
            return False
    return True


class DemoSite:
    """Builds every response of the demo web from the shipped files; knows nothing of sockets."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or DEMO_DIR
        manifest = json.loads((self.root / "site.json").read_text(encoding="utf-8"))
        self.pages: list[dict[str, Any]] = manifest["pages"]
        self.by_path = {p["path"]: p for p in self.pages}
        self.hn_items = {p["hn"]["id"]: p for p in self.pages if p["hn"]}
        self._bodies: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.site_modified = max(_parse_iso(p["modified"]) for p in self.pages)

    # ------------------------------------------------------------------ dispatch
    def respond(self, method: str, target: str, headers: Mapping[str, str],
                base_url: str) -> Response:
        """Answer one request; `target` is the path with its query string."""
        if method not in ("GET", "HEAD"):
            return Response(405, b"method not allowed", TEXT, headers={"Allow": "GET, HEAD"})
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        base = base_url.rstrip("/")
        resp = self._route(path, query, base)
        if resp.status == 200:
            if resp.etag is None:
                resp.etag = '"' + hashlib.sha1(resp.body).hexdigest()[:20] + '"'
            if resp.last_modified is None:
                resp.last_modified = self.site_modified
            if _not_modified(resp, headers):
                return Response(304, b"", resp.content_type, resp.etag, resp.last_modified)
        return resp

    def _route(self, path: str, query: dict[str, list[str]], base: str) -> Response:
        if path in self.by_path:
            return self._page(self.by_path[path])
        simple: dict[str, Callable[[], Response]] = {
            "/": lambda: self._home(base),
            "/robots.txt": lambda: self._robots(base),
            "/sitemap.xml": lambda: self._sitemap(base),
            "/feed.xml": lambda: self._rss(base),
            "/atom.xml": lambda: self._atom(base),
            "/hn/v0/topstories.json": lambda: self._hn_list("top"),
            "/hn/v0/beststories.json": lambda: self._hn_list("top"),
            "/hn/v0/newstories.json": lambda: self._hn_list("new"),
            "/hn/api/v1/search": lambda: self._algolia(query, base, by_date=False),
            "/hn/api/v1/search_by_date": lambda: self._algolia(query, base, by_date=True),
            "/producthunt/": lambda: self._producthunt_html(base),
            "/producthunt": lambda: self._producthunt_html(base),
            "/producthunt/feed.xml": lambda: self._producthunt_atom(base),
        }
        if path in simple:
            return simple[path]()
        if m := re.fullmatch(r"/hn/v0/item/(\d+)\.json", path):
            return self._hn_item(int(m.group(1)), base)
        if m := re.fullmatch(r"/r/([A-Za-z0-9_]+)/?\.json", path):
            return self._reddit(m.group(1), "hot", query, base)
        if m := re.fullmatch(r"/r/([A-Za-z0-9_]+)/(new|hot|top)\.json", path):
            return self._reddit(m.group(1), m.group(2), query, base)
        if path.startswith("/private/"):
            return Response(200, _PRIVATE_PAGE.encode(), HTML)
        return Response(404, b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>",
                        HTML)

    # ------------------------------------------------------------------ pages
    def page_bytes(self, page: dict[str, Any]) -> bytes:
        """The raw bytes of a corpus page, in its own charset."""
        with self._lock:
            if page["file"] not in self._bodies:
                self._bodies[page["file"]] = (self.root / page["file"]).read_bytes()
            return self._bodies[page["file"]]

    def _page(self, page: dict[str, Any]) -> Response:
        return Response(200, self.page_bytes(page), f"text/html; charset={page['charset']}",
                        last_modified=_parse_iso(page["modified"]))

    def _link(self, page: dict[str, Any], base: str) -> str:
        return base + page["path"]

    def _latest(self, pages: list[dict[str, Any]]) -> datetime:
        return max((_parse_iso(p["modified"]) for p in pages), default=self.site_modified)

    def _home(self, base: str) -> Response:
        recent = sorted(self.pages, key=lambda p: p["published"], reverse=True)[:12]
        items = "".join(f'<li><a href="{html.escape(p["path"])}">{html.escape(p["title"])}</a></li>'
                        for p in recent)
        body = (
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Reservoir demo web</title>"
            '<link rel="alternate" type="application/rss+xml" title="Demo RSS" href="/feed.xml">'
            '<link rel="alternate" type="application/atom+xml" title="Demo Atom" href="/atom.xml">'
            "</head><body><h1>Reservoir demo web</h1>"
            "<p>An offline corpus of small-business automation stories.</p>"
            '<ul><li><a href="/feed.xml">RSS</a></li><li><a href="/atom.xml">Atom</a></li>'
            '<li><a href="/sitemap.xml">Sitemap</a></li><li><a href="/producthunt/">Launches</a>'
            '</li><li><a href="/hn/v0/topstories.json">HN top stories</a></li>'
            '<li><a href="/r/smallbusiness/.json">r/smallbusiness</a></li></ul>'
            f"<h2>Recent</h2><ul>{items}</ul></body></html>"
        )
        return Response(200, body.encode(), HTML)

    def _robots(self, base: str) -> Response:
        body = f"User-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
        return Response(200, body.encode(), TEXT)

    def _sitemap(self, base: str) -> Response:
        pages = [p for p in self.pages if p["sitemap"]]
        urls = "".join(
            f"<url><loc>{xml_escape(self._link(p, base))}</loc>"
            f"<lastmod>{p['modified'][:10]}</lastmod></url>\n" for p in pages)
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{urls}</urlset>\n")
        return Response(200, body.encode(), XML, last_modified=self._latest(pages))

    # ------------------------------------------------------------------ feeds
    def _rss(self, base: str) -> Response:
        pages = sorted((p for p in self.pages if p["rss"]), key=lambda p: p["published"],
                       reverse=True)
        items = []
        for p in pages:
            mode = p["rss"]
            if mode == "relative":
                link = p["path"].lstrip("/")  # resolved against the feed url
            elif mode == "utm":
                link = self._link(p, base) + "?utm_source=rss&utm_medium=feed"
            else:
                link = self._link(p, base)
            pub = format_datetime(_parse_iso(p["published"]), usegmt=True)
            items.append(
                f"<item><title>{xml_escape(p['title'])}</title><link>{xml_escape(link)}</link>"
                f"<pubDate>{pub}</pubDate><description>{xml_escape(p['summary'])}</description>"
                f'<guid isPermaLink="false">demo-{p["slug"]}</guid></item>')
        latest = self._latest(pages)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            "<title>Small Business Automation Stories</title>\n"
            f"<link>{xml_escape(base)}/</link>\n"
            f'<atom:link href="{xml_escape(base)}/feed.xml" rel="self" type="application/rss+xml"/>\n'
            "<description>Real-world automation stories from small businesses.</description>\n"
            "<language>en-us</language>\n"
            f"<lastBuildDate>{format_datetime(latest, usegmt=True)}</lastBuildDate>\n"
            + "\n".join(items) + "\n</channel>\n</rss>\n")
        return Response(200, body.encode(), RSS, last_modified=latest)

    def _atom(self, base: str) -> Response:
        pages = sorted((p for p in self.pages if p["atom"]), key=lambda p: p["published"],
                       reverse=True)
        latest = self._latest(pages)
        entries = "".join(
            f"<entry><title>{xml_escape(p['title'])}</title>"
            f'<link rel="alternate" type="text/html" href="{xml_escape(self._link(p, base))}"/>'
            f"<id>tag:demo.reservoir,2024:{p['slug']}</id>"
            f"<published>{p['published']}</published><updated>{p['modified']}</updated>"
            f"<author><name>{xml_escape(p['author'])}</name></author>"
            f"<summary>{xml_escape(p['summary'])}</summary></entry>\n" for p in pages)
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">\n'
            "<title>Operations Notebook</title>\n<subtitle>How owners automate the boring parts"
            "</subtitle>\n"
            f'<link rel="self" href="{xml_escape(base)}/atom.xml"/>\n'
            f'<link rel="alternate" href="{xml_escape(base)}/"/>\n'
            "<id>tag:demo.reservoir,2024:atom</id>\n"
            f"<updated>{latest.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>\n"
            f"{entries}</feed>\n")
        return Response(200, body.encode(), ATOM, last_modified=latest)

    # ------------------------------------------------------------------ Hacker News
    def _hn_list(self, order: str) -> Response:
        pages = list(self.hn_items.values())
        if order == "top":
            pages.sort(key=lambda p: p["hn"]["score"], reverse=True)
        else:
            pages.sort(key=lambda p: p["published"], reverse=True)
        ids = [p["hn"]["id"] for p in pages]
        return Response(200, json.dumps(ids).encode(), JSON, last_modified=self._latest(pages))

    def _hn_story(self, page: dict[str, Any], base: str) -> dict[str, Any]:
        hn = page["hn"]
        return {"by": hn["by"], "descendants": hn["descendants"], "id": hn["id"], "kids": [],
                "score": hn["score"], "time": int(_parse_iso(page["published"]).timestamp()),
                "title": page["title"], "type": "story", "url": self._link(page, base)}

    def _hn_item(self, item_id: int, base: str) -> Response:
        page = self.hn_items.get(item_id)
        if page is None:  # the real API answers null for unknown ids
            return Response(200, b"null", JSON)
        data = self._hn_story(page, base)
        return Response(200, json.dumps(data).encode(), JSON,
                        last_modified=_parse_iso(page["modified"]))

    def _algolia(self, query: dict[str, list[str]], base: str, *, by_date: bool) -> Response:
        text = query.get("query", [""])[0]
        words = _WORD.findall(text.lower())
        per_page = max(1, min(int(query.get("hitsPerPage", ["20"])[0] or 20), 1000))
        page_no = max(0, int(query.get("page", ["0"])[0] or 0))
        filters = query.get("numericFilters", [""])[0]
        hits = []
        for p in self.hn_items.values():
            story = self._hn_story(p, base)
            if words and not _matches(words, f"{story['title']} {story['url']} {story['by']}"):
                continue
            if filters and not _numeric_ok(filters, story):
                continue
            hits.append({
                "objectID": str(story["id"]), "title": story["title"], "url": story["url"],
                "author": story["by"], "points": story["score"],
                "num_comments": story["descendants"], "created_at_i": story["time"],
                "created_at": p["published"].replace("Z", ".000Z"), "story_text": None,
                "story_id": story["id"],
                "_tags": ["story", f"author_{story['by']}", f"story_{story['id']}"],
            })
        if by_date:
            hits.sort(key=lambda h: h["created_at_i"], reverse=True)
        else:
            hits.sort(key=lambda h: h["points"], reverse=True)
        n = len(hits)
        data = {"hits": hits[page_no * per_page:(page_no + 1) * per_page], "nbHits": n,
                "page": page_no, "nbPages": (n + per_page - 1) // per_page,
                "hitsPerPage": per_page, "query": text, "params": f"query={text}"}
        return Response(200, json.dumps(data).encode(), JSON)

    # ------------------------------------------------------------------ Reddit
    def _reddit(self, sub: str, order: str, query: dict[str, list[str]], base: str) -> Response:
        pages = [p for p in self.pages if p["reddit"] and p["reddit"]["sub"].lower() == sub.lower()]
        if not pages:
            return Response(404, json.dumps({"message": "Not Found", "error": 404}).encode(), JSON)
        if order == "new":
            pages.sort(key=lambda p: p["published"], reverse=True)
        else:
            pages.sort(key=lambda p: p["reddit"]["score"], reverse=True)
        limit = max(1, min(int(query.get("limit", ["25"])[0] or 25), 100))
        children = []
        host = urlsplit(base).netloc
        for p in pages[:limit]:
            r = p["reddit"]
            permalink = (p["path"] if r["is_self"]
                         else f"/r/{r['sub']}/comments/{r['id']}/{p['slug'].replace('-', '_')[:40]}/")
            children.append({"kind": "t3", "data": {
                "id": r["id"], "name": f"t3_{r['id']}", "subreddit": r["sub"],
                "title": p["title"], "selftext": r["selftext"],
                "url": self._link(p, base), "permalink": permalink, "author": r["author"],
                "score": r["score"], "ups": r["score"], "num_comments": r["num_comments"],
                "created_utc": float(_parse_iso(p["published"]).timestamp()),
                "is_self": r["is_self"], "domain": f"self.{r['sub']}" if r["is_self"] else host,
                "over_18": False, "stickied": False,
            }})
        data = {"kind": "Listing", "data": {"after": None, "before": None, "dist": len(children),
                                            "children": children}}
        return Response(200, json.dumps(data).encode(), JSON, last_modified=self._latest(pages))

    # ------------------------------------------------------------------ Product Hunt
    def _products(self) -> list[dict[str, Any]]:
        pages = [p for p in self.pages if p["producthunt"]]
        return sorted(pages, key=lambda p: p["producthunt"]["votes"], reverse=True)

    def _producthunt_html(self, base: str) -> Response:
        rows = []
        for rank, p in enumerate(self._products(), start=1):
            ph = p["producthunt"]
            rows.append(
                f'<li class="product" data-rank="{rank}">'
                f'<a class="product-link" href="{html.escape(self._link(p, base))}">'
                f'<h3 class="product-name">{html.escape(ph["name"])}</h3></a>'
                f'<p class="product-tagline">{html.escape(ph["tagline"])}</p>'
                f'<button class="vote" data-votes="{ph["votes"]}">&#9650; '
                f'<span class="votes">{ph["votes"]}</span></button></li>')
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>Launches today | Product Hunt (demo)</title>"
            '<link rel="alternate" type="application/atom+xml" href="/producthunt/feed.xml">'
            "<style>.product{list-style:none;margin:12px 0}</style></head><body>"
            '<header><a href="/producthunt/">Product Hunt</a> <nav>Launches | Products | News'
            "</nav></header><main><h1>Top Products Launching Today</h1>"
            f'<ol class="products">{"".join(rows)}</ol></main>'
            "<footer>Demo listing for offline use.</footer></body></html>")
        return Response(200, body.encode(), HTML, last_modified=self._latest(self._products()))

    def _producthunt_atom(self, base: str) -> Response:
        products = self._products()
        latest = self._latest(products)
        entries = []
        for p in products:
            ph = p["producthunt"]
            content = (f"<p>{html.escape(ph['tagline'])}</p><p>{ph['votes']} votes - "
                       f'<a href="{html.escape(self._link(p, base))}">Link</a></p>')
            entries.append(
                f"<entry><id>tag:demo.producthunt,2024:Post/{p['slug']}</id>"
                f"<published>{p['published']}</published><updated>{p['modified']}</updated>"
                f'<link rel="alternate" type="text/html" href="{xml_escape(self._link(p, base))}"/>'
                f"<title>{xml_escape(ph['name'])} - {xml_escape(ph['tagline'])}</title>"
                f'<content type="html">{xml_escape(content)}</content>'
                f"<author><name>{xml_escape(p['author'])}</name></author></entry>")
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">\n'
            "<id>tag:demo.producthunt,2024:/feed</id>\n"
            f'<link rel="alternate" type="text/html" href="{xml_escape(base)}/producthunt/"/>\n'
            f'<link rel="self" type="application/atom+xml" href="{xml_escape(base)}'
            '/producthunt/feed.xml"/>\n'
            "<title>Product Hunt (demo)</title>\n"
            f"<updated>{latest.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>\n"
            + "\n".join(entries) + "\n</feed>\n")
        return Response(200, body.encode(), ATOM, last_modified=latest)

    # ------------------------------------------------------------------ in-process use
    def mock_transport(self) -> Any:
        """An httpx.MockTransport answering like the server, for tests without sockets."""
        import httpx

        def handler(request: httpx.Request) -> httpx.Response:
            base = f"{request.url.scheme}://{request.url.netloc.decode()}"
            target = request.url.raw_path.decode()
            resp = self.respond(request.method, target, request.headers, base)
            return httpx.Response(resp.status, headers=resp.header_items(),
                                  content=b"" if request.method == "HEAD" else resp.body)

        return httpx.MockTransport(handler)


def _numeric_ok(filters: str, story: dict[str, Any]) -> bool:
    """Supports Algolia numericFilters such as 'created_at_i>1700000000,points>=10'."""
    fields = {"created_at_i": story["time"], "points": story["score"],
              "num_comments": story["descendants"]}
    for cond in filters.split(","):
        m = re.fullmatch(r"\s*(\w+)\s*(>=|<=|>|<|=)\s*(-?\d+)\s*", cond)
        if not m or m.group(1) not in fields:
            continue
        value, op, limit = fields[m.group(1)], m.group(2), int(m.group(3))
        ok = {">": value > limit, ">=": value >= limit, "<": value < limit,
              "<=": value <= limit, "=": value == limit}[op]
        if not ok:
            return False
    return True


def _not_modified(resp: Response, headers: Mapping[str, str]) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    inm = headers.get("If-None-Match") or headers.get("if-none-match")
    if inm:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or resp.etag in tags
    ims = headers.get("If-Modified-Since") or headers.get("if-modified-since")
    if ims and resp.last_modified:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return resp.last_modified.replace(microsecond=0) <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    server_version = "ReservoirDemo/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers are written in two parts
    site: DemoSite  # set on the subclass made by DemoServer

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        resp = self.site.respond(self.command, self.path, self.headers, f"http://{host}")
        self.send_response(resp.status)
        for name, value in resp.header_items():
            self.send_header(name, value)
        if resp.status != 304:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if not head and resp.status != 304:
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the demo server does not log each request."""


class DemoServer:
    """The demo web on 127.0.0.1 in a daemon thread; a context manager.

    >>> with DemoServer() as server:
    ...     url = server.base_url + "/feed.xml"
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, site: DemoSite | None = None):
        self.site = site or DemoSite()
        handler = type("DemoHandler", (_Handler,), {"site": self.site})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        """Serve in a background daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            name="reservoir-demo-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the demo web in the foreground until interrupted (`reservoir demo-server`)."""
    server = DemoServer(host, port)
    print(f"Reservoir demo web on {server.base_url}  (feeds: /feed.xml /atom.xml; Ctrl-C to stop)")
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
