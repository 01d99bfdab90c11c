"""The ask graph: plan (follow-ups, filters) → retrieve sentences → answer with citations.

``plan`` rewrites a follow-up against the thread's previous turn and reads filters from the
question. ``retrieve`` scores sentences (evidence quotes and passage sentences of the best
hybrid-search hits) and keeps the relevant ones (reservoir.agents.relevance). Without a
model the answer is extractive (reservoir.agents.answers); with a model, it is generated from
the kept quotes only — delimited as data — and each sentence's citation is checked. The
checkpointer keeps each thread's turns, so a follow-up sees the previous one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from reservoir.agents import answers, relevance
from reservoir.agents.extractive import find_numbers, split_sentences
from reservoir.agents.followup import Turn, read_filters, rewrite
from reservoir.agents.lexical import whole_words
from reservoir.agents.relevance import Candidate
from reservoir.config import Settings
from reservoir.deps import Deps
from reservoir.graphs.state import AskState
from reservoir.memory.checkpoint import open_checkpointer
from reservoir.memory.db import session_scope
from reservoir.memory.opportunities import evidence_for
from reservoir.memory.search import (
    ChunkFilters,
    OpportunityFilters,
    SearchHit,
    load_chunks,
    load_opportunities,
    search_chunks,
    search_opportunities,
)
from reservoir.memory.sentence_vectors import stored_or_embedded
from reservoir.prompts import active_prompt

SEARCH_DEPTH = 8  # opportunities and passages whose sentences are scored
DENSE_EXTRA = 5  # passages added from the dense ranking alone (see collect); measured on real-dev
# A page that names the question's tool yields to a better one that does not when it is
# further below it than a page may be below the best one and still be cited (see select).
TOOL_MARGIN: float | None = relevance.DOCUMENT_GAP


@dataclass
class AskResult:
    answer: str
    citations: list[dict[str, Any]]
    thread_id: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    query: str = ""
    filters: dict[str, Any] = field(default_factory=dict)


def _opportunity_filters(filters: dict[str, Any]) -> OpportunityFilters:
    since = filters.get("since")
    return OpportunityFilters(
        automation_type=filters.get("automation_type"), industry=filters.get("industry"),
        tool=filters.get("tool"), status=filters.get("status"),
        since=datetime.fromisoformat(since) if since else None)


def _strict(filters: dict[str, Any]) -> bool:
    """Filters the user asked for in so many words; an industry alone only narrows softly."""
    return any(k in filters for k in ("tool", "automation_type", "since", "max_cost_month", "status"))


def _search_opps(deps: Deps, query: str, filters: dict[str, Any], vector: list[float]) -> list[Any]:
    store = deps.vector_store()
    hits = search_opportunities(deps.settings, query, _opportunity_filters(filters),
                                limit=SEARCH_DEPTH, store=store, query_vector=vector)
    if not hits and filters.get("industry") and not _strict(filters):
        hits = search_opportunities(deps.settings, query, limit=SEARCH_DEPTH, store=store,
                                    query_vector=vector)
    return hits


def quoted_cost(evidence: list[dict[str, Any]]) -> tuple[float, dict[str, Any]] | None:
    """The lowest monthly tool cost an opportunity's own quotes state, with its evidence."""
    costs = [(m.value, e) for e in evidence for m in find_numbers(e["quote"])
             if m.field == "tool_cost_month"]
    return min(costs, key=lambda c: c[0]) if costs else None


def _evidence_candidates(hit: Any, opp: Any, evidence: list[dict[str, Any]]) -> list[Candidate]:
    return [Candidate(text=e["quote"], document_id=e["document_id"], url=e["url"],
                      title=e["title"], opportunity_id=opp.id, opportunity_title=opp.title,
                      tools=tuple(opp.tools), claim=e["kind"] == "claim",
                      extra={"search_score": hit.score})
            for e in evidence]


def _passage_candidates(hit: Any, chunk: Any, doc: Any) -> list[Candidate]:
    return [Candidate(text=s.text, document_id=doc.id, url=doc.url, title=doc.title,
                      extra={"search_score": hit.score})
            for s in split_sentences(chunk.text)]


def collect(deps: Deps, query: str, filters: dict[str, Any], vector: list[float],
            within: list[int] | None = None) -> tuple[list[Candidate], dict[int, Any]]:
    """Candidate sentences for a query: evidence of the best opportunities, sentences of the
    best passages; with strict filters only the evidence of opportunities that pass them."""
    store = deps.vector_store()
    opp_hits = (_search_opps(deps, query, filters, vector) if not within
                else [SearchHit(id=i, score=1.0) for i in within])
    strict = _strict(filters) or bool(within)
    # A tool the question names is also named by passages whose opportunity does not list it
    # ("YakChat adds SMS to Microsoft Teams" under an opportunity tagged YakChat): with the
    # tool as the only strict filter, passages that name it are candidates too.
    tool_in_passages = (not within and filters.get("tool")
                        and not _strict({k: v for k, v in filters.items() if k != "tool"}))
    chunk_hits = [] if strict and not tool_in_passages else search_chunks(
        deps.settings, query, ChunkFilters(), limit=SEARCH_DEPTH, store=store,
        query_vector=vector)
    if chunk_hits and DENSE_EXTRA:
        # Rank fusion demotes a passage the embedding puts first when its words are not the
        # question's ("receiving webhooks" for "sends me a webhook"); the relevance score
        # judges each sentence anyway, so the best few by meaning alone are candidates too.
        have = {h.id for h in chunk_hits}
        chunk_hits += [h for h in search_chunks(
            deps.settings, query, ChunkFilters(), limit=DENSE_EXTRA, store=store,
            query_vector=vector, mode="dense") if h.id not in have]
    candidates: list[Candidate] = []
    costs: dict[int, Any] = {}
    with session_scope(deps.settings) as session:
        opps = load_opportunities(session, opp_hits)
        evidence = evidence_for(session, [o.id for _, o in opps])
        budget = filters.get("max_cost_month")
        for hit, opp in opps:
            items = evidence.get(opp.id, [])
            costs[opp.id] = quoted_cost(items)
            if budget is not None and (costs[opp.id] is None or costs[opp.id][0] > budget):
                continue
            candidates += _evidence_candidates(hit, opp, items)
        named = whole_words(str(filters["tool"])) if tool_in_passages else None
        for hit, chunk, doc in load_chunks(session, chunk_hits):
            found = _passage_candidates(hit, chunk, doc)
            if named is not None:
                found = [c for c in found if named.search(c.text) or named.search(c.title or "")]
            candidates += found
    return relevance.unique(candidates), costs


class Scored(NamedTuple):
    """A turn's candidate sentences (scored, best first), quoted costs, and the relevant ones."""

    candidates: list[Candidate]
    costs: dict[int, Any]
    selected: list[Candidate]


def scored_candidates(deps: Deps, turn: Turn) -> Scored:
    """Every candidate sentence for the turn, scored and best first, with the selection made
    from them once (``relevance.select``); the sweep reuses the candidates.

    A tool the question names narrows the search; when nothing relevant names it, the tool
    is left out (``turn.relaxed``) and the answer says so: a page that does the job without
    naming the tool it runs on ("use the CSV node") beats "nothing relevant". So does one
    that answers clearly better (by more than ``TOOL_MARGIN``) than every page naming the
    tool: those name the tool but are about something else ("… whenever Node-RED starts"
    for a question on cookies in Node-RED).
    """
    store = deps.vector_store()
    vector = store.embedder.embed_query(turn.query)
    scored, costs = _scored(deps, turn.query, turn.filters, vector, turn.within)
    selected = relevance.select(scored)
    if turn.filters.get("tool") and not turn.within:
        relaxed = {k: v for k, v in turn.filters.items() if k != "tool"}
        if not selected:
            scored, costs = _scored(deps, turn.query, relaxed, vector, turn.within)
            selected = relevance.select(scored)
            turn.relaxed = ["tool"]
        elif TOOL_MARGIN is not None:
            loose, loose_costs = _scored(deps, turn.query, relaxed, vector, turn.within)
            picked = relevance.select(loose)
            if picked and picked[0].score > selected[0].score + TOOL_MARGIN:
                scored, costs, selected = loose, loose_costs, picked
                turn.relaxed = ["tool"]
    return Scored(scored, costs, selected)


def _scored(deps: Deps, query: str, filters: dict[str, Any], vector: list[float],
            within: list[int]) -> tuple[list[Candidate], dict[int, Any]]:
    candidates, costs = collect(deps, query, filters, vector, within)
    names = [[t for t in (c.title, c.opportunity_title) if t] for c in candidates]
    flat = sentence_vectors(deps, [c.text for c in candidates] + [t for n in names for t in n])
    vectors, titles, at = flat[:len(candidates)], [], len(candidates)
    for n in names:
        titles.append(flat[at:at + len(n)])
        at += len(n)
    return relevance.score(query, vector, candidates, vectors, titles), costs


def sentence_vectors(deps: Deps, texts: list[str]) -> list[Any]:
    """The process's cache first, then the vectors stored at ingest (one query), then the
    embedder for what neither holds — stored in turn for the next process."""
    embedder = deps.vector_store().embedder
    return relevance.VECTORS.embed(
        embedder.name, texts, partial(stored_or_embedded, deps.settings, embedder))


def _hits(selected: list[Candidate]) -> list[dict[str, Any]]:
    return [{"kind": "opportunity" if c.opportunity_id else "passage", "id": c.opportunity_id,
             "document_id": c.document_id, "title": c.opportunity_title or c.title,
             "text": c.text, "tools": list(c.tools), "score": c.score} for c in selected]


def previous_turn(state: AskState) -> dict[str, Any] | None:
    """The thread's last turn (from the checkpoint), else one rebuilt from a given history."""
    if state.get("query"):
        return {"query": state["query"], "applied": state.get("applied") or {},
                "opportunity_ids": state.get("opportunity_ids") or []}
    history = [q for q in state.get("history") or [] if q.strip()]
    previous: dict[str, Any] | None = None
    for question in history:
        turn = rewrite(question, previous)
        previous = {"query": turn.query, "applied": turn.filters, "opportunity_ids": []}
    return previous


async def plan(state: AskState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """The standalone question: a model rewrites a follow-up when there is one, else the rules."""
    deps = runtime.context
    previous = previous_turn(state)
    turn = rewrite(state["question"], previous)
    if turn.followup and previous and deps.llm.has_model("ask"):
        prompt = active_prompt("ask.rewrite", deps.settings.prompt_versions)
        system, user = prompt.render(previous=previous["query"], question=state["question"])
        text = await deps.llm.complete("ask", prompt.ref,
                                       [SystemMessage(content=system), HumanMessage(content=user)])
        standalone = text.strip().splitlines()[0].strip() if text.strip() else ""
        if standalone:
            turn = Turn(query=standalone[:4000], filters={**turn.filters, **read_filters(standalone)},
                        followup=True, rank_by=turn.rank_by, within=turn.within)
    turn.filters = {**turn.filters, **(state.get("filters") or {})}
    get_stream_writer()({"step": "planned", "query": turn.query, "filters": turn.filters})
    return {**turn.as_state(), "messages": [{"role": "user", "content": state["question"]}]}


async def retrieve(state: AskState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Embedding and search are blocking work: off the event loop, so an API keeps serving."""
    writer = get_stream_writer()
    result = await asyncio.to_thread(_retrieve, state, runtime.context)
    writer({"step": "retrieved", "hits": len(result["hits"]), "relevant": bool(result["hits"])})
    return result


def _retrieve(state: AskState, deps: Deps) -> dict[str, Any]:
    turn = Turn(query=state["query"], filters=state.get("applied") or {},
                rank_by=state.get("rank_by"), within=state.get("within") or [])
    candidates, costs, selected = scored_candidates(deps, turn)
    if turn.rank_by == "cost":
        if not turn.within:  # "those" = what the previous question's answer would hold
            relevant = {c.opportunity_id for c in selected}
            candidates = [c for c in candidates if c.opportunity_id in relevant]
        text, citations, opp_ids = answers.compose_by_cost(candidates, costs)
        return {"hits": [], "citations": citations, "draft": text, "note": "",
                "opportunity_ids": opp_ids or turn.within}
    text, citations = answers.compose(selected)
    note = (answers.RELAXED_TOOL.format(tool=turn.filters["tool"])
            if selected and turn.relaxed else "")
    opp_ids = list(dict.fromkeys(c.opportunity_id for c in selected if c.opportunity_id))
    return {"hits": _hits(selected), "citations": citations, "draft": text, "note": note,
            "opportunity_ids": opp_ids}


def context_block(citations: list[dict[str, Any]]) -> str:
    """The retrieved quotes, one numbered source each, as data for the model to answer from."""
    return "\n".join(f"[{c['n']}] {c['title']} ({c['url']})\n<quote>{c['quote']}</quote>"
                     for c in citations)


async def answer(state: AskState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """The extractive draft, or a model's answer from the same quotes with every citation checked."""
    deps, citations = runtime.context, state.get("citations", [])
    text = state.get("draft") or answers.NOTHING
    if deps.llm.has_model("ask") and citations and state.get("rank_by") is None:
        history = "\n".join(f"{m['role']}: {m['content'][:500]}"
                            for m in state.get("messages", [])[-7:-1])
        prompt = active_prompt("ask.answer", deps.settings.prompt_versions)
        system, user = prompt.render(question=state["query"], history=history or "(none)",
                                     context=context_block(citations))
        generated = await deps.llm.complete(
            "ask", prompt.ref, [SystemMessage(content=system), HumanMessage(content=user)])
        checked, kept = answers.check_generated(generated, citations)
        if checked:
            text, citations = checked, kept
    if state.get("note"):  # the extractive draft or the model's answer: either says it
        text += "\n\n" + state["note"]
    writer = get_stream_writer()
    for piece in _pieces(text):
        writer({"token": piece})
    return {"answer": text, "citations": citations,
            "messages": [{"role": "assistant", "content": text}]}


def _pieces(text: str, size: int = 24) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def build_ask_graph() -> StateGraph:
    builder = StateGraph(AskState, context_schema=Deps)
    builder.add_node("plan", plan)
    builder.add_node("retrieve", retrieve)
    builder.add_node("answer", answer)
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "retrieve")
    builder.add_edge("retrieve", "answer")
    builder.add_edge("answer", END)
    return builder


async def ask(settings: Settings, question: str, *, thread_id: str | None = None,
              filters: dict[str, Any] | None = None,
              history: list[str] | None = None,
              on_token: Callable[[dict[str, Any]], Any] | None = None,
              deps: Deps | None = None) -> AskResult:
    """Answer one question in a thread; `on_token` receives step and token events as they come.

    A follow-up is read against the thread's previous turn (kept by the checkpointer), or,
    for a new thread, against ``history`` — the earlier user questions a client sent along.
    """
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
                {"question": question, "filters": filters or {}, "history": history or []},
                config=config, context=deps, stream_mode="custom"):
            if on_token is not None:
                result = on_token(chunk)
                if hasattr(result, "__await__"):
                    await result
        state = (await graph.aget_state(config)).values
    return AskResult(answer=state.get("answer", ""), citations=state.get("citations", []),
                     thread_id=thread_id, hits=state.get("hits", []),
                     query=state.get("query", ""), filters=state.get("applied") or {})
