"""Evidence that reads as evidence: no markup at the start, no setup steps, code or slogans."""

from __future__ import annotations

import pytest

from reservoir.agents.extractive import extract_candidates
from reservoir.agents.findings import Finding
from reservoir.agents.prose import (
    is_call_to_action,
    is_code,
    is_setup_instruction,
    prose_quote,
    strip_markers,
)
from reservoir.agents.taxonomy import stated_industries
from reservoir.agents.verify import verify

STATEMENT = "Every paid order in Shopify sends a text to the customer through Twilio."


@pytest.mark.parametrize("marker", ["### ", "> ", "* ", "- ", "1. ", "**(Recommended)** ",
                                    "*(Optional)* ", "**Tip:** ", "> * "])
def test_leading_markers_are_cut_and_the_rest_stays_verbatim(marker: str) -> None:
    sentence = marker + STATEMENT
    assert strip_markers(sentence).strip() == STATEMENT
    quote = prose_quote(sentence)
    assert quote == STATEMENT and quote in sentence


@pytest.mark.parametrize("sentence", [
    "*(Recommended)* Set a **Webhook Secret** on that credential so requests are signed.",
    "**(Recommended)** Set a Webhook Secret on that credential so requests are signed.",
    "Click Save and activate the workflow.",
    "Then, paste the API key into the credential field of the node.",
    "Add your OpenAI API key in the settings tab.",
    "Go to Settings and open the Integrations page.",
])
def test_setup_instructions_are_not_evidence(sentence: str) -> None:
    assert prose_quote(sentence) is None
    assert is_setup_instruction(sentence) or "**" in sentence


@pytest.mark.parametrize("sentence", [
    "Sign up for a free account and get started today.",
    "Subscribe to our newsletter for more automation tips every week.",
    "Start your free trial, no credit card required.",
])
def test_calls_to_action_are_not_evidence(sentence: str) -> None:
    assert is_call_to_action(sentence) and prose_quote(sentence) is None


@pytest.mark.parametrize("sentence", [
    "npm install n8n-nodes-twilio --save",
    "$ docker compose up -d worker scheduler",
    "const client = twilio(accountSid, authToken);",
    "Use the `messages.create` call with the number of the customer.",
])
def test_code_and_command_lines_are_not_evidence(sentence: str) -> None:
    assert prose_quote(sentence) is None
    assert is_code(sentence) or "`" in sentence


@pytest.mark.parametrize("sentence", [
    STATEMENT,
    "Connect Shopify to Twilio so every paid order texts the customer.",
    "We set up a Zapier flow that sends every new lead to HubSpot.",
    "Our office manager built the flow over a weekend with help from a contractor.",
])
def test_statements_of_what_runs_stay(sentence: str) -> None:
    assert prose_quote(sentence) == sentence


DOC = """### How it works
> Every paid order in Shopify automatically sends a text to the customer through Twilio.

## Setup
*(Recommended)* Set a **Webhook Secret** on that credential so Twilio requests are signed.
Click Save and activate the workflow in Zapier.
Sign up for a free Zapier account to get started.
"""


def test_extracted_evidence_is_prose_and_verbatim() -> None:
    found = extract_candidates(DOC)
    assert found
    for cand in found:
        for quote in cand.evidence:
            assert quote in DOC
            assert prose_quote(quote) == quote, quote
        assert cand.summary in DOC and not cand.summary.startswith((">", "#", "*"))


def test_verify_cuts_markers_and_drops_instructions() -> None:
    finding = Finding(title="Order texts", automation_type="client_communication",
                      evidence=["> Every paid order in Shopify automatically sends a text to "
                                "the customer through Twilio.",
                                "Click Save and activate the workflow in Zapier."])
    verdict = verify(finding, DOC)
    assert verdict.finding is not None
    assert verdict.finding.evidence == [
        "Every paid order in Shopify automatically sends a text to the customer through Twilio."]
    assert verdict.dropped["evidence"] == 1


# --------------------------------------------------------------------------- stated industries

GARAGE = ("Customers kept phoning to ask whether their car was done.\n"
          "When a mechanic ticks off a stage of the repair in Airtable, Twilio automatically "
          "texts the drivers what was found and when the car should be ready.")
DENTAL = ("Our dental practice had eleven reviews after nine years.\n"
          "After each cleaning, Mailchimp automatically emails the patient a short note asking "
          "them to leave a Google review.")


def test_leaning_words_do_not_state_an_industry() -> None:
    from reservoir.agents.verify import names_industry

    assert not names_industry("Twilio texts the drivers when the car is ready.", "logistics")
    assert not names_industry("New orders are synced every hour.", "ecommerce")
    assert names_industry("We run a small freight company.", "logistics")


def test_candidates_name_only_stated_industries_with_their_quote() -> None:
    found = extract_candidates(GARAGE)
    assert found and all(not c.industries and " for " not in c.title for c in found)
    dental = extract_candidates(DENTAL)
    assert dental and dental[0].industries == ["healthcare"]
    quote = dental[0].industry_quotes["healthcare"]
    assert quote in DENTAL and "healthcare" in stated_industries(quote)


def test_extractive_findings_carry_industry_quotes_through_verification() -> None:
    from reservoir.agents.analyst import DocView, extractive_findings, verify_all

    doc = DocView(1, "https://example.test/dental", "Reviews", DENTAL)
    kept, dropped = verify_all(extractive_findings(doc), doc)
    assert kept and kept[0].industries == ["healthcare"]
    assert kept[0].industry_quotes["healthcare"] in DENTAL
    assert dropped["industries"] == 0


def test_questions_filter_only_on_an_industry_they_name() -> None:
    from reservoir.agents.followup import read_filters

    assert "industry" not in read_filters("How can a shop tell customers their delivery is on "
                                          "the way?")
    assert read_filters("How do dental practices cut no-shows?")["industry"] == "healthcare"


def test_number_and_industry_quotes_lose_their_markers() -> None:
    from reservoir.agents.analyst import DocView, extractive_findings, verify_all

    text = ("## Results at our dental practice\n"
            "> Every confirmed booking in Calendly automatically texts the patient through "
            "Twilio the day before.\n"
            "> We save about 6 hours a week on reminder calls since the change.\n")
    doc = DocView(1, "https://example.test/md", "Reminders", text)
    kept, _ = verify_all(extractive_findings(doc), doc)
    assert kept
    quotes = [n.quote for f in kept for n in f.numbers] + [
        q for f in kept for q in f.industry_quotes.values()] + [
        q for f in kept for q in f.evidence]
    assert quotes and all(q in text and not q.startswith((">", "#", "*")) for q in quotes)


@pytest.mark.parametrize("sentence", [
    "The connector supports the following operations:",
    "You will only need access to a spreadsheet template that holds the data.",
    "For sheet connections, you must have the flow add-in installed in your workbook.",
    "An Acme account is required to use this connector.",
    "Please use these instructions to deploy this connector in your environment.",
    "For help getting started, please contact our support team.",
    "Options\ncaption: a caption for the media\nsilent: send the message silently",
])
def test_list_intros_prerequisites_and_option_blocks_are_not_evidence(sentence: str) -> None:
    assert prose_quote(sentence) is None


def test_a_statement_that_introduces_examples_stays_evidence() -> None:
    text = "You want to read the query parameters passed to an endpoint, such as:"
    assert prose_quote(text) == text
    use = "Use the Acme connector to create and update records in your tenant."
    assert prose_quote(use) == use  # a product's description in the imperative
