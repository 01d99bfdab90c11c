"""The bridge between HTTP and the ask graph, shared by ``/ask`` and the OpenAI-compatible route.

``stream_answer`` runs ``ask()`` as a task and turns its ``on_token`` callbacks (``{"token": ..}``
and ``{"step": ..}`` chunks) into an async stream of ``(kind, value)`` pairs; each route only
chooses the wire format. When the graph
answers without streaming (no model: an extractive answer), the answer is streamed in words,
so clients always see ``token`` events before ``done``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from reservoir.api.errors import ApiError
from reservoir.config import Settings

log = logging.getLogger(__name__)

AskFn = Callable[..., Awaitable[Any]]
CITATION_FIELDS = ("n", "document_id", "url", "title", "quote")


@dataclass
class Answer:
    answer: str
    citations: list[dict[str, Any]]
    thread_id: str | None
    hits: int
    tokens_in: int | None = None
    tokens_out: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_ask(request: Request) -> AskFn:
    """The app's ask function: injected (tests) or ``reservoir.graphs.ask.ask``."""
    injected = getattr(request.app.state, "ask", None)
    if injected is not None:
        return injected
    try:
        from reservoir.graphs.ask import ask
    except ImportError as exc:
        log.warning("ask graph unavailable: %s", exc)
        raise ApiError(503, "asking is not available on this server", code="ask_unavailable") from None
    return ask


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _citation(item: Any, index: int) -> dict[str, Any]:
    data = {name: _get(item, name) for name in CITATION_FIELDS}
    data["n"] = data["n"] if isinstance(data["n"], int) else index
    return data


def _usage(result: Any) -> tuple[int | None, int | None]:
    usage = _get(result, "usage")
    if usage is None:
        return None, None
    tokens_in = _get(usage, "tokens_in", _get(usage, "prompt_tokens"))
    tokens_out = _get(usage, "tokens_out", _get(usage, "completion_tokens"))
    return (int(tokens_in) if tokens_in is not None else None,
            int(tokens_out) if tokens_out is not None else None)


def to_answer(result: Any) -> Answer:
    hits = _get(result, "hits", [])
    tokens_in, tokens_out = _usage(result)
    return Answer(
        answer=str(_get(result, "answer", "") or ""),
        citations=[_citation(c, i) for i, c in enumerate(_get(result, "citations", []) or [], 1)],
        thread_id=_get(result, "thread_id"),
        hits=hits if isinstance(hits, int) else len(hits or []),
        tokens_in=tokens_in, tokens_out=tokens_out,
    )


def estimate_tokens(text: str) -> int:
    """About four characters a token: usage figures when the graph reports none."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def ask_kwargs(thread_id: str | None, filters: dict[str, Any] | None,
               history: list[str] | None = None) -> dict[str, Any]:
    """Keyword arguments of the ask function; ``history`` only when there is one, so an
    injected ask function that predates conversations keeps working."""
    kwargs: dict[str, Any] = {"thread_id": thread_id, "filters": filters or None}
    if history:
        kwargs["history"] = history
    return kwargs


def bad_question(exc: ValueError) -> ApiError:
    return ApiError(422, str(exc) or "the question cannot be answered as asked", code="invalid_question")


async def answer_once(ask_fn: AskFn, settings: Settings, question: str, *, thread_id: str | None,
                      filters: dict[str, Any] | None, history: list[str] | None = None) -> Answer:
    try:
        result = await ask_fn(settings, question, **ask_kwargs(thread_id, filters, history))
    except ValueError as exc:
        raise bad_question(exc) from None
    return to_answer(result)


async def stream_answer(ask_fn: AskFn, settings: Settings, question: str, *, thread_id: str | None,
                        filters: dict[str, Any] | None, heartbeat: float = 15.0,
                        history: list[str] | None = None) -> AsyncIterator[tuple[str, Any]]:
    """Yields ("step", dict), ("token", str), ("heartbeat", None), then ("done", Answer) or
    ("error", ApiError)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def emit(kind: str, value: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

    def on_token(chunk: Any) -> None:
        """The graph sends ``{"token": text}`` and ``{"step": name, ...}``; plain text is a token."""
        if isinstance(chunk, dict):
            if chunk.get("token"):
                emit("token", str(chunk["token"]))
            elif chunk.get("step"):
                emit("step", {"name": str(chunk["step"]),
                              **{k: v for k, v in chunk.items() if k != "step"}})
        elif chunk:
            emit("token", str(chunk))

    kwargs: dict[str, Any] = {**ask_kwargs(thread_id, filters, history), "on_token": on_token}

    async def work() -> None:
        try:
            emit("result", await ask_fn(settings, question, **kwargs))
        except ValueError as exc:
            emit("failed", bad_question(exc))
        except Exception:  # noqa: BLE001 — reported to the client as an error event
            log.exception("ask failed")
            emit("failed", ApiError(500, "internal error while answering", code="internal_error"))

    task = asyncio.create_task(work())
    streamed = False
    try:
        yield "step", {"name": "started", "thread_id": thread_id}
        while True:
            try:
                kind, value = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield "heartbeat", None
                continue
            if kind == "token":
                streamed = True
                yield "token", value
            elif kind == "step":
                yield "step", value
            elif kind == "failed":
                yield "error", value
                return
            elif kind == "result":
                answer = to_answer(value)
                yield "step", {"name": "answered", "hits": answer.hits,
                               "citations": len(answer.citations)}
                if not streamed:
                    for word in _words(answer.answer):
                        yield "token", word
                yield "done", answer
                return
    finally:
        if not task.done():
            task.cancel()
