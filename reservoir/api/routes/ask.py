"""``POST /ask``: a question answered from the reservoir, streamed as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from reservoir.api.answering import AskFn, answer_once, resolve_ask, stream_answer
from reservoir.api.deps import AUTH, SettingsDep
from reservoir.api.errors import error_body
from reservoir.api.schemas import AskIn, AskOut
from reservoir.api.sse import SSEResponse, sse_comment, sse_event
from reservoir.config import Settings

router = APIRouter(tags=["ask"], dependencies=AUTH)


async def _events(ask_fn: AskFn, settings: Settings, body: AskIn, filters: dict[str, Any] | None,
                  heartbeat: float) -> AsyncIterator[str]:
    async for kind, value in stream_answer(ask_fn, settings, body.question, thread_id=body.thread_id,
                                           filters=filters, heartbeat=heartbeat):
        if kind == "heartbeat":
            yield sse_comment()
        elif kind == "step":
            yield sse_event(value, event="step")
        elif kind == "token":
            yield sse_event({"text": value}, event="token")
        elif kind == "error":
            yield sse_event(error_body(value.code, value.detail), event="error")
        elif kind == "done":
            for citation in value.citations:
                yield sse_event(citation, event="citation")
            yield sse_event({"answer": value.answer, "thread_id": value.thread_id, "hits": value.hits,
                             "citations": len(value.citations)}, event="done")


@router.post(
    "/ask", summary="Ask the reservoir (streamed)",
    responses={200: {"content": {"text/event-stream": {}, "application/json": {"schema": {
        "$ref": "#/components/schemas/AskOut"}}},
        "description": "Events `step`, `token` ({text}), `citation` ({n, document_id, url, title, "
                       "quote}), then `done` ({answer, thread_id, hits, citations}); `error` on "
                       "failure. Send `Accept: application/json` for one JSON answer instead."}},
)
async def ask(body: AskIn, request: Request, settings: SettingsDep,
              accept: Annotated[str | None, Header()] = None) -> Any:
    """Streams the answer; pass the returned ``thread_id`` to ask a follow-up in context."""
    ask_fn = resolve_ask(request)
    filters = body.filters.model_dump(mode="json", exclude_none=True) if body.filters else None
    if accept and "application/json" in accept and "text/event-stream" not in accept:
        answer = await answer_once(ask_fn, settings, body.question, thread_id=body.thread_id,
                                   filters=filters)
        out = AskOut(answer=answer.answer, citations=answer.citations, thread_id=answer.thread_id,
                     hits=answer.hits)
        return JSONResponse(out.model_dump(mode="json"))
    return SSEResponse(_events(ask_fn, settings, body, filters, request.app.state.sse_heartbeat))
