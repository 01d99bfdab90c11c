"""The `langgraph` analyst engine: structured output, validation, bounded repair retries.

A small StateGraph per document: ask → validate → (repair → validate)… → done. The model's
JSON is validated by the `Extraction` schema; a reply that fails is sent back once or twice
with the validation error. Plain JSON rather than tool calling works with every
OpenAI-compatible server and with local GGUF models.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Literal, TypedDict

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import ValidationError

from reservoir.agents.extractive import split_sentences
from reservoir.agents.findings import Extraction, Finding
from reservoir.deps import Deps
from reservoir.memory.models import AUTOMATION_TYPES
from reservoir.prompts import active_prompt

MAX_REPAIRS = 2
MAX_DOCUMENT_CHARS = 24_000
TASK = "analyst.extract"


class ExtractState(TypedDict, total=False):
    messages: list[BaseMessage]
    reply: str
    attempts: int
    error: str | None
    findings: list[dict[str, Any]]


def parse_reply(reply: str) -> Extraction:
    """Accept a bare JSON object, or one inside a fenced block or surrounding prose."""
    text = reply.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        if start == -1 or end <= start:
            raise ValueError("the reply holds no JSON object")
        text = text[start:end + 1]
    return Extraction.model_validate(json.loads(text))


# Traces the verification layer fills in itself: the model is not asked for them.
VERIFIER_FIELDS = ("tool_quotes", "industry_quotes")
SCHEMA_MAX_ITEMS = {"industries": 3, "tools": 8, "steps": 8, "prerequisites": 5,
                    "evidence": 3, "numbers": 5}


@lru_cache(maxsize=1)
def extraction_schema() -> dict[str, Any]:
    """The JSON schema a server constrains the reply to (the `Extraction` model's own)."""
    schema = Extraction.model_json_schema()
    finding = schema["$defs"]["Finding"]["properties"]
    for name in VERIFIER_FIELDS:
        finding.pop(name, None)
    # Bounds a constrained small model needs to finish its JSON inside its token budget.
    schema["properties"]["opportunities"]["maxItems"] = 4
    for name, most in SCHEMA_MAX_ITEMS.items():
        finding[name]["maxItems"] = most
    for name in ("title", "summary"):
        finding[name]["maxLength"] = 300
    return schema


async def _ask(state: ExtractState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    prompt = active_prompt(TASK, deps.settings.prompt_versions)
    reply = await deps.llm.complete("analyst", prompt.ref, state["messages"],
                                    schema=extraction_schema())
    return {"reply": reply, "attempts": state.get("attempts", 0) + 1}


def _validate(state: ExtractState) -> Command[Literal["repair", "__end__"]]:
    try:
        extraction = parse_reply(state["reply"])
    except (ValueError, ValidationError) as exc:
        if state.get("attempts", 0) > MAX_REPAIRS:
            return Command(goto=END, update={"error": str(exc)[:500], "findings": []})
        return Command(goto="repair", update={"error": str(exc)[:1500]})
    return Command(goto=END, update={
        "error": None, "findings": [f.model_dump() for f in extraction.opportunities]})


def _repair(state: ExtractState) -> dict[str, Any]:
    note = ("Your previous answer was not valid for the required JSON shape: "
            f"{state['error']}\nAnswer again with the corrected JSON only.")
    return {"messages": [*state["messages"], AIMessage(content=state["reply"]),
                         HumanMessage(content=note)]}


@lru_cache(maxsize=1)
def extraction_graph() -> Any:
    builder = StateGraph(ExtractState, context_schema=Deps)
    builder.add_node("ask", _ask)
    builder.add_node("validate", _validate)
    builder.add_node("repair", _repair)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", "validate")
    builder.add_edge("repair", "ask")
    # Many documents run this graph concurrently inside the analyst node: without
    # checkpointer=False they would inherit the parent's checkpointer and share one
    # checkpoint namespace, reading each other's state (and stale state on resume).
    return builder.compile(checkpointer=False)


def document_sentences(text: str) -> list[str]:
    """The sentences a prompt may number ("S1" …), within the document bound."""
    return [s.text for s in split_sentences(text[:MAX_DOCUMENT_CHARS])]


def build_messages(deps: Deps, title: str, url: str, text: str) -> list[BaseMessage]:
    """The prompt's messages; a prompt asks for the whole document or its numbered sentences."""
    prompt = active_prompt(TASK, deps.settings.prompt_versions)
    values = {"title": title, "url": url, "types": ", ".join(AUTOMATION_TYPES)}
    if "sentences" in prompt.variables:
        values["sentences"] = "\n".join(
            f"S{i}: {s}" for i, s in enumerate(document_sentences(text), start=1))
    else:
        values["document"] = text[:MAX_DOCUMENT_CHARS].replace("</document>", "</ document>")
    system, user = prompt.render(**values)
    return [SystemMessage(content=system), HumanMessage(content=user)]


_SENTENCE_REF = re.compile(r"^\s*\[?S?(\d{1,4})\]?\s*$", re.I)


def resolve_sentence_refs(finding: dict[str, Any], sentences: list[str]) -> dict[str, Any]:
    """Evidence given as sentence numbers ("S4") becomes the sentence itself, copied here
    rather than retyped by the model; anything else is left for verification to judge."""
    def resolve(value: Any) -> Any:
        match = _SENTENCE_REF.match(str(value))
        if match and 1 <= int(match.group(1)) <= len(sentences):
            return sentences[int(match.group(1)) - 1]
        return value

    finding["evidence"] = [resolve(q) for q in finding.get("evidence", [])]
    for number in finding.get("numbers", []):
        if isinstance(number, dict) and "quote" in number:
            number["quote"] = resolve(number["quote"])
    return finding


async def llm_engine(doc: Any, deps: Deps) -> list[Finding]:
    messages = build_messages(deps, doc.title, doc.url, doc.text)
    result = await extraction_graph().ainvoke({"messages": messages, "attempts": 0},
                                              context=deps)
    if result.get("error"):
        raise ValueError(f"no valid extraction after {MAX_REPAIRS} repairs: {result['error']}")
    sentences = document_sentences(doc.text)
    return [Finding.model_validate(resolve_sentence_refs(f, sentences))
            for f in result.get("findings", [])]


def llm_version(deps: Deps) -> str:
    prompt = active_prompt(TASK, deps.settings.prompt_versions)
    return f"llm:{prompt.ref}:{deps.llm.model_name('analyst')}"
