"""Ask reads the sentence vectors discovery stored: a new process (an empty in-process cache)
answers without embedding any stored sentence, and answers the same as when it embeds them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import delete, select

from reservoir.agents import answers, relevance
from reservoir.agents.extractive import split_sentences
from reservoir.config import Settings
from reservoir.demo.server import DemoServer
from reservoir.graphs.ask import ask
from reservoir.graphs.runner import make_deps
from reservoir.memory.db import session_scope
from reservoir.memory.embeddings import get_embedder
from reservoir.memory.models import Document, DocumentChunk, Evidence, Opportunity, SentenceVector
from reservoir.memory.sentence_vectors import load_vectors
from reservoir.memory.vectors import VectorStore
from tests.graphs.helpers import demo_settings, run_discovery
from tests.memory.test_sentence_vectors import Counting

QUESTIONS = ["How do dental clinics reduce no-shows?", "How can a law firm automate client intake?",
             "How do I bake sourdough bread at home?"]


@pytest.fixture(scope="module")
def discovered(tmp_path_factory: pytest.TempPathFactory, demo_server: DemoServer) -> Settings:
    settings = demo_settings(tmp_path_factory.mktemp("sentences") / "data")
    _, status = run_discovery(settings, demo_server.base_url, only=["demo-rss", "demo-atom"])
    assert status == "succeeded"
    return settings


def _stored_texts(settings: Settings) -> list[str]:
    """What ask can score: evidence quotes, passage sentences, page and opportunity titles."""
    with session_scope(settings) as session:
        texts = list(session.exec(select(Evidence.quote)).all())
        texts += session.exec(select(Opportunity.title)).all()
        texts += session.exec(select(Document.title)).all()
        texts += [s.text for chunk in session.exec(select(DocumentChunk.text)).all()
                  for s in split_sentences(chunk) if len(s.text) >= relevance.MIN_SENTENCE_CHARS]
    return texts


def _ask_fresh(settings: Settings) -> tuple[list[Any], list[str]]:
    """Each question as a new process would: an empty cache, the real embedder counted."""
    relevance.VECTORS = relevance.VectorCache()
    counting = Counting(get_embedder(settings))
    deps = make_deps(settings, vectors=VectorStore(settings, embedder=counting))
    results = [asyncio.run(ask(settings, q, deps=deps)) for q in QUESTIONS]
    return [(r.answer, r.citations) for r in results], counting.texts


def test_discovery_stores_every_sentence_ask_scores(discovered: Settings) -> None:
    texts = _stored_texts(discovered)
    assert len(texts) > 50
    stored = load_vectors(discovered, get_embedder(discovered).name, texts)
    assert [t for t in texts if t not in stored] == []


def test_a_new_process_answers_without_embedding_stored_sentences(
        discovered: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relevance, "VECTORS", relevance.VectorCache())
    from_store, embedded = _ask_fresh(discovered)
    assert embedded == [], "every candidate sentence was stored at ingest"
    assert any(citations for _, citations in from_store)
    with session_scope(discovered, write=True) as session:
        session.exec(delete(SentenceVector))  # type: ignore[call-overload]
    from_model, embedded = _ask_fresh(discovered)
    assert len(embedded) > 20, "with nothing stored, ask embeds its candidates"
    assert from_model == from_store, "stored vectors score like fresh ones"
    again, embedded = _ask_fresh(discovered)
    assert embedded == [] and again == from_store, "what ask embedded on a miss is stored"



def _tools(settings: Settings) -> set[str]:
    with session_scope(settings) as session:
        return {t for tools in session.exec(select(Opportunity.tools)).all() for t in tools}


def test_a_tool_nothing_relevant_names_is_left_out_and_the_answer_says_so(
        discovered: Settings) -> None:
    """The tool narrows the search when a relevant source names it; otherwise the answer comes
    from the unfiltered search with a line saying the tool was left out — never a silent
    "nothing relevant" while the reservoir holds the answer, and never an invented one."""
    deps = make_deps(discovered)
    plain = asyncio.run(ask(discovered, "How do dental clinics reduce no-shows?", deps=deps))
    assert plain.citations
    named = [t for t in plain.citations[0].get("tools", []) or [] if t in _tools(discovered)]
    unrelated = sorted(_tools(discovered) - set(named) - {"Twilio", "Acuity Scheduling"})[0]
    relaxed = asyncio.run(ask(discovered, f"How do dental clinics reduce no-shows with {unrelated}?",
                              deps=deps))
    assert relaxed.citations and relaxed.answer.endswith(
        answers.RELAXED_TOOL.format(tool=unrelated))
    assert relaxed.citations[0]["url"] == plain.citations[0]["url"]
    nothing = asyncio.run(ask(discovered, f"How do I bake sourdough bread with {unrelated}?",
                              deps=deps))
    assert nothing.citations == [] and nothing.answer == answers.NOTHING
