"""End to end on the demo corpus: the labelled answers are met, every quote is verbatim,
near-duplicates merge, and the instruction-bearing page changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from reservoir.config import Settings
from reservoir.demo.server import DemoServer
from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Evidence, Opportunity, Report, Run, RunEvent, Source
from tests.graphs.helpers import demo_settings, run_discovery

ANALYSED_KINDS = ("article", "near_duplicate", "injection", "non_english")


def _doc_for(page: dict[str, Any], docs: list[Document]) -> Document | None:
    path = page["path"]
    if path.startswith("folder:"):
        name = path.split(":", 1)[1]
        return next((d for d in docs if d.url.endswith("/" + name)), None)
    return next((d for d in docs if d.url.split("?")[0].endswith(path)), None)


def recall_of_labels(settings: Settings, labels: dict[str, Any]) -> tuple[float, list[str]]:
    """A labelled automation is found when an opportunity of its type cites its page."""
    pages = {p["slug"]: p for p in labels["pages"]}
    with session_scope(settings) as session:
        docs = list(session.exec(select(Document)).all())
        found_types: dict[int, set[str]] = {}
        for evidence, opp in session.exec(select(Evidence, Opportunity).join(
                Opportunity, Opportunity.id == Evidence.opportunity_id)).all():
            found_types.setdefault(evidence.document_id, set()).add(opp.automation_type)
    total, missed = 0, []
    for page in labels["pages"]:
        if page["kind"] not in ANALYSED_KINDS:
            continue
        original = pages.get(page.get("duplicate_of") or "", page)
        doc = _doc_for(page, docs) or _doc_for(original, docs)
        for automation in page["automations"]:
            total += 1
            if doc is None or automation["automation_type"] not in found_types.get(doc.id, set()):
                missed.append(f"{page['slug']}:{automation['automation_type']}")
    return (1 - len(missed) / total if total else 1.0), missed


@pytest.fixture(scope="module")
def no_model_run(tmp_path_factory: pytest.TempPathFactory, demo_server: DemoServer
                 ) -> tuple[Settings, str, str]:
    settings = demo_settings(tmp_path_factory.mktemp("e2e") / "data")
    run_id, status = run_discovery(settings, demo_server.base_url)
    return settings, run_id, status


def test_run_succeeds_and_reports_every_source(no_model_run: tuple[Settings, str, str]) -> None:
    settings, run_id, status = no_model_run
    assert status == "succeeded"
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        summaries = run.counters["sources"]
        assert {s["name"] for s in summaries} == {s.name for s in session.exec(select(Source))}
        assert sum(s["new"] for s in summaries) >= 40
        reports = session.exec(select(Report).where(Report.run_id == run_id)).all()
        assert len(reports) == 2 and all(r.status == "published" for r in reports)
        assert all("[1]" in r.markdown and "## Sources" in r.markdown for r in reports)


def test_labelled_automations_are_found(no_model_run: tuple[Settings, str, str],
                                        labels: dict[str, Any]) -> None:
    recall, missed = recall_of_labels(no_model_run[0], labels)
    print(f"no-model recall {recall:.2f}; missed {missed}")
    assert recall >= 0.8, missed


def test_every_quote_is_verbatim(no_model_run: tuple[Settings, str, str]) -> None:
    with session_scope(no_model_run[0]) as session:
        rows = session.exec(select(Evidence, Document).join(
            Document, Document.id == Evidence.document_id)).all()
        assert rows
        for evidence, document in rows:
            assert evidence.quote in document.text


def test_near_duplicates_merge_into_the_same_opportunities(
        no_model_run: tuple[Settings, str, str], labels: dict[str, Any]) -> None:
    settings = no_model_run[0]
    pages = {p["slug"]: p for p in labels["pages"]}
    with session_scope(settings) as session:
        docs = list(session.exec(select(Document)).all())
        opps_of: dict[int, set[int]] = {}
        for e in session.exec(select(Evidence).where(Evidence.kind == "claim")).all():
            opps_of.setdefault(e.document_id, set()).add(e.opportunity_id)
        titles = [o.key for o in session.exec(select(Opportunity)).all()]
    assert len(titles) == len(set(titles))
    checked = 0
    for page in labels["pages"]:
        if page["kind"] != "near_duplicate":
            continue
        copy, original = _doc_for(page, docs), _doc_for(pages[page["duplicate_of"]], docs)
        assert copy is not None and original is not None, page["slug"]
        if copy.id == original.id:
            continue
        assert opps_of.get(copy.id, set()) <= opps_of.get(original.id, set()), page["slug"]
        checked += 1
    assert checked >= 1


def test_exact_duplicates_are_not_stored_twice(no_model_run: tuple[Settings, str, str]) -> None:
    with session_scope(no_model_run[0]) as session:
        hashes = [d.content_hash for d in session.exec(select(Document)).all()]
    assert len(hashes) == len(set(hashes))


def test_instruction_bearing_page_changes_nothing(no_model_run: tuple[Settings, str, str],
                                                  labels: dict[str, Any]) -> None:
    injected = [p for p in labels["pages"] if p["kind"] == "injection"]
    assert injected
    with session_scope(no_model_run[0]) as session:
        opps = session.exec(select(Opportunity)).all()
        assert {o.status for o in opps} == {"new"}
        assert all((o.total_score or 0) < 100 for o in opps)
        quotes = [e.quote for e in session.exec(select(Evidence)).all()]
        sources = session.exec(select(Source)).all()
        docs = session.exec(select(Document)).all()
    for page in injected:
        assert not any(page["injection_quote"] in q for q in quotes)
    assert all("evil" not in s.url for s in sources)
    assert all("evil" not in d.url for d in docs)


def test_rerun_over_unchanged_sources_adds_nothing(no_model_run: tuple[Settings, str, str],
                                                   demo_server: DemoServer) -> None:
    settings = no_model_run[0]
    with session_scope(settings) as session:
        before = (len(session.exec(select(Document)).all()), len(session.exec(select(Opportunity)).all()))
    run_id, status = run_discovery(settings, demo_server.base_url)
    assert status == "succeeded"
    with session_scope(settings) as session:
        after = (len(session.exec(select(Document)).all()), len(session.exec(select(Opportunity)).all()))
        run = session.get(Run, run_id)
    assert after == before
    assert sum(s["new"] for s in run.counters["sources"]) == 0


def test_fake_model_path_meets_the_labels(tmp_path: Path, demo_server: DemoServer,
                                          labels: dict[str, Any]) -> None:
    settings = demo_settings(tmp_path / "data", llm_provider="fake")
    run_id, status = run_discovery(settings, demo_server.base_url)
    assert status == "succeeded"
    recall, missed = recall_of_labels(settings, labels)
    assert recall >= 0.8, missed
    with session_scope(settings) as session:
        run = session.get(Run, run_id)
        versions = {d.analysis_version for d in session.exec(select(Document)).all()}
    assert run.tokens_in > 0
    assert any(v and v.startswith("llm:analyst.extract=v1") for v in versions)
    injected = [p["path"] for p in labels["pages"] if p["kind"] == "injection"]
    with session_scope(settings) as session:
        dropped = session.exec(select(RunEvent).where(RunEvent.run_id == run_id,
                                                      RunEvent.type == "findings_dropped")).all()
        dropped_urls = {session.get(Document, e.payload["document_id"]).url for e in dropped}
    # The fake answers from each prompt's own document, so its quotes are verbatim: the only
    # drops are the instruction-like sentences of the injection page. Any other drop would
    # mean concurrent extractions saw each other's state.
    assert all(any(url.endswith(path) for path in injected) for url in dropped_urls), dropped_urls


def test_crewai_engine_end_to_end(tmp_path: Path, demo_server: DemoServer,
                                  labels: dict[str, Any]) -> None:
    """The CrewAI crew (extractor + critic) on a slice of the corpus, through the whole graph."""
    settings = demo_settings(tmp_path / "data", llm_provider="fake", analyst_engine="crewai")
    run_id, status = run_discovery(settings, demo_server.base_url,
                                   only=["demo-newsletters", "demo-reddit-nocode"])
    assert status == "succeeded"
    with session_scope(settings) as session:
        docs = session.exec(select(Document)).all()
        versions = {d.analysis_version for d in docs}
        rows = session.exec(select(Evidence, Document).join(
            Document, Document.id == Evidence.document_id)).all()
        run = session.get(Run, run_id)
    assert len(docs) >= 5
    assert any(v and v.startswith("crewai:analyst.extract=v1") for v in versions), versions
    assert rows and all(e.quote in d.text for e, d in rows)
    assert run.tokens_in > 0
    found = {(d.id, e.kind) for e, d in rows}
    assert len({doc_id for doc_id, _ in found}) >= 4


def test_every_tool_and_industry_is_traced_to_a_stored_sentence(
        no_model_run: tuple[Settings, str, str]) -> None:
    from reservoir.agents.verify import field_traces
    from reservoir.memory.opportunities import evidence_for

    with session_scope(no_model_run[0]) as session:
        opps = session.exec(select(Opportunity)).all()
        evidence = evidence_for(session, [o.id for o in opps])
    names = traced = 0
    for opp in opps:
        traces = field_traces(opp.tools, opp.industries, evidence[opp.id])
        for field in ("tools", "industries"):
            for trace in traces[field].values():
                names += 1
                traced += trace is not None
    print(f"traced {traced}/{names} tool and industry names to a sentence naming them")
    assert names and traced / names >= 0.9
