"""`reservoir profiles`: the businesses opportunities are scored for."""

from __future__ import annotations

from typing import Any

import typer

from reservoir.cli.common import JsonOpt, LimitOpt, OffsetOpt, print_json, print_page, print_table, session
from reservoir.memory.models import BusinessProfile
from reservoir.memory.profiles import list_profiles, upsert_profile

app = typer.Typer(help="Manage business profiles.", no_args_is_help=True)


def profile_public(p: BusinessProfile) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "industry": p.industry, "team_size": p.team_size,
            "hourly_rate": p.hourly_rate, "current_tools": p.current_tools,
            "challenges": p.challenges, "goals": p.goals}


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@app.command("add")
def add(
    name: str = typer.Argument(...),
    industry: str = typer.Option(..., "--industry", help="e.g. real_estate, accounting."),
    team_size: int = typer.Option(1, "--team-size", min=1),
    hourly_rate: float = typer.Option(50.0, "--hourly-rate", min=0),
    tools: str = typer.Option(None, "--tools", help="Comma-separated tools already in use."),
    challenges: str = typer.Option(None, "--challenges", help="Comma-separated."),
    goals: str = typer.Option(None, "--goals", help="Comma-separated."),
    as_json: bool = JsonOpt,
) -> None:
    """Add or update a business profile."""
    with session() as db:
        profile = upsert_profile(db, {
            "name": name, "industry": industry, "team_size": team_size,
            "hourly_rate": hourly_rate, "current_tools": _csv(tools),
            "challenges": _csv(challenges), "goals": _csv(goals)})
        data = profile_public(profile)
    if as_json:
        print_json(data)
    else:
        typer.echo(f"saved profile {name} #{data['id']}")


@app.command("list")
def list_(as_json: bool = JsonOpt, limit: int = LimitOpt, offset: int = OffsetOpt) -> None:
    """List business profiles."""
    with session() as db:
        page = list_profiles(db, limit=limit, offset=offset)
        items = [profile_public(p) for p in page.items]
    if as_json:
        print_page(items, page.total)
        return
    print_table("Profiles", ["id", "name", "industry", "team", "rate", "tools"],
                [[p["id"], p["name"], p["industry"], p["team_size"], p["hourly_rate"],
                  ", ".join(p["current_tools"])] for p in items], page.total)
