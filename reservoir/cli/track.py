"""`reservoir track`: a profile's implementation of an opportunity, and what it really did."""

from __future__ import annotations

import typer

from reservoir.cli.common import JsonOpt, fail, print_json, print_page, print_table, session
from reservoir.memory import implementations as impl
from reservoir.memory.profiles import get_profile

app = typer.Typer(help="Track implementations: bookmark → start → done (with actuals) | abandon.",
                  no_args_is_help=True)

ProfileOpt = typer.Option(..., "--profile", help="Profile name or id.")


def _apply(opportunity_id: int, profile: str, change: impl.TrackIn, as_json: bool) -> None:
    with session() as db:
        found = get_profile(db, profile)
        if found is None:
            fail(f"no profile named {profile!r}")
        row = impl.track(db, found, opportunity_id, change)
        data = impl.shown(db, [row])[0].model_dump(mode="json")
    if as_json:
        print_json(data)
        return
    actuals = [f"{label} {data[name]:g}" for name, label in (
        ("actual_setup_hours", "setup h"), ("actual_hours_saved_week", "saved h/week"),
        ("actual_tool_cost_month", "tools $/month")) if data[name] is not None]
    typer.echo(f"{found.name}: opportunity {opportunity_id} is {data['status']}"
               + (f" ({', '.join(actuals)})" if actuals else ""))


@app.command("bookmark")
def bookmark(opportunity_id: int = typer.Argument(...), profile: str = ProfileOpt,
             notes: str = typer.Option(None, "--notes"), as_json: bool = JsonOpt) -> None:
    """Bookmark an opportunity for a profile."""
    _apply(opportunity_id, profile, impl.TrackIn(status="bookmarked", notes=notes), as_json)


@app.command("start")
def start(opportunity_id: int = typer.Argument(...), profile: str = ProfileOpt,
          notes: str = typer.Option(None, "--notes"), as_json: bool = JsonOpt) -> None:
    """Mark an opportunity in progress."""
    _apply(opportunity_id, profile, impl.TrackIn(status="in_progress", notes=notes), as_json)


@app.command("done")
def done(
    opportunity_id: int = typer.Argument(...),
    profile: str = ProfileOpt,
    setup_hours: float = typer.Option(None, "--setup-hours", min=0, help="Actual setup hours."),
    hours_saved: float = typer.Option(None, "--hours-saved", min=0,
                                      help="Actual hours saved per week."),
    tool_cost: float = typer.Option(None, "--tool-cost", min=0, help="Actual tool cost per month."),
    notes: str = typer.Option(None, "--notes"),
    as_json: bool = JsonOpt,
) -> None:
    """Mark an opportunity implemented, with what it really took and saves (repeatable)."""
    _apply(opportunity_id, profile, impl.TrackIn(
        status="implemented", actual_setup_hours=setup_hours,
        actual_hours_saved_week=hours_saved, actual_tool_cost_month=tool_cost, notes=notes),
        as_json)


@app.command("abandon")
def abandon(opportunity_id: int = typer.Argument(...), profile: str = ProfileOpt,
            notes: str = typer.Option(None, "--notes"), as_json: bool = JsonOpt) -> None:
    """Mark an opportunity abandoned."""
    _apply(opportunity_id, profile, impl.TrackIn(status="abandoned", notes=notes), as_json)


@app.command("list")
def list_(profile: str = ProfileOpt, as_json: bool = JsonOpt) -> None:
    """A profile's tracked opportunities, projected next to actual."""
    with session() as db:
        found = get_profile(db, profile)
        if found is None:
            fail(f"no profile named {profile!r}")
        items = [i.model_dump(mode="json") for i in impl.shown(db, impl.list_implementations(db, found.id))]
    if as_json:
        print_page(items, len(items))
        return

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:g}"

    print_table(f"Tracked by {found.name}", ["opp", "title", "status", "projected h/wk",
                                             "actual h/wk", "setup h", "tools $/mo"],
                [[i["opportunity_id"], (i["title"] or "")[:50], i["status"],
                  fmt(i["projected_hours_saved_week"]), fmt(i["actual_hours_saved_week"]),
                  fmt(i["actual_setup_hours"]), fmt(i["actual_tool_cost_month"])] for i in items],
                len(items))
