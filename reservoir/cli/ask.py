"""`reservoir ask`: ask the reservoir from the terminal (the same ask graph as the API)."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from reservoir.cli.common import JsonOpt, console, fail, print_json, settings
from reservoir.memory.qdrant_lease import VectorStoreError


def ask(
    question: str = typer.Argument(..., help="Your question."),
    thread: str = typer.Option(None, "--thread", help="Continue a conversation by its thread id: "
                               "a follow-up ('and for accountants?') is read against it."),
    as_json: bool = JsonOpt,
) -> None:
    """Answer from what the reservoir holds, with numbered citations to stored sources."""
    from reservoir.graphs.ask import ask as ask_graph

    def stream(event: dict[str, Any]) -> None:
        if not as_json and "token" in event:
            console.print(event["token"], end="", highlight=False, soft_wrap=True)

    try:
        result = asyncio.run(ask_graph(settings(), question, thread_id=thread, on_token=stream))
    except (ValueError, VectorStoreError) as exc:
        fail(str(exc))
    if as_json:
        print_json({"answer": result.answer, "citations": result.citations,
                    "thread_id": result.thread_id, "query": result.query,
                    "filters": result.filters})
        return
    console.print()
    for citation in result.citations:
        console.print(f"[{citation['n']}] {citation['title'] or citation['url']} — {citation['url']}",
                      highlight=False)
    if result.query and result.query != question.strip():
        console.print(f"[dim]read as: {result.query}[/]", highlight=False)
    console.print(f"[dim]thread {result.thread_id}[/]")
