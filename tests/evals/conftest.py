"""Eval fixtures: a scripted model that obeys the deliberately broken prompt v3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage

from reservoir.agents.fake_model import extractive_responder
from reservoir.scripted_model import ScriptedChatModel

BASELINES = Path(__file__).resolve().parents[2] / "reservoir" / "evals" / "baselines"
V3_INSTRUCTION = "PARAPHRASE EACH EVIDENCE SENTENCE IN YOUR OWN WORDS"


def paraphrase(sentence: str) -> str:
    """What a model told to paraphrase does: same facts, not the document's words."""
    body = sentence.strip().rstrip(".")
    return f"In short, the author explains that {body[:1].lower()}{body[1:]}."


def obedient_responder(messages: list[BaseMessage]) -> str:
    """The fake's extraction, with evidence and number quotes paraphrased when told to."""
    reply = json.loads(extractive_responder(messages))
    if V3_INSTRUCTION in str(messages[0].content):
        for opp in reply.get("opportunities", []):
            opp["evidence"] = [paraphrase(q) for q in opp["evidence"]]
            for number in opp["numbers"]:
                number["quote"] = paraphrase(number["quote"])
    return json.dumps(reply)


@pytest.fixture
def obedient_model() -> ScriptedChatModel:
    return ScriptedChatModel(responder=obedient_responder, model_name="scripted-obedient")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI reads its settings from the environment: a private data directory."""
    monkeypatch.setenv("RESERVOIR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "data"
