"""The reddit adapter against a listing shaped like the one Reddit returns for /r/x/.json:
`limit` real posts plus the subreddit's stickied posts on top, served from loopback."""

from __future__ import annotations

import json
from typing import Any

from reservoir.config import Settings
from reservoir.tools.fetch import Fetcher
from reservoir.tools.sources import SourceSpec, collect
from tests.tools.conftest import LoopbackServer
from tests.tools.test_sources import article


def reddit_post(n: int, *, stickied: bool = False, link: str | None = None) -> dict[str, Any]:
    """One t3 child with the fields Reddit's listing carries (a subset of ~100, the ones
    that differ between posts or that the adapter reads)."""
    post_id = f"1h{n:04x}"
    permalink = f"/r/smallbusiness/comments/{post_id}/post_{n}/"
    return {"kind": "t3", "data": {
        "approved_at_utc": None, "subreddit": "smallbusiness", "author_fullname": f"t2_u{n}",
        "saved": False, "gilded": 0, "clicked": False, "title": f"Post {n}: how we handle invoices",
        "subreddit_name_prefixed": "r/smallbusiness", "hidden": False, "pwls": 6,
        "link_flair_css_class": None, "downs": 0, "hide_score": False, "name": f"t3_{post_id}",
        "quarantine": False, "upvote_ratio": 0.93, "subreddit_type": "public", "ups": 10 + n,
        "domain": "self.smallbusiness" if link is None else "127.0.0.1",
        "is_self": link is None, "created": 1733000000.0 + n, "link_flair_text": None,
        "score": 10 + n, "thumbnail": "self" if link is None else "default", "edited": False,
        "selftext": f"Body of post {n}: we copy invoices from email by hand every week.",
        "selftext_html": None, "over_18": False, "spoiler": False, "locked": False,
        "stickied": stickied, "distinguished": "moderator" if stickied else None,
        "id": post_id, "author": f"user{n}", "num_comments": n, "send_replies": True,
        "permalink": permalink, "url": link or f"https://www.reddit.com{permalink}",
        "subreddit_subscribers": 2100000, "created_utc": 1733000000.0 + n, "num_crossposts": 0,
        "media": None, "is_video": False,
    }}


def hot_listing(base: str) -> dict[str, Any]:
    """Two stickied posts first, then 25 real ones (three of them link posts), as Reddit
    answers `/.json?limit=25` for a subreddit with two pinned threads."""
    stickied = [reddit_post(900, stickied=True), reddit_post(901, stickied=True)]
    real = [reddit_post(i, link=f"{base}/ext/{i}" if i in (3, 12, 24) else None)
            for i in range(25)]
    children = stickied + real
    return {"kind": "Listing", "data": {"after": "t3_1h0018", "dist": len(children),
                                        "modhash": "", "geo_filter": None,
                                        "children": children, "before": None}}


async def test_hot_listing_with_stickied_posts_keeps_all_real_posts(
        server: LoopbackServer, make_settings: Any) -> None:
    base = server.url("").rstrip("/")
    server.route("/r/smallbusiness/.json", {
        "body": json.dumps(hot_listing(base)).encode(),
        "headers": {"Content-Type": "application/json; charset=UTF-8"}})
    for i in (3, 12, 24):
        server.route(f"/ext/{i}", {"body": article(f"Article {i}", "bakery"),
                                   "headers": {"Content-Type": "text/html"}})
    settings: Settings = make_settings(fetch_respect_robots=False)
    spec = SourceSpec(name="sb", kind="reddit", url=server.url("/r/smallbusiness"))
    async with Fetcher(settings) as fetcher:
        result = await collect(spec, fetcher)
    assert result.errors == []
    ids = [item.extra["reddit_id"] for item in result.items]
    assert len(ids) == 25, ids
    assert ids[-1] == "1h0018" and ids[-2] == "1h0017"  # the last real posts are kept
    assert "1h0384" not in ids and "1h0385" not in ids  # stickied 900/901 are left out
    assert result.skipped == 2
    link = next(i for i in result.items if i.extra["reddit_id"] == "1h0018")
    assert link.url == f"{base}/ext/24" and "bakery business" in link.text
