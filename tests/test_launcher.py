"""The one follow loop (launcher.RunFollower): the CLI's `follow` and the API's SSE stream stop
on the same rule — settled status, launcher idle, closing event (or the grace without one)."""

from __future__ import annotations

import time

import pytest

from reservoir import launcher
from reservoir.config import Settings
from reservoir.graphs import runner
from reservoir.launcher import RunFollower, follow_run
from reservoir.memory import runs as run_queries
from reservoir.memory.db import session_scope


def _run(settings: Settings, status: str, *events: str) -> str:
    with session_scope(settings) as session:
        run = run_queries.create_run(session, kind="discovery", trigger="test")
        for type_ in ("queued", *events):
            run_queries.add_event(session, run.id, "runner", type_, {})
        run_queries.set_status(session, run, status)
        return run.id


def test_a_closing_event_ends_the_follow_at_once(settings: Settings) -> None:
    run_id = _run(settings, "succeeded", "started", "succeeded")
    seen: list[str] = []
    started = time.monotonic()
    assert follow_run(settings, run_id, lambda e: seen.append(e["type"]), poll=0.05) == "succeeded"
    assert seen == ["queued", "started", "succeeded"]
    assert time.monotonic() - started < launcher.FOLLOW_GRACE_SECONDS
    # Replaying after the last event: nothing new, and still no wait.
    follower = RunFollower(settings, run_id, after=3)
    assert follower.poll() == ([], "succeeded")


def test_a_settled_status_without_closing_event_ends_after_the_grace(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launcher, "FOLLOW_GRACE_SECONDS", 0.4)
    run_id = _run(settings, "interrupted", "started")
    follower = RunFollower(settings, run_id)
    events, ended = follower.poll()
    assert [e.type for e in events] == ["queued", "started"] and ended is None
    started = time.monotonic()
    assert follow_run(settings, run_id, poll=0.05) == "interrupted"
    assert 0.4 <= time.monotonic() - started < 2.0


def test_a_run_its_launcher_still_has_is_followed_on(settings: Settings) -> None:
    """Approved and queued again: still `interrupted` with a closing event, but not over."""
    run_id = _run(settings, "interrupted", "started", "interrupted")
    follower = RunFollower(settings, run_id, is_active=lambda _id: True)
    assert follower.poll()[1] is None
    started = time.monotonic()
    assert follow_run(settings, run_id, is_active=lambda _id: True, poll=0.05, timeout=0.5) \
        == "interrupted"
    assert time.monotonic() - started >= 0.5
    follower.is_active = lambda _id: False
    assert follower.poll() == ([], "interrupted")


def test_following_an_unknown_run_is_a_run_error(settings: Settings) -> None:
    with pytest.raises(runner.RunError, match="no run 'nope'"):
        follow_run(settings, "nope")


def test_a_budget_stop_is_launched_without_a_decision_an_approval_wait_is_not(
        settings: Settings) -> None:
    """`runs resume` after raising the budget goes through the launcher like any start."""
    budget = _run(settings, "interrupted", "started", "budget_reached", "interrupted")
    assert launcher._check_launchable(settings, budget, None) == budget
    waiting = _run(settings, "interrupted", "started", "interrupted")
    with pytest.raises(runner.RunError, match="waiting for approval"):
        launcher._check_launchable(settings, waiting, None)
    assert launcher._check_launchable(settings, waiting, {"approved": True}) == waiting
