"""Metric functions on small hand-computed cases."""

from __future__ import annotations

import pytest

from reservoir.evals import metrics as m


def opp(type_: str, tools: list[str], evidence: list[str], numbers: list[dict] | None = None) -> dict:
    return {"automation_type": type_, "tools": tools, "evidence": evidence, "numbers": numbers or []}


def test_prf_and_tool_aliases() -> None:
    assert m.prf({"a", "b", "c"}, {"b", "c", "d", "e"}) == pytest.approx((2 / 3, 2 / 4, 4 / 7))
    assert m.prf(set(), set()) == (1.0, 1.0, 1.0)
    assert m.prf({"a"}, set()) == (0.0, 0.0, 0.0) and m.prf(set(), {"a"}) == (0.0, 0.0, 0.0)
    # "Acuity" and "Excel" are catalogue aliases of "Acuity Scheduling" and "Microsoft Excel"
    assert m.canonical_tool("Acuity") == "Acuity Scheduling" == m.canonical_tool(" acuity  scheduling")
    scores = m.tool_scores(["Acuity Scheduling", "Twilio", "Slack"], ["Twilio", "Acuity", "Excel"])
    assert scores == pytest.approx({"tool_precision": 2 / 3, "tool_recall": 2 / 3, "tool_f1": 2 / 3})
    assert m.canonical_tool("Some Unknown Tool") == "some unknown tool"


def test_alignment_and_type_accuracy() -> None:
    expected = [opp("scheduling", ["Twilio", "Acuity"], ["We text every patient."]),
                opp("follow_up", ["Google Sheets"], ["A recall list is refreshed weekly."])]
    found = [opp("follow_up", ["Google Sheets"], ["A recall list is refreshed weekly."]),
             opp("marketing", ["Twilio", "Acuity Scheduling"], ["We text every patient."]),
             opp("reporting", ["Power BI"], ["Unrelated sentence here."])]
    # tools+quote similarity pairs found[0]~expected[1] and found[1]~expected[0]; found[2] is extra
    assert m.align(found, expected) == [(0, 1), (1, 0)]
    # one correct type (follow_up) over max(3 found, 2 expected)
    assert m.type_accuracy(found, expected) == pytest.approx(1 / 3)
    assert m.type_accuracy([], []) == 1.0
    assert m.type_accuracy([], expected) == 0.0 and m.type_accuracy(found, []) == 0.0


def test_number_error_prefers_the_same_sentence() -> None:
    expected = [{"field": "hours_saved_week", "value": 10.0, "quote": "We save 10 hours a week."},
                {"field": "tool_cost_month", "value": 50.0, "quote": "It costs $50 per month."},
                {"field": "other", "value": 7.0, "quote": "Seven is ignored."}]
    found = [{"field": "hours_saved_week", "value": 12.0, "quote": "We  save 10 hours a week."},
             {"field": "hours_saved_week", "value": 10.0, "quote": "Another sentence, 10 hours."}]
    # hours: the same-quote candidate wins (|12-10|/10 = 0.2) over the exact value elsewhere;
    # the cost has no candidate (error 1); "other" is not an hours/cost field
    assert m.number_error(found, expected) == pytest.approx((0.2 + 1.0) / 2)
    assert m.number_error(found, expected[2:]) is None
    assert m.relative_error(0, 0) == 0 and m.relative_error(5, 0) == 1 and m.relative_error(40, 10) == 1


def test_grounding_and_leaks() -> None:
    text = "Our shop sends a text when the order ships.\nIt saves us about 6 hours a week."
    quotes = ["Our shop sends a text when the order ships.", "It saves us about 6 hours\na week.",
              "The shop texts customers on shipping."]
    assert m.grounding(quotes, text) == pytest.approx(2 / 3)  # whitespace may differ, words not
    assert m.grounding([], text) is None
    assert m.leaked([{"summary": "see HTTP://EVIL.example/x"}], ["evil.example"])
    assert not m.leaked([{"summary": "fine"}], ["evil.example"])


def test_roi_ranges() -> None:
    assert m.range_error(5, 4, 6) == 0 and m.range_error(3, 4, 6) == pytest.approx(0.25)
    assert m.range_error(9, 4, 6) == pytest.approx(0.5)
    expected = {"hours_saved_week": {"min": 4, "max": 6, "source": "evidence"},
                "setup_hours": {"min": 2, "max": 20, "source": "default"},
                "tool_cost_month": {"min": 40, "max": 50}}
    values = {"hours_saved_week": 5.0, "setup_hours": 30.0, "tool_cost_month": 45.0}
    sources = {"hours_saved_week": "evidence", "setup_hours": "evidence"}
    assert m.roi_scores(values, sources, expected) == pytest.approx(
        {"roi_in_range": 2 / 3, "roi_error": (0 + 0.5 + 0) / 3, "roi_source": 1 / 2})


def test_citation_scores() -> None:
    assert m.citation_scores({"a", "b", "x"}, {"a", "c"}, {"b"}) == pytest.approx(
        {"citation_precision": 2 / 3, "citation_recall": 1 / 2})
    assert m.citation_scores(set(), set(), set()) == {"citation_precision": 1.0, "citation_recall": 1.0}
    assert m.citation_scores({"a"}, set(), set()) == {"citation_precision": 0.0, "citation_recall": 1.0}
    assert m.citation_scores(set(), {"a"}, set()) == {"citation_precision": 0.0, "citation_recall": 0.0}


def test_claims_and_faithfulness() -> None:
    assert m.stem("reminders") == m.stem("reminder") and m.stem("automated") == m.stem("automates")
    assert m.content_words("The reminders were sent with Twilio") == {"reminder", "sent", "twilio"}
    # a name run together from capitalised parts also counts as its parts
    assert m.content_words("geo fence alert") < m.content_words("the GeoFenceAlert node")
    assert m.content_words("mail bridge") < m.content_words("a MAILBridge relay")
    assert m.content_words("Alerts by email") == {"alert", "email"}  # plain words stay whole
    answer = ("What the reservoir holds:\n"
              "- Appointment reminders with Twilio for clinics. Tools: Twilio. [1][2]\n"
              "Dental offices text patients [1]; bakeries count waste [3].")
    claims = m.cited_claims(answer)
    assert claims[0] == ("Appointment reminders with Twilio for clinics. Tools: Twilio", [1, 2])
    assert claims[1:] == [("Dental offices text patients", [1]), ("bakeries count waste", [3])]
    quotes = {1: "We automated appointment reminders with Twilio at both dental offices.",
              2: "The bakery counts leftover bread every evening."}
    # claim 1 vs quote 1: {appointment, reminder, twilio, clinic} -> 3/4; vs quote 2: 0/4
    assert m.support(claims[0][0], quotes[1]) == pytest.approx(3 / 4)
    # "dental offices text patients" vs quote 1: {dental, office} of {dental, office, text, patient}
    assert m.support(claims[1][0], quotes[1]) == pytest.approx(2 / 4)
    # pairs: (c0,1) ok, (c0,2) no, (c1,1) ok, (c2,3) no citation behind [3] -> 2/4
    assert m.faithfulness(answer, quotes) == pytest.approx(0.5)
    assert m.faithfulness("No citations here.", quotes) is None
    assert m.citation_numbers(answer) == {1, 2, 3}


def test_aggregate_and_example_score() -> None:
    rows = [{"a": 1.0, "b": None}, {"a": 0.0, "b": 0.5}, {"a": 0.5}]
    assert m.aggregate(rows) == {"a": 0.5, "b": 0.5}
    assert m.example_score("extract", {"type_accuracy": 1.0, "tool_f1": 0.5, "grounding": None,
                                       "number_error": 0.2}) == pytest.approx((1 + 0.5 + 0.8) / 3, abs=1e-4)
    assert m.example_score("roi", {}) is None
    assert not m.higher_is_better("number_error") and m.higher_is_better("grounding")


def test_tool_recall_named_counts_only_tools_the_text_writes() -> None:
    text = "Flows post each new order to a Slack channel. Set it up in a few minutes."
    assert m.named_in("Slack", text) and m.named_in("slack", text)
    assert not m.named_in("Node-RED", text)  # labelled from where the page is published
    assert m.tool_recall_named(["Slack"], ["Slack", "Node-RED"], text) == 1.0
    assert m.tool_recall_named([], ["Slack", "Node-RED"], text) == 0.0
    assert m.tool_recall_named(["Slack"], ["Node-RED"], text) is None
