"""The ask graph: retrieve (hybrid search) → answer with numbered citations; one thread each.

Without a model the answer is extractive: the best matching opportunities and the quotes
behind them, each cited. With a model, the answer is generated from the retrieved context
only, which is delimited as data. The checkpointer keeps each thread's conversation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from reservoir.agents import extractive
from reservoir.agents.taxonomy import stated_industries
from reservoir.config import Settings
from reservoir.graphs.context import Deps
from reservoir.graphs.state import AskState
from reservoir.memory.checkpoint import open_checkpointer
from reservoir.memory.db import session_scope
from reservoir.memory.opportunities import evidence_for
from reservoir.memory.search import (
    ChunkFilters,
    OpportunityFilters,
    load_chunks,
    load_opportunities,
    search_chunks,
    search_opportunities,
)
from reservoir.memory.vectors import DOCUMENTS
from reservoir.prompts import active_prompt

MIN_DENSE_SIMILARITY = 0.3
NOTHING = "The reservoir holds nothing relevant to this question yet."


@dataclass
class AskResult:
    answer: str
    citations: list[dict[str, Any]]
    thread_id: str
    hits: list[dict[str, Any]] = field(default_factory=list)


def infer_filters(question: str) -> dict[str, Any]:
    """An industry the question names narrows the search (softly: see retrieve).

    Only a stating keyword names one ("dental practices", "law firms"): opportunities carry
    only industries their documents state, so a word that merely leans ("delivery",
    "shipping") would filter the right answers out.
    """
    stated = stated_industries(question)
    industries = [name for name, _ in extractive.classify_industry(question) if name in stated]
    if industries and industries[0] != "other":
        return {"industry": industries[0]}
    return {}


class _Citations:
    def __init__(self) -> None:
        self.by_url: dict[str, dict[str, Any]] = {}

    def cite(self, document_id: int, url: str, title: str, quote: str) -> int:
        if url not in self.by_url:
            self.by_url[url] = {"n": len(self.by_url) + 1, "document_id": document_id, "url": url,
                                "title": title, "quote": quote}
        return self.by_url[url]["n"]


def _search_opps(settings: Settings, deps: Deps, question: str, filters: dict[str, Any],
                 vector: list[float]) -> list[Any]:
    allowed = {k: v for k, v in filters.items() if k in OpportunityFilters.__dataclass_fields__}
    hits = search_opportunities(settings, question, OpportunityFilters(**allowed), limit=5,
                                store=deps.vector_store(), query_vector=vector)
    if not hits and allowed:
        hits = search_opportunities(settings, question, limit=5, store=deps.vector_store(),
                                    query_vector=vector)
    return hits


async def retrieve(state: AskState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Embedding and search are blocking work: off the event loop, so an API keeps serving."""
    writer = get_stream_writer()
    result = await asyncio.to_thread(_retrieve, state, runtime.context)
    writer({"step": "retrieved", "hits": len(result["hits"]), "relevant": bool(result["hits"])})
    return result


def _retrieve(state: AskState, deps: Deps) -> dict[str, Any]:
    question = state["question"]
    store = deps.vector_store()
    vector = store.embedder.embed_query(question)
    filters = {**infer_filters(question), **(state.get("filters") or {})}
    relevant_dense = any(s >= MIN_DENSE_SIMILARITY for _, s in store.dense_search(DOCUMENTS, vector, 1))
    opp_hits = _search_opps(deps.settings, deps, question, filters, vector)
    chunk_hits = search_chunks(deps.settings, question, ChunkFilters(), limit=5, store=store,
                               query_vector=vector)
    relevant = relevant_dense or any(h.lexical_rank is not None for h in [*opp_hits, *chunk_hits])
    cites = _Citations()
    hits: list[dict[str, Any]] = []
    with session_scope(deps.settings) as session:
        opps = load_opportunities(session, opp_hits)
        evidence = evidence_for(session, [o.id for _, o in opps])
        for hit, opp in opps:
            quotes = [e for e in evidence.get(opp.id, []) if e["kind"] == "claim"][:2]
            refs = [cites.cite(e["document_id"], e["url"], e["title"], e["quote"]) for e in quotes]
            hits.append({"kind": "opportunity", "id": opp.id, "title": opp.title,
                         "summary": opp.summary, "tools": opp.tools, "quotes": quotes,
                         "refs": refs, "score": hit.score})
        for hit, chunk, doc in load_chunks(session, chunk_hits):
            ref = cites.cite(doc.id, doc.url, doc.title, chunk.text[:300])
            hits.append({"kind": "passage", "id": chunk.id, "document_id": doc.id,
                         "title": doc.title, "text": chunk.text, "refs": [ref], "score": hit.score})
    return {"hits": hits if relevant else [], "citations": list(cites.by_url.values()) if relevant
            else [], "filters": filters,
            "messages": [{"role": "user", "content": question}]}


def extractive_answer(question: str, hits: list[dict[str, Any]]) -> str:
    if not hits:
        return NOTHING
    lines = [f"What the reservoir holds about “{question.strip()}”:"]
    for hit in [h for h in hits if h["kind"] == "opportunity"][:4]:
        refs = "".join(f"[{n}]" for n in hit["refs"])
        tools = f" Tools: {', '.join(hit['tools'])}." if hit["tools"] else ""
        lines.append(f"- {hit['title']}.{tools} {refs}")
        for quote in hit["quotes"][:1]:
            lines.append(f"  “{quote['quote']}”")
    passages = [h for h in hits if h["kind"] == "passage"][:2]
    if passages and len(lines) < 3:
        for hit in passages:
            lines.append(f"- From “{hit['title']}”: {hit['text'][:240].strip()}… [{hit['refs'][0]}]")
    return "\n".join(lines)


def _context_block(hits: list[dict[str, Any]], citations: list[dict[str, Any]]) -> str:
    lines = [f"[{c['n']}] {c['title']} ({c['url']}): {c['quote']}" for c in citations]
    for hit in hits:
        if hit["kind"] == "opportunity":
            lines.append(f"Opportunity: {hit['title']} — {hit['summary']} (sources "
                         f"{', '.join(f'[{n}]' for n in hit['refs'])})")
        else:
            lines.append(f"Passage [{hit['refs'][0]}]: {hit['text'][:800]}")
    return "\n".join(lines)


async def answer(state: AskState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps, hits = runtime.context, state.get("hits", [])
    if not deps.llm.has_model("ask") or not hits:
        text = extractive_answer(state["question"], hits)
    else:
        history = "\n".join(f"{m['role']}: {m['content'][:500]}" for m in state.get("messages", [])[-7:-1])
        prompt = active_prompt("ask.answer", deps.settings.prompt_versions)
        system, user = prompt.render(question=state["question"], history=history or "(none)",
                                     context=_context_block(hits, state.get("citations", [])))
        text = await deps.llm.complete("ask", prompt.ref,
                                       [SystemMessage(content=system), HumanMessage(content=user)])
    writer = get_stream_writer()
    for piece in _pieces(text):
        writer({"token": piece})
    return {"answer": text, "messages": [{"role": "assistant", "content": text}]}


def _pieces(text: str, size: int = 24) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def build_ask_graph() -> StateGraph:
    builder = StateGraph(AskState, context_schema=Deps)
    builder.add_node("retrieve", retrieve)
    builder.add_node("answer", answer)
    builder.add_edge(START, "retrieve")
    builder.add_edge("retrieve", "answer")
    builder.add_edge("answer", END)
    return builder


async def ask(settings: Settings, question: str, *, thread_id: str | None = None,
              filters: dict[str, Any] | None = None,
              on_token: Callable[[dict[str, Any]], Any] | None = None,
              deps: Deps | None = None) -> AskResult:
    """Answer one question in a thread; `on_token` receives step and token events as they come."""
    if not question or not question.strip():
        raise ValueError("the question is empty")
    if len(question) > 4000:
        raise ValueError("the question is too long (max 4000 characters)")
    from reservoir.graphs.runner import make_deps

    deps = deps or make_deps(settings)
    thread_id = thread_id or uuid.uuid4().hex
    config = {"configurable": {"thread_id": f"ask:{thread_id}"}}
    async with open_checkpointer(settings) as saver:
        graph = build_ask_graph().compile(checkpointer=saver)
        async for chunk in graph.astream(
                {"question": question, "filters": filters or {}}, config=config, context=deps,
                stream_mode="custom"):
            if on_token is not None:
                result = on_token(chunk)
                if hasattr(result, "__await__"):
                    await result
        state = (await graph.aget_state(config)).values
    return AskResult(answer=state.get("answer", ""), citations=state.get("citations", []),
                     thread_id=thread_id, hits=state.get("hits", []))
