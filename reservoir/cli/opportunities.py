"""`reservoir opportunities`: browse the reservoir; every claim carries its evidence."""

from __future__ import annotations

import typer

from reservoir.agents.verify import field_traces
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
    shorten,
)
from reservoir.memory import opportunities as opp_queries
from reservoir.memory.models import Opportunity

app = typer.Typer(help="Browse and curate opportunities.", no_args_is_help=True)


@app.command("list")
def list_(
    automation_type: str = typer.Option(None, "--type", help="Filter by automation type."),
    industry: str = typer.Option(None, "--industry", help="Filter by industry."),
    status: str = typer.Option(None, "--status", help="new, approved, rejected or archived."),
    tool: str = typer.Option(None, "--tool", help="Filter by tool name."),
    as_json: bool = JsonOpt, limit: int = LimitOpt, offset: int = OffsetOpt,
) -> None:
    """List opportunities, newest first, with tools and evidence."""
    query = opp_queries.OpportunityQuery(automation_type=automation_type, industry=industry,
                                         status=status, tool=tool)
    with session() as db:
        page = opp_queries.list_opportunities(db, query, limit=limit, offset=offset)
        items = [o.model_dump(mode="json") for o in opp_queries.with_evidence(db, page.items)]
    if as_json:
        print_page(items, page.total)
        return
    print_table("Opportunities", ["id", "title", "type", "tools", "mentions", "score", "status"],
                [[o["id"], shorten(o["title"], 60), o["automation_type"],
                  shorten(", ".join(o["tools"]), 40), o["mentions"], o["scores"]["total_score"],
                  o["status"]] for o in items], page.total)


@app.command("show")
def show(opp_id: int = typer.Argument(..., help="Opportunity id."), as_json: bool = JsonOpt) -> None:
    """Show one opportunity with every evidence quote and its source url."""
    with session() as db:
        opp = db.get(Opportunity, opp_id)
        if opp is None:
            fail(f"no opportunity {opp_id}")
        data = opp_queries.opportunity_detail(db, opp, field_traces).model_dump(mode="json")
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]#{data['id']} {data['title']}[/]  ({data['automation_type']}, "
                  f"{data['status']}, {data['mentions']} mentions)")
    console.print(data["summary"])
    for field in ("tools", "industries"):
        for name, trace in data["traces"][field].items():
            where = f"“{trace['quote']}” — {trace['url']}" if trace else "(named by an alias)"
            console.print(f"{field[:-1] if field == 'tools' else 'industry'} {name}: {where}",
                          highlight=False)
    for n, item in enumerate(data["evidence"], 1):
        label = "" if item["kind"] == "claim" else f"({item['kind']}) "
        console.print(f"[{n}] {label}“{item['quote']}” — {item['url']}", highlight=False)


@app.command("status")
def set_status(opp_id: int = typer.Argument(...),
               status: str = typer.Argument(..., help="new, approved, rejected or archived.")) -> None:
    """Change an opportunity's status (and the status its vector's payload carries)."""
    from reservoir.memory.indexing import status_changed
    from reservoir.memory.vectors import get_vector_store

    with session() as db:
        opp = opp_queries.set_status(db, opp_id, status)
        status_changed(get_vector_store(settings()), opp)
    typer.echo(f"opportunity {opp_id} is now {status}")
