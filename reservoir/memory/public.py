"""What each entity shows and accepts: the data models built on the tables' bases.

``models.py`` puts each table on an ``XBase`` of the fields it shares with the outside. Here,
on the same bases (the SQLModel way: one field list, several models):

- ``XPublic``: what the API answers and every CLI ``--json`` prints, read straight from a row
  (``XPublic.model_validate(row)``; `public_json` for the CLI). The API and the CLI print the
  same model, so their JSON cannot drift apart;
- ``XDetail`` (and ``OpportunityHit``): the public shape with what one item or a search hit
  adds (text, events, evidence, ROI, relevance);
- ``XCreate`` / ``XUpdate``: API request bodies, strict (an unknown field is a 422, not a
  silently ignored option) and bounded.

Choices where the API and the CLI used to differ: a run shows the first line of its error
(the stored error keeps the traceback, which the runner also logs, for operators) and its
``cancel_requested``; a document shows its change tracking; opportunity lists and search
hits carry their evidence, and a search hit its dense and lexical ranks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import ConfigDict, StringConstraints, computed_field, field_validator, model_validator
from sqlmodel import Field, SQLModel

from reservoir.memory.models import (
    ApiKeyBase,
    DeliveryBase,
    DocumentBase,
    EvidenceBase,
    ImplementationBase,
    OpportunityBase,
    OpportunityScores,
    ProfileBase,
    ReportBase,
    RoiEstimateBase,
    RunBase,
    RunEventBase,
    SourceBase,
)

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
ImplementationStatus = Literal["bookmarked", "in_progress", "implemented", "abandoned"]
DeliveryStatus = Literal["sent", "failed"]

STRICT = ConfigDict(extra="forbid")
# A public field is always in the answer, default or not: the OpenAPI schema says so.
SHOWN = ConfigDict(json_schema_serialization_defaults_required=True)

M = TypeVar("M", bound=SQLModel)


def public_json(model: type[M], row: Any, **extra: Any) -> dict[str, Any]:
    """A row as its public model prints it in ``--json`` (``extra``: fields from elsewhere)."""
    return model.model_validate(row, update=extra or None).model_dump(mode="json")


def _fields_of(data: Any, names: Any) -> dict[str, Any]:
    """The named attributes of a row (or of SQLModel's row-with-update wrapper)."""
    return {name: getattr(data, name) for name in names if hasattr(data, name)}


# Runs -----------------------------------------------------------------------------------------

class RunPublic(RunBase):
    model_config = SHOWN
    id: str
    error: str | None = Field(None, description="The first line of the failure, if any.")

    @field_validator("error")
    @classmethod
    def _first_line(cls, error: str | None) -> str | None:
        """The stored error carries a traceback for operators; clients get its first line."""
        return error.splitlines()[0] if error else None

    @field_validator("cost_usd")
    @classmethod
    def _round_cost(cls, cost: float) -> float:
        return round(cost, 6)


class RunEventPublic(RunEventBase):
    model_config = SHOWN


class RunDetail(RunPublic):
    events: list[RunEventPublic] = Field(default_factory=list,
                                         description="The run's events (the first 1,000).")


# Sources --------------------------------------------------------------------------------------

class SourcePublic(SourceBase):
    model_config = SHOWN
    id: int
    last_fetched_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    backlog: int = Field(0, description="New items the last listing held beyond the per-run "
                                        "limit: the next run takes them.")


class SourceCreate(SourceBase):
    model_config = STRICT
    name: Name
    kind: SourceKind
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
    config: dict[str, Any] = Field(default_factory=dict, description="Adapter options.")


# Profiles -------------------------------------------------------------------------------------

class ProfilePublic(ProfileBase):
    model_config = SHOWN
    id: int


class ProfileCreate(ProfileBase):
    """Create or update by name (a profile's name is its key for people)."""

    model_config = STRICT
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


# Documents ------------------------------------------------------------------------------------

class DocumentPublic(DocumentBase):
    model_config = SHOWN
    id: int
    chars: int = Field(description="Length of the stored text.")
    change_status: str = Field(description="What the last fetch found: new, unchanged, "
                               "changed or gone.")

    @model_validator(mode="before")
    @classmethod
    def _count_chars(cls, data: Any) -> Any:
        """A row has its text, not its length: count it (the text is shown by the detail)."""
        if isinstance(data, dict) or not hasattr(data, "text"):
            return data
        return {**_fields_of(data, cls.model_fields), "chars": len(data.text or "")}


class DocumentDetail(DocumentPublic):
    text: str
    change_diff: str | None = Field(description="A bounded line diff of the last change.")


# Opportunities, their evidence and ROI --------------------------------------------------------

class EvidencePublic(EvidenceBase):
    """A quote with the url and title of its document, so every claim can be checked."""

    model_config = SHOWN
    url: str
    title: str | None = None


class Trace(SQLModel):
    quote: str
    url: str


class Traces(SQLModel):
    """Each tool and industry with the stored sentence naming it (null: named by an alias)."""

    tools: dict[str, Trace | None]
    industries: dict[str, Trace | None]


class RoiEstimatePublic(RoiEstimateBase):
    """roi-v2 fields (range, its basis, fit, rank) are null on older estimates (README "ROI")."""

    model_config = SHOWN
    profile_name: str


class OpportunityPublic(OpportunityBase):
    model_config = SHOWN
    id: int
    scores: OpportunityScores

    @model_validator(mode="before")
    @classmethod
    def _nest_scores(cls, data: Any) -> Any:
        """The table keeps each score in a column; the public shape groups them."""
        if isinstance(data, dict) or not hasattr(data, "total_score"):
            return data
        return {**_fields_of(data, cls.model_fields), "scores": _fields_of(
            data, OpportunityScores.model_fields)}


class OpportunityWithEvidence(OpportunityPublic):
    evidence: list[EvidencePublic]


class OpportunityHit(OpportunityWithEvidence):
    score: float | None = Field(None, description="Relevance of the hit (higher is better).")
    dense_rank: int | None = Field(None, description="Rank by meaning (null: not found by it).")
    lexical_rank: int | None = Field(None, description="Rank by words (null: not found by them).")

    @field_validator("score")
    @classmethod
    def _round_score(cls, score: float | None) -> float | None:
        return None if score is None else round(score, 6)


class OpportunityDetail(OpportunityWithEvidence):
    traces: Traces
    roi: list[RoiEstimatePublic]


class OpportunityUpdate(SQLModel):
    model_config = STRICT
    status: OpportunityStatus


# Implementations ------------------------------------------------------------------------------

Actual = Annotated[float, Field(ge=0, le=1_000_000)]


class ImplementationPublic(ImplementationBase):
    model_config = SHOWN
    id: int
    title: str | None = Field(None, description="The opportunity's title.")


class ImplementationUpdate(SQLModel):
    """One change: a status and/or measured actuals (null leaves a value as it was)."""

    model_config = STRICT
    status: ImplementationStatus | None = None
    actual_setup_hours: Actual | None = None
    actual_hours_saved_week: Actual | None = None
    actual_tool_cost_month: Actual | None = None
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


# Reports --------------------------------------------------------------------------------------

class ReportPublic(ReportBase):
    model_config = SHOWN
    id: int


class ReportDetail(ReportPublic):
    markdown: str


# Deliveries -----------------------------------------------------------------------------------

class DeliveryPublic(DeliveryBase):
    """A digest's delivery through one channel: ``target`` is the recipients or the webhook's
    host (never its path, which may hold a secret), ``error`` the first line of the last one."""

    model_config = SHOWN
    id: int
    error: str | None = Field(None, description="The first line of the last failure, if any.")

    @field_validator("error")
    @classmethod
    def _first_line(cls, error: str | None) -> str | None:
        return error.splitlines()[0] if error else None


# API keys -------------------------------------------------------------------------------------

class ApiKeyPublic(ApiKeyBase):
    """Never the key nor its hash."""

    model_config = SHOWN

    @computed_field  # type: ignore[prop-decorator]
    @property
    def active(self) -> bool:
        return self.revoked_at is None
