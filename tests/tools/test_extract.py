"""HTML -> text on messy, hand-written page shapes (no network)."""

from __future__ import annotations

from datetime import datetime

import pytest

from reservoir.tools import extract
from reservoir.tools.extract import (
    decode_html,
    extract_page,
    extract_page_bytes,
    extract_text_document,
    html_fragment_to_text,
    parse_date,
)

URL = "https://blog.example.com/posts/bakery?utm=x"

P1 = ("Maria runs a small bakery in Lisbon with twelve employees. Every Friday she spent four "
      "hours reconciling supplier invoices against delivery notes by hand.")
P2 = ("After trying three tools she settled on a simple workflow: suppliers email PDF invoices "
      "to a shared inbox and a script matches them against the delivery log.")
P3 = ("The whole setup cost less than forty euros a month and saves her roughly sixteen hours "
      "every month, which she now spends developing new recipes.")

ARTICLE = f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8">
<title>How a bakery automated invoicing | Small Biz Blog</title>
<meta property="og:title" content="How a bakery automated invoicing">
<meta name="author" content="Jane Doe">
<meta name="description" content="Invoices, OCR and a shared inbox.">
<link rel="canonical" href="/posts/bakery-invoicing">
<link rel="alternate" type="application/rss+xml" href="/feed.xml" title="RSS">
<link rel="alternate" type="application/atom+xml" href="https://blog.example.com/atom.xml">
<link rel="alternate" hreflang="de" href="/de/posts/bakery">
<script type="application/ld+json">
{{"@context": "https://schema.org", "@graph": [{{"@type": "WebSite", "name": "Small Biz"}},
 {{"@type": "BlogPosting", "headline": "How a bakery", "datePublished": "2024-03-05T09:30:00+02:00",
   "author": {{"@type": "Person", "name": "Jane Doe"}}}}]}}
</script>
<style>.x {{ color: red }} STYLETEXT</style>
<script>var tracking = "SCRIPTTEXT";</script>
</head><body>
<div id="cookie-banner" class="cookie-consent">COOKIETEXT We use cookies to improve your
 experience. <button>Accept all</button></div>
<div class="bar">We value your privacy. This site uses cookies (BANNERTEXT).
 <a href="/privacy">Policy</a> <button>Accept</button></div>
<header><nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/contact">NAVTEXT</a>
</nav></header>
<main><article>
<h1>How a bakery automated invoicing</h1>
<p>{P1}</p>
<p>{P2} See <a href="https://example.org/ocr-tools">the OCR list</a>,
 <a href="/posts/spreadsheets#top">our guide</a>, <a href="/posts/spreadsheets">again</a>,
 <a href="mailto:jane@example.com">mail</a> and <a href="javascript:void(0)">js</a>.</p>
<p>{P3}</p>
</article>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>COMMENTTEXT Great post, I run a cafe and have the same problem!</p></div>
<div class="comment"><p>COMMENTTEXT Which OCR service did you use? Please share it.</p></div>
</section></main>
<aside class="sidebar"><a href="/popular">Popular posts</a></aside>
<footer>FOOTERTEXT Copyright 2024 <a href="/privacy">Privacy</a></footer>
</body></html>"""

LAYOUT_TABLES = """<html><head><title>Forum: Automating my plumbing quotes</title></head>
<body bgcolor=white>
<table width="100%"><tr><td colspan=2><a href="/index.php">Forum index</a> |
 <a href="/search.php">Search</a> | <a href="/login.php">Login</a></td></tr>
<tr><td width=150 valign=top><table><tr><td><a href="/f/1">General</a></td></tr>
<tr><td><a href="/f/2">Tools</a></td></tr><tr><td><a href="/f/3">Off topic</a></td></tr>
</table></td>
<td valign=top><table class="post"><tr><td>
<font size=4><b>Automating my plumbing quotes</b></font><br>
<p>I own a plumbing business with five vans. Writing quotes takes me about an hour each evening
because I look up part prices in three supplier catalogues and type everything into Word.
<p>Has anyone connected supplier price lists to a quoting template? I would love the quote to
be generated from a short checklist that my technicians fill in on their phones on site.
<p>Budget is not a big problem if it saves me the evenings. A generic CRM was far too complex.
</td></tr></table>
<table><tr><th>Part</th><th>Price</th></tr><tr><td>Valve</td><td>12.50</td></tr></table>
</td></tr></table>
<div class="reply-list"><div class="comment">COMMENTTEXT Try VLOOKUP on the price list.</div></div>
</body></html>"""

BROKEN = """<html><head><title>Broken</title><body>
<div id="wrapper"><div class="content">
<h2>Unclosed tags everywhere
<p>First paragraph about the dental clinic that uses paper appointment books and loses about ten
bookings per week because of double entries and missed calls from patients.
<p>Second paragraph <b>bold <i>italic</b> continues</i> and explains that the receptionist spends
two hours every day phoning patients to confirm their appointments for the next day.
<script>document.write("SCRIPTTEXT");</script><style>p { color: blue } STYLETEXT</style>
<div class="comments-area"><ol class="commentlist"><li class="comment">COMMENTTEXT We use SMS.
</li></ol></div></td></tr></table></span></body>
"""


def test_article_text_metadata_and_boilerplate() -> None:
    page = extract_page(ARTICLE, URL)
    assert P1 in page.text and P2.split(" See")[0][:60] in page.text and P3 in page.text
    for noise in ("COMMENTTEXT", "COOKIETEXT", "BANNERTEXT", "NAVTEXT", "FOOTERTEXT",
                  "SCRIPTTEXT", "STYLETEXT", "Popular posts"):
        assert noise not in page.text, noise
    assert page.text.count("\n") >= 2  # paragraphs stay separate
    assert page.title == "How a bakery automated invoicing"
    assert page.author == "Jane Doe"
    assert page.published_at == datetime(2024, 3, 5, 7, 30)  # JSON-LD @graph, to naive UTC
    assert page.canonical_url == "https://blog.example.com/posts/bakery-invoicing"
    assert page.feeds == ["https://blog.example.com/feed.xml", "https://blog.example.com/atom.xml"]
    assert page.language == "en-US"
    assert page.description == "Invoices, OCR and a shared inbox."
    assert page.url == URL


def test_links_are_absolute_http_deduped_and_from_main_content() -> None:
    page = extract_page(ARTICLE, URL)
    assert page.links == ["https://example.org/ocr-tools",
                          "https://blog.example.com/posts/spreadsheets"]
    assert "https://blog.example.com/about" in page.all_links
    assert all(link.startswith(("http://", "https://")) for link in page.all_links)
    assert len(page.all_links) == len(set(page.all_links))


def test_nested_layout_tables_keep_the_post_and_drop_navigation() -> None:
    page = extract_page(LAYOUT_TABLES, "http://forum.example.com/t/1")
    assert "I own a plumbing business with five vans." in page.text
    assert "Budget is not a big problem" in page.text
    lines = page.text.splitlines()
    assert any(line.startswith("Has anyone connected") for line in lines)
    for noise in ("Forum index", "Off topic", "General", "COMMENTTEXT"):
        assert noise not in page.text, noise


def test_broken_markup_scripts_and_styles() -> None:
    page = extract_page(BROKEN, "http://clinic.example.com/")
    assert "paper appointment books" in page.text
    assert "bold italic continues" in page.text
    for noise in ("SCRIPTTEXT", "STYLETEXT", "COMMENTTEXT", "color: blue"):
        assert noise not in page.text
    assert page.title == "Broken"


@pytest.mark.parametrize("html", ["", "   \n", "<html></html>", "<html><body></body></html>",
                                  "\x00\x01<<<>>>", "<!-- only a comment -->"])
def test_empty_or_junk_pages_never_raise(html: str) -> None:
    page = extract_page(html, "http://x.example.com/")
    assert page.url == "http://x.example.com/"
    assert page.links == [] and page.feeds == []
    assert "\x00" not in page.text


def test_windows_1252_bytes_declared_in_meta() -> None:
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            '<title>Caf\xe9 menus</title></head><body><article><p>The caf\xe9 owner\x92s '
            '\x93na\xefve\x94 menu system costs \x80200 a month and breaks every week because '
            'prices are typed by hand into three separate places.</p></article></body></html>')
    body = html.encode("latin-1")
    page = extract_page_bytes(body, "http://cafe.example.com/")
    assert page.title == "Caf\u00e9 menus"
    assert "caf\u00e9 owner\u2019s \u201cna\u00efve\u201d menu system costs \u20ac200" in page.text
    # No declaration at all: not UTF-8, so windows-1252 is the fallback.
    assert "\u20ac200" in decode_html(body.replace(b"windows-1252", b"nothing-known"))
    assert decode_html("gr\u00fc\u00df".encode("utf-8")) == "gr\u00fc\u00df"
    assert decode_html("gr\u00fc\u00df".encode("cp1252"), declared_charset="iso-8859-1") == (
        "gr\u00fc\u00df")
    assert decode_html(b"\xef\xbb\xbf<p>bom</p>") == "<p>bom</p>"


def test_time_element_and_meta_dates() -> None:
    html = ("<html><body><article><h1>Post</h1><time datetime='2023-11-02T18:00:00-05:00'>"
            "Nov 2</time><p>" + P1 + "</p></article></body></html>")
    assert extract_page(html, URL).published_at == datetime(2023, 11, 2, 23, 0)
    meta = ('<html><head><meta property="article:published_time" content="2022-01-31T10:00:00Z">'
            "</head><body><p>" + P1 + "</p></body></html>")
    assert extract_page(meta, URL).published_at == datetime(2022, 1, 31, 10, 0)
    junk = ('<html><head><script type="application/ld+json">{not json</script></head>'
            "<body><p>" + P1 + "</p></body></html>")
    assert extract_page(junk, URL).text.startswith("Maria runs")


def test_canonical_and_links_resolve_against_base_href() -> None:
    html = ('<html><head><base href="https://cdn.example.net/blog/">'
            '<link rel="canonical" href="post-1"></head><body><article><p>' + P1 +
            ' <a href="other">other</a> <a href="ftp://files.example.net/x">ftp</a></p>'
            "</article></body></html>")
    page = extract_page(html, "https://example.net/p?id=1")
    assert page.canonical_url == "https://cdn.example.net/blog/post-1"
    assert page.links == ["https://cdn.example.net/blog/other"]


def test_fallback_when_trafilatura_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract.trafilatura, "bare_extraction", lambda *a, **k: None)
    page = extract_page(ARTICLE, URL)
    assert P1 in page.text and P3 in page.text
    for noise in ("COMMENTTEXT", "COOKIETEXT", "NAVTEXT", "FOOTERTEXT", "SCRIPTTEXT"):
        assert noise not in page.text
    assert page.links == ["https://example.org/ocr-tools",
                          "https://blog.example.com/posts/spreadsheets"]
    dense = ("<html><body><div class='nav'><a href='/a'>A</a></div><div id='x'><p>" + P1 +
             "</p><p>" + P2 + "</p></div><div><p>short</p></div></body></html>")
    assert extract_page(dense, URL).text.startswith("Maria runs")


def test_comment_state_flags_do_not_drop_the_post() -> None:
    html = ("<html><body><div class='post comments-open'><h2>Post</h2><p>" + P1 + "</p><p>" + P2 +
            "</p></div><div class='comment-list'><p>COMMENTTEXT me too</p></div></body></html>")
    page = extract_page(html, URL)
    assert P1 in page.text and "COMMENTTEXT" not in page.text


def test_markdown_and_text_documents() -> None:
    md = ("---\ntitle: Front matter title\ndate: 2024-01-02\nauthor: Ann\n---\n"
          "# Heading\nline one\nwrapped line\n\n- item a\n- item b\n\n"
          "See [the docs](https://docs.example.com/x) and https://example.org/y.\n")
    page = extract_text_document(md, "file:///tmp/a.md")
    assert page.title == "Front matter title" and page.author == "Ann"
    assert page.published_at == datetime(2024, 1, 2)
    assert page.text.splitlines() == ["Heading", "line one wrapped line", "- item a", "- item b",
                                      "See the docs and https://example.org/y."]
    assert page.links == ["https://docs.example.com/x", "https://example.org/y"]
    assert extract_text_document("Intro\n=====\nbody", "u").title == "Intro"
    assert extract_text_document("\n\nFirst line here\nmore", "u", "hint").title == (
        "First line here")
    assert extract_text_document("", "u", "hint").title == "hint"


def test_parse_date_shapes() -> None:
    assert parse_date("Tue, 05 Mar 2024 09:30:00 +0200") == datetime(2024, 3, 5, 7, 30)
    assert parse_date("Tue, 05 Mar 2024 09:30:00 GMT") == datetime(2024, 3, 5, 9, 30)
    assert parse_date("2024-03-05T09:30:00Z") == datetime(2024, 3, 5, 9, 30)
    assert parse_date("2024-03-05T09:30:00.123456789+0200") == datetime(2024, 3, 5, 7, 30, 0,
                                                                        123456)
    assert parse_date("2024-03-05") == datetime(2024, 3, 5)
    assert parse_date("March 5, 2024") == datetime(2024, 3, 5)
    for junk in (None, "", "yesterday", "0001-01-01", 12):
        assert parse_date(junk) is None


def test_fragment_to_text() -> None:
    text = html_fragment_to_text("<p>One &amp; two</p><p>Three<br>four</p><script>x()</script>")
    assert text == "One & two\nThree\nfour"
    assert html_fragment_to_text("plain  text") == "plain text"


def test_large_page_keeps_the_article_and_drops_navigation() -> None:
    """Its speed is measured by bench/fetch.py (a timed test only measured the machine's load)."""
    paras = "".join(f"<p>Paragraph {i}: the office manager copies data between the CRM and "
                    "invoices by hand every week, which is slow and error-prone.</p>"
                    for i in range(150))
    nav = "".join(f"<li><a href='/c/{i}'>Category {i}</a></li>" for i in range(200))
    html = (f"<html><head><script>{'var x = 1;' * 5000}</script></head><body><nav><ul>{nav}"
            f"</ul></nav><article><h1>T</h1>{paras}</article><footer>{nav}</footer></body></html>")
    page = extract_page(html, URL)
    assert "Paragraph 149" in page.text and "Category 3" not in page.text
