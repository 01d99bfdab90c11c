"""The analyst's output schema and the rule that keeps it honest: quotes must be verbatim."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from reservoir.memory.hashing import short_hash
from reservoir.memory.models import AUTOMATION_TYPES

AutomationType = Literal[
    "lead_generation", "client_communication", "document_automation", "scheduling",
    "follow_up", "reporting", "marketing", "workflow_optimization", "other",
]
NumberField = Literal["hours_saved_week", "setup_hours", "tool_cost_month", "percent",
                      "money_saved_month", "other"]


class NumberClaim(BaseModel):
    field: NumberField
    value: float
    quote: str


class Finding(BaseModel):
    """One opportunity as an engine extracted it from one document (DESIGN §3 fields)."""

    title: str = Field(min_length=3, max_length=300)
    summary: str = ""
    automation_type: AutomationType
    industries: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    prerequisites: list[str] = Field(default_factory=list)
    complexity: int = Field(5, ge=1, le=10)
    evidence: list[str] = Field(min_length=1)
    numbers: list[NumberClaim] = Field(default_factory=list)
    # Each field's trace: the verbatim sentence naming the tool / stating the industry.
    tool_quotes: dict[str, str] = Field(default_factory=dict)
    industry_quotes: dict[str, str] = Field(default_factory=dict)

    @field_validator("industries", "tools")
    @classmethod
    def _clean_names(cls, values: list[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            value = value.strip()
            if value and value.lower() not in {v.lower() for v in out}:
                out.append(value)
        return out


class Extraction(BaseModel):
    opportunities: list[Finding] = Field(default_factory=list)


def locate_quote(quote: str, text: str) -> str | None:
    """The document's own wording of a quote, or None when the quote is not in it.

    Only whitespace may differ (line breaks in the page); every word must match exactly.
    """
    quote = quote.strip().strip('"“”')
    if len(quote) < 12:
        return None
    if quote in text:
        return quote
    words = quote.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, text)
    return match.group(0) if match else None


_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|earlier|your|all|any)\b.{0,20}"
    r"\binstruction"
    r"|\b(ai|language model|llm|chatbot)s?\b.{0,30}\b(assistant|agent)s?\b.{0,80}"
    r"\b(must|should|ignore|mark|rate|send|approve)\b"
    r"|\bnote (for|to) (any |all )?(ai|automated|language)", re.I | re.S)


def looks_like_instruction(sentence: str) -> bool:
    """Text that addresses an AI agent is data to keep out of the reservoir, not a claim."""
    return bool(_INSTRUCTION.search(sentence))


def number_in(value: float, quote: str) -> bool:
    """A number claim needs a sentence that states a number; ROI re-reads the value from it."""
    return bool(re.search(r"\d", quote)) or bool(re.search(
        r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|half|"
        r"twenty|thirty|forty|fifty|hundred)\b", quote, re.I))


def opportunity_key(finding: Finding) -> str:
    """Deterministic identity: type, first industry and the main tools."""
    industry = (finding.industries or ["any"])[0].lower()
    tools = "+".join(sorted(t.lower() for t in finding.tools)[:3])
    return f"{finding.automation_type}:{industry}:{short_hash(tools)[:12]}"


assert set(AutomationType.__args__) == set(AUTOMATION_TYPES)  # type: ignore[attr-defined]
