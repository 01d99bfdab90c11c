"""Graph state: ids and counters only, never whole documents (checkpoints stay small)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


def merge_counts(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = out.get(key, 0) + value
    return out


def union_ids(left: list[int], right: list[int]) -> list[int]:
    seen = set(left or [])
    return list(left or []) + [i for i in right or [] if i not in seen and not seen.add(i)]


class SourceSummary(TypedDict):
    source_id: int
    name: str
    fetched: int
    new: int
    unchanged: int
    duplicate: int
    failed: int
    error: str | None
    changed: int  # of `new`, documents whose text changed since they were stored
    gone: int  # stored documents that answered 404/410 or left a complete listing


class DiscoveryState(TypedDict, total=False):
    run_id: str
    source_ids: list[int]
    profile_ids: list[int]
    focus: list[str]
    require_approval: bool
    steps: int
    phase: str
    followup_rounds: int
    followup_queries: list[str]
    source_summaries: Annotated[list[SourceSummary], operator.add]
    new_document_ids: Annotated[list[int], union_ids]
    opportunity_ids: Annotated[list[int], union_ids]
    report_ids: Annotated[list[int], union_ids]
    counters: Annotated[dict[str, int], merge_counts]
    decision: str | None
    notes: Annotated[list[str], operator.add]


class ScoutTask(TypedDict):
    """What one parallel scout branch (a `Send`) receives."""

    run_id: str
    source_id: int
    query: str | None


class AskState(TypedDict, total=False):
    question: str
    filters: dict[str, Any]  # given explicitly (API, CLI)
    history: list[str]  # earlier user questions, for a thread the checkpointer does not hold
    query: str  # the standalone question retrieval used (the next turn's "previous")
    applied: dict[str, Any]  # filters applied: read from the question, carried, or given
    followup: bool
    rank_by: str | None
    within: list[int]
    opportunity_ids: list[int]  # what the answer was about ("which of those …?")
    draft: str
    messages: Annotated[list[dict[str, Any]], operator.add]
    hits: list[dict[str, Any]]
    answer: str
    citations: list[dict[str, Any]]
