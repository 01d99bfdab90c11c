"""Graph state: ids and counters only, never whole documents (checkpoints stay small)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from reservoir.deps import ScoutTask, SourceSummary

__all__ = ["AskState", "DiscoveryState", "Phase", "ScoutTask", "SourceSummary", "merge_counts",
           "union_ids"]


def merge_counts(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = out.get(key, 0) + value
    return out


def union_ids(left: list[int], right: list[int]) -> list[int]:
    seen = set(left or [])
    return list(left or []) + [i for i in right or [] if i not in seen and not seen.add(i)]


# Where a discovery run stands. The supervisor writes it when it routes and each node when it
# is done; the supervisor reads it to pick the next node. "analysing", "scoring" and "writing"
# are set on the way into a node, which replaces them before the supervisor looks again.
Phase = Literal["start", "scouting", "analysing", "analysed", "over_budget", "scoring", "scored",
                "writing", "written"]


class DiscoveryState(TypedDict, total=False):
    """One discovery run's graph state, checkpointed after every step (graphs/discovery.py).

    Ids and counts only: documents, opportunities and reports live in the database. Fields
    with a reducer (``Annotated``) merge what parallel scouts and later steps return. There is
    no list of the run's new documents: the analyst takes every document not yet analysed
    (``analyst.pending_documents``), so one that a crashed earlier run left is never lost.
    """

    # -- the run's parameters: the runner's first input (Run.params), never changed after
    run_id: str  # the Run row this state belongs to (also the checkpoint thread id)
    source_ids: list[int]  # sources to read; the supervisor splits listing and search roles
    profile_ids: list[int]  # business profiles to plan searches for, score and report on
    focus: list[str]  # the run's focus terms: search queries, with the profiles' needs
    require_approval: bool  # pause for approve/reject before the reports are published

    # -- the supervisor's bookkeeping
    steps: int  # supervisor visits so far, bounded by RESERVOIR_MAX_STEPS
    phase: Phase  # where the run stands (see Phase): the supervisor routes on it
    followup_rounds: int  # follow-up search rounds done after analysis (at most 1)
    followup_queries: list[str]  # the last follow-up round's queries (the runner reports them)
    search_queries: list[dict[str, str]]  # planned from focus and profiles: {text, origin}

    # -- what the nodes found; each reducer merges parallel or successive writes
    source_summaries: Annotated[list[SourceSummary], operator.add]  # the scout: one per Send
    opportunity_ids: Annotated[list[int], union_ids]  # the analyst: opportunities it touched
    report_ids: Annotated[list[int], union_ids]  # the writer: the reports of this run
    counters: Annotated[dict[str, int], merge_counts]  # every node: counts, summed
    decision: str | None  # how it ended: the supervisor ("cancelled", "done") or the approval
    #                       node ("approved", "rejected"); None while undecided
    notes: Annotated[list[str], operator.add]  # the supervisor and scout: words for the user


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
    note: str  # a closing line the answer keeps whoever writes it ("" for none; set every turn)
    messages: Annotated[list[dict[str, Any]], operator.add]
    hits: list[dict[str, Any]]
    answer: str
    citations: list[dict[str, Any]]
