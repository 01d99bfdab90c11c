"""Discovery, the analyst's engines and the eval harness against the real SmolLM2 model.

Nothing here checks what the model says — a 135M model says little that is right. What is
checked is what Reservoir stores: every quote verbatim in its document, every tool named in
a document the opportunity cites, tokens recorded, and a run that completes whatever the
model answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from reservoir.agents.analyst import DocView, _extract_one
from reservoir.agents.analyst_llm import llm_engine
from reservoir.agents.extractive import split_sentences
from reservoir.agents.verify import tool_sentence
from reservoir.config import Settings
from reservoir.demo.server import DemoServer
from reservoir.deps import Deps
from reservoir.evals.harness import EvalConfig, load_dataset, run_eval_sync
from reservoir.evals.store import get_examples
from reservoir.llm import LlmClient
from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Evidence, Opportunity, Report, Run
from reservoir.memory.sources import add_source
from tests.graphs.helpers import demo_settings, register_demo
from tests.model.conftest import ALIAS

pytestmark = [pytest.mark.model, pytest.mark.timeout(1200)]

TEXT = ("We automated lead routing with Zapier and Follow Up Boss, and a Twilio text goes to the "
        "agent within a minute. It saves our two coordinators about 6 hours per week.")
DOC = DocView(id=1, url="https://example.com/leads", title="Lead routing", text=TEXT)


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


def model_settings(path: Path, base_url: str) -> Settings:
    return demo_settings(path, llm_provider="openai", llm_base_url=base_url, llm_model=ALIAS,
                         llm_structured_output="json_object_schema", llm_timeout=240,
                         llm_max_concurrency=1, llm_max_tokens={"analyst": 512, "writer": 200,
                                                                "roi": 200, "ask": 200})


def assert_everything_stored_is_traceable(settings: Settings) -> int:
    """Every quote verbatim in its document; every tool named in a document it cites."""
    with session_scope(settings) as session:
        docs = {d.id: d.text for d in session.exec(select(Document)).all()}
        opps = session.exec(select(Opportunity)).all()
        for opp in opps:
            evidence = session.exec(select(Evidence).where(Evidence.opportunity_id == opp.id)).all()
            assert evidence, opp.title
            for item in evidence:
                assert item.quote in docs[item.document_id], item.quote
            cited = [docs[e.document_id] for e in evidence]
            for tool in opp.tools:
                assert any(tool_sentence(tool, text, [s.text for s in split_sentences(text)], {})
                           or tool.lower() in text.lower() for text in cited), (tool, opp.title)
        return len(opps)


def test_discovery_with_the_real_model_stores_only_what_its_sources_say(
        llama_server: str, demo_server: DemoServer, tmp_path: Path) -> None:
    from reservoir.graphs.runner import create_discovery_run, execute_run

    settings = model_settings(tmp_path / "data", llama_server)
    _, profiles = register_demo(settings, demo_server.base_url)
    with session_scope(settings) as session:
        add_source(session, "few-hn", "hackernews", f"{demo_server.base_url}/hn/v0",
                   {"list": "topstories", "limit": 3}, replace=True)
    run_id = create_discovery_run(settings, sources=["few-hn"], profiles=profiles[:1])
    status = asyncio.run(execute_run(settings, run_id))
    assert status == "succeeded"
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        assert run.tokens_in > 0 and run.tokens_out > 0
        counters = run.counters
        assert session.exec(select(Report).where(Report.run_id == run_id)).first() is not None
    print(f"analyst counters: { {k: v for k, v in counters.items() if k != 'sources'} }")
    assert_everything_stored_is_traceable(settings)


def test_the_in_process_local_provider_is_verified_the_same_way(
        smollm2_path: Path, tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "data", llm_provider="local", llm_local_path=smollm2_path,
                             llm_max_tokens={"analyst": 384})
    llm = LlmClient(settings)
    findings, dropped = asyncio.run(_extract_one(llm_engine, DOC, Deps(settings=settings, llm=llm)))
    assert llm.usage.calls >= 1
    print(f"local provider: {len(findings)} findings, dropped {dict(dropped)}")
    for finding in findings:
        assert all(quote in TEXT for quote in finding.evidence)
        assert all(tool.lower() in TEXT.lower() for tool in finding.tools)
        assert all(n.quote in TEXT for n in finding.numbers)


def test_the_eval_harness_runs_the_extract_task_with_the_real_model(
        llama_server: str, tmp_path: Path) -> None:
    settings = model_settings(tmp_path / "data", llama_server)
    run = run_eval_sync(settings, EvalConfig(task="extract", limit=3, concurrency=1, cache=False))
    print(f"extract with SmolLM2 on 3 examples: {run.metrics}")
    assert run.examples == 3 and run.errors == 0 and run.calls >= 1
    texts = {e["id"]: e["text"] for e in load_dataset(EvalConfig(task="extract", limit=3))[1]}
    for example in get_examples(settings, run.id):
        # `grounding` scores what the model said; what is kept is verbatim whatever it said.
        for opp in example.output["opportunities"]:
            assert all(q in texts[example.example_id] for q in opp["evidence"])


def test_ask_with_the_real_model_cites_only_retrieved_quotes_that_hold(
        llama_server: str, demo_server: DemoServer, tmp_path: Path) -> None:
    """The reservoir is built without a model; the real model then answers a question. Its
    answer keeps only claims whose citations are retrieved quotes that support them."""
    import re

    from reservoir.graphs.ask import ask

    plain = demo_settings(tmp_path / "data")
    register_demo(plain, demo_server.base_url)
    with session_scope(plain) as session:
        add_source(session, "few-hn", "hackernews", f"{demo_server.base_url}/hn/v0",
                   {"list": "topstories", "limit": 4}, replace=True)
    from reservoir.graphs.runner import create_discovery_run, execute_run

    run_id = create_discovery_run(plain, sources=["few-hn"], profiles=[])
    assert asyncio.run(execute_run(plain, run_id)) == "succeeded"
    with session_scope(plain) as session:
        title = session.exec(select(Opportunity.title)).first()
        docs = {d.url: d.text for d in session.exec(select(Document)).all()}
    assert title, "the no-model run should store an opportunity to ask about"
    settings = model_settings(tmp_path / "data", llama_server)
    result = asyncio.run(ask(settings, f"How does {title.lower()} work?"))
    print(f"asked about {title!r}: {result.answer[:300]!r}")
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert cited <= {int(c["n"]) for c in result.citations}
    for citation in result.citations:
        for quote in citation["quotes"]:
            assert quote in docs[citation["url"]]
