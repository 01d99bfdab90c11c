"""Helpers shared by the graph tests: register the demo corpus, run discovery, snapshot results."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import select

from reservoir.config import Settings, load_settings
from reservoir.demo import demo_profiles, demo_sources
from reservoir.graphs.runner import create_discovery_run, execute_run
from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Evidence, Opportunity, Report, RoiEstimate
from reservoir.memory.profiles import upsert_profile
from reservoir.memory.sources import add_source


def register_demo(settings: Settings, base_url: str) -> tuple[list[str], list[str]]:
    with session_scope(settings) as session:
        sources = [add_source(session, s["name"], s["kind"], s["url"], s.get("config"),
                              replace=True).name for s in demo_sources(base_url)]
        profiles = [upsert_profile(session, p).name for p in demo_profiles()]
    return sources, profiles


def run_discovery(settings: Settings, base_url: str, *, only: list[str] | None = None,
                  **overrides: Any) -> tuple[str, str]:
    sources, profiles = register_demo(settings, base_url)
    run_id = create_discovery_run(settings, sources=only or sources, profiles=profiles)
    status = asyncio.run(execute_run(settings, run_id, **overrides))
    return run_id, status


def demo_settings(path: Path, **overrides: Any) -> Settings:
    return load_settings(data_dir=path, fetch_allow=["127.0.0.0/8"], fetch_per_host_rps=200,
                         fetch_per_host_concurrency=16, **overrides)


def snapshot(settings: Settings) -> dict[str, Any]:
    """Everything a run produces, without ids or clocks: equal snapshots = equal results."""
    with session_scope(settings) as session:
        docs = {d.id: d for d in session.exec(select(Document)).all()}
        opps = session.exec(select(Opportunity)).all()
        evidence = session.exec(select(Evidence)).all()
        by_opp: dict[int, list[tuple[str, str, str]]] = {}
        for e in evidence:
            by_opp.setdefault(e.opportunity_id, []).append((docs[e.document_id].url, e.kind, e.quote))
        roi = session.exec(select(RoiEstimate)).all()
        opp_key = {o.id: o.key for o in opps}
        reports = session.exec(select(Report)).all()
        return {
            "documents": sorted((d.url, d.content_hash, d.analysed_at is not None) for d in docs.values()),
            "opportunities": sorted(
                (o.key, o.title, o.automation_type, tuple(sorted(o.tools)), o.mentions,
                 tuple(sorted(by_opp.get(o.id, [])))) for o in opps),
            "roi": sorted((opp_key[r.opportunity_id], r.profile_id, r.monthly_net_value,
                           r.confidence) for r in roi),
            "reports": sorted(_strip_clock(r.markdown) for r in reports),
        }


def _strip_clock(markdown: str) -> str:
    return "\n".join(line for line in markdown.splitlines() if "generated" not in line)


def snapshot_diff(left: dict[str, Any], right: dict[str, Any], limit: int = 3) -> list[str]:
    """Readable differences between two snapshots (empty when equal)."""
    out = []
    for key in left:
        a, b = set(map(repr, left[key])), set(map(repr, right[key]))
        out += [f"{key} only left: {x[:400]}" for x in sorted(a - b)[:limit]]
        out += [f"{key} only right: {x[:400]}" for x in sorted(b - a)[:limit]]
    return out
