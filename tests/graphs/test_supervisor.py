"""The supervisor's routing: one step per phase, each declaring where it may go.

LangGraph draws the supervisor's edges from its ``Command[Next]`` annotation; each phase's step
declares its own ``Command[Literal[...]]``. These tests keep the two in line and check the
steps that decide from the state alone.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, get_args, get_type_hints

from reservoir.graphs import discovery
from reservoir.graphs.discovery import (
    PHASE_STEPS,
    Next,
    build_discovery_graph,
    finish,
    on_analysed,
    on_cancel,
    on_out_of_steps,
    on_over_budget,
    on_scored,
    on_scouting,
    on_start,
    on_written,
)
from reservoir.graphs.state import DiscoveryState, Phase

STEPS = [on_start, on_cancel, on_out_of_steps, *PHASE_STEPS.values()]


def destinations(step: Any) -> set[str]:
    """The node names a step's return annotation ``Command[Literal[...]]`` allows."""
    (literal,) = get_args(get_type_hints(step, vars(discovery))["return"])
    return set(get_args(literal))


def test_every_phase_has_a_step() -> None:
    assert set(PHASE_STEPS) | {"start"} == set(get_args(Phase))
    assert get_type_hints(DiscoveryState)["phase"] == Phase


def test_the_steps_go_exactly_where_the_supervisor_says_it_goes() -> None:
    assert set().union(*(destinations(step) for step in STEPS)) == set(get_args(Next))
    drawn = {edge.target for edge in build_discovery_graph().compile().get_graph().edges
             if edge.source == "supervisor"}
    assert drawn == set(get_args(Next))


def deps(*, over_budget: bool = False, max_steps: int = 12) -> Any:
    return SimpleNamespace(settings=SimpleNamespace(max_steps=max_steps),
                           llm=SimpleNamespace(over_budget=lambda: over_budget))


def test_each_phase_step_routes_as_its_annotation_says() -> None:
    state: DiscoveryState = {"run_id": "r1", "steps": 3}
    cases = [
        (on_scouting(state, deps(), {"steps": 4}), "analyst", {"phase": "analysing"}),
        (on_over_budget(state, deps(), {"steps": 4}), "budget", {}),
        (on_scored(state, deps(), {"steps": 4}), "writer", {"phase": "writing"}),
        (on_cancel({"steps": 4}), "__end__", {"decision": "cancelled"}),
        (on_out_of_steps(deps(max_steps=3), {"steps": 4}), "roi", {"phase": "scoring"}),
        (finish(state, deps(), {"steps": 4}), "__end__", {"decision": "done"}),
    ]
    for command, goto, update in cases:
        assert command.goto == goto
        assert command.update == {"steps": 4, **update} | (
            {"notes": ["max_steps=3 reached: writing what we have"]} if goto == "roi" else {})


def test_written_waits_for_approval_only_while_undecided() -> None:
    asking: DiscoveryState = {"run_id": "r1", "require_approval": True, "decision": None}
    assert on_written(asking, deps(), {"steps": 9}).goto == "approval"
    decided: DiscoveryState = {**asking, "decision": "approved"}
    ended = on_written(decided, deps(), {"steps": 10})
    assert ended.goto == "__end__" and ended.update == {"steps": 10, "decision": "approved"}
    assert on_written({"run_id": "r1"}, deps(), {"steps": 9}).update["decision"] == "done"


def test_analysed_over_budget_scores_without_a_followup_search() -> None:
    command = on_analysed({"run_id": "r1", "followup_rounds": 0}, deps(over_budget=True), {"steps": 5})
    assert command.goto == "roi" and command.update["phase"] == "scoring"
    assert command.update["notes"] == ["token/cost budget reached: no follow-up search"]
    # After the one follow-up round there is no other, budget or not (no database needed).
    done = on_analysed({"run_id": "r1", "followup_rounds": 1}, deps(), {"steps": 8})
    assert done.goto == "roi" and "notes" not in done.update
