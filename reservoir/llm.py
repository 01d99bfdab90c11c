"""Chat models per agent role, with usage/cost accounting and a response cache.

Providers: ``openai`` (ChatOpenAI with ``base_url``: OpenAI or any compatible server),
``local`` (a GGUF file through llama.cpp, optional extra), ``fake`` (a scripted model for
tests and benchmarks) and ``none`` (the default: agents use their deterministic strategies).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from reservoir.config import Settings
from reservoir.memory.hashing import short_hash

log = logging.getLogger(__name__)

Responder = Callable[[list[BaseMessage]], str]


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers from a queue or a function, and records what it was asked.

    Stands in for the model only where the real one is outside the machine (an LLM API).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: list[str] = []
    responder: Responder | None = None
    latency: float = 0.0
    model_name: str = "scripted"
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def calls(self) -> list[list[BaseMessage]]:
        return self._calls

    def enqueue(self, *replies: str) -> ScriptedChatModel:
        self.replies.extend(replies)
        return self

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _reply(self, messages: list[BaseMessage]) -> ChatResult:
        self._calls.append(list(messages))
        if self.replies:
            text = self.replies.pop(0)
        elif self.responder is not None:
            text = self.responder(messages)
        else:
            raise RuntimeError("ScriptedChatModel has no reply queued")
        prompt_tokens = sum(len(str(m.content)) for m in messages) // 4
        message = AIMessage(content=text, usage_metadata={
            "input_tokens": prompt_tokens, "output_tokens": len(text) // 4,
            "total_tokens": prompt_tokens + len(text) // 4,
        })
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if self.latency:
            time.sleep(self.latency)
        return self._reply(messages)

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        if self.latency:
            await asyncio.sleep(self.latency)
        return self._reply(messages)


def _openai_model(settings: Settings, role: str) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.model_for(role), base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed",
        temperature=settings.llm_temperature, timeout=settings.llm_timeout, max_retries=2,
    )


def _local_model(settings: Settings, role: str) -> BaseChatModel:
    try:
        from langchain_community.chat_models import ChatLlamaCpp  # type: ignore[import-not-found]
    except ImportError as exc:
        raise RuntimeError("llm_provider=local needs the 'local' extra "
                           "(pip install 'reservoir[local]')") from exc
    return ChatLlamaCpp(model_path=str(settings.llm_local_path), temperature=0, n_ctx=8192,
                        verbose=False)


def _fake_model(settings: Settings, role: str) -> BaseChatModel:
    from reservoir.agents.fake_model import extractive_responder

    return ScriptedChatModel(responder=extractive_responder, latency=settings.llm_fake_latency,
                             model_name=f"fake-{role}")


PROVIDERS: dict[str, Callable[[Settings, str], BaseChatModel]] = {
    "openai": _openai_model,
    "local": _local_model,
    "fake": _fake_model,
}


def get_chat_model(settings: Settings, role: str) -> BaseChatModel | None:
    """The model for an agent role, or None: the agent then uses its deterministic strategy."""
    if settings.llm_provider == "none":
        return None
    return PROVIDERS[settings.llm_provider](settings, role)


@dataclass
class Usage:
    calls: int = 0
    cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    by_role: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "cached": self.cached, "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out, "cost_usd": round(self.cost_usd, 6),
                "by_role": dict(self.by_role)}


def estimate_cost(settings: Settings, model: str, tokens_in: int, tokens_out: int) -> float:
    price_in, price_out = settings.llm_prices.get(model, (0.0, 0.0))
    return (tokens_in * price_in + tokens_out * price_out) / 1_000_000


def cache_key(model: str, prompt_version: str, messages: Sequence[BaseMessage]) -> str:
    payload = json.dumps([model, prompt_version, [(m.type, str(m.content)) for m in messages]])
    return short_hash(payload)


class LlmClient:
    """Calls a role's model with cache, concurrency bound and usage accounting."""

    def __init__(self, settings: Settings, models: dict[str, BaseChatModel | None] | None = None,
                 cache: Any | None = None) -> None:
        self.settings = settings
        self._models = dict(models or {})
        self.usage = Usage()
        self.cache = cache
        self._limit = asyncio.Semaphore(settings.llm_max_concurrency)

    def model(self, role: str) -> BaseChatModel | None:
        if role not in self._models:
            self._models[role] = get_chat_model(self.settings, role)
        return self._models[role]

    def has_model(self, role: str) -> bool:
        return self.model(role) is not None

    def model_name(self, role: str) -> str:
        model = self.model(role)
        return str(getattr(model, "model_name", None) or getattr(model, "model", None)
                   or self.settings.model_for(role))

    async def complete(self, role: str, prompt_version: str, messages: list[BaseMessage]) -> str:
        model = self.model(role)
        if model is None:
            raise RuntimeError(f"no model configured for role {role!r}")
        name = self.model_name(role)
        key = cache_key(name, prompt_version, messages)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.usage.cached += 1
            return hit
        async with self._limit:
            reply = await model.ainvoke(messages)
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        self._account(role, name, reply)
        if self.cache is not None:
            self.cache.put(key, name, text)
        return text

    def _account(self, role: str, model: str, reply: BaseMessage) -> None:
        usage = getattr(reply, "usage_metadata", None) or {}
        tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        self.usage.calls += 1
        self.usage.tokens_in += tokens_in
        self.usage.tokens_out += tokens_out
        self.usage.cost_usd += estimate_cost(self.settings, model, tokens_in, tokens_out)
        self.usage.by_role[role] = self.usage.by_role.get(role, 0) + 1
