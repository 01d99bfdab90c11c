"""`reservoir sources`: register, list (with health) and remove sources."""

from __future__ import annotations

import json
from typing import Any

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
    shorten,
)
from reservoir.cli.runs import left_note
from reservoir.memory import sources as source_queries
from reservoir.memory.models import SOURCE_KINDS
from reservoir.memory.public import SourcePublic, public_json

app = typer.Typer(help="Manage the sources the scout reads.", no_args_is_help=True)


def _parse_config(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"--config is not valid JSON: {exc.msg} at position {exc.pos}")
    if not isinstance(value, dict):
        fail("--config must be a JSON object")
    return value


@app.command("add")
def add(
    name: str = typer.Argument(..., help="A unique name for the source."),
    kind: str = typer.Option(..., "--kind", help=f"One of: {', '.join(SOURCE_KINDS)}."),
    url: str = typer.Option(..., "--url", help="Feed/page/API url, or a folder path."),
    config: str = typer.Option(None, "--config", help='Adapter options as JSON, e.g. {"limit": 20}.'),
    inactive: bool = typer.Option(False, "--inactive", help="Register without activating."),
    as_json: bool = JsonOpt,
) -> None:
    """Register a source."""
    options = _parse_config(config)
    with session() as db:
        try:
            source = source_queries.add_source(db, name, kind, url, options, active=not inactive)
        except (source_queries.SourceExistsError, source_queries.InvalidSourceError) as exc:
            fail(str(exc))
        data = public_json(SourcePublic, source)
    if as_json:
        print_json(data)
    else:
        typer.echo(f"added source {data['name']} ({data['kind']}) #{data['id']}")


@app.command("list")
def list_(as_json: bool = JsonOpt, limit: int = LimitOpt, offset: int = OffsetOpt) -> None:
    """List sources with their health (last fetch, failures, last error) and what their
    listing still holds for the next run."""
    with session() as db:
        page = source_queries.list_sources(db, limit=limit, offset=offset)
        items = [public_json(SourcePublic, s) for s in page.items]
    if as_json:
        print_page(items, page.total)
        return
    print_table("Sources", ["id", "name", "kind", "url", "active", "last fetched", "failures",
                            "left", "last error"],
                [[s["id"], s["name"], s["kind"], shorten(s["url"], 50), s["active"],
                  s["last_fetched_at"], s["consecutive_failures"], left_note(s["backlog"]),
                  shorten(s["last_error"] or "", 50)] for s in items], page.total)


@app.command("remove")
def remove(ref: str = typer.Argument(..., help="Source name or id.")) -> None:
    """Remove a source (its documents stay in the reservoir)."""
    with session() as db:
        if not source_queries.remove_source(db, ref):
            fail(f"no source named {ref!r}")
    typer.echo(f"removed source {ref}")
