"""`reservoir profiles`: the businesses opportunities are scored for."""

from __future__ import annotations

import typer

from reservoir.cli.common import (
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    fail,
    print_json,
    print_page,
    print_table,
    session,
)
from reservoir.memory.profiles import list_profiles, upsert_profile
from reservoir.memory.public import ProfilePublic, public_json

app = typer.Typer(help="Manage business profiles.", no_args_is_help=True)


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _headcount(value: str | None) -> dict[str, int] | None:
    """"inbound email=1, agents=9" -> {"inbound email": 1, "agents": 9}; a bad pair is a
    one-line error naming it."""
    if not value:
        return None
    out: dict[str, int] = {}
    for pair in _csv(value):
        role, _, n = pair.rpartition("=")
        if not role.strip() or not n.strip().isdigit():
            raise typer.BadParameter(f"{pair!r}: write ROLE=NUMBER, e.g. \"inbound email=1\"",
                                     param_hint="--headcount")
        out[role.strip()] = int(n)
    return out


def _volumes(**per_month: float | None) -> dict[str, float] | None:
    given = {kind: float(n) for kind, n in per_month.items() if n is not None}
    return given or None


@app.command("add")
def add(
    name: str = typer.Argument(...),
    industry: str = typer.Option(..., "--industry", help="e.g. real_estate, accounting."),
    team_size: int = typer.Option(1, "--team-size", min=1),
    hourly_rate: float = typer.Option(50.0, "--hourly-rate", min=0),
    tools: str = typer.Option(None, "--tools", help="Comma-separated tools already in use."),
    challenges: str = typer.Option(None, "--challenges", help="Comma-separated."),
    goals: str = typer.Option(None, "--goals", help="Comma-separated."),
    headcount: str = typer.Option(None, "--headcount",
                                  help='People per function or role: "inbound email=1,agents=9".'),
    leads: float = typer.Option(None, "--leads-per-month", min=0),
    invoices: float = typer.Option(None, "--invoices-per-month", min=0),
    appointments: float = typer.Option(None, "--appointments-per-month", min=0),
    tickets: float = typer.Option(None, "--tickets-per-month", min=0),
    as_json: bool = JsonOpt,
) -> None:
    """Add or update a business profile (headcount and volumes scale its ROI estimates)."""
    with session() as db:
        try:
            profile = upsert_profile(db, {
                "name": name, "industry": industry, "team_size": team_size,
                "hourly_rate": hourly_rate, "current_tools": _csv(tools),
                "challenges": _csv(challenges), "goals": _csv(goals),
                "headcount": _headcount(headcount),
                "monthly_volumes": _volumes(leads=leads, invoices=invoices,
                                            appointments=appointments, tickets=tickets)})
        except ValueError as exc:
            fail(str(exc))
        data = public_json(ProfilePublic, profile)
    if as_json:
        print_json(data)
    else:
        typer.echo(f"saved profile {name} #{data['id']}")


@app.command("list")
def list_(as_json: bool = JsonOpt, limit: int = LimitOpt, offset: int = OffsetOpt) -> None:
    """List business profiles."""
    with session() as db:
        page = list_profiles(db, limit=limit, offset=offset)
        items = [public_json(ProfilePublic, p) for p in page.items]
    if as_json:
        print_page(items, page.total)
        return
    print_table("Profiles", ["id", "name", "industry", "team", "rate", "tools"],
                [[p["id"], p["name"], p["industry"], p["team_size"], p["hourly_rate"],
                  ", ".join(p["current_tools"])] for p in items], page.total)
