"""`reservoir documents`: what the scout stored."""

from __future__ import annotations

import typer

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
    shorten,
)
from reservoir.memory import documents as document_queries
from reservoir.memory.public import DocumentDetail, DocumentPublic, public_json

app = typer.Typer(help="Browse stored documents.", no_args_is_help=True)


@app.command("list")
def list_(
    source_id: int = typer.Option(None, "--source-id", help="Only this source's documents."),
    as_json: bool = JsonOpt, limit: int = LimitOpt, offset: int = OffsetOpt,
) -> None:
    """List documents, newest first."""
    with session() as db:
        page = document_queries.list_documents(db, source_id=source_id, limit=limit, offset=offset)
        items = [public_json(DocumentPublic, d) for d in page.items]
    if as_json:
        print_page(items, page.total)
        return
    print_table("Documents", ["id", "title", "url", "chars", "fetched"],
                [[d["id"], shorten(d["title"], 50), shorten(d["url"], 50), d["chars"],
                  d["fetched_at"]] for d in items], page.total)


@app.command("show")
def show(ref: str = typer.Argument(..., help="Document id or url."), as_json: bool = JsonOpt) -> None:
    """Show one document with its text."""
    with session() as db:
        doc = document_queries.get_document(db, ref)
        if doc is None:
            fail(f"no document {ref!r}")
        data = public_json(DocumentDetail, doc)
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['title']}[/]\n{data['url']}\n")
    console.print(data["text"])
