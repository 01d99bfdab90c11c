"""The verification layer: whatever an engine claims, only what the document holds is kept."""

from reservoir.agents.findings import Finding
from reservoir.agents.verify import industry_quote, rebuild_title, unsupported_figures, verify

TEXT = (
    "We run a small dental clinic in Leeds.\n"
    "Our front desk automated appointment reminders with Twilio and Acuity.\n"
    "Each patient gets a text 48 hours before the visit.\n"
    "The no-show rate fell from 18% to 7% in three months, saving about 6 hours a week."
)
EVIDENCE = "Our front desk automated appointment reminders with Twilio and Acuity."


def _finding(**kw: object) -> Finding:
    base: dict[str, object] = {"title": "Appointment reminders", "automation_type": "scheduling",
                               "evidence": [EVIDENCE]}
    base.update(kw)
    return Finding.model_validate(base)


def test_tools_the_document_does_not_name_are_dropped_and_named_ones_traced() -> None:
    verdict = verify(_finding(tools=["Twilio", "Acuity Scheduling", "fuse-packer", "Zapier"]), TEXT)
    assert verdict.finding is not None
    assert verdict.finding.tools == ["Twilio", "Acuity Scheduling"]
    assert verdict.finding.tool_quotes["Twilio"] == EVIDENCE
    assert verdict.finding.tool_quotes["Acuity Scheduling"] == EVIDENCE
    assert verdict.dropped["tools"] == 2


def test_numbers_need_their_value_in_a_verbatim_quote() -> None:
    quote = "The no-show rate fell from 18% to 7% in three months, saving about 6 hours a week."
    verdict = verify(_finding(numbers=[
        {"field": "hours_saved_week", "value": 6, "quote": quote},
        {"field": "hours_saved_week", "value": 40, "quote": quote},       # value not in quote
        {"field": "setup_hours", "value": 16, "quote": "Setup took 16 hours."},  # invented quote
    ]), TEXT)
    assert verdict.finding is not None
    assert [n.value for n in verdict.finding.numbers] == [6]
    assert verdict.dropped["numbers"] == 2


def test_an_industry_needs_a_quote_that_names_it() -> None:
    verdict = verify(_finding(
        industries=["dental", "insurance", "real_estate"],
        industry_quotes={"dental": "We run a small dental clinic in Leeds.",
                         "insurance": "We run a small dental clinic in Leeds.",   # does not name it
                         "real_estate": "Realtors love it."}), TEXT)            # not in the text
    assert verdict.finding is not None
    assert verdict.finding.industries == ["dental"]
    assert verdict.finding.industry_quotes == {"dental": "We run a small dental clinic in Leeds."}
    assert verdict.dropped["industries"] == 2


def test_steps_and_summary_must_be_supported_by_a_sentence() -> None:
    verdict = verify(_finding(
        steps=["Each patient gets a text 48 hours before the visit",
               "Connect the CRM to the billing system"],
        summary="Revenue tripled after the clinic hired a robot receptionist."), TEXT)
    assert verdict.finding is not None
    assert verdict.finding.steps == ["Each patient gets a text 48 hours before the visit"]
    assert verdict.finding.summary == EVIDENCE
    assert verdict.dropped["steps"] == 1 and verdict.dropped["summary"] == 1


def test_a_title_naming_what_the_finding_cannot_cite_is_rebuilt() -> None:
    verdict = verify(_finding(title="Insurance claims triage with Zapier saving 90 hours",
                              tools=["Twilio"]), TEXT)
    assert verdict.finding is not None
    assert verdict.dropped["title"] == 1
    assert "Insurance" not in verdict.finding.title and "Zapier" not in verdict.finding.title
    assert "Twilio" in verdict.finding.title


def test_a_finding_without_verbatim_evidence_is_dropped_whole() -> None:
    verdict = verify(_finding(evidence=["The clinic doubled its revenue with a chatbot."]), TEXT)
    assert verdict.finding is None
    assert verdict.dropped == {"evidence": 1, "findings": 1}


def test_industry_quote_finds_the_naming_sentence() -> None:
    assert industry_quote(TEXT, "dental") == "We run a small dental clinic in Leeds."
    assert industry_quote(TEXT, "real_estate") is None
    assert rebuild_title("scheduling", EVIDENCE, ["Twilio"], ["dental"]).endswith("for dental")


def test_a_model_quote_for_a_tool_is_replaced_by_the_sentence_that_names_it() -> None:
    verdict = verify(_finding(tools=["Twilio"], tool_quotes={"Twilio": "Twilio runs our empire."}),
                     TEXT)
    assert verdict.finding is not None
    assert verdict.finding.tool_quotes["Twilio"] == EVIDENCE


def test_an_industry_without_a_given_quote_is_traced_to_the_sentence_naming_it() -> None:
    verdict = verify(_finding(industries=["dental", "insurance"]), TEXT)
    assert verdict.finding is not None
    assert verdict.finding.industries == ["dental"]
    assert verdict.finding.industry_quotes["dental"] == "We run a small dental clinic in Leeds."
    assert verdict.dropped["industries"] == 1


def test_figures_a_model_writes_must_be_in_its_facts() -> None:
    facts = "- Reminders: $1,200/month net, confidence 80%"
    assert unsupported_figures("Reminders are worth about $1200 a month (80%).", facts) == []
    assert unsupported_figures("Reminders save $5,000 a month.", facts) == ["5,000"]
