"""The API's own request and response models: pages, asking, chat, tools, health.

Each entity's public shape and its Create/Update bodies live beside its table
(``reservoir/memory/public.py``), shared with the CLI's ``--json``. Requests forbid unknown
fields (a typo is a 422, not a silently ignored option).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from reservoir.memory.public import AutomationType, Name, OpportunityStatus, ShortText

T = TypeVar("T")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """Every list: one page of items, the total matching, and the page that was asked for."""

    items: list[T]
    total: int
    limit: int
    offset: int


# Runs -----------------------------------------------------------------------------------------

class RunCreate(StrictModel):
    """A run to start: ``discovery`` (the default) over sources and profiles, or ``report``: a
    fresh report for one ``profile`` from what the reservoir holds now, as `reservoir report`
    writes. Each kind takes only its own fields (``misplaced`` says which one does not fit)."""

    kind: Literal["discovery", "report"] = Field("discovery", description="What the run does.")
    sources: list[Name] | None = Field(None, max_length=200, description="discovery: source names; "
                                       "default all active.")
    profiles: list[Name] | None = Field(None, max_length=200, description="discovery: profile "
                                        "names; default all.")
    focus: list[ShortText] | None = Field(None, max_length=20, description="discovery: focus "
                                          "areas for searches.")
    require_approval: bool | None = Field(None, description="discovery: pause before "
                                          "publishing reports.")
    profile: Name | None = Field(None, description="report (required): the name of the profile "
                                 "to report on.")

    def misplaced(self) -> tuple[str, str] | None:
        """The first field that does not fit this kind of run and why, or None: one clear 422
        rather than an option silently ignored."""
        if self.kind == "discovery":
            if self.profile is not None:
                return "profile", "only for kind 'report'; a discovery run takes 'profiles' (a list)"
            return None
        if self.profile is None:
            return "profile", "a report run needs the name of the profile to report on"
        for name in ("sources", "profiles", "focus", "require_approval"):
            if getattr(self, name) is not None:
                return name, "not an option of a report run (it takes 'profile' only)"
        return None


# Ask ------------------------------------------------------------------------------------------

class AskFilters(StrictModel):
    """Given explicitly; the same filters are also read from the question itself."""

    automation_type: AutomationType | None = None
    industry: Name | None = None
    status: OpportunityStatus | None = None
    tool: Name | None = None
    max_cost_month: float | None = Field(None, ge=0, description="Only opportunities whose sources "
                                         "quote a tool cost at most this (USD per month).")
    since: datetime | None = Field(None, description="Only opportunities seen since then.")


class AskIn(StrictModel):
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    thread_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None, description="Continue a conversation: the thread_id of an earlier answer.")
    filters: AskFilters | None = None


class Citation(BaseModel):
    n: int
    document_id: int | None = None
    url: str | None = None
    title: str | None = None
    quote: str | None = None


class AskOut(BaseModel):
    answer: str
    citations: list[Citation]
    thread_id: str | None
    hits: int


# OpenAI-compatible chat -----------------------------------------------------------------------

class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's request that matters here; other fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    thread_id: str | None = Field(None, max_length=100, description="Extension: continue a thread.")


# Tools ----------------------------------------------------------------------------------------

class ToolOut(BaseModel):
    """A tool as the reservoir sees it: catalogue entry plus how often opportunities use it."""

    name: str
    category: str
    in_catalogue: bool
    opportunities: int
    industries: dict[str, int]
    automation_types: dict[str, int]
    aliases: list[str]
    sources: list[str]


class ToolDetail(ToolOut):
    opportunity_ids: list[int]


# Implementation tracking view ----------------------------------------------------------------

class TrackedRow(BaseModel):
    """One implemented opportunity: the projection when tracking began and what was measured."""

    n: int
    opportunity_id: int
    title: str | None
    automation_type: str
    projected: float | None
    actual: float
    setup: float | None
    tools: float | None
    projected_value: float | None
    actual_value: float | None
    value_note: str


class CalibrationRow(BaseModel):
    """Measured implementations of one automation type (every profile's) and their weight."""

    automation_type: str
    hours_actuals: int
    setup_actuals: int
    tool_cost_actuals: int
    measured_weight: float


class TrackingOut(BaseModel):
    profile_id: int
    profile: str
    rows: list[TrackedRow]
    calibration: list[CalibrationRow]
    calibration_prior: float
    weeks_per_month: float
    svg: str


# Health ---------------------------------------------------------------------------------------

class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]
