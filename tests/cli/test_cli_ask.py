"""`reservoir ask`: an extractive answer, a follow-up in the same thread, nothing relevant."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reservoir.cli.main import app
from reservoir.config import load_settings
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, upsert_document
from reservoir.memory.opportunities import EvidenceIn, OpportunityIn, create_opportunity

runner = CliRunner()
REMINDERS = "Our bookkeeping firm sends invoice reminders automatically with Zapier and Xero."
COST = "Zapier and Xero together cost us about $40 per month."


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings(data_dir=tmp_path / "data")
    with session_scope(settings) as session:
        doc = upsert_document(session, DocumentIn(
            url="https://example.com/reminders", title="How a bookkeeping firm chases unpaid invoices",
            text=f"{REMINDERS} {COST} Late payments fell by half.")).document
        create_opportunity(session, OpportunityIn(
            key="invoice-reminders", title="Invoice reminders with Zapier and Xero for accounting",
            summary="Send invoice reminders automatically.", automation_type="follow_up",
            industries=["accounting"], tools=["Zapier", "Xero"],
            evidence=[EvidenceIn(document_id=doc.id, quote=REMINDERS),
                      EvidenceIn(document_id=doc.id, quote=COST, kind="tool_cost_month")]))
    return tmp_path


def _ask(*args: str) -> dict:
    result = runner.invoke(app, ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_answer_then_follow_up_in_the_thread(env: Path) -> None:
    first = _ask("How can an accounting firm send invoice reminders automatically?")
    assert first["answer"].splitlines()[0] == f"{REMINDERS} [1]"
    assert [c["n"] for c in first["citations"]] == [1] and first["filters"] == {"industry": "accounting"}
    follow = _ask("which of those is cheapest?", "--thread", first["thread_id"])
    assert follow["query"] == "How can an accounting firm send invoice reminders automatically?"
    assert follow["answer"].startswith("The cheapest by the costs its sources quote is Invoice reminders")
    assert "about $40 a month" in follow["answer"] and follow["thread_id"] == first["thread_id"]


def test_nothing_relevant(env: Path) -> None:
    answer = _ask("How do I bake sourdough bread at home?")
    assert answer["answer"] == "The reservoir holds nothing relevant to this question yet."
    assert answer["citations"] == []
