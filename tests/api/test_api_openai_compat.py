"""The OpenAI-compatible endpoint through the official ``openai`` client against a real server."""

from __future__ import annotations

import json

import httpx
import openai
import pytest


def test_chat_completion(live_server, api_key: str, fake_ask) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=f"{live_server.base_url}/v1", api_key=api_key, max_retries=0)
    completion = client.chat.completions.create(
        model="reservoir-test", messages=[{"role": "system", "content": "be brief"},
                                          {"role": "user", "content": "first question"},
                                          {"role": "assistant", "content": "an answer"},
                                          {"role": "user", "content": "How do I chase invoices?"}])
    assert completion.model == "reservoir-test" and completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert choice.message.content.startswith("Send invoice reminders automatically [1].")
    assert "Sources:\n[1] [Invoices](https://example.com/a)" in choice.message.content
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert completion.model_extra["thread_id"] == "thread-1"
    assert completion.model_extra["citations"][0]["url"] == "https://example.com/a"
    assert fake_ask.calls[-1]["question"] == "How do I chase invoices?"  # the last user message
    assert fake_ask.calls[-1]["history"] == ["first question"]  # the earlier user messages


def test_chat_completion_streaming(live_server, api_key: str) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=f"{live_server.base_url}/v1", api_key=api_key, max_retries=0)
    stream = client.chat.completions.create(
        model="any-name", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": [{"type": "text", "text": "How do I chase invoices?"}]}])
    chunks = list(stream)
    assert all(c.model == "any-name" and c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("Send invoice reminders automatically [1].")
    assert "[1] [Invoices](https://example.com/a)" in text
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finals) == 1 and finals[0].usage.total_tokens > 0
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0  # include_usage chunk
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3  # really streamed


def test_streaming_wire_format(live_server, api_key: str) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", f"{live_server.base_url}/v1/chat/completions", timeout=10,
                      headers={"Authorization": f"Bearer {api_key}"}, json=body) as r:
        lines = [line for line in r.iter_lines() if line]
    assert r.headers["content-type"].startswith("text/event-stream")
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith(("data: ", ":")) for line in lines)
    payloads = [json.loads(line[6:]) for line in lines[:-1] if line.startswith("data: ")]
    assert payloads[-1]["choices"][0]["finish_reason"] == "stop"


def test_openai_client_errors(live_server, api_key: str) -> None:  # type: ignore[no-untyped-def]
    bad = openai.OpenAI(base_url=f"{live_server.base_url}/v1", api_key="rsv_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 401 and info.value.body["code"] == "unauthorized"
    good = openai.OpenAI(base_url=f"{live_server.base_url}/v1", api_key=api_key, max_retries=0)
    with pytest.raises(openai.UnprocessableEntityError):
        good.chat.completions.create(model="m", messages=[{"role": "system", "content": "no question"}])
    assert [m.id for m in good.models.list()] == ["reservoir"]
