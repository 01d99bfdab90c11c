"""`reservoir tools`: the tool database — which tools opportunities use, where, how often."""

from __future__ import annotations

import typer

from reservoir.cli.common import JsonOpt, console, fail, print_json, print_page, print_table, session
from reservoir.memory import tools as tool_queries
from reservoir.memory.models import Opportunity

app = typer.Typer(help="Browse the tools the reservoir's opportunities use.", no_args_is_help=True)


@app.command("list")
def list_(category: str = typer.Option(None, "--category", help="Only this category."),
          catalogue: bool = typer.Option(False, "--catalogue",
                                         help="The whole tool catalogue instead of the tools in use."),
          contains: str = typer.Option(None, "--contains", help="With --catalogue: name or alias part."),
          as_json: bool = JsonOpt) -> None:
    """Tools named by stored opportunities, most used first, with their industries."""
    if catalogue:
        tools = [t.to_public() for t in tool_queries.catalogue_tools(category, contains)]
    else:
        with session() as db:
            tools = [t.to_public() for t in tool_queries.tool_usage(db, category)]
    if as_json:
        print_page(tools, len(tools))
        return
    print_table("Tools", ["tool", "category", "opportunities", "industries", "types"],
                [[t["name"], t["category"], t["opportunities"],
                  ", ".join(f"{k} {v}" for k, v in list(t["industries"].items())[:3]),
                  ", ".join(f"{k} {v}" for k, v in list(t["automation_types"].items())[:3])]
                 for t in tools], len(tools))


@app.command("show")
def show(name: str = typer.Argument(..., help="Tool name or alias."), as_json: bool = JsonOpt) -> None:
    """One tool: catalogue entry, and the opportunities that use it."""
    with session() as db:
        tool = tool_queries.get_tool(db, name)
        if tool is None:
            fail(f"no tool {name!r} in the catalogue or the reservoir")
        data = tool.to_public(with_ids=True)
        titles = {i: db.get(Opportunity, i).title for i in tool.opportunity_ids}  # type: ignore[union-attr]
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['name']}[/] ({data['category']}"
                  f"{'' if data['in_catalogue'] else ', not in the catalogue'})", highlight=False)
    if data["aliases"]:
        console.print(f"aliases: {', '.join(data['aliases'])}; sources: {', '.join(data['sources'])}",
                      highlight=False)
    console.print(f"{data['opportunities']} opportunities; industries: "
                  f"{', '.join(f'{k} {v}' for k, v in data['industries'].items()) or '-'}",
                  highlight=False)
    for opp_id, title in titles.items():
        console.print(f"  #{opp_id} {title}", highlight=False)
