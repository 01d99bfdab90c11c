"""A chat model that answers from a queue or a function: the stand-in for a remote model.

Tests script it reply by reply; `RESERVOIR_LLM_PROVIDER=fake` (agents/fake_model.py) gives it
a responder that answers from the document in the prompt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

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
    _options: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @property
    def calls(self) -> list[list[BaseMessage]]:
        return self._calls

    @property
    def options(self) -> list[dict[str, Any]]:
        """The call options (max_tokens, response_format, …) each call was made with."""
        return self._options

    def enqueue(self, *replies: str) -> ScriptedChatModel:
        self.replies.extend(replies)
        return self

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _reply(self, messages: list[BaseMessage], options: dict[str, Any]) -> ChatResult:
        self._calls.append(list(messages))
        self._options.append(options)
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
        return self._reply(messages, kwargs)

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        if self.latency:
            await asyncio.sleep(self.latency)
        return self._reply(messages, kwargs)
