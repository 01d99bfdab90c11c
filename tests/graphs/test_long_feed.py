"""A feed longer than the per-run limit is worked through: each run sets aside what is
already stored, takes the next `limit` items, and says how many are left for the next run.

The feed (236 full-text items, with an ETag so an unchanged feed answers 304) is served
from loopback; the runs go through the `reservoir` CLI, as a user would run them.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from reservoir.cli.main import app
from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Run
from tests.graphs.helpers import demo_settings
from tests.tools.test_sources import Site, _handler

ITEMS = 236
DEFAULT_LIMIT = 50  # the rss adapter's default `limit`
TRADES = ["bakery", "dental", "plumbing", "law", "florist", "garage", "salon", "cafe"]

runner = CliRunner()


def long_feed(count: int) -> str:
    """Full-text items (no article fetch needed), each with its own words and link."""
    items = []
    for i in range(count):
        trade = TRADES[i % len(TRADES)]
        # Plain local news: what this test measures is the scout, so the analyst's cheap
        # pre-filter sets these aside instead of extracting from 236 documents.
        body = (f"Story {i}: the {trade} on Main Street held its summer fair on day {i % 28 + 1}. "
                f"About {i + 40} neighbours came, ate cake by the river and listened to the "
                "brass band until the evening, and the children painted the old fence in "
                "bright colours while their parents talked about the weather and the harvest. ") * 2
        items.append(f"<item><title>Story {i} from a {trade}</title><link>/stories/{i}</link>"
                     f"<pubDate>Mon, 02 Dec 2024 10:{i % 60:02d}:00 +0000</pubDate>"
                     f"<content:encoded><![CDATA[<p>{body}</p>]]></content:encoded></item>")
    return ('<?xml version="1.0"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Long feed</title>{''.join(items)}</channel></rss>")


@pytest.fixture
def feed_site() -> Iterator[Site]:
    site = Site()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    httpd.daemon_threads = True
    site.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()
    site.add("/feed.xml", long_feed(ITEMS), ctype="application/rss+xml", etag='"long-1"')
    yield site
    httpd.shutdown()
    httpd.server_close()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow  # five discovery runs over 236 documents
def test_long_feed_is_drained_one_limit_per_run(tmp_path: Path, feed_site: Site,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(data))
    monkeypatch.setenv("RESERVOIR_FETCH_ALLOW", "127.0.0.0/8")
    monkeypatch.setenv("RESERVOIR_FETCH_PER_HOST_RPS", "200")
    _cli("sources", "add", "long", "--kind", "rss", "--url", feed_site.url("/feed.xml"))
    settings = demo_settings(data)
    runs = math.ceil(ITEMS / DEFAULT_LIMIT)
    stored, lefts, outputs = [], [], []
    for _ in range(runs):
        outputs.append(_cli("discover", "--source", "long"))
        with session_scope(settings) as session:
            run = session.exec(select(Run).order_by(Run.created_at.desc())).first()
            summary = run.counters["sources"][0]
            stored.append(len(session.exec(select(Document)).all()))
        lefts.append(summary["left"])
        listed = json.loads(_cli("sources", "list", "--json"))["items"][0]
        assert listed["backlog"] == summary["left"]
    print(f"documents stored after each run: {stored}; left after each run: {lefts}")
    assert stored == [min(ITEMS, DEFAULT_LIMIT * (k + 1)) for k in range(runs)]
    assert lefts == [max(0, ITEMS - DEFAULT_LIMIT * (k + 1)) for k in range(runs)]
    assert "long: fetched 50, new 50" in outputs[0]
    assert "186 more items: next run" in outputs[0]
    assert "36 more items: next run" in outputs[3]
    assert "more item" not in outputs[-1]
    # The feed was read in full every run although it never changed (a 304 would have
    # hidden the items left on it).
    assert feed_site.count("/feed.xml") == runs
    # Drained: one more run finds nothing new, sets everything aside, and the feed's 304
    # is honoured again.
    _cli("discover", "--source", "long")
    with session_scope(settings) as session:
        assert len(session.exec(select(Document)).all()) == ITEMS
