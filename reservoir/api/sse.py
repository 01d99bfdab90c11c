"""Server-sent events: framing, and a response class with the headers proxies need."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
}


def sse_event(data: Any, *, event: str | None = None, id: int | str | None = None) -> str:
    """One event; JSON data is a single line, so it needs one ``data:`` field."""
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event:
        lines.append(f"event: {event}")
    text = data if isinstance(data, str) else json.dumps(data, default=str, ensure_ascii=False,
                                                         separators=(",", ":"))
    lines.extend(f"data: {line}" for line in text.split("\n"))
    return "\n".join(lines) + "\n\n"


def sse_comment(text: str = "heartbeat") -> str:
    """A comment line: ignored by clients, keeps idle connections and proxies alive."""
    return f": {text}\n\n"


class SSEResponse(StreamingResponse):
    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[str], status_code: int = 200,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(content, status_code=status_code, headers={**SSE_HEADERS, **(headers or {})},
                         media_type=self.media_type)
