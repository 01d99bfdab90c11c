"""`reservoir search`: hybrid search over the reservoir (dense + lexical, fused)."""

from __future__ import annotations

import typer

from reservoir.cli.common import JsonOpt, console, print_page, print_table, session, settings, shorten
from reservoir.memory.opportunities import hits_public


def search(
    query: str = typer.Argument(..., help="Free text; paraphrases work."),
    automation_type: str = typer.Option(None, "--type", help="Filter by automation type."),
    industry: str = typer.Option(None, "--industry", help="Filter by industry."),
    status: str = typer.Option(None, "--status", help="Filter by status."),
    limit: int = typer.Option(10, "--limit", min=1, max=100),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = JsonOpt,
) -> None:
    """Search opportunities by meaning and by words."""
    from reservoir.memory.search import OpportunityFilters, load_opportunities, search_opportunities

    filters = OpportunityFilters(automation_type=automation_type, industry=industry, status=status)
    with session() as db:
        hits = search_opportunities(settings(), query, filters, limit=limit + offset)[offset:]
        rows = load_opportunities(db, hits)
        items = [hit.model_dump(mode="json") for hit in hits_public(db, rows)]
    if as_json:
        print_page(items, len(items))
        return
    if not items:
        console.print("no matching opportunities")
        return
    print_table(f"Search: {query}", ["id", "title", "type", "tools", "score"],
                [[i["id"], shorten(i["title"], 60), i["automation_type"],
                  shorten(", ".join(i["tools"]), 40), f"{i['score']:.4f}"] for i in items])
