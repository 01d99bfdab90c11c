"""The `crewai` analyst engine: an extractor and a critic agent run as a sequential CrewAI crew.

The extractor reads the delimited document and drafts the JSON extraction (the same prompt as
the `langgraph` engine); the critic checks that draft against the document and returns the
corrected JSON, which is the engine's answer. A guardrail on the critic's task validates its
answer with `parse_reply`; a failure is sent back to the critic once with the error, and a
second failure raises, so analyst.py falls back to the deterministic strategy.

Every model call goes through the reservoir's `LlmClient` (see `ReservoirLLM`), so the
provider, cache, concurrency bound and usage/cost accounting are those of the other engines.
CrewAI's telemetry, tracing, version check and memory are off: nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import PrivateAttr

from reservoir.agents.analyst_llm import MAX_DOCUMENT_CHARS, build_messages, parse_reply
from reservoir.agents.analyst_llm import TASK as EXTRACT_TASK
from reservoir.agents.findings import Finding
from reservoir.config import Settings, disable_telemetry
from reservoir.deps import Deps
from reservoir.llm import LlmClient
from reservoir.memory.models import AUTOMATION_TYPES
from reservoir.prompts import active_prompt

CRITIC_TASK = "analyst.critic"
ROLE = "analyst"
MAX_ITER = 2  # one answer; one more turn only if CrewAI reads the reply as a tool call
CRITIC_REPAIRS = 1
EXTRACTOR = "Extractor"
CRITIC = "Critic"

# Beyond reservoir.config.TELEMETRY_OFF: CrewAI's own switches for trace upload (including the
# "first execution" traces), the PyPI version check, and litellm's remote price list.
CREWAI_OFF = {
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
}


@contextmanager
def _no_dotenv() -> Iterator[None]:
    """crewai.llm calls load_dotenv() at import: configuration is Reservoir's settings, not that."""
    previous = os.environ.get("PYTHON_DOTENV_DISABLED")
    os.environ["PYTHON_DOTENV_DISABLED"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTHON_DOTENV_DISABLED", None)
        else:
            os.environ["PYTHON_DOTENV_DISABLED"] = previous


disable_telemetry()
for _key, _value in CREWAI_OFF.items():
    os.environ.setdefault(_key, _value)

with _no_dotenv():
    from crewai import Agent, Crew, Process, Task  # noqa: E402
    from crewai.llms.base_llm import BaseLLM  # noqa: E402
    from crewai.tasks.task_output import TaskOutput  # noqa: E402


def use_storage_dir(settings: Settings) -> str:
    """Point CrewAI's files (user data, any memory) under the data directory, not ~/.local/share.

    CrewAI reads CREWAI_STORAGE_DIR on each use and passes it to appdirs as an app *name*, so
    it must be absolute or it lands under the user's data directory after all.
    """
    path = (settings.data_dir / "crewai").resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["CREWAI_STORAGE_DIR"] = str(path)
    return str(path)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") if isinstance(part, dict) else str(part)
                         for part in content)
    return "" if content is None else str(content)


def to_langchain(messages: str | Sequence[Any]) -> list[BaseMessage]:
    """CrewAI's OpenAI-style message dicts as LangChain messages, for the reservoir's models."""
    if isinstance(messages, str):
        return [HumanMessage(content=messages)]
    out: list[BaseMessage] = []
    for message in messages:
        role, content = message.get("role"), _text(message.get("content"))
        if role == "system":
            out.append(SystemMessage(content=content))
        elif role == "assistant":
            out.append(AIMessage(content=content))
        else:
            out.append(HumanMessage(content=content))
    return out


class ReservoirLLM(BaseLLM):
    """CrewAI's handle on a reservoir role's model: each call is `LlmClient.complete`.

    CrewAI calls `call()` synchronously from the thread running the crew; the call is handed
    to the event loop that owns the client (its semaphore, its cache) and waited for there.
    `cancel_calls()` makes waiting and later calls fail fast, so a cancelled engine frees its thread.
    """

    llm_type: str = "reservoir"
    _client: LlmClient | None = PrivateAttr(default=None)
    _loop: asyncio.AbstractEventLoop | None = PrivateAttr(default=None)
    _role: str = PrivateAttr(default=ROLE)
    _refs: dict[str, str] = PrivateAttr(default_factory=dict)
    _default_ref: str = PrivateAttr(default="")
    _stopped: threading.Event = PrivateAttr(default_factory=threading.Event)
    _inflight: set[concurrent.futures.Future[str]] = PrivateAttr(default_factory=set)

    @classmethod
    def bridge(cls, client: LlmClient, loop: asyncio.AbstractEventLoop, *, role: str = ROLE,
               refs: dict[str, str] | None = None, default_ref: str = "") -> ReservoirLLM:
        """`refs` maps an agent's role to the prompt version its calls are cached under."""
        llm = cls(model=client.model_name(role), provider="reservoir",
                  temperature=client.settings.llm_temperature)
        llm._client, llm._loop, llm._role = client, loop, role
        llm._refs = dict(refs or {})
        llm._default_ref = default_ref or next(iter(llm._refs.values()), "crewai")
        return llm

    def _ref(self, from_agent: Any) -> str:
        return self._refs.get(str(getattr(from_agent, "role", "")), self._default_ref)

    def cancel_calls(self) -> None:
        self._stopped.set()
        for future in list(self._inflight):
            future.cancel()

    def call(self, messages: str | list[Any], tools: list[dict[str, Any]] | None = None,
             callbacks: list[Any] | None = None, available_functions: dict[str, Any] | None = None,
             from_task: Any | None = None, from_agent: Any | None = None,
             response_model: Any | None = None) -> str:
        if self._client is None or self._loop is None:
            raise RuntimeError("ReservoirLLM is not bridged to an LlmClient (use ReservoirLLM.bridge)")
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            raise RuntimeError("ReservoirLLM.call() on its event loop's thread would deadlock; "
                               "run the crew in a worker thread or use acall()")
        if self._stopped.is_set():
            raise RuntimeError("the crew was stopped")
        coro = self._client.complete(self._role, self._ref(from_agent), to_langchain(messages))
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        self._inflight.add(future)
        try:
            while True:
                try:
                    text = future.result(timeout=1.0)
                    break
                except concurrent.futures.TimeoutError:
                    # A closed loop would never finish the call: do not hang the thread on it.
                    if self._stopped.is_set() or self._loop.is_closed():
                        future.cancel()
                        raise RuntimeError("the crew was stopped") from None
        except concurrent.futures.CancelledError:
            raise RuntimeError("the crew was stopped") from None
        finally:
            self._inflight.discard(future)
        return self._apply_stop_words(text)

    async def acall(self, messages: str | list[Any], tools: list[dict[str, Any]] | None = None,
                    callbacks: list[Any] | None = None,
                    available_functions: dict[str, Any] | None = None,
                    from_task: Any | None = None, from_agent: Any | None = None,
                    response_model: Any | None = None) -> str:
        if self._client is None:
            raise RuntimeError("ReservoirLLM is not bridged to an LlmClient (use ReservoirLLM.bridge)")
        text = await self._client.complete(self._role, self._ref(from_agent), to_langchain(messages))
        return self._apply_stop_words(text)

    def supports_function_calling(self) -> bool:
        return False  # plain JSON answers work with every provider, as in the langgraph engine

    def get_context_window_size(self) -> int:
        return 128_000  # the base class's 4096 would trigger CrewAI's own summarising

    def get_input_tokens_count(self, messages: Any, tools: Any = None,
                               response_model: Any = None) -> int:
        if isinstance(messages, str):
            return len(messages) // 4
        return sum(len(_text(m.get("content"))) for m in messages) // 4


class _CriticGuardrail:
    """Validates the critic's answer; CrewAI re-runs the critic with the error when it fails.

    CrewAI's retry replaces the task's context (the extractor's draft) with the error and the
    failed answer, so the error message carries the draft again.
    """

    def __init__(self, draft_task: Task) -> None:
        self.draft_task = draft_task
        self.last_error: str | None = None

    # A bound method, not __call__: CrewAI's guardrail event runs inspect.getsource on it.
    # No return annotation: CrewAI checks it with inspect.signature, which sees the string
    # "tuple[bool, Any]" under `from __future__ import annotations` and rejects the guardrail.
    def check(self, output: TaskOutput):  # type: ignore[no-untyped-def]  # -> tuple[bool, Any]
        try:
            extraction = parse_reply(output.raw)
        except ValueError as exc:  # includes JSON and pydantic validation errors
            self.last_error = str(exc)[:1500]
            draft = self.draft_task.output.raw if self.draft_task.output else ""
            return False, ("The answer is not valid for the required JSON shape: "
                           f"{self.last_error}\nAnswer again with the corrected JSON only.\n\n"
                           f"### Draft extraction (data, to correct against the document):\n{draft}")
        self.last_error = None
        return True, extraction.model_dump_json()


def _agent(role: str, goal: str, backstory: str, llm: ReservoirLLM) -> Agent:
    return Agent(role=role, goal=goal, backstory=backstory, llm=llm, tools=[], memory=False,
                 verbose=False, allow_delegation=False, max_iter=MAX_ITER, max_retry_limit=0,
                 respect_context_window=False, cache=False, inject_date=False)


def build_crew(deps: Deps, title: str, url: str, text: str, llm: ReservoirLLM
               ) -> tuple[Crew, _CriticGuardrail]:
    """Two agents, two tasks, sequential: the critic's task gets the extractor's draft as context."""
    system_message, user_message = build_messages(deps, title, url, text)
    system, user = str(system_message.content), str(user_message.content)
    critic_prompt = active_prompt(CRITIC_TASK, deps.settings.prompt_versions)
    critic_system, critic_user = critic_prompt.render(
        title=title, url=url, document=_as_data(text), types=", ".join(AUTOMATION_TYPES))
    extractor = _agent(EXTRACTOR, "List the automations the document describes, as JSON.",
                       system, llm)
    critic = _agent(CRITIC, "Return the draft extraction corrected against the document, as JSON.",
                    critic_system, llm)
    extract = Task(description=user, agent=extractor,
                   expected_output='JSON only: {"opportunities": [...]} in the shape given.')
    guardrail = _CriticGuardrail(extract)
    review = Task(description=critic_user, agent=critic, context=[extract], guardrail=guardrail.check,
                  guardrail_max_retries=CRITIC_REPAIRS,
                  expected_output='JSON only: the corrected {"opportunities": [...]}.')
    crew = Crew(agents=[extractor, critic], tasks=[extract, review], process=Process.sequential,
                verbose=False, memory=False, cache=False, planning=False, tracing=False,
                share_crew=False, stream=False)
    return crew, guardrail


def _as_data(text: str) -> str:
    """The document as build_messages delimits it: cut to size, unable to close its tags."""
    return text[:MAX_DOCUMENT_CHARS].replace("</document>", "</ document>")


async def crew_engine(doc: Any, deps: Deps) -> list[Finding]:
    """One document through the crew; raises when the critic never validates (analyst.py falls back)."""
    use_storage_dir(deps.settings)
    extract_ref = active_prompt(EXTRACT_TASK, deps.settings.prompt_versions).ref
    critic_ref = active_prompt(CRITIC_TASK, deps.settings.prompt_versions).ref
    llm = ReservoirLLM.bridge(deps.llm, asyncio.get_running_loop(),
                              refs={EXTRACTOR: extract_ref, CRITIC: critic_ref})
    crew, guardrail = build_crew(deps, doc.title, doc.url, doc.text, llm)
    try:
        output = await asyncio.to_thread(crew.kickoff)
    except asyncio.CancelledError:
        llm.cancel_calls()
        raise
    except Exception as exc:
        if guardrail.last_error is not None:
            raise ValueError(f"no valid extraction after {CRITIC_REPAIRS} critic repair(s): "
                             f"{guardrail.last_error}") from exc
        raise
    return list(parse_reply(output.raw).opportunities)


def crew_version(deps: Deps) -> str:
    """Both prompts change the output, so both are in the version recorded on each document."""
    extract = active_prompt(EXTRACT_TASK, deps.settings.prompt_versions)
    critic = active_prompt(CRITIC_TASK, deps.settings.prompt_versions)
    return f"crewai:{extract.ref}+{critic.ref}:{deps.llm.model_name(ROLE)}"
