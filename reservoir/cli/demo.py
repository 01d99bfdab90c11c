"""`reservoir demo` (the README's main job) and `reservoir report`.

Both go through the launcher like every run: the demo's discovery in this process (it serves
the corpus), the report pass as a run of kind ``report`` (runner.create_report_run).
"""

from __future__ import annotations

import socket
import time
import webbrowser

import typer

from reservoir.cli.common import console, fail, print_table, session, settings
from reservoir.cli.runs import finish_line, follow_run, print_source_summary, start_run
from reservoir.graphs import runner
from reservoir.launcher import InProcessLauncher
from reservoir.memory import opportunities as opp_queries
from reservoir.memory import runs as run_queries
from reservoir.memory.models import Report
from reservoir.memory.profiles import upsert_profile
from reservoir.memory.reports import export_report
from reservoir.memory.sources import add_source

DEMO_PORT = 8765


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _register_demo(base_url: str) -> tuple[list[str], list[str]]:
    from reservoir.demo import demo_profiles, demo_sources

    with session() as db:
        names = [add_source(db, s["name"], s["kind"], s["url"], s.get("config"),
                            replace=True).name for s in demo_sources(base_url)]
        profiles = [upsert_profile(db, p).name for p in demo_profiles()]
    return names, profiles


def demo() -> None:
    """Serve the offline demo corpus on loopback, run discovery on it, print what was found."""
    import os

    from reservoir.demo.server import DemoServer

    allow = os.environ.get("RESERVOIR_FETCH_ALLOW", "")
    if "127.0.0.0/8" not in allow:
        os.environ["RESERVOIR_FETCH_ALLOW"] = ",".join(filter(None, [allow, "127.0.0.0/8"]))
    started = time.perf_counter()
    port = DEMO_PORT if _free(DEMO_PORT) else 0
    with DemoServer(port=port) as server:
        console.print(f"demo corpus served at {server.base_url} (loopback only)")
        sources, profiles = _register_demo(server.base_url)
        console.print(f"registered {len(sources)} sources and profiles {', '.join(profiles)}")
        cfg = settings()
        run_id = runner.create_discovery_run(cfg, sources=sources, profiles=profiles,
                                             require_approval=False)
        # In this process even with a queue: the corpus is served here, on loopback.
        launcher = start_run(cfg, run_id, launcher=InProcessLauncher(cfg))
        console.print(f"run {run_id} started")
        status = follow_run(launcher, run_id)
    print_source_summary(run_id)
    _print_top_opportunities()
    _print_reports(run_id)
    finish_line(run_id, status)
    console.print(f"done in {time.perf_counter() - started:.1f}s")
    if status == "failed":
        raise typer.Exit(1)


def _print_top_opportunities(limit: int = 12) -> None:
    from sqlmodel import select

    from reservoir.memory.models import Opportunity

    with session() as db:
        total = opp_queries.list_opportunities(db, limit=1).total
        rows = db.exec(select(Opportunity).order_by(Opportunity.total_score.desc(),
                                                    Opportunity.id).limit(limit)).all()
        table = [[o.id, o.title[:60], o.automation_type, ", ".join(o.tools[:3]), o.mentions,
                  o.total_score] for o in rows]
    print_table(f"Top opportunities ({total} in the reservoir)",
                ["id", "title", "type", "tools", "mentions", "score"], table)


def _print_reports(run_id: str) -> None:
    from sqlmodel import select

    with session() as db:
        reports = db.exec(select(Report).where(Report.run_id == run_id)).all()
        for report in reports:
            path = export_report(settings(), db, report)
            console.print(f"report ({report.status}): {path}")


def report(profile: str = typer.Option(..., "--profile", help="Profile name."),
           open_: bool = typer.Option(False, "--open", help="Open the HTML in a browser.")) -> None:
    """Write a fresh report for a profile from what the reservoir holds now (a `report` run)."""
    cfg = settings()
    try:
        run_id = runner.create_report_run(cfg, profile=profile)
    except runner.RunError as exc:
        fail(str(exc))
    launcher = start_run(cfg, run_id)
    if cfg.redis_url:
        console.print(f"run {run_id} queued; following it (Ctrl-C stops following, not the run)")
    status = follow_run(launcher, run_id, quiet=True)
    if status != "succeeded":
        finish_line(run_id, status)
        raise typer.Exit(1)
    with session() as db:
        run = run_queries.get_run(db, run_id)
        stored = db.get(Report, (run.counters or {}).get("reports", [None])[0])
        path = export_report(cfg, db, stored)
    console.print(f"report: {path}")
    if open_:
        webbrowser.open(path.as_uri())
