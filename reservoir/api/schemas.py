"""Request and response models: the API's contract, with the CLI's field names.

Requests forbid unknown fields (a typo is a 422, not a silently ignored option); responses are
built from rows with ``from_row`` so the route stays a one-liner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from reservoir.memory.models import (
    BusinessProfile,
    Document,
    Opportunity,
    Report,
    Run,
    RunEvent,
    Source,
    as_utc,
)

T = TypeVar("T")

UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

# Kept equal to the tuples in reservoir.memory.models (a test checks it): Literals document the
# choices in OpenAPI and turn a bad value into a 422 before any query runs.
AutomationType = Literal["lead_generation", "client_communication", "document_automation", "scheduling",
                         "follow_up", "reporting", "marketing", "workflow_optimization", "other"]
OpportunityStatus = Literal["new", "approved", "rejected", "archived"]
RunStatus = Literal["queued", "running", "interrupted", "succeeded", "failed", "cancelled"]
RunKind = Literal["discovery", "report", "ask", "eval"]
VolumeKind = Literal["leads", "invoices", "appointments", "tickets"]
SourceKind = Literal["rss", "atom", "hackernews", "reddit", "producthunt", "html", "sitemap", "folder",
                     "searxng"]


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
    sources: list[Name] | None = Field(None, max_length=200, description="Source names; default all active.")
    profiles: list[Name] | None = Field(None, max_length=200, description="Profile names; default all.")
    focus: list[ShortText] | None = Field(None, max_length=20, description="Focus areas for searches.")
    require_approval: bool | None = Field(None, description="Pause before publishing reports.")


class RunOut(BaseModel):
    id: str
    kind: str
    trigger: str
    status: str
    params: dict[str, Any]
    counters: dict[str, Any]
    tokens_in: int
    tokens_out: int
    cost_usd: float
    error: str | None = Field(None, description="The first line of the failure, if any.")
    cancel_requested: bool
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None

    @classmethod
    def from_row(cls, run: Run) -> RunOut:
        return cls(
            id=run.id, kind=run.kind, trigger=run.trigger, status=run.status, params=run.params or {},
            counters=run.counters or {}, tokens_in=run.tokens_in, tokens_out=run.tokens_out,
            cost_usd=round(run.cost_usd, 6), cancel_requested=run.cancel_requested,
            # The stored error carries a traceback for operators; clients get its first line.
            error=run.error.splitlines()[0] if run.error else None,
            created_at=run.created_at, started_at=run.started_at, finished_at=run.finished_at,
        )


class RunEventOut(BaseModel):
    seq: int
    ts: UtcDatetime
    node: str
    type: str
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, event: RunEvent) -> RunEventOut:
        return cls(seq=event.seq, ts=event.ts, node=event.node, type=event.type,
                   payload=event.payload or {})


class RunDetail(RunOut):
    events: list[RunEventOut] = Field(default_factory=list, description="The last events (up to 200).")


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


# Opportunities --------------------------------------------------------------------------------

class Scores(BaseModel):
    market_size: int | None = None
    competition: int | None = None
    demand: int | None = None
    monetization: int | None = None
    feasibility: int | None = None
    time_to_market: int | None = None
    total_score: int | None = None


class OpportunityOut(BaseModel):
    id: int
    title: str
    summary: str
    automation_type: str
    industries: list[str]
    tools: list[str]
    steps: list[str]
    prerequisites: list[str]
    complexity: int
    mentions: int
    status: str
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    scores: Scores

    @classmethod
    def fields_of(cls, opp: Opportunity) -> dict[str, Any]:
        return {
            "id": opp.id, "title": opp.title, "summary": opp.summary,
            "automation_type": opp.automation_type, "industries": opp.industries, "tools": opp.tools,
            "steps": opp.steps, "prerequisites": opp.prerequisites, "complexity": opp.complexity,
            "mentions": opp.mentions, "status": opp.status, "first_seen": opp.first_seen,
            "last_seen": opp.last_seen,
            "scores": Scores(
                market_size=opp.market_size, competition=opp.competition, demand=opp.demand,
                monetization=opp.monetization, feasibility=opp.feasibility,
                time_to_market=opp.time_to_market, total_score=opp.total_score),
        }

    @classmethod
    def from_row(cls, opp: Opportunity) -> OpportunityOut:
        return cls(**cls.fields_of(opp))


class EvidenceOut(BaseModel):
    document_id: int
    url: str
    title: str | None = None
    quote: str
    kind: str = "claim"


class RoiOut(BaseModel):
    profile_id: int
    profile_name: str
    hours_saved_week: float
    hourly_value: float
    setup_hours: float
    tool_cost_month: float
    monthly_net_value: float
    payback_months: float | None
    confidence: float
    assumptions: str
    method: str
    # roi-v2 (null on older estimates): range, its basis, fit and rank; see README "ROI".
    low_monthly_value: float | None = None
    high_monthly_value: float | None = None
    payback_low_months: float | None = None
    payback_high_months: float | None = None
    sources_count: int | None = None
    measured_count: int | None = None
    fit: float | None = None
    fit_reasons: list[str] | None = None
    rank_value: float | None = None
    updated_at: UtcDatetime


class TraceOut(BaseModel):
    quote: str
    url: str


class TracesOut(BaseModel):
    """Each tool and industry with the stored sentence naming it (null: named by an alias)."""

    tools: dict[str, TraceOut | None]
    industries: dict[str, TraceOut | None]


class OpportunityDetail(OpportunityOut):
    evidence: list[EvidenceOut]
    traces: TracesOut
    roi: list[RoiOut]


class OpportunityPatch(StrictModel):
    status: OpportunityStatus


class OpportunityHit(OpportunityOut):
    score: float | None = Field(None, description="Relevance of the hit (higher is better).")


# Documents ------------------------------------------------------------------------------------

class DocumentOut(BaseModel):
    id: int
    url: str
    title: str
    source_id: int | None
    author: str | None
    published_at: UtcDatetime | None
    fetched_at: UtcDatetime
    points: int | None
    comments: int | None
    language: str | None
    content_hash: str
    analysed_at: UtcDatetime | None
    chars: int
    change_status: str = Field(description="What the last fetch found: new, unchanged, "
                               "changed or gone.")
    status_at: UtcDatetime | None
    changed_at: UtcDatetime | None
    change_note: str | None

    @classmethod
    def fields_of(cls, doc: Document) -> dict[str, Any]:
        return {
            "id": doc.id, "url": doc.url, "title": doc.title, "source_id": doc.source_id,
            "author": doc.author, "published_at": doc.published_at, "fetched_at": doc.fetched_at,
            "points": doc.points, "comments": doc.comments, "language": doc.language,
            "content_hash": doc.content_hash, "analysed_at": doc.analysed_at, "chars": len(doc.text),
            "change_status": doc.change_status, "status_at": doc.status_at,
            "changed_at": doc.changed_at, "change_note": doc.change_note,
        }

    @classmethod
    def from_row(cls, doc: Document) -> DocumentOut:
        return cls(**cls.fields_of(doc))


class DocumentDetail(DocumentOut):
    text: str
    change_diff: str | None = Field(description="A bounded line diff of the last change.")

    @classmethod
    def from_row(cls, doc: Document) -> DocumentDetail:
        return cls(**cls.fields_of(doc), text=doc.text, change_diff=doc.change_diff)


# Sources --------------------------------------------------------------------------------------

class SourceIn(StrictModel):
    name: Name
    kind: SourceKind
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
    config: dict[str, Any] = Field(default_factory=dict, description="Adapter options.")
    active: bool = True


class SourceOut(BaseModel):
    id: int
    name: str
    kind: str
    url: str
    config: dict[str, Any]
    active: bool
    last_fetched_at: UtcDatetime | None
    consecutive_failures: int
    last_error: str | None
    backlog: int = Field(0, description="New items the last listing held beyond the per-run "
                                        "limit: the next run takes them.")

    @classmethod
    def from_row(cls, source: Source) -> SourceOut:
        return cls(
            id=source.id, name=source.name, kind=source.kind, url=source.url,
            config=source.config or {}, active=source.active, last_fetched_at=source.last_fetched_at,
            consecutive_failures=source.consecutive_failures, last_error=source.last_error,
            backlog=source.backlog or 0,
        )


# Profiles -------------------------------------------------------------------------------------

class ProfileIn(StrictModel):
    name: Name
    industry: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    team_size: int = Field(1, ge=1, le=1_000_000)
    hourly_rate: float = Field(50.0, ge=0, le=1_000_000)
    current_tools: list[ShortText] = Field(default_factory=list, max_length=100)
    challenges: list[ShortText] = Field(default_factory=list, max_length=100)
    goals: list[ShortText] = Field(default_factory=list, max_length=100)
    headcount: dict[Name, Annotated[int, Field(ge=0, le=1_000_000)]] | None = Field(
        None, max_length=50, description="People per function or role, e.g. {\"inbound email\": 1}.")
    monthly_volumes: dict[VolumeKind, Annotated[float, Field(ge=0, le=1e9)]] | None = Field(
        None, description="Leads, invoices, appointments, tickets per month.")


class ProfileOut(BaseModel):
    id: int
    name: str
    industry: str
    team_size: int
    hourly_rate: float
    current_tools: list[str]
    challenges: list[str]
    goals: list[str]
    headcount: dict[str, int] | None = None
    monthly_volumes: dict[str, float] | None = None

    @classmethod
    def from_row(cls, p: BusinessProfile) -> ProfileOut:
        return cls(id=p.id, name=p.name, industry=p.industry, team_size=p.team_size,
                   hourly_rate=p.hourly_rate, current_tools=p.current_tools, challenges=p.challenges,
                   goals=p.goals, headcount=p.headcount, monthly_volumes=p.monthly_volumes)


# Implementations ------------------------------------------------------------------------------

ImplementationStatus = Literal["bookmarked", "in_progress", "implemented", "abandoned"]
Actual = Annotated[float, Field(ge=0, le=1_000_000)]


class ImplementationIn(StrictModel):
    status: ImplementationStatus | None = None
    actual_setup_hours: Actual | None = None
    actual_hours_saved_week: Actual | None = None
    actual_tool_cost_month: Actual | None = None
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ImplementationOut(BaseModel):
    id: int
    profile_id: int
    opportunity_id: int
    title: str | None
    status: str
    bookmarked_at: UtcDatetime
    started_at: UtcDatetime | None
    implemented_at: UtcDatetime | None
    abandoned_at: UtcDatetime | None
    actual_setup_hours: float | None
    actual_hours_saved_week: float | None
    actual_tool_cost_month: float | None
    projected_hours_saved_week: float | None
    projected_monthly_value: float | None
    notes: str | None
    updated_at: UtcDatetime


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


# Reports --------------------------------------------------------------------------------------

class ReportOut(BaseModel):
    id: int
    run_id: str | None
    profile_id: int
    status: str
    period_start: UtcDatetime | None
    period_end: UtcDatetime
    opportunity_ids: list[int]
    stats: dict[str, Any]
    created_at: UtcDatetime

    @classmethod
    def fields_of(cls, r: Report) -> dict[str, Any]:
        return {"id": r.id, "run_id": r.run_id, "profile_id": r.profile_id, "status": r.status,
                "period_start": r.period_start, "period_end": r.period_end,
                "opportunity_ids": r.opportunity_ids, "stats": r.stats or {}, "created_at": r.created_at}

    @classmethod
    def from_row(cls, r: Report) -> ReportOut:
        return cls(**cls.fields_of(r))


class ReportDetail(ReportOut):
    markdown: str

    @classmethod
    def from_row(cls, r: Report) -> ReportDetail:
        return cls(**cls.fields_of(r), markdown=r.markdown)


# Health ---------------------------------------------------------------------------------------

class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]
