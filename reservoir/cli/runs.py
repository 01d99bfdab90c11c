"""`reservoir discover` and `reservoir runs`: start, follow, resume, cancel, approve runs.

Every start, cancel and follow goes through the launcher (reservoir/launcher.py), as the API's
do: the queue when RESERVOIR_REDIS_URL is set, else a thread of this process.
"""

from __future__ import annotations

from typing import Any

import typer
from redis.exceptions import RedisError

from reservoir.cli.common import (
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    console,
    fail,
    print_json,
    print_page,
    print_table,
    session,
    settings,
)
from reservoir.config import Settings
from reservoir.graphs import runner
from reservoir.launcher import (
    InProcessLauncher,
    RqLauncher,
    RunBusyError,
    RunLauncher,
    last_seq,
    make_launcher,
)
from reservoir.memory import runs as run_queries
from reservoir.memory import sightings
from reservoir.memory.public import RunDetail, RunPublic, public_json

app = typer.Typer(help="Inspect and control runs.", no_args_is_help=True)


def progress_printer(event: dict[str, Any]) -> None:
    """One line per step a person cares about: which agent, how many documents, what was found."""
    node, kind, payload = event["node"], event["type"], event["payload"]
    if kind == "source_done":
        searched = f" (search {payload['query']!r})" if payload.get("query") else ""
        console.print(f"  scout  {payload['name']}{searched}: fetched {payload['fetched']}, "
                      f"new {payload['new']}, unchanged {payload['unchanged']}, "
                      f"duplicate {payload['duplicate']}, failed {payload['failed']}"
                      + _left_clause(payload), highlight=False, soft_wrap=True)
    elif kind == "searches_planned":
        for query in payload.get("queries", []):
            console.print(f"  search “{query['text']}” ({query['origin']})", highlight=False,
                          soft_wrap=True)
    elif kind == "source_failed":
        console.print(f"  scout  {payload['name']}: [red]failed[/] — {payload['error']}",
                      highlight=False)
    elif kind == "step" and node in ("analyst", "roi", "writer"):
        counters = payload.get("counters", {})
        console.print(f"  {node:<7}" + ", ".join(f"{k.replace('_', ' ')} {v}"
                                                 for k, v in counters.items()))
    elif kind == "step" and payload.get("notes"):
        for note in payload["notes"]:
            console.print(f"  note   {note}")


def left_note(left: int) -> str:
    """What a listing holds beyond the per-run limit, in the words the user reads."""
    return f"{left} more item{'s' if left != 1 else ''}: next run" if left else ""


def _left_clause(payload: dict[str, Any]) -> str:
    note = left_note(payload.get("left") or 0)
    return f"; {note}" if note else ""


def print_source_summary(run_id: str) -> None:
    with session() as db:
        run = run_queries.get_run(db, run_id)
        sources = (run.counters or {}).get("sources", []) if run else []
    if sources:
        print_table("Sources", ["source", "query", "fetched", "new", "unchanged", "duplicate",
                                "failed", "known", "left", "reason"],
                    [[s["name"], s.get("query") or "", s["fetched"], s["new"], s["unchanged"],
                      s["duplicate"], s["failed"], s.get("known", 0),
                      left_note(s.get("left") or 0), s["error"] or ""] for s in sources])


def start_run(cfg: Settings, run_id: str, *, resume_value: Any = None,
              launcher: RunLauncher | None = None) -> RunLauncher:
    """Start the run through the launcher (the queue, or this process); one clear line if it
    cannot start (unknown, finished, waiting for a decision, already going, queue down)."""
    launcher = launcher or make_launcher(cfg)
    try:
        launcher.launch(run_id, resume_value=resume_value)
    except (runner.RunError, RunBusyError, RedisError) as exc:
        fail(f"could not queue run {run_id}: {exc}" if isinstance(launcher, RqLauncher) else str(exc))
    return launcher


def follow_run(launcher: RunLauncher, run_id: str, *, after: int = 0, quiet: bool = False) -> str:
    """Print the run's progress until it stops moving; its status. Ctrl-C stops following a
    queued run (it goes on); a run in this process stops, resumable from its checkpoint."""
    try:
        return launcher.follow(run_id, None if quiet else progress_printer, after=after)
    except KeyboardInterrupt:
        if isinstance(launcher, InProcessLauncher):
            launcher.abandon("KeyboardInterrupt: stopped from the terminal")
            console.print(f"\nstopped run {run_id}; continue it with: reservoir runs resume {run_id}")
        else:
            console.print(f"\nstopped following; the run goes on: reservoir runs show {run_id}")
        raise typer.Exit(130) from None


def run_to_end(run_id: str, resume_value: Any = None, quiet: bool = False) -> str:
    """Continue a recorded run through the launcher and follow what this launch adds."""
    cfg = settings()
    try:
        run_id = runner.resumable(cfg, run_id).id
    except runner.RunError as exc:
        fail(str(exc))
    after = last_seq(cfg, run_id)
    return follow_run(start_run(cfg, run_id, resume_value=resume_value), run_id, after=after,
                      quiet=quiet)


def finish_line(run_id: str, status: str) -> None:
    with session() as db:
        run = run_queries.get_run(db, run_id)
        error = (run.error or "").splitlines()[0] if run and run.error else ""
    colour = {"succeeded": "green", "interrupted": "yellow"}.get(status, "red")
    console.print(f"run {run_id}: [{colour}]{status}[/] {error}", highlight=False)
    if status == "interrupted" and waiting_for_budget(run_id):
        console.print("the model budget ran out; raise RESERVOIR_BUDGET_TOKENS / "
                      f"RESERVOIR_BUDGET_USD, then: reservoir runs resume {run_id}")
    elif status == "interrupted":
        console.print(f"approve with: reservoir runs approve {run_id}  (or reject)")


def waiting_for_budget(run_id: str) -> bool:
    """Whether the run's latest pause is the analyst's budget stop (not an approval)."""
    with session() as db:
        run = run_queries.get_run(db, run_id)
    return run is not None and runner.waiting_for_budget(settings(), run.id)


def discover(
    source: list[str] = typer.Option(None, "--source", help="Source name (repeatable); default all active."),
    profile: list[str] = typer.Option(None, "--profile", help="Profile name (repeatable); default all."),
    focus: list[str] = typer.Option(None, "--focus", help="Focus area for search queries."),
    require_approval: bool = typer.Option(None, "--require-approval/--no-approval"),
    detach: bool = typer.Option(False, "--detach",
                                help="With RESERVOIR_REDIS_URL: print the run id; a worker runs it."),
    as_json: bool = JsonOpt,
) -> None:
    """Run discovery: scout → analyst → ROI → report, with live progress."""
    cfg = settings()
    if detach and not cfg.redis_url:
        fail("--detach needs a queue: set RESERVOIR_REDIS_URL and run `reservoir worker`")
    try:
        run_id = runner.create_discovery_run(cfg, sources=source or None, profiles=profile or None,
                                             focus=focus or None, require_approval=require_approval)
    except runner.RunError as exc:
        fail(str(exc))
    launcher = start_run(cfg, run_id)
    if detach:
        if as_json:
            print_json({"id": run_id, "status": "queued"})
        else:
            typer.echo(run_id)
        return
    if not as_json:
        console.print(f"run {run_id} queued; following it (Ctrl-C stops following, not the run)"
                      if cfg.redis_url else f"run {run_id} started")
    status = follow_run(launcher, run_id, quiet=as_json)
    if as_json:
        with session() as db:
            print_json(public_json(RunPublic, run_queries.get_run(db, run_id)))
    else:
        print_source_summary(run_id)
        with session() as db:
            run = run_queries.get_run(db, run_id)
            print_searches(sightings.with_documents(db, (run.counters or {}).get("searches", [])))
        finish_line(run_id, status)
    if status == "failed":
        raise typer.Exit(1)


@app.command("list")
def list_(status: str = typer.Option(None, "--status"), as_json: bool = JsonOpt,
          limit: int = LimitOpt, offset: int = OffsetOpt) -> None:
    """List runs, newest first."""
    with session() as db:
        page = run_queries.list_runs(db, status=status, limit=limit, offset=offset)
        items = [public_json(RunPublic, r) for r in page.items]
    if as_json:
        print_page(items, page.total)
        return
    print_table("Runs", ["id", "kind", "trigger", "status", "created", "finished"],
                [[r["id"], r["kind"], r["trigger"], r["status"], r["created_at"],
                  r["finished_at"]] for r in items], page.total)


@app.command("show")
def show(run_id: str, as_json: bool = JsonOpt) -> None:
    """Show a run with its counters and events."""
    with session() as db:
        run = run_queries.get_run(db, run_id)
        if run is None:
            fail(f"no run {run_id!r}")
        data = public_json(RunDetail, run, events=run_queries.events_after(db, run.id))
        data["searches"] = sightings.with_documents(db, (run.counters or {}).get("searches", []))
    if as_json:
        print_json(data)
        return
    console.print(f"run {data['id']} ({data['kind']}, {data['trigger']}): {data['status']}")
    for event in data["events"]:
        console.print(f"  #{event['seq']} {event['node']} {event['type']}", highlight=False)
    print_searches(data["searches"])


def print_searches(searches: list[dict[str, Any]]) -> None:
    """Which query found which document."""
    for search in searches:
        console.print(f"search “{search['query']}” ({search['origin']}): "
                      f"{len(search['documents'])} new document(s)", highlight=False,
                      soft_wrap=True)
        for doc in search["documents"]:
            console.print(f"  {doc['url']}  {doc['title']}", highlight=False, soft_wrap=True)


@app.command("resume")
def resume(run_id: str) -> None:
    """Continue an unfinished run from its last checkpoint, in the foreground."""
    status = run_to_end(run_id)
    finish_line(run_id, status)
    if status != "succeeded":
        raise typer.Exit(1)


@app.command("cancel")
def cancel(run_id: str) -> None:
    """Cancel a run (a queued one leaves the queue; a running one stops at its next step)."""
    try:
        make_launcher(settings()).cancel(run_id)
    except runner.RunError as exc:
        fail(str(exc))
    except RedisError as exc:
        fail(f"could not reach the queue to cancel run {run_id}: {exc}")
    typer.echo(f"cancel requested for {run_id}")


@app.command("approve")
def approve(run_id: str) -> None:
    """Publish the reports of an interrupted run."""
    finish_line(run_id, run_to_end(run_id, resume_value={"approved": True}))


@app.command("reject")
def reject(run_id: str) -> None:
    """Reject the reports of an interrupted run."""
    finish_line(run_id, run_to_end(run_id, resume_value={"approved": False}))
