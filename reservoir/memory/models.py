"""SQLModel tables for every entity of the reservoir (DESIGN §3).

Constraints live in the schema, not in callers: unique canonical url and content hash,
checked score ranges and enumerations, foreign keys. JSON columns hold small lists.

An entity the API or the CLI shows has an ``XBase`` right above its table: the fields the
table shares with its public shape. The table adds what stays inside (ids it is looked up by,
hashes, bookkeeping); ``memory/public.py`` builds ``XPublic`` (output) and ``XCreate`` /
``XUpdate`` (API input) on the same base, so a column is named and typed once.

Over 400 lines: the whole schema is read in one place, each base beside its table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString

SOURCE_KINDS = ("rss", "atom", "hackernews", "reddit", "producthunt", "html", "sitemap", "folder",
                "searxng")
AUTOMATION_TYPES = (
    "lead_generation",
    "client_communication",
    "document_automation",
    "scheduling",
    "follow_up",
    "reporting",
    "marketing",
    "workflow_optimization",
    "other",
)
OPPORTUNITY_STATUSES = ("new", "approved", "rejected", "archived")
RUN_KINDS = ("discovery", "report", "ask", "eval")
RUN_TRIGGERS = ("cli", "api", "dashboard", "schedule", "test")
RUN_STATUSES = ("queued", "running", "interrupted", "succeeded", "failed", "cancelled")
# What the last fetch found of a document (memory/changes.py).
CHANGE_STATUSES = ("new", "unchanged", "changed", "gone")
VOLUME_KINDS = ("leads", "invoices", "appointments", "tickets")  # a profile's monthly volumes
IDEA_SCORES = (
    "market_size",
    "competition",
    "demand",
    "monetization",
    "feasibility",
    "time_to_market",
)


def utcnow() -> datetime:
    """All stored times are timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Naive times from parsers are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def _varchar(length: int, **kwargs: Any) -> Any:
    """A VARCHAR(length) column (the DDL ``max_length`` gives) without a validation limit.

    Base fields are validated when a public shape reads a row: a name stored longer than its
    column (SQLite does not enforce lengths) must still be shown, never fail the read. Input
    limits are the Create shapes' business.
    """
    return Field(sa_type=AutoString(length=length), **kwargs)


class SourceBase(SQLModel):
    """What a source is: given when it is registered, shown with its health."""

    name: str = _varchar(200, index=True, unique=True)
    kind: str = _varchar(32)
    url: str = Field(sa_column=Column(Text, nullable=False))
    config: dict[str, Any] = _json_dict()
    active: bool = True


class Source(SourceBase, table=True):
    __table_args__ = (CheckConstraint(_in("kind", SOURCE_KINDS), name="ck_source_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    rate_limit: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_fetched_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # The first failure of the current run of failures (None while the source works).
    failing_since: datetime | None = None
    # New items the last listing held beyond the per-run limit: the next run takes them.
    backlog: int = 0


class Sighting(SQLModel, table=True):
    """An item a source listed (or a search returned) that the scout has taken: the key the
    listing names it by (its link, or its discussion url) and the query that found it.
    Known keys are set aside before the per-run limit, so successive runs drain a feed."""

    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_sighting_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=2048)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True,
                                    ondelete="SET NULL")
    run_id: str | None = Field(default=None, index=True, max_length=64)
    query: str | None = Field(default=None, max_length=500)
    seen_at: datetime = Field(default_factory=utcnow)


class HttpCacheEntry(SQLModel, table=True):
    """Validators of the last successful fetch of a url, for conditional requests."""

    __tablename__ = "http_cache"

    url: str = Field(primary_key=True, max_length=2048)
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    checked_at: datetime = Field(default_factory=utcnow)


class DocumentBase(SQLModel):
    """A stored page as lists show it (its text and last diff are shown one at a time)."""

    url: str = _varchar(2048, index=True, unique=True)
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True,
                                  ondelete="SET NULL")
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    author: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow, index=True)
    points: int | None = None
    comments: int | None = None
    content_hash: str = _varchar(64, index=True, unique=True)
    language: str | None = _varchar(16, default=None)
    analysed_at: datetime | None = None
    # Change tracking: what the last fetch found (CHANGE_STATUSES) and when; when the text last
    # changed, and a one-line note (lines added/removed, or why the document is gone).
    change_status: str = _varchar(16, default="new", index=True)
    status_at: datetime | None = None
    changed_at: datetime | None = None
    change_note: str | None = Field(default=None, sa_column=Column(Text))


class Document(DocumentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    signal: float | None = None
    # The run that stored or last changed it: that run analyses it (or any run, once the
    # storing run has ended without doing so).
    run_id: str | None = Field(default=None, index=True, max_length=64)
    analysis_version: str | None = None
    # A bounded diff of the last change of the text.
    change_diff: str | None = Field(default=None, sa_column=Column(Text))
    # The link the source listed, when the page named another url as its canonical one.
    listed_url: str | None = Field(default=None, max_length=2048)


class DocumentChunk(SQLModel, table=True):
    """A passage of a document; its id is the point id in the `documents` collection."""

    __tablename__ = "document_chunk"
    __table_args__ = (UniqueConstraint("document_id", "ordinal", name="uq_chunk_ordinal"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True, ondelete="CASCADE")
    ordinal: int
    text: str = Field(sa_column=Column(Text, nullable=False))


class OpportunityScores(SQLModel):
    """The idea scores (0-100, None until scored): columns of the table, one object in public."""

    market_size: int | None = None
    competition: int | None = None
    demand: int | None = None
    monetization: int | None = None
    feasibility: int | None = None
    time_to_market: int | None = None
    total_score: int | None = Field(default=None, index=True)


class OpportunityBase(SQLModel):
    """An automation opportunity as it is shown; its scores are in ``OpportunityScores``."""

    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    automation_type: str = _varchar(32, default="other", index=True)
    industries: list[str] = _json_list()
    tools: list[str] = _json_list()
    steps: list[str] = _json_list()
    prerequisites: list[str] = _json_list()
    complexity: int = 5
    mentions: int = 0
    first_seen: datetime = Field(default_factory=utcnow, index=True)
    last_seen: datetime = Field(default_factory=utcnow, index=True)
    status: str = _varchar(16, default="new", index=True)


class Opportunity(OpportunityBase, OpportunityScores, table=True):
    __table_args__ = (
        CheckConstraint(_in("automation_type", AUTOMATION_TYPES), name="ck_opp_type"),
        CheckConstraint(_in("status", OPPORTUNITY_STATUSES), name="ck_opp_status"),
        CheckConstraint("complexity BETWEEN 1 AND 10", name="ck_opp_complexity"),
        *(
            CheckConstraint(f"{name} IS NULL OR {name} BETWEEN 0 AND 100", name=f"ck_opp_{name}")
            for name in (*IDEA_SCORES, "total_score")
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class EvidenceBase(SQLModel):
    """A quote and the document it is from (shown with that document's url and title)."""

    document_id: int = Field(foreign_key="document.id", index=True, ondelete="CASCADE")
    quote: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = _varchar(32, default="claim")


class Evidence(EvidenceBase, table=True):
    """A verbatim quote of a document that supports an opportunity."""

    __table_args__ = (
        UniqueConstraint("opportunity_id", "document_id", "quote_hash", name="uq_evidence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    quote_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class ProfileBase(SQLModel):
    """A business as its owner describes it: everything the ROI is scaled by."""

    name: str = _varchar(200, index=True, unique=True)
    industry: str = _varchar(100)
    team_size: int = 1
    hourly_rate: float = 50.0
    current_tools: list[str] = _json_list()
    challenges: list[str] = _json_list()
    goals: list[str] = _json_list()
    # Optional owner facts the ROI scales by (roi-v2): people per function or role
    # ({"inbound email": 1, "agents": 9}) and monthly volumes of VOLUME_KINDS.
    headcount: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    monthly_volumes: dict[str, float] | None = Field(default=None,
                                                      sa_column=Column(JSON, nullable=True))


class BusinessProfile(ProfileBase, table=True):
    __tablename__ = "business_profile"
    __table_args__ = (
        CheckConstraint("team_size >= 1", name="ck_profile_team"),
        CheckConstraint("hourly_rate >= 0", name="ck_profile_rate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class RoiEstimateBase(SQLModel):
    """An opportunity's ROI for one profile, as shown beside the opportunity."""

    profile_id: int = Field(foreign_key="business_profile.id", index=True, ondelete="CASCADE")
    hours_saved_week: float
    hourly_value: float
    setup_hours: float
    tool_cost_month: float
    monthly_net_value: float
    payback_months: float | None = None
    confidence: float
    assumptions: str = Field(default="", sa_column=Column(Text, nullable=False))
    method: str = _varchar(32)
    # roi-v2: the range from similar opportunities' figures, the fit to the profile and the
    # rank value (expected × fit × confidence); null on roi-v1 rows.
    low_monthly_value: float | None = None
    high_monthly_value: float | None = None
    payback_low_months: float | None = None
    payback_high_months: float | None = None
    sources_count: int | None = None
    measured_count: int | None = None
    fit: float | None = None
    fit_reasons: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    rank_value: float | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class RoiEstimate(RoiEstimateBase, table=True):
    __tablename__ = "roi_estimate"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "profile_id", name="uq_roi_opp_profile"),
        CheckConstraint("confidence BETWEEN 0 AND 1", name="ck_roi_confidence"),
        CheckConstraint("hours_saved_week >= 0 AND setup_hours >= 0 AND tool_cost_month >= 0",
                        name="ck_roi_inputs"),
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    # Where each input came from (quoted, measured, default): the scorer's record, not shown.
    input_sources: dict[str, Any] = _json_dict()


IMPLEMENTATION_STATUSES = ("bookmarked", "in_progress", "implemented", "abandoned")


class ImplementationBase(SQLModel):
    """A profile's implementation of an opportunity, with what it really took and saved."""

    profile_id: int = Field(foreign_key="business_profile.id", index=True, ondelete="CASCADE")
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    status: str = _varchar(16, default="bookmarked")
    bookmarked_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    implemented_at: datetime | None = None
    abandoned_at: datetime | None = None
    actual_setup_hours: float | None = None
    actual_hours_saved_week: float | None = None
    actual_tool_cost_month: float | None = None
    # The projection when it was recorded, for the projected-vs-actual view.
    projected_hours_saved_week: float | None = None
    projected_monthly_value: float | None = None
    notes: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Field(default_factory=utcnow)


class Implementation(ImplementationBase, table=True):
    __table_args__ = (
        UniqueConstraint("profile_id", "opportunity_id", name="uq_implementation"),
        CheckConstraint(_in("status", IMPLEMENTATION_STATUSES), name="ck_impl_status"),
        CheckConstraint("(actual_setup_hours IS NULL OR actual_setup_hours >= 0) AND "
                        "(actual_hours_saved_week IS NULL OR actual_hours_saved_week >= 0) AND "
                        "(actual_tool_cost_month IS NULL OR actual_tool_cost_month >= 0)",
                        name="ck_impl_actuals"),
    )

    id: int | None = Field(default=None, primary_key=True)


class RunBase(SQLModel):
    """A run as the dashboard and the CLI follow it."""

    kind: str = _varchar(16, default="discovery")
    trigger: str = _varchar(16, default="cli")
    params: dict[str, Any] = _json_dict()
    status: str = _varchar(16, default="queued", index=True)
    counters: dict[str, Any] = _json_dict()
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cancel_requested: bool = False
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Run(RunBase, table=True):
    __table_args__ = (
        CheckConstraint(_in("kind", RUN_KINDS), name="ck_run_kind"),
        CheckConstraint(_in("status", RUN_STATUSES), name="ck_run_status"),
    )

    id: str = Field(primary_key=True, max_length=64)


class RunEventBase(SQLModel):
    """One step of a run: its place in the run, the node that wrote it and what happened."""

    seq: int
    ts: datetime = Field(default_factory=utcnow)
    node: str = _varchar(64, default="")
    type: str = _varchar(32)
    payload: dict[str, Any] = _json_dict()


class RunEvent(RunEventBase, table=True):
    __tablename__ = "run_event"
    __table_args__ = (UniqueConstraint("run_id", "seq", name="uq_run_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True, ondelete="CASCADE")


REPORT_STATUSES = ("draft", "published", "rejected")


class ReportBase(SQLModel):
    """A digest for one profile as lists show it (its Markdown is shown one at a time)."""

    run_id: str | None = Field(default=None, foreign_key="run.id", index=True,
                               ondelete="SET NULL")
    profile_id: int = Field(foreign_key="business_profile.id", index=True, ondelete="CASCADE")
    status: str = _varchar(16, default="draft")
    period_start: datetime | None = None
    period_end: datetime = Field(default_factory=utcnow)
    opportunity_ids: list[int] = _json_list()
    stats: dict[str, Any] = _json_dict()
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Report(ReportBase, table=True):
    __table_args__ = (
        UniqueConstraint("run_id", "profile_id", name="uq_report_run_profile"),
        CheckConstraint(_in("status", REPORT_STATUSES), name="ck_report_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    markdown: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))


class ApiKeyBase(SQLModel):
    """A key as it may be shown: its name, the prefix to recognise it by, and its life."""

    name: str = _varchar(100, index=True, unique=True)
    prefix: str = _varchar(16)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKey(ApiKeyBase, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(unique=True, max_length=128)  # never shown


class LlmCacheEntry(SQLModel, table=True):
    """A model response keyed by model, prompt version and input: never paid for twice."""

    __tablename__ = "llm_cache"

    key: str = Field(primary_key=True, max_length=64)
    model: str = Field(max_length=200)
    response: dict[str, Any] = _json_dict()
    created_at: datetime = Field(default_factory=utcnow)


DELIVERY_STATUSES = ("sent", "failed")


class DeliveryBase(SQLModel):
    """One digest sent (or given up on) through one channel: retries are counted, not rows."""

    run_id: str | None = Field(default=None, foreign_key="run.id", index=True, ondelete="SET NULL")
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    profile_id: int | None = Field(default=None, foreign_key="business_profile.id",
                                   ondelete="SET NULL")
    channel: str = Field(max_length=16)  # email, webhook
    target: str = Field(default="", max_length=500)  # recipients, or the webhook's host
    status: str = Field(max_length=16)
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None


class Delivery(DeliveryBase, table=True):
    __table_args__ = (
        UniqueConstraint("report_id", "channel", name="uq_delivery_report_channel"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="ck_delivery_status"),
    )

    id: int | None = Field(default=None, primary_key=True)


class SentenceVector(SQLModel, table=True):
    """A sentence's vector, computed once when it is stored: asking reads it, never re-embeds.

    Keyed by the embedder's name and the hash of the sentence (whitespace collapsed), so a
    quote shared by several opportunities or pages is embedded once, and a reservoir moved
    to another embedder misses instead of mixing vectors of two models.
    """

    __tablename__ = "sentence_vector"

    embedder: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=64)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # little-endian float32
