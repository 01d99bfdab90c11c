"""What every command shares: settings, sessions, output as tables or stable JSON, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from reservoir.config import ConfigError, Settings, load_settings
from reservoir.memory.db import session_scope
from reservoir.memory.qdrant_lease import VectorStoreError

console = Console()
err_console = Console(stderr=True)

JsonOpt = typer.Option(False, "--json", help="Machine-readable output with stable field names.")
LimitOpt = typer.Option(50, "--limit", min=1, max=500, help="Page size.")
OffsetOpt = typer.Option(0, "--offset", min=0, help="Items to skip.")


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line and a non-zero exit: no traceback for a user mistake."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc), code=2)


@contextmanager
def session() -> Iterator[Session]:
    try:
        with session_scope(settings()) as db:
            yield db
    except (ValueError, LookupError, VectorStoreError) as exc:
        fail(str(exc))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")


def print_page(items: list[dict[str, Any]], total: int) -> None:
    print_json({"items": items, "total": total})


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                total: int | None = None) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*["" if cell is None else str(cell) for cell in row])
    console.print(table)
    if total is not None and total > len(rows):
        console.print(f"[dim]{len(rows)} of {total} shown; use --limit/--offset for more[/]")


def shorten(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
