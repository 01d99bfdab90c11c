"""Chat models per agent role, with usage/cost accounting and a response cache.

Providers: ``openai`` (ChatOpenAI with ``base_url``: OpenAI or any compatible server),
``local`` (a GGUF file through llama.cpp, optional extra), ``fake`` (a scripted model for
tests and benchmarks) and ``none`` (the default: agents use their deterministic strategies).
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from reservoir.config import Settings
from reservoir.limiter import AdaptiveConcurrency, shared_rate_limiter
from reservoir.memory.hashing import short_hash

# The scripted model lives in its own module; named here for existing imports.
from reservoir.scripted_model import Responder, ScriptedChatModel  # noqa: F401

log = logging.getLogger(__name__)

ChatFactory = Callable[[Settings, str], BaseChatModel]


def _openai_model(settings: Settings, role: str) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    # The OpenAI SDK retries timeouts, 429s and 5xx itself, honouring Retry-After.
    return ChatOpenAI(
        model=settings.model_for(role), base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed",
        temperature=settings.llm_temperature, timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
    )


@lru_cache(maxsize=2)
def _llama(path: str) -> Any:
    """One in-process llama.cpp model per file: loading it is the slow part.

    Freed at exit, while llama.cpp's bindings still exist: left to the garbage collector at
    interpreter shutdown, its ``__del__`` finds them gone and prints a traceback.
    """
    from llama_cpp import Llama  # type: ignore[import-not-found]

    model = Llama(model_path=path, n_ctx=8192, verbose=False)
    atexit.register(model.close)
    return model


def _local_model(settings: Settings, role: str) -> BaseChatModel:
    try:
        from langchain_community.chat_models import ChatLlamaCpp  # type: ignore[import-not-found]

        client = _llama(str(settings.llm_local_path))
    except ImportError as exc:
        raise RuntimeError("llm_provider=local needs the 'model' extra "
                           "(pip install 'reservoir[model]')") from exc
    return ChatLlamaCpp(client=client, model_path=str(settings.llm_local_path),
                        temperature=settings.llm_temperature, n_ctx=8192, verbose=False)


PROVIDERS: dict[str, ChatFactory] = {
    "openai": _openai_model,
    "local": _local_model,
}
# Providers defined above this module's users register themselves when imported; this names
# the module to import for each, so llm.py imports none of them (no import cycle).
PROVIDER_MODULES: dict[str, str] = {"fake": "reservoir.agents.fake_model"}


def register_chat_provider(name: str, factory: ChatFactory) -> None:
    """Make ``RESERVOIR_LLM_PROVIDER=name`` build its chat models with ``factory``."""
    PROVIDERS[name] = factory


def get_chat_model(settings: Settings, role: str) -> BaseChatModel | None:
    """The model for an agent role, or None: the agent then uses its deterministic strategy."""
    if settings.llm_provider == "none":
        return None
    if settings.llm_provider not in PROVIDERS and settings.llm_provider in PROVIDER_MODULES:
        importlib.import_module(PROVIDER_MODULES[settings.llm_provider])
    return PROVIDERS[settings.llm_provider](settings, role)


@dataclass
class Usage:
    calls: int = 0
    cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    busy_s: float = 0.0  # wall time inside model calls (their sum, when calls overlap)
    by_role: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "cached": self.cached, "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out, "cost_usd": round(self.cost_usd, 6),
                "busy_s": round(self.busy_s, 3),
                "by_role": dict(self.by_role)}


def estimate_cost(settings: Settings, model: str, tokens_in: int, tokens_out: int) -> float:
    price_in, price_out = settings.llm_prices.get(model, (0.0, 0.0))
    return (tokens_in * price_in + tokens_out * price_out) / 1_000_000


def cache_key(model: str, prompt_version: str, messages: Sequence[BaseMessage]) -> str:
    payload = json.dumps([model, prompt_version, [(m.type, str(m.content)) for m in messages]])
    return short_hash(payload)


OVERLOAD_STATUS = {408, 429, 500, 502, 503, 504}


class BudgetExhausted(RuntimeError):
    """The process has spent its token or cost budget: no further model call is made."""


def is_overload(exc: BaseException) -> bool:
    """A timeout, a 429 or a 5xx: the server is saturated, send less at once."""
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return True
    status = getattr(exc, "status_code", None)
    return status in OVERLOAD_STATUS or "timed out" in str(exc).lower()


def rejects_response_format(exc: BaseException) -> bool:
    """A server that does not know the form answers 400/422 — or, like llama.cpp's Python
    server, 500 — with an error naming the field; any other error is not about the form."""
    message = str(exc).lower()
    return (getattr(exc, "status_code", None) in {400, 422, 500}
            and ("response_format" in message or "json_schema" in message))


def response_format(mode: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The request field for a JSON schema in the form the server understands."""
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": False}}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return None


class LlmClient:
    """Calls a role's model with cache, limits, structured output and usage accounting.

    Every call carries the role's reply bound (`max_tokens`) and, when the caller gives a
    JSON schema, asks for schema-constrained output in the configured form; a server that
    rejects that form is asked again without it, and not asked with it again — the caller's
    prompt and repair loop then carry the shape.
    """

    def __init__(self, settings: Settings, models: dict[str, BaseChatModel | None] | None = None,
                 cache: Any | None = None) -> None:
        self.settings = settings
        self._models = dict(models or {})
        self.usage = Usage()
        self.cache = cache
        # The in-process model runs one request at a time.
        maximum = 1 if settings.llm_provider == "local" else settings.llm_max_concurrency
        self.concurrency = AdaptiveConcurrency(maximum)
        self.rate = shared_rate_limiter(settings.llm_requests_per_minute,
                                        settings.llm_tokens_per_minute,
                                        scope=settings.llm_base_url or settings.llm_provider,
                                        redis_url=settings.redis_url)
        self.structured = settings.structured_output

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

    def over_budget(self) -> bool:
        usage = self.usage
        return (usage.tokens_in + usage.tokens_out > self.settings.budget_tokens
                or usage.cost_usd > self.settings.budget_usd)

    def call_options(self, role: str, schema: dict[str, Any] | None) -> dict[str, Any]:
        options: dict[str, Any] = {"max_tokens": self.settings.max_tokens_for(role)}
        if schema is not None and (fmt := response_format(self.structured, schema, role)):
            options["response_format"] = fmt
        if self.settings.llm_provider == "openai" and self.settings.llm_base_url:
            # Sent as plain body fields: ChatOpenAI would rename max_tokens to OpenAI's newer
            # max_completion_tokens, which llama.cpp's server ignores, and would route a
            # response_format through the SDK's parser, which raises on a truncated reply
            # that the repair loop could still use.
            return {"extra_body": options}
        return options

    async def complete(self, role: str, prompt_version: str, messages: list[BaseMessage],
                       schema: dict[str, Any] | None = None) -> str:
        model = self.model(role)
        if model is None:
            raise RuntimeError(f"no model configured for role {role!r}")
        name = self.model_name(role)
        key = cache_key(name, prompt_version, messages)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.usage.cached += 1
            return hit
        options = self.call_options(role, schema)
        asked_format = "response_format" in options.get("extra_body", options)
        estimate = (sum(len(str(m.content)) for m in messages) // 4
                    + self.settings.max_tokens_for(role))
        await self.rate.acquire(estimate)
        try:
            reply = await self._invoke(model, messages, options)
        except Exception as exc:
            if not asked_format or not rejects_response_format(exc):
                raise
            log.warning("the model server rejected structured output (%s); using the prompt "
                        "alone from now on", exc)
            self.structured = "none"
            reply = await self._invoke(model, messages, self.call_options(role, None))
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        self._account(role, name, reply)
        if self.cache is not None:
            self.cache.put(key, name, text)
        return text

    async def _invoke(self, model: BaseChatModel, messages: list[BaseMessage],
                      options: dict[str, Any]) -> BaseMessage:
        async with self.concurrency:
            # Checked once a slot is free: calls queued behind it see what it spent.
            if self.over_budget():
                raise BudgetExhausted(
                    f"model budget reached ({self.usage.tokens_in + self.usage.tokens_out} "
                    f"tokens, ${self.usage.cost_usd:.4f}; RESERVOIR_BUDGET_TOKENS="
                    f"{self.settings.budget_tokens}, RESERVOIR_BUDGET_USD="
                    f"{self.settings.budget_usd})")
            started = time.perf_counter()
            try:
                reply = await model.ainvoke(messages, **options)
            except Exception as exc:
                await self.concurrency.record(overloaded=is_overload(exc))
                raise
            finally:
                self.usage.busy_s += time.perf_counter() - started
        await self.concurrency.record(overloaded=False)
        return reply

    def _account(self, role: str, model: str, reply: BaseMessage) -> None:
        usage = getattr(reply, "usage_metadata", None) or {}
        tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        self.usage.calls += 1
        self.usage.tokens_in += tokens_in
        self.usage.tokens_out += tokens_out
        self.usage.cost_usd += estimate_cost(self.settings, model, tokens_in, tokens_out)
        self.usage.by_role[role] = self.usage.by_role.get(role, 0) + 1
