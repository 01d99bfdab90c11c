"""Follow-ups rewritten against the previous turn; filters read from the question."""

from __future__ import annotations

from datetime import UTC, datetime

from reservoir.agents.followup import read_filters, rewrite

NOW = datetime(2026, 12, 3, tzinfo=UTC)
DENTAL = {"query": "How do dental clinics reduce no-shows?", "applied": {"industry": "healthcare"},
          "opportunity_ids": [4, 9]}


def test_filters_from_the_question() -> None:
    filters = read_filters("Which scheduling automations with Calendly cost under $100/month, new this week?",
                           NOW)
    assert filters == {"tool": "Calendly", "automation_type": "scheduling", "max_cost_month": 100.0,
                       "since": "2026-11-26T00:00:00+00:00"}
    assert read_filters("How do law firms automate intake?")["industry"] == "legal"
    assert read_filters("anything below $1,200 per year?")["max_cost_month"] == 100.0
    assert read_filters("How do I bake sourdough bread at home?") == {}


def test_a_new_question_stands_alone() -> None:
    turn = rewrite("How do law firms automate client intake?", DENTAL)
    assert not turn.followup and turn.query == "How do law firms automate client intake?"
    assert rewrite("and how do I bake sourdough bread?", DENTAL).followup is False


def test_industry_swap_keeps_the_subject() -> None:
    turn = rewrite("and for accountants?", DENTAL)
    assert turn.followup and turn.filters["industry"] == "accounting"
    assert "no-shows" in turn.query and "dental" not in turn.query and "accountants" in turn.query


def test_which_of_those_points_back_at_the_previous_answer() -> None:
    turn = rewrite("which of those is cheapest?", DENTAL)
    assert turn.followup and turn.rank_by == "cost" and turn.within == [4, 9]
    assert turn.query == DENTAL["query"] and turn.filters == {"industry": "healthcare"}


def test_tool_follow_up_carries_subject_and_adds_the_tool() -> None:
    turn = rewrite("what about with Zapier?", DENTAL)
    assert turn.filters == {"industry": "healthcare", "tool": "Zapier"}
    assert turn.query.startswith("How do dental clinics reduce no-shows") and "Zapier" in turn.query


def test_tool_follow_up_swaps_the_previous_tool() -> None:
    slack = {"query": "How can I post automatic notifications to a Slack channel?",
             "applied": {"tool": "Slack"}, "opportunity_ids": [3]}
    turn = rewrite("and to Telegram?", slack)
    assert turn.filters == {"tool": "Telegram"}
    assert turn.query == "How can I post automatic notifications to a Telegram channel?"


def test_no_previous_turn_means_no_rewrite() -> None:
    assert rewrite("and for accountants?", None).query == "and for accountants?"
