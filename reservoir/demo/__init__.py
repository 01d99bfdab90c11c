"""The offline demo: a labelled corpus of automation stories, served by a small local web.

`corpus/` holds the article pages, `newsletter/` a folder source, `labels.json` the answers
(automation types, tools, numbers and verbatim quotes per page) and `site.json` which page is
published on which channel (RSS, Atom, Hacker News, Reddit, Product Hunt, sitemap).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reservoir.demo.server import DemoServer, DemoSite, serve_forever

DEMO_DIR = Path(__file__).resolve().parent

__all__ = [
    "DEMO_DIR",
    "DemoServer",
    "DemoSite",
    "corpus_dir",
    "demo_profiles",
    "demo_sources",
    "load_labels",
    "load_site",
    "newsletter_dir",
    "serve_forever",
]


def corpus_dir() -> Path:
    """Folder of the HTML pages served under /articles/ (and the Reddit self posts)."""
    return DEMO_DIR / "corpus"


def newsletter_dir() -> Path:
    """Folder of saved newsletter issues, used by the `folder` source."""
    return DEMO_DIR / "newsletter"


def load_labels() -> dict[str, Any]:
    """The labelled answers: {"version": 1, "pages": [...]} (see labels.json)."""
    return json.loads((DEMO_DIR / "labels.json").read_text(encoding="utf-8"))


def load_site() -> dict[str, Any]:
    """The channel manifest the demo server is built from."""
    return json.loads((DEMO_DIR / "site.json").read_text(encoding="utf-8"))


def demo_sources(base_url: str, *, include_folder: bool = True) -> list[dict[str, Any]]:
    """The sources the demo registers; together they reach every labelled page."""
    base = base_url.rstrip("/")
    sources: list[dict[str, Any]] = [
        {"name": "demo-rss", "kind": "rss", "url": f"{base}/feed.xml", "config": {}},
        {"name": "demo-atom", "kind": "atom", "url": f"{base}/atom.xml", "config": {}},
        {"name": "demo-hackernews", "kind": "hackernews", "url": f"{base}/hn/v0",
         "config": {"list": "topstories", "limit": 30}},
        {"name": "demo-reddit-smallbusiness", "kind": "reddit", "url": f"{base}/r/smallbusiness",
         "config": {"listing": "new", "limit": 25}},
        {"name": "demo-reddit-nocode", "kind": "reddit", "url": f"{base}/r/nocode",
         "config": {"listing": "new", "limit": 25}},
        {"name": "demo-producthunt", "kind": "producthunt", "url": f"{base}/producthunt/feed.xml",
         "config": {"page": f"{base}/producthunt/"}},
        {"name": "demo-sitemap", "kind": "sitemap", "url": f"{base}/sitemap.xml",
         "config": {"limit": 50}},
    ]
    sources += [
        {"name": f"demo-html-{p['slug'][:40]}", "kind": "html", "url": base + p["path"],
         "config": {}}
        for p in load_site()["pages"] if p["html_source"]
    ]
    if include_folder:
        sources.append({"name": "demo-newsletters", "kind": "folder",
                        "url": str(newsletter_dir()), "config": {"pattern": "*"}})
    return sources


def demo_profiles() -> list[dict[str, Any]]:
    """Two sample business profiles for the demo's ROI estimates."""
    return [
        {
            "name": "Harborview Realty Group",
            "industry": "real_estate",
            "team_size": 12,
            "hourly_rate": 55.0,
            "current_tools": ["Follow Up Boss", "Google Workspace", "Zillow Premier Agent",
                              "DocuSign", "Canva", "Mailchimp"],
            "challenges": [
                "Online leads wait hours for a first call, especially in the evening",
                "Agents write listing descriptions and social posts from scratch",
                "Past clients are rarely contacted after closing",
                "Transaction paperwork is chased by email",
            ],
            "goals": [
                "Answer every new lead within 5 minutes",
                "Save 10 hours a week of admin across the team",
                "Grow referrals from past clients",
            ],
            "headcount": {"agents": 9, "inbound email": 1, "transaction coordinator": 1,
                          "marketing": 1},
            "monthly_volumes": {"leads": 320, "appointments": 140},
        },
        {
            "name": "Nguyen & Partners Accounting",
            "industry": "accounting",
            "team_size": 5,
            "hourly_rate": 75.0,
            "current_tools": ["QuickBooks", "Xero", "Gmail", "Google Sheets", "Calendly"],
            "challenges": [
                "Month-end close waits on missing receipts from clients",
                "Monthly management reports are built by hand in spreadsheets",
                "Tax season appointment scheduling swamps the front desk",
            ],
            "goals": [
                "Close client books by the 10th of each month",
                "Free up one day a week per bookkeeper",
                "Offer advisory calls instead of data entry",
            ],
            "headcount": {"bookkeepers": 3, "front desk": 1},
            "monthly_volumes": {"invoices": 180, "appointments": 60},
        },
    ]
