"""Fetch + extract throughput: the scout's own code path — the sitemap adapter, the real Fetcher
and the product's extraction pool (`reservoir.tools.extract_pool`, one process per core) — against
a local server in its own process, beside the extractor alone on the same pages in the same run.

    .venv/bin/python bench/fetch.py [--pages 300] [--concurrency 50] [--workers N]

The figure is scout-pipeline pages/s divided by extractor-alone pages/s through the same pool
(goal >= 0.9): fetching must cost the extractor little, and the event loop must keep fetching
while pages are parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    cpu_count,
    heap_peak_of,
    hermetic_env,
    mib,
    ms,
    peak_rss,
    percentile,
    print_kv,
    print_table,
    rate,
)

GOAL_RATIO = 0.9
SEED = 20240611

# ----------------------------------------------------------------------------- page generator

_SUBJECTS = [
    "The operations manager", "Our bookkeeper", "A regional dental clinic", "The owner",
    "Most small agencies", "The front desk", "Every new hire", "The warehouse crew",
    "Our support lead", "A two-person design studio", "The practice manager", "The sales team",
    "A family-run bakery", "The finance lead", "Their dispatcher", "One of the partners",
    "The marketing coordinator", "A mid-sized law firm", "The property manager", "Our head chef",
]
_VERBS = [
    "spent", "lost", "saved", "automated", "replaced", "cut", "tracked", "reviewed", "rebuilt",
    "moved", "handed off", "doubled", "trimmed", "documented", "outsourced", "simplified",
]
_OBJECTS = [
    "about six hours a week on invoice entry", "the weekly client report",
    "most of the appointment reminders", "the follow-up emails after every quote",
    "two afternoons a month reconciling receipts", "the onboarding checklist for new clients",
    "the stock count at the end of each shift", "a shared inbox that nobody really owned",
    "the spreadsheet that tracked every open job", "the review requests sent after each visit",
    "a stack of supplier invoices waiting for approval", "the monthly payroll export",
    "the lead routing rules in the CRM", "their manual data entry between two systems",
    "the status updates customers kept asking for", "a backlog of unanswered web inquiries",
]
_TAILS = [
    "before the busy season started", "once the spreadsheet got too big to trust",
    "with a short Zapier workflow", "which nobody had time to check",
    "after a frustrating quarter", "without hiring anyone new", "using tools they already paid for",
    "in less than a week of evenings", "and the error rate dropped noticeably",
    "while the team was still growing", "because customers were waiting too long",
    "after a consultant pointed out the bottleneck", "and nobody wanted to go back",
    "with a little help from an accountant", "long before anyone called it automation",
]
_OPENERS = [
    "", "", "", "In practice, ", "According to the owner, ", "Last spring, ", "By March, ",
    "Within a month, ", "To be fair, ", "Looking back, ", "At first, ", "Since then, ",
]
_EXTRA = [
    "Nobody on the team had a technical background.",
    "The setup cost less than a single day of staff time.",
    "It was not glamorous work, but it paid for itself quickly.",
    "The biggest obstacle turned out to be agreeing on one naming convention.",
    "Customers noticed the difference before the staff did.",
    "They kept a paper fallback for the first few weeks, just in case.",
    "The numbers were checked again six months later and still held up.",
    "Several competitors in the area have since copied the approach.",
]
_WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
          "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
          "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit").split()
_NAV = ["News", "Business", "Technology", "Small Business", "Finance", "Careers", "Opinion",
        "Guides", "Reviews", "Events", "Podcasts", "Newsletters", "Video", "Local", "Markets"]
_CSS_PROPS = ["margin", "padding", "color", "background-color", "font-size", "line-height",
              "display", "border", "border-radius", "max-width", "grid-template-columns", "gap",
              "transition", "box-shadow", "letter-spacing", "text-transform", "z-index", "opacity"]


def _sentence(rng: random.Random) -> str:
    opener, subject = rng.choice(_OPENERS), rng.choice(_SUBJECTS)
    if opener:
        subject = subject[0].lower() + subject[1:] if subject.startswith(("The ", "A ", "Our ",
                                                                          "Most ", "Every ")) else subject
    text = f"{opener}{subject} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
    text = text[0].upper() + text[1:]
    return text + (" " + rng.choice(_EXTRA) if rng.random() < 0.25 else "")


def _paragraph(rng: random.Random, base: str) -> str:
    parts = []
    for _ in range(rng.randint(3, 7)):
        sentence = _sentence(rng)
        roll = rng.random()
        if roll < 0.15:
            words = sentence.split(" ")
            k = rng.randint(1, max(1, len(words) - 3))
            sentence = " ".join(words[:k] + [f'<a href="{base}/topics/{rng.randint(1, 400)}" '
                                             f'class="inline-link" data-track="body-link">'
                                             f'{words[k]} {words[k + 1]}</a>'] + words[k + 2:])
        elif roll < 0.25:
            sentence = f"<strong>{sentence}</strong>"
        parts.append(sentence)
    return "<p>" + " ".join(parts) + "</p>"


def _lorem(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _svg(rng: random.Random, points: int) -> str:
    path = " ".join(f"{rng.choice('MLCQ')}{rng.uniform(0, 24):.3f} {rng.uniform(0, 24):.3f}"
                    for _ in range(points))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" '
            f'aria-hidden="true" focusable="false" class="icon icon-{rng.randint(1, 90)}">'
            f'<path fill="currentColor" d="{path}Z"></path></svg>')


def _css(rng: random.Random, rules: int) -> str:
    out = []
    for _ in range(rules):
        sel = ".{}-{}__{}".format(rng.choice(["c", "l", "u", "o"]), rng.choice(_WORDS),
                                  rng.choice(_WORDS))
        if rng.random() < 0.3:
            sel += f":hover,{sel} > .{rng.choice(_WORDS)}"
        decls = ";".join(f"{rng.choice(_CSS_PROPS)}:{rng.randint(0, 48)}px"
                         for _ in range(rng.randint(2, 7)))
        out.append(f"{sel}{{{decls}}}")
    return "\n".join(out)


def _state_json(rng: random.Random, items: int, base: str) -> str:
    teasers = [{"id": rng.randint(10**6, 10**7), "slug": "-".join(rng.choice(_WORDS) for _ in range(5)),
                "title": _lorem(rng, 8).capitalize(), "url": f"{base}/story/{rng.randint(1, 99999)}",
                "image": {"src": f"https://cdn.example.com/img/{rng.getrandbits(64):x}.jpg",
                          "width": 1200, "height": 675, "alt": _lorem(rng, 6)},
                "section": rng.choice(_NAV), "tags": [rng.choice(_WORDS) for _ in range(4)],
                "published": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:00:00Z"}
               for _ in range(items)]
    state = {"page": {"type": "article", "ab": {f"exp{i}": rng.random() < 0.5 for i in range(20)}},
             "feeds": {"related": teasers}, "user": None, "config": {"ads": True, "consent": "v2"}}
    return json.dumps(state, separators=(",", ":"))


def _links(rng: random.Random, base: str, n: int, cls: str) -> str:
    return "".join(f'<li class="{cls}__item"><a class="{cls}__link" href="{base}/{rng.choice(_WORDS)}/'
                   f'{rng.randint(1, 9999)}" data-track="{cls}">{_lorem(rng, rng.randint(1, 4)).title()}'
                   f"</a></li>" for _ in range(n))


def _comment(rng: random.Random, depth: int = 0) -> str:
    replies = ""
    if depth < 2 and rng.random() < 0.3:
        replies = '<ol class="children">' + "".join(
            _comment(rng, depth + 1) for _ in range(rng.randint(1, 3))) + "</ol>"
    author = f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}"
    return (f'<li class="comment depth-{depth + 1}" id="comment-{rng.randint(1, 10**6)}">'
            f'<article class="comment-body"><footer class="comment-meta"><div class="comment-author '
            f'vcard"><img alt="" src="https://avatars.example.com/{rng.getrandbits(48):x}?s=48" '
            f'class="avatar avatar-48" height="48" width="48" loading="lazy"><b class="fn">{author}'
            f'</b></div><div class="comment-metadata"><a href="#c{rng.randint(1, 999)}"><time '
            f'datetime="2024-05-0{rng.randint(1, 9)}T1{rng.randint(0, 9)}:00:00">May '
            f'{rng.randint(1, 28)}, 2024</time></a></div></footer><div class="comment-content">'
            f"<p>{_sentence(rng)} {_lorem(rng, rng.randint(5, 30))}</p></div>"
            f'<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#respond">Reply'
            f"</a></div></article>{replies}</li>")


def make_page(index: int, base: str) -> str:
    """One realistic, boilerplate-heavy article page (deterministic for a given index)."""
    rng = random.Random(SEED * 1000 + index)
    heavy = min(2.6, max(0.45, rng.lognormvariate(0, 0.4)))  # page weight varies like the web
    title = (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}").capitalize()
    author = f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}"
    head = [
        '<!DOCTYPE html><html lang="en-US" class="no-js"><head><meta charset="utf-8">',
        f"<title>{title} | Small Business Daily</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="description" content="{_sentence(rng)}">',
        f'<meta property="og:title" content="{title}"><meta property="og:type" content="article">',
        f'<meta name="author" content="{author}">',
        f'<meta property="article:published_time" content="2024-0{rng.randint(1, 9)}-12T08:30:00Z">',
        f'<link rel="canonical" href="{base}/story/{index}">',
        f'<link rel="alternate" type="application/rss+xml" href="{base}/feed.xml" title="RSS">',
    ]
    head += [f'<link rel="preload" as="font" crossorigin href="/fonts/{rng.choice(_WORDS)}-'
             f'{w}.woff2">' for w in (400, 500, 700)]
    head += [f'<meta property="{p}" content="{_lorem(rng, 6)}">'
             for p in ("og:site_name", "twitter:card", "twitter:site", "fb:app_id", "og:locale")]
    head.append(f"<style>{_css(rng, int(440 * heavy))}</style>")
    head.append('<script type="application/ld+json">' + json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
        "author": {"@type": "Person", "name": author}, "datePublished": "2024-03-12T08:30:00Z",
        "publisher": {"@type": "Organization", "name": "Small Business Daily"}}) + "</script>")
    head.append("<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date()."
                "getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s)"
                ";j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i;f.parentNode."
                "insertBefore(j,f);})(window,document,'script','dataLayer','GTM-XXXX');</script>")
    head.append(f"<script>window.__INITIAL_STATE__={_state_json(rng, int(85 * heavy), base)};"
                "</script></head>")

    nav = "".join(
        f'<li class="menu-item has-children"><a href="{base}/{s.lower()}" class="menu-link">{s}</a>'
        f'<div class="mega-menu"><div class="mega-menu__inner"><ul class="mega-menu__list">'
        f'{_links(rng, base, rng.randint(8, 18), "mega-menu")}</ul></div></div></li>'
        for s in _NAV)
    body = [
        '<body class="single single-post postid-1 wp-embed-responsive">',
        '<a class="skip-link screen-reader-text" href="#main">Skip to content</a>',
        '<div class="cookie-consent" role="dialog" aria-live="polite"><p>We use cookies to '
        'improve your experience and to show personalised ads.</p><button class="btn accept">'
        'Accept all</button><button class="btn reject">Reject</button><a href="/privacy">Cookie '
        "policy</a></div>",
        f'<header class="site-header" role="banner"><div class="site-branding"><a href="{base}/" '
        f'class="custom-logo-link">{_svg(rng, 120)}</a></div><nav class="main-navigation" '
        f'aria-label="Main"><ul class="menu">{nav}</ul></nav><form role="search" class="search-form"'
        ' action="/search"><input type="search" name="q" placeholder="Search"><button type="submit">'
        f"{_svg(rng, 20)}</button></form></header>",
        f'<nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li><a href="{base}/">Home</a></li>'
        f'<li><a href="{base}/business">Business</a></li><li aria-current="page">{title}</li></ol>'
        "</nav>",
        '<div class="site-content"><main id="main" class="site-main"><article class="post type-post">',
        f'<header class="entry-header"><h1 class="entry-title">{title}</h1><div class="entry-meta">'
        f'<span class="byline">By <a class="author url fn" rel="author" href="{base}/author/'
        f'{index}">{author}</a></span> <time class="entry-date published" datetime="2024-03-12T08:'
        f'30:00+00:00">March 12, 2024</time></div><div class="share-buttons">'
        + "".join(f'<a class="share share--{n}" href="https://{n}.example.com/share?u={base}/story/'
                  f'{index}" rel="noopener">{_svg(rng, 40)}<span class="screen-reader-text">Share on '
                  f"{n}</span></a>" for n in ("facebook", "x", "linkedin", "email", "whatsapp"))
        + "</div></header>",
        f'<figure class="wp-block-image size-large"><img src="https://cdn.example.com/{index}.jpg" '
        f'srcset="https://cdn.example.com/{index}-480.jpg 480w, https://cdn.example.com/{index}-960'
        f'.jpg 960w, https://cdn.example.com/{index}-1440.jpg 1440w" sizes="(max-width: 960px) 100vw'
        f', 960px" alt="{_lorem(rng, 6)}" width="1440" height="810"><figcaption>{_sentence(rng)}'
        "</figcaption></figure>",
        '<div class="entry-content">',
    ]
    for p in range(rng.randint(12, 26)):
        if p and p % 5 == 0:
            body.append(f"<h2>{_lorem(rng, rng.randint(3, 7)).capitalize()}</h2>")
        body.append(_paragraph(rng, base))
        if p and p % 4 == 0:
            slot = rng.randint(1, 10**5)
            body.append(f'<div class="ad-container ad-inline" data-ad-unit="/1234/sbd/article" data-'
                        f'slot="{slot}"><div id="div-gpt-ad-{slot}" class="ad-slot"></div><script>'
                        f"googletag.cmd.push(function(){{googletag.display('div-gpt-ad-{slot}');}});"
                        f'</script><span class="ad-label">Advertisement</span></div>')
        if p == 7:
            body.append(f'<blockquote class="wp-block-quote"><p>{_sentence(rng)}</p><cite>{author}'
                        "</cite></blockquote>")
    body.append("</div>")
    body.append('<footer class="entry-footer"><div class="tags-links">' + "".join(
        f'<a href="{base}/tag/{w}" rel="tag">{w}</a>' for w in rng.sample(_WORDS, 6))
        + f'</div><div class="author-bio">{_svg(rng, 30)}<p>{author} {_lorem(rng, 30)}</p></div>'
        "</footer></article>")
    body.append('<section class="related-posts"><h2>Related</h2><div class="grid">' + "".join(
        f'<article class="card"><a href="{base}/story/{rng.randint(1, 99999)}" class="card__link">'
        f'<div class="card__media"><img loading="lazy" src="https://cdn.example.com/t/{k}.jpg" alt=""'
        f' width="320" height="180"></div><div class="card__body"><span class="card__kicker">'
        f'{rng.choice(_NAV)}</span><h3 class="card__title">{_lorem(rng, 9).capitalize()}</h3><p '
        f'class="card__teaser">{_lorem(rng, 24)}</p></div></a></article>'
        for k in range(int(rng.randint(6, 12) * heavy))) + "</div></section>")
    body.append('<section class="newsletter-signup"><form action="/subscribe" method="post"><label>'
                'Get the weekly briefing</label><input type="email" name="email"><button>Sign up'
                "</button></form></section>")
    if rng.random() < 0.3:  # most news sites load comments with JavaScript; blogs inline them
        body.append('<div id="comments" class="comments-area"><h2 class="comments-title">Comments'
                    '</h2><ol class="comment-list">' + "".join(_comment(rng) for _ in range(
                        int(rng.randint(3, 15) * heavy))) + "</ol></div>")
    body.append('</main><aside id="secondary" class="widget-area"><section class="widget popular">'
                f'<h2>Most read</h2><ol>{_links(rng, base, 10, "popular")}</ol></section>'
                '<section class="widget ad"><div class="ad-slot" id="sidebar-ad"></div></section>'
                "</aside></div>")
    cols = "".join(f'<div class="footer-col"><h4>{s}</h4><ul>{_links(rng, base, rng.randint(8, 16), "f")}'
                   "</ul></div>" for s in rng.sample(_NAV, 6))
    social = "".join(f'<a href="https://{n}.example.com/sbd">{_svg(rng, 60)}</a>'
                     for n in ("facebook", "x", "linkedin", "youtube", "instagram"))
    body.append(f'<footer class="site-footer" role="contentinfo"><div class="footer-cols">{cols}</div>'
                f'<div class="social">{social}</div><p>&copy; 2024 Small Business Daily</p></footer>')
    body += [f'<script src="/assets/js/{rng.choice(_WORDS)}.{rng.getrandbits(32):x}.js" defer>'
             "</script>" for _ in range(8)]
    body.append(f"<script>window.__ADS_CONFIG__={_state_json(rng, int(25 * heavy), base)};</script>")
    body.append("</body></html>")
    return "".join(head) + "\n" + "\n".join(body)


def _write_page(folder: str, index: int) -> str:
    path = Path(folder) / f"article-{index:04d}.html"
    path.write_text(make_page(index, "http://127.0.0.1"), encoding="utf-8")
    return str(path)


def write_pages(folder: Path, count: int, pool: ProcessPoolExecutor) -> list[tuple[str, Path]]:
    """Generate `count` pages as files (in the pool); returns (url path, file) pairs."""
    files = list(pool.map(_write_page, [str(folder)] * count, range(count), chunksize=8))
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    locs = "".join(f"<url><loc>/articles/{Path(f).name}</loc></url>" for f in files)
    (folder / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
        f'sitemap/0.9">{locs}</urlset>', encoding="utf-8")
    return [(f"/articles/{Path(f).name}", Path(f)) for f in files]


# ----------------------------------------------------------------------------- the server process


def serve(folder: Path) -> None:
    """Static server on 127.0.0.1 (HTTP/1.1 keep-alive, bodies in memory); prints its port."""
    bodies = {f"/articles/{p.name}": p.read_bytes() for p in folder.glob("*.html")}
    bodies["/robots.txt"] = (folder / "robots.txt").read_bytes()
    bodies["/sitemap.xml"] = (folder / "sitemap.xml").read_bytes()
    types = {"/robots.txt": "text/plain", "/sitemap.xml": "application/xml"}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            body = bodies.get(self.path.split("?", 1)[0])
            if body is None:
                self.send_error(404)
                return
            kind = types.get(self.path, "text/html; charset=utf-8")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            """Quiet."""

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512

    httpd = Server(("127.0.0.1", 0), Handler)
    print(httpd.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    httpd.serve_forever()


def start_server(folder: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(folder)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        proc.kill()
        raise RuntimeError(f"the page server did not start (said {line!r})")
    return proc, int(line)


# ----------------------------------------------------------------------------- extraction workers


def _init_worker() -> None:
    from reservoir.tools.extract import extract_page

    extract_page("<html><body><p>warm up</p></body></html>", "http://127.0.0.1/")


def _warm(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


Timed = tuple[float, float, int, int]  # wall s, CPU s, text chars, peak RSS bytes


def _extract_html(html: str, url: str) -> Timed:
    """Extract one page in a worker: wall and CPU seconds, text chars, worker peak RSS."""
    from reservoir.tools.extract import extract_page

    started, cpu = time.perf_counter(), time.process_time()
    page = extract_page(html, url)
    return time.perf_counter() - started, time.process_time() - cpu, len(page.text), peak_rss()


def _extract_file(path: str, url: str) -> Timed:
    """The extractor alone: read and decode the file, then time extract_page only."""
    return _extract_html(Path(path).read_bytes().decode("utf-8"), url)


def _trafilatura_only(html: str) -> int:
    import trafilatura

    return len(trafilatura.extract(html) or "")


# ----------------------------------------------------------------------------- measurements


@dataclass
class Result:
    """One measured mode: wall time for all pages and per-page times."""

    name: str
    pages: int
    wall: float
    times: list[float] = field(default_factory=list)  # per page, wall seconds
    cpu: list[float] = field(default_factory=list)  # per page, CPU seconds (extraction only)
    chars: list[int] = field(default_factory=list)
    rss: int = 0  # peak RSS of the worker(s)
    main_cpu: float = 0.0  # main-process CPU seconds for the whole mode
    note: str = ""

    @property
    def pages_per_s(self) -> float:
        return rate(self.pages, self.wall)

    def row(self) -> list[Any]:
        mean_cpu = sum(self.cpu) / len(self.cpu) if self.cpu else float("nan")
        return [self.name, self.pages, round(self.wall, 2), round(self.pages_per_s, 1),
                ms(percentile(self.times, 50)), ms(percentile(self.times, 95)),
                ms(max(self.times) if self.times else float("nan")), ms(mean_cpu), self.note]

    def merge(self, other: Result, name: str, note: str) -> Result:
        """Both runs as one: pages/s over the summed wall time (brackets drift in machine load)."""
        return Result(name, self.pages + other.pages, self.wall + other.wall,
                      self.times + other.times, self.cpu + other.cpu, self.chars + other.chars,
                      max(self.rss, other.rss), note=note)

    @classmethod
    def of(cls, name: str, wall: float, done: list[Timed], **extra: Any) -> Result:
        return cls(name, len(done), wall, [d[0] for d in done], [d[1] for d in done],
                   [d[2] for d in done], max(d[3] for d in done), **extra)


def make_settings(data_dir: Path, concurrency: int, workers: int) -> Any:
    """Loopback allowed; per-host limits raised to the bench's concurrency (it is one host);
    the product's extraction pool sized like the bench's."""
    from reservoir.config import load_settings

    return load_settings(
        _env_file=None, data_dir=data_dir, fetch_allow=["127.0.0.0/8"], fetch_concurrency=concurrency,
        fetch_per_host_concurrency=concurrency, fetch_per_host_rps=100_000.0,
        fetch_respect_robots=True, fetch_retries=0, extract_processes=workers)


async def fetch_only(urls: list[str], settings: Any, concurrency: int) -> Result:
    """The Fetcher alone: how fast pages arrive with nothing consuming them."""
    from reservoir.tools.fetch import Fetcher

    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []
    cpu0, started = time.process_time(), time.perf_counter()
    async with Fetcher(settings) as fetcher:
        async def one(url: str) -> None:
            async with gate:
                result = await fetcher.fetch(url)
            times.append(result.elapsed)

        await asyncio.gather(*(one(u) for u in urls))
    return Result(f"fetch only ({concurrency} in flight)", len(urls), time.perf_counter() - started,
                  times, main_cpu=time.process_time() - cpu0, note="times = fetch latency")


async def scout_pipeline(sitemap: str, settings: Any, concurrency: int, pages: int,
                         workers: int) -> Result:
    """What the scout runs for a sitemap source: the adapter lists the pages, fetches them with
    `concurrency` in flight and hands each to the product's extraction pool as it arrives."""
    from reservoir.tools.fetch import Fetcher
    from reservoir.tools.sources import SourceSpec, get_adapter

    spec = SourceSpec(name="bench", kind="sitemap", url=sitemap,
                      config={"max_pages": pages, "concurrency": concurrency})
    cpu0, started = time.process_time(), time.perf_counter()
    async with Fetcher(settings) as fetcher:
        result = await get_adapter("sitemap").collect(spec, fetcher)
    wall = time.perf_counter() - started
    if len(result.items) != pages:
        raise RuntimeError(f"the scout read {len(result.items)} of {pages} pages: {result.errors[:3]}")
    return Result(f"scout pipeline: sitemap adapter + pool ({workers} proc)", pages, wall,
                  chars=[len(i.text) for i in result.items], main_cpu=time.process_time() - cpu0,
                  note="the product's code path")


async def _product_alone(htmls: list[tuple[str, str]], settings: Any) -> None:
    from reservoir.tools.extract_pool import extract_page_async

    await asyncio.gather(*(extract_page_async(settings, html, url) for url, html in htmls))


def product_alone(htmls: list[tuple[str, str]], settings: Any, workers: int) -> Result:
    """The extractor alone through the product's pool: every page handed over at once."""
    started = time.perf_counter()
    asyncio.run(_product_alone(htmls, settings))
    return Result(f"extract_page alone, product pool ({workers} proc)", len(htmls),
                  time.perf_counter() - started)


def extract_pool(pages: list[tuple[str, Path]], pool: ProcessPoolExecutor, workers: int) -> Result:
    """The extractor alone with the same pool: every page submitted at once."""
    started = time.perf_counter()
    futures = [pool.submit(_extract_file, str(path), "http://127.0.0.1" + url) for url, path in pages]
    wait(futures)
    return Result.of(f"extract_page alone ({workers} proc)", time.perf_counter() - started,
                     [f.result() for f in futures])


def extract_single(htmls: list[tuple[str, str]]) -> Result:
    """The extractor alone in this process, one page after another."""
    started = time.perf_counter()
    done = [_extract_html(html, url) for url, html in htmls]
    return Result.of("extract_page alone (1 proc)", time.perf_counter() - started, done)


def trafilatura_single(htmls: list[tuple[str, str]]) -> Result:
    """Plain trafilatura.extract on the same pages: the reference (~60 pages/s per core)."""
    times, cpu = [], []
    started = time.perf_counter()
    for _, html in htmls:
        t0, c0 = time.perf_counter(), time.process_time()
        _trafilatura_only(html)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return Result("trafilatura.extract alone (1 proc)", len(htmls), time.perf_counter() - started,
                  times, cpu, note="reference")


def process_cpu(pid: int) -> float:
    """CPU seconds used so far by another process (Linux /proc); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="pages to generate (default 300)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight (50)")
    parser.add_argument("--workers", type=int, default=cpu_count(),
                        help="extraction processes (default: one per core)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    from reservoir.tools.extract import extract_page
    from reservoir.tools.extract_pool import shutdown_pool

    hermetic_env("RESERVOIR_")
    workers = max(1, args.workers)
    total_started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="reservoir-bench-fetch-") as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        ctx = multiprocessing.get_context("spawn")  # no fork from a process with threads
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)
        server = None
        try:
            t0 = time.perf_counter()
            pages = write_pages(folder, args.pages, pool)
            gen_s = time.perf_counter() - t0
            sizes = [p.stat().st_size for _, p in pages]
            pids = {f.result() for f in [pool.submit(_warm, 0.3) for _ in range(workers)]}
            server, port = start_server(folder)
            urls = [f"http://127.0.0.1:{port}{u}" for u, _ in pages]
            settings = make_settings(Path(tmp) / "data", args.concurrency, workers)
            htmls = [("http://127.0.0.1" + u, p.read_text(encoding="utf-8")) for u, p in pages]
            fetched = asyncio.run(fetch_only(urls, settings, args.concurrency))
            alone_before = extract_pool(pages, pool, workers)
            product_alone(htmls[: workers * 4], settings, workers)  # start the product's pool
            product_before = product_alone(htmls, settings, workers)
            server_cpu0 = process_cpu(server.pid)
            scout = asyncio.run(scout_pipeline(f"http://127.0.0.1:{port}/sitemap.xml", settings,
                                               args.concurrency, len(pages), workers))
            server_cpu = process_cpu(server.pid) - server_cpu0
            main_rss_pipeline = peak_rss()
            product_after = product_alone(htmls, settings, workers)
            alone_after = extract_pool(pages, pool, workers)
        finally:
            pool.shutdown()
            shutdown_pool()
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
        alone_1 = extract_single(htmls)
        trafi = trafilatura_single(htmls)
        sample = htmls[:: max(1, len(htmls) // 10)]
        heap = [heap_peak_of(extract_page, h, u) for u, h in sample]

    alone_n = alone_before.merge(alone_after, f"extract_page alone, bench pool ({workers} proc, x2)",
                                 "CPU per page measured in the workers")
    product = product_before.merge(product_after, f"extract_page alone, product pool ({workers} "
                                   "proc, x2)", "before and after the scout pipeline")
    n = len(pages)
    ratio = scout.pages_per_s / product.pages_per_s
    extract_cpu = sum(alone_n.cpu) / len(alone_n.cpu)
    overhead_cpu = (scout.main_cpu + server_cpu) / n
    print(f"\nbench/fetch.py: {n} generated pages, {workers} extraction process(es) ({len(pids)} "
          f"warm), {args.concurrency} requests in flight, page server in its own process; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print_table("Throughput (pages fetched and/or extracted per second; times per page in ms)",
                ["mode", "pages", "wall s", "pages/s", "p50", "p95", "max", "cpu avg", "note"],
                [r.row() for r in (fetched, scout, product, alone_n, alone_1, trafi)])
    print_kv("Figures", [
        ("ratio scout pipeline / extractor alone (same pool)",
         f"{ratio:.2f}  (goal >= {GOAL_RATIO}: {'PASS' if ratio >= GOAL_RATIO else 'FAIL'}; "
         f"alone ran at {product_before.pages_per_s:.1f} before and "
         f"{product_after.pages_per_s:.1f} pages/s after)"),
        ("CPU-cost bound of that ratio",
         f"{extract_cpu / (extract_cpu + overhead_cpu):.2f}  (extraction {extract_cpu * 1000:.1f} "
         f"ms CPU/page vs scout {scout.main_cpu / n * 1000:.2f} + server "
         f"{server_cpu / n * 1000:.2f} ms CPU/page)"),
        ("extractor scaling, pool / 1 proc", f"{alone_n.pages_per_s / alone_1.pages_per_s:.2f}x"),
        ("p95 extraction time per page (alone, 1 proc)", ms(percentile(alone_1.times, 95)) + " ms"),
        ("fetch CPU in the main process per page",
         f"{fetched.main_cpu / n * 1000:.2f} ms (fetch only), "
         f"{scout.main_cpu / n * 1000:.2f} ms (scout pipeline, incl. handing pages to the pool)"),
        ("extract_page cost vs trafilatura.extract",
         f"{extract_cpu / (sum(trafi.cpu) / n):.1f}x the CPU per page"),
    ])
    print_kv("Pages and memory", [
        ("page size avg / min / max",
         f"{sum(sizes) / n / 1024:.0f} / {min(sizes) / 1024:.0f} / {max(sizes) / 1024:.0f} KiB "
         f"({sum(sizes) / 1024 / 1024:.1f} MiB in all)"),
        ("extracted main text avg", f"{sum(alone_1.chars) / n:.0f} chars/page"),
        ("peak RSS, main process after the pipeline", mib(main_rss_pipeline)),
        ("peak RSS, main process at the end (all pages loaded)", mib(peak_rss())),
        ("peak RSS, extraction worker (max, bench pool)", mib(alone_n.rss)),
        (f"peak Python heap of one extract_page (tracemalloc, max of {len(heap)})", mib(max(heap))),
        ("page generation", f"{gen_s:.1f} s"),
        ("total bench time", f"{time.perf_counter() - total_started:.1f} s"),
    ])


if __name__ == "__main__":
    main()
