"""OpenAI-compatible chat completions, so any OpenAI client can ask the reservoir.

The last user message is the question and the earlier user messages its history, so "and
for accountants?" follows up as in a thread (``thread_id`` continues a stored thread
instead). The model name is echoed back; the answer ends with its numbered sources as
Markdown links. Non-standard extras (``thread_id``, ``citations``) ride along as extra
fields, which OpenAI clients keep and ignore.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from reservoir.api.answering import Answer, AskFn, answer_once, estimate_tokens, resolve_ask, stream_answer
from reservoir.api.deps import AUTH, SettingsDep
from reservoir.api.errors import ApiError, error_body
from reservoir.api.schemas import ChatCompletionRequest
from reservoir.api.sse import SSEResponse, sse_comment
from reservoir.config import Settings

router = APIRouter(tags=["openai-compatible"], dependencies=AUTH)

MODEL_ID = "reservoir"


def _question(body: ChatCompletionRequest) -> str:
    for message in reversed(body.messages):
        if message.role == "user" and message.text().strip():
            return message.text().strip()[:4000]
    raise ApiError(422, "messages: no user message with text to answer", code="validation_error")


def _history(body: ChatCompletionRequest) -> list[str]:
    """The user messages before the question: what a follow-up is read against."""
    users = [m.text().strip()[:4000] for m in body.messages if m.role == "user" and m.text().strip()]
    return users[:-1][-6:]


def _label(text: str) -> str:
    return text.replace("[", "(").replace("]", ")").replace("\n", " ").strip()


def sources_block(answer: Answer) -> str:
    """The citations as numbered Markdown links: ``[n] [title](url)`` (plain title without url)."""
    lines = []
    for c in answer.citations:
        title = _label(c.get("title") or "source")
        url = (c.get("url") or "").replace(" ", "%20").replace(")", "%29")
        lines.append(f"[{c['n']}] [{title}]({url})" if url else f"[{c['n']}] {title}")
    return ("\n\nSources:\n" + "\n".join(lines)) if lines else ""


def _usage(question: str, answer: Answer, content: str) -> dict[str, int]:
    prompt = answer.tokens_in if answer.tokens_in is not None else estimate_tokens(question)
    completion = answer.tokens_out if answer.tokens_out is not None else estimate_tokens(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _extras(answer: Answer) -> dict[str, Any]:
    return {"thread_id": answer.thread_id, "citations": answer.citations}


def _chunk(cid: str, created: int, model: str, delta: dict[str, Any], finish: str | None = None,
           usage: dict[str, int] | None = None, extras: dict[str, Any] | None = None) -> str:
    data: dict[str, Any] = {
        "id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": usage, **(extras or {}),
    }
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


async def _stream(ask_fn: AskFn, settings: Settings, body: ChatCompletionRequest, question: str,
                  heartbeat: float) -> AsyncIterator[str]:
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    yield _chunk(cid, created, body.model, {"role": "assistant", "content": ""})
    streamed: list[str] = []
    async for kind, value in stream_answer(ask_fn, settings, question, thread_id=body.thread_id,
                                           filters=None, heartbeat=heartbeat,
                                           history=None if body.thread_id else _history(body)):
        if kind == "heartbeat":
            yield sse_comment("keepalive")
        elif kind == "token":
            streamed.append(value)
            yield _chunk(cid, created, body.model, {"content": value})
        elif kind == "error":
            yield f"data: {json.dumps(error_body(value.code, value.detail))}\n\n"
            return
        elif kind == "done":
            tail = sources_block(value)
            if tail:
                streamed.append(tail)
                yield _chunk(cid, created, body.model, {"content": tail})
            usage = _usage(question, value, "".join(streamed))
            yield _chunk(cid, created, body.model, {}, "stop", usage, _extras(value))
            if body.stream_options and body.stream_options.include_usage:
                final = {"id": cid, "object": "chat.completion.chunk", "created": created,
                         "model": body.model, "choices": [], "usage": usage}
                yield f"data: {json.dumps(final)}\n\n"
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", summary="OpenAI-compatible chat completion (asks the reservoir)")
async def chat_completions(body: ChatCompletionRequest, request: Request, settings: SettingsDep) -> Any:
    question = _question(body)
    ask_fn = resolve_ask(request)
    if body.stream:
        return SSEResponse(_stream(ask_fn, settings, body, question, request.app.state.sse_heartbeat))
    answer = await answer_once(ask_fn, settings, question, thread_id=body.thread_id, filters=None,
                               history=None if body.thread_id else _history(body))
    content = answer.answer + sources_block(answer)
    return JSONResponse({
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": body.model, "system_fingerprint": None,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": _usage(question, answer, content), **_extras(answer),
    })


@router.get("/models", summary="OpenAI-compatible model list")
def list_models() -> dict[str, Any]:
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0,
                                         "owned_by": "reservoir"}]}
