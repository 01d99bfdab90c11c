"""The langgraph engine's prompt forms: whole document, or numbered sentences whose numbers
the model gives back and Reservoir turns into the sentences themselves."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from reservoir.agents.analyst import DocView, verify_all
from reservoir.agents.analyst_llm import llm_engine, resolve_sentence_refs
from reservoir.config import load_settings
from reservoir.deps import Deps
from reservoir.llm import LlmClient
from reservoir.scripted_model import ScriptedChatModel

TEXT = ("Our clinic is small. We use Twilio to text every patient a reminder the day before. "
        "No-shows fell by 30% in two months.")
DOC = DocView(id=1, url="https://example.com/c", title="Reminders", text=TEXT)


def test_sentence_numbers_become_the_sentences_and_unknown_numbers_stay_for_verification() -> None:
    sentences = ["A.", "B.", "C."]
    finding = resolve_sentence_refs({"evidence": ["S2", "[3]", "S9", "Typed by the model."],
                                     "numbers": [{"quote": "S3"}]}, sentences)
    assert finding["evidence"] == ["B.", "C.", "S9", "Typed by the model."]
    assert finding["numbers"][0]["quote"] == "C."


def test_the_numbered_prompt_yields_verbatim_evidence(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", llm_provider="fake",
                             prompt_versions={"analyst.extract": "v4"})
    model = ScriptedChatModel().enqueue(json.dumps({"opportunities": [{
        "title": "Reminder texts", "automation_type": "scheduling", "tools": ["Twilio"],
        "evidence": ["S2"], "numbers": [{"field": "percent", "value": 30, "quote": "S3"}]}]}))
    deps = Deps(settings=settings, llm=LlmClient(settings, models={"analyst": model}))
    findings = asyncio.run(llm_engine(DOC, deps))
    prompt = str(model.calls[0][-1].content)
    assert "S2: We use Twilio to text every patient a reminder the day before." in prompt
    kept, dropped = verify_all(findings, DOC)
    assert kept[0].evidence == ["We use Twilio to text every patient a reminder the day before."]
    assert kept[0].numbers[0].quote == "No-shows fell by 30% in two months."
    assert not dropped
