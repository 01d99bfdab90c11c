"""The extractive strategy: sentences, tools, numbers, taxonomy and candidates.

Every string it returns must be a verbatim substring of its input; the property test at the
end checks that over many hand-written paragraphs and their combinations.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from reservoir.agents import catalogue, taxonomy
from reservoir.agents.extractive import (
    Candidate,
    automation_signal,
    classify_automation,
    classify_industry,
    extract_candidates,
    find_numbers,
    find_tools,
    split_sentences,
)

# --------------------------------------------------------------------------- sample articles

def article(*paragraphs: str) -> str:
    """An article body as upstream extraction gives it: paragraphs separated by blank lines."""
    return "\n\n".join(paragraphs)


DENTAL = article(
    "How a three-chair dental clinic cut no-shows with automated text reminders",
    "Bright Smile Dental in Austin had a problem every clinic knows: patients forgot their "
    "appointments. Dr. Alvarez estimates the front desk spent 2 hours a day calling "
    "patients to confirm visits.",
    "In March the practice connected Acuity Scheduling to Twilio using Zapier. When a "
    "patient books online, Zapier creates a contact and schedules two SMS reminders: one 48"
    " hours before the appointment and one on the morning of the visit. Patients can reply "
    "C to confirm or R to reschedule, and replies are logged back into Dentrix by the "
    "office manager.",
    "The setup took about 6 hours, and the Zapier plan costs $29.99 per month. Twilio "
    "messages cost roughly $15 a month at their volume.",
    "Within two months, no-shows dropped from 18% to 7%, and the front desk gets back about"
    " 8 hours a week.",
    "Tips for other practices\n"
    "- First, clean up your patient phone numbers.\n"
    "- Then write short, friendly reminder templates.\n"
    "- Finally, test the zap with your own number before going live.",
)

ACCOUNTING = article(
    "Inside a small bookkeeping firm that stopped typing receipts",
    "Mendes & Co. is a five-person bookkeeping practice serving about 60 small businesses. "
    "Until last year, two staff spent their Mondays keying receipts and supplier bills into"
    " Xero by hand.",
    "The firm now asks every client to forward receipts to a Dext inbox. Dext extracts the "
    "supplier, date, VAT and total with OCR and publishes each receipt to the right Xero "
    "account, so data entry is mostly gone. \"We check exceptions instead of typing,\" says "
    "partner Rita Mendes. The switch saved roughly 12 hours a week across the team, and "
    "Dext costs them €150 a month.",
    "Chasing clients for overdue invoices was the other chore. The firm built a Make "
    "scenario that runs every morning: it pulls unpaid invoices from Xero, and when an "
    "invoice is 7 days past due it sends a polite payment reminder from Gmail, then a "
    "second follow-up after 14 days. Late payments fell by 35% in the first quarter.",
    "Building the scenario took two days, mostly spent on testing edge cases.",
)

REAL_ESTATE = article(
    "Speed to lead: how one brokerage answers every inquiry in under five minutes",
    "Harbor Realty, a 12-agent real estate brokerage, was losing buyers who filled in a "
    "form on Zillow or the website and then heard nothing for a day. Leads that wait go "
    "cold.",
    "The team routed every new lead into Follow Up Boss. An automation in Follow Up Boss "
    "now sends a personal-looking text within two minutes and assigns the lead to the agent"
    " on duty. If the lead has not replied after three days, a nurture sequence of emails "
    "follows up with new listings that match their search.",
    "Agents also set up a Zapier integration that posts each hot lead to a Slack channel, "
    "so nobody misses a showing request.",
    "The broker says response time went from 9 hours to 4 minutes and appointments booked "
    "from online leads increased 40% in six months. Follow Up Boss costs $69 per user per "
    "month.",
)

ECOMMERCE = article(
    "Two automations that keep a small Shopify store's inbox under control",
    "Our store sells handmade candles on Shopify, and in the holiday season the support "
    "inbox would hit 300 emails a week. Most asked the same thing: where is my order?",
    "We installed Gorgias and turned on its automation rules. When a customer asks about "
    "order status, Gorgias looks up the Shopify order and replies automatically with the "
    "tracking link. About 60% of tickets are now answered without a human, and response "
    "times fell from 11 hours to under 1 hour.",
    "The second automation asks for reviews. Seven days after delivery, a Klaviyo flow "
    "sends a review request email with a discount for the next purchase. Google reviews "
    "grew from 40 to 210 in a year.",
    "Gorgias costs us $60 a month and Klaviyo about $45 a month at our list size.",
)

AGENCY = article(
    "How our marketing agency automated weekly client reports",
    "Every Monday our account managers used to spend half a day copying numbers from Google"
    " Ads, Meta and Google Analytics into slides. With 25 clients, reporting ate around 30 "
    "hours a week across the team.",
    "We replaced the slides with Looker Studio dashboards. A Make scenario pulls campaign "
    "data into Google Sheets every night, the dashboards read from the sheets, and on "
    "Monday morning a scheduled email sends each client a PDF of their weekly report with "
    "the KPIs they care about.",
    "1. Connect each ad account to Google Sheets with a Make scenario.\n"
    "2. Build one Looker Studio template and copy it per client.\n"
    "3. Schedule the email delivery in Looker Studio.",
    "Setup took about 40 hours, spread over three weeks. The team now saves roughly 25 "
    "hours a week, and clients see their numbers earlier.",
)

LEGAL = article(
    "Client intake without paperwork at a two-lawyer family law firm",
    "Paperwork slowed down every new matter at Ortiz Family Law. Prospective clients filled"
    " in a PDF, emailed it back, and a paralegal retyped everything into Clio.",
    "Now the intake form is a Jotform on the firm's website. A Zapier zap creates the "
    "contact and the matter in Clio from each form submission, and PandaDoc generates the "
    "engagement letter from a template and sends it for e-signature. Once the client signs,"
    " the matter status updates in Clio automatically.",
    "The paralegal estimates the new workflow saves about 5 hours a week, and signed "
    "engagement letters come back in one day instead of four.",
)

RESTAURANT = article(
    "Keeping inventory honest at a busy neighbourhood restaurant",
    "Our restaurant runs on Toast POS. Every night the kitchen manager counted stock on "
    "paper and then typed it into a spreadsheet, which took 45 minutes a day.",
    "We set up an integration that syncs sales from Toast to Google Sheets every hour, and "
    "a formula subtracts recipe quantities from inventory. When an item falls below its par"
    " level, a Zapier automation posts an order alert to the kitchen Slack channel and "
    "drafts the supplier order.",
    "Food waste dropped 12% in three months, and the manager no longer counts everything by"
    " hand.",
)

RECRUITING = article(
    "How a recruiting agency stopped playing email ping-pong over interviews",
    "Scheduling interviews was eating our recruiters' days. Each interview took four to six"
    " emails between the candidate, the hiring manager and the recruiter.",
    "We connected Greenhouse to Calendly. When a candidate moves to the interview stage in "
    "Greenhouse, they automatically receive a Calendly link showing the hiring manager's "
    "availability, and the booked slot lands in Google Calendar with a video link. "
    "Reminders go out 24 hours before each interview, and candidates can reschedule "
    "themselves.",
    "Our recruiters save about 6 hours a week each, and time-to-interview went from 5 days "
    "to 2 days.",
)

RECIPE = article(
    "Grandma's apple pie",
    "This apple pie has been in our family for three generations. Make sure the butter is "
    "cold before you start.",
    "Ingredients\n"
    "- 6 apples, peeled and sliced\n"
    "- 1 cup sugar\n"
    "- 2 tablespoons flour\n"
    "- 1 teaspoon cinnamon",
    "Preheat the oven to 425°F. Roll out the dough and line a 9-inch dish. Toss the apples "
    "with sugar, flour and cinnamon, then pour into the crust. Bake for 45 minutes until "
    "golden. Serve with a square of cheddar or a scoop of ice cream. Toast and jam for "
    "breakfast the next day is optional, and the clay pots on the windowsill make a nice "
    "display.",
)

PICNIC = article(
    "Company picnic: Saturday, June 14",
    "Join us at Riverside Park from noon to 5 pm for our annual summer picnic. Families are"
    " welcome!",
    "We'll have a barbecue, lawn games, and a face-painting station for the kids. Please "
    "RSVP to Maria by June 6 so we can plan food for everyone.",
    "Reminder: bring sunscreen and a blanket. Parking is free in the north lot. Leave some "
    "buffer time for traffic on the bridge.",
)

COMMENTS = """Great post! We use Zapier too.
Thanks for sharing.
Reply
Log in to comment.
"""

# --------------------------------------------------------------------------- sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_sentences_keep_abbreviations_and_decimals_together() -> None:
    text = ("Dr. Smith met approx. 20 clients in the U.S. last year, e.g. dentists. It cost "
            "$1.5k and saved 3.5 hours. Mr. Lee agreed!")
    assert texts(text) == [
        "Dr. Smith met approx. 20 clients in the U.S. last year, e.g. dentists.",
        "It cost $1.5k and saved 3.5 hours.",
        "Mr. Lee agreed!",
    ]


def test_sentences_split_on_question_marks_quotes_and_domains() -> None:
    text = ('Does it work?! Yes. He said "it works." Then we moved to Make.com. Done. We chose '
            "n8n. It runs on J. Smith's server.")
    assert texts(text) == ["Does it work?!", "Yes.", 'He said "it works."',
                           "Then we moved to Make.com.", "Done.", "We chose n8n.",
                           "It runs on J. Smith's server."]


def test_bullets_and_numbered_items_are_sentences_without_markers() -> None:
    text = "How to set it up:\n- Connect Calendly\n* Add a zap\n1. Test it.\n2) Go live\n\nNext."
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["How to set it up:", "Connect Calendly", "Add a zap",
                                       "Test it.", "Go live", "Next."]
    assert [s.list_item for s in sents] == [False, True, True, True, True, False]
    assert [s.paragraph for s in sents] == [0, 0, 0, 0, 0, 1]


def test_newlines_are_boundaries_but_wrapped_lines_continue() -> None:
    text = "A heading without a full stop\nThis sentence is wrapped\nacross two lines. Next one."
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "A heading without a full stop", "This sentence is wrapped\nacross two lines.",
        "Next one."]
    assert [s.paragraph for s in sents] == [0, 1, 1]


def test_a_line_that_defines_a_term_starts_its_own_sentence() -> None:
    """Option lists in documentation: each entry is a sentence, a wrapped one still joins."""
    text = ("Options\nretry_count - how often to try again\n(default: 3)\nmode: merge or replace"
            "\nowner.name sets who is told\nsend_at - when the reminder goes out, as a\n"
            "time of day.")
    assert [s.text for s in split_sentences(text)] == [
        "Options", "retry_count - how often to try again", "(default: 3)",
        "mode: merge or replace", "owner.name sets who is told",
        "send_at - when the reminder goes out, as a\ntime of day."]


def test_sentence_offsets_are_exact_and_paragraphs_count_blank_lines() -> None:
    text = "  First para. Still first.\r\n\r\n## Second para\n\n\tThird one; with a clause.  "
    sents = split_sentences(text)
    for s in sents:
        assert text[s.start:s.end] == s.text == s.text.strip()
    assert [s.paragraph for s in sents] == [0, 0, 1, 2]
    assert sents[2].text == "Second para"
    assert split_sentences("") == [] and split_sentences(" \n\n - \n") == []


# --------------------------------------------------------------------------- tools


def names(text: str) -> list[str]:
    return list(dict.fromkeys(m.name for m in find_tools(text)))


@pytest.mark.parametrize(("text", "expected"), [
    ("We built a Make scenario that watches Gmail.", ["Make", "Gmail"]),
    ("Make (formerly Integromat) connects the two apps.", ["Make"]),
    ("We automated it with Make and Airtable.", ["Make", "Airtable"]),
    ("Our stack: Make.com, Slack and Notion.", ["Make", "Slack", "Notion"]),
    ("The café takes payments on Square and uses Toast POS in the kitchen.", ["Square", "Toast"]),
    ("We enrich leads in Clay before sending them to Instantly.", ["Clay", "Instantly"]),
    ("Posts are queued in Buffer every Monday.", ["Buffer"]),
    ("Candidates flow from Lever into Slack.", ["Lever", "Slack"]),
    ("The Drift chatbot qualifies visitors, and Weave sends texts via Twilio.",
     ["Drift", "Weave", "Twilio"]),
    ("Every night Make pulls the Toast sales export into Airtable.", ["Make", "Toast", "Airtable"]),
    ("Then Podium sends review invites.", ["Podium"]),
    ("Appointment texts go out via Weave.", ["Weave"]),
    ("we moved from hubspot to pipedrive and self-hosted n8n.", ["HubSpot", "Pipedrive", "n8n"]),
    ("Tasks live on Monday.com boards and in ClickUp.", ["Monday.com", "ClickUp"]),
    ("GPT-4 summarises each call; ChatGPT drafts the reply.", ["OpenAI API", "ChatGPT"]),
    ("Leads come from Apollo.io and bills are paid through Bill.com.", ["Apollo.io", "Bill.com"]),
    ("Acuity Scheduling, Google Calendar and Microsoft Teams stay in sync.",
     ["Acuity Scheduling", "Google Calendar", "Microsoft Teams"]),
    ("Receipts go to Dext, then QuickBooks Online.", ["Dext", "QuickBooks"]),
])
def test_tools_are_found_with_canonical_names(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize("text", [
    "Make sure the butter is cold.", "We make sure every lead gets a reply.",
    "He needs a square meal.", "Square meals matter.", "Toast and jam for breakfast.",
    "I like toast and jam.", "The clay pots are drying.", "Clay pots on the windowsill.",
    "Leave buffer time between calls.", "Buffer time between meetings helps.",
    "The notion that bots replace people is wrong.", "Pull the lever to start.",
    "Instantly, the customer gets a reply.", "We drift through the day.",
    "A makeover squarely toasted Clayton's slacker outlook.", "See you Monday morning.",
    "She cooked with gusto.", "The outlook for 2025 is bright.", "Using Buffer Time Wisely",
    "Make Your First Toast Count", "Our weave of threads is tight.",
    "We met in Times Square sends shivers.", "He felt like Jane Doe runs the show.",
])
def test_ambiguous_words_are_not_tools(text: str) -> None:
    assert names(text) == []


def test_tool_mentions_carry_category_alias_and_sentence() -> None:
    text = "Intro here. Every booking in Calendly triggers a zap."
    [mention] = find_tools(text)
    assert (mention.name, mention.category) == ("Calendly", "scheduling")
    assert mention.sentence == "Every booking in Calendly triggers a zap."
    assert text[mention.start:mention.end] == mention.alias == "Calendly"


# --------------------------------------------------------------------------- numbers

NUMBER_CASES = [
    ("We save 2 hours a day.", "hours_saved_week", 10.0, "hours/week"),
    ("It frees up 40 hours a month.", "hours_saved_week", 9.23, "hours/week"),
    ("The team saves 3.5 hours each week.", "hours_saved_week", 3.5, "hours/week"),
    ("We saved 10-12 hours per week.", "hours_saved_week", 11.0, "hours/week"),
    ("It saves half an hour a day.", "hours_saved_week", 2.5, "hours/week"),
    ("That saves a dozen hours a week.", "hours_saved_week", 12.0, "hours/week"),
    ("Staff save 30 minutes a day.", "hours_saved_week", 2.5, "hours/week"),
    ("It freed up two to three hours a week.", "hours_saved_week", 2.5, "hours/week"),
    ("It saves 6 hours of data entry every week.", "hours_saved_week", 6.0, "hours/week"),
    ("Admin went from 10 hours a week to 2.", "hours_saved_week", 8.0, "hours/week"),
    ("Setup took 20 hours.", "setup_hours", 20.0, "hours"),
    ("It took two days to set up.", "setup_hours", 16.0, "hours"),
    ("We set it up in an afternoon.", "setup_hours", 4.0, "hours"),
    ("The implementation took three weeks.", "setup_hours", 120.0, "hours"),
    ("Writing the 14 messages took about 45 hours of work.", "setup_hours", 45.0, "hours"),
    ("Each claim took about 3 hours to process.", "other", 3.0, "hours"),
    ("Luis built the flow over two weekends.", None, 0, ""),
    ("We set up texts that go out 45 days before renewal.", "other", 360.0, "hours"),
    ("Members who set up a 15-minute call stay longer.", "other", 0.25, "hours"),
    ("An average membership of $149 per month pays for it.", "other", 149.0, "USD/month"),
    ("Zapier costs $89 per month.", "tool_cost_month", 89.0, "USD/month"),
    ("The plan is €49/mo.", "tool_cost_month", 49.0, "EUR/month"),
    ("We pay $1,200 a year for Calendly.", "tool_cost_month", 100.0, "USD/month"),
    ("The bot costs £20 a week.", "tool_cost_month", 86.67, "GBP/month"),
    ("It costs $15 per user per month.", "tool_cost_month", 15.0, "USD/month/user"),
    ("The automation saves $1.5k a month.", "money_saved_month", 1500.0, "USD/month"),
    ("Clients save about 1,200 dollars a year.", "money_saved_month", 100.0, "USD/month"),
    ("No-shows dropped from 18% to 7%.", "percent", 7.0, "%"),
    ("Revenue increased 30%.", "percent", 30.0, "%"),
    ("Late payments fell by 35% in a quarter.", "percent", 35.0, "%"),
    ("About 60% of tickets need no human.", "other", 60.0, "%"),
    ("It answers within 24 hours.", "other", 24.0, "hours"),
]


@pytest.mark.parametrize(("text", "field", "value", "unit"), NUMBER_CASES)
def test_number_normalisation(text: str, field: str | None, value: float, unit: str) -> None:
    if field is None:
        assert find_numbers(text) == []
        return
    [mention] = find_numbers(text)
    assert (mention.field, mention.value, mention.unit) == (field, value, unit)
    assert mention.sentence == text
    assert text[mention.start:mention.end] == mention.raw


def test_from_to_keeps_baseline_and_direction() -> None:
    [pct] = find_numbers("No-shows dropped from 18% to 7%.")
    assert (pct.baseline, pct.direction, pct.raw) == (18.0, "down", "from 18% to 7%")
    [hours] = find_numbers("Admin went from 10 hours a week to 2.")
    assert (hours.baseline, hours.direction) == (10.0, "down")
    assert find_numbers("We grew from 2019 to 2023.") == []


def test_several_numbers_in_one_sentence_get_their_own_context() -> None:
    found = find_numbers("The clinic saves 6 hours a week and pays $49 a month for Weave.")
    assert [(n.field, n.value) for n in found] == [("hours_saved_week", 6.0),
                                                   ("tool_cost_month", 49.0)]
    found = find_numbers("Setup took about 40 hours, spread over three weeks.")
    assert [(n.field, n.value) for n in found] == [("setup_hours", 40.0)]


def test_words_without_quantities_are_not_numbers() -> None:
    assert find_numbers("It runs three times a day and replies within a day.") == []
    assert find_numbers("A recipe for a happy team.") == []


# --------------------------------------------------------------------------- taxonomy


@pytest.mark.parametrize(("text", "expected"), [
    ("Patients book appointments online and get a reminder before each visit, so no-shows fell.",
     "scheduling"),
    ("A follow-up sequence chases overdue invoices and nurtures leads who went cold.",
     "follow_up"),
    ("We enrich new leads and qualify prospects before outbound outreach.", "lead_generation"),
    ("A chatbot answers FAQs and replies to support tickets in the shared inbox.",
     "client_communication"),
    ("OCR extracts data from PDF invoices, removing manual data entry and paperwork.",
     "document_automation"),
    ("A dashboard shows the KPIs and a weekly report goes to every client.", "reporting"),
    ("We schedule social media posts and send a monthly newsletter campaign.", "marketing"),
    ("New hires go through an onboarding checklist, and approvals route to the right manager.",
     "workflow_optimization"),
])
def test_classify_automation_short_texts(text: str, expected: str) -> None:
    ranked = classify_automation(text)
    assert ranked[0][0] == expected
    assert ranked == sorted(ranked, key=lambda kv: -kv[1])


@pytest.mark.parametrize(("text", "expected"), [
    ("Our dental clinic sees 40 patients a day.", "healthcare"),
    ("The brokerage posts new listings for every realtor.", "real_estate"),
    ("Policyholders file claims with the insurance agency.", "insurance"),
    ("The bookkeeping firm prepares tax returns.", "accounting"),
    ("Our online store on Shopify fights abandoned carts.", "ecommerce"),
    ("A digital marketing agency with 30 retainers.", "agency"),
    ("The restaurant changes its menu weekly.", "restaurant"),
    ("A small law firm with two attorneys.", "legal"),
    ("The freight broker tracks every shipment.", "logistics"),
    ("Our recruiters screen candidates for hiring managers.", "recruiting"),
    ("A B2B SaaS company watching churn and MRR.", "saas"),
    ("The roofing contractor sends estimates from the job site.", "construction"),
    ("A boutique retail shop tracking foot traffic.", "retail"),
    ("The tutoring school emails parents about lessons.", "education"),
    ("The hotel front desk checks in guests.", "hospitality"),
    ("A financial advisor manages client portfolios.", "finance"),
])
def test_classify_industry_short_texts(text: str, expected: str) -> None:
    assert classify_industry(text)[0][0] == expected


def test_lexicon_buckets_find_what_one_plain_alternation_finds() -> None:
    """The first-letter bucketing is only a speed-up: same hits as the naive regex."""
    for table in (taxonomy.TYPE_KEYWORDS, taxonomy.INDUSTRY_KEYWORDS,
                  {"signal": taxonomy.SIGNAL_TERMS}):
        lexicon = taxonomy.Lexicon(table)
        entries = sorted((p for items in table.values() for p, _ in items), key=lambda p: -len(p))
        naive = re.compile(r"(?<!\w)(?:" + "|".join(f"(?P<k{i}>{p})" for i, p in
                                                    enumerate(entries)) + r")(?!\w)", re.I)
        for text in SAMPLE_PARAGRAPHS + [DENTAL, ACCOUNTING, ECOMMERCE, RECIPE]:
            assert [(i, m) for _, _, i, m in lexicon.hits(text)] == [
                (int(m.lastgroup[1:]), m.group()) for m in naive.finditer(text)]


def test_no_keywords_means_no_classes() -> None:
    assert classify_automation("Bake for 45 minutes until golden.") == []
    assert classify_industry("Bake for 45 minutes until golden.") == []


def test_automation_signal_scale() -> None:
    for article in (DENTAL, ACCOUNTING, REAL_ESTATE, ECOMMERCE, AGENCY, LEGAL, RESTAURANT,
                    RECRUITING):
        assert automation_signal(article) > 4.0
    for page in (RECIPE, PICNIC, COMMENTS, ""):
        assert automation_signal(page) < 1.5
    assert automation_signal(RECIPE) == 0.0


# --------------------------------------------------------------------------- candidates


def by_type(text: str) -> dict[str, Candidate]:
    return {c.automation_type: c for c in extract_candidates(text)}


def fields(candidate: Candidate) -> dict[str, float]:
    return {n.field: n.value for n in candidate.numbers if n.field != "other"}


def assert_verbatim(candidate: Candidate, text: str) -> None:
    quotes = [candidate.summary, *candidate.evidence, *candidate.steps,
              *candidate.prerequisites, *(n.sentence for n in candidate.numbers),
              *(m.sentence for m in candidate.tool_mentions)]
    for quote in quotes:
        assert quote and quote in text, quote
    assert candidate.summary.startswith(candidate.evidence[0])
    assert 1 <= candidate.complexity <= 10


def test_dental_reminders() -> None:
    [cand] = extract_candidates(DENTAL, title="Dental reminders")
    assert cand.automation_type == "scheduling"
    assert {"Acuity Scheduling", "Twilio", "Zapier"} <= set(cand.tools)
    assert cand.industries == ["healthcare"]
    assert cand.title == ("Appointment reminders with Acuity Scheduling, Twilio and Zapier "
                          "for healthcare")
    assert fields(cand) == {"setup_hours": 6.0, "tool_cost_month": 15.0, "percent": 7.0,
                            "hours_saved_week": 8.0}
    assert cand.evidence[0] == ("In March the practice connected Acuity Scheduling to Twilio "
                                "using Zapier.")
    assert "Finally, test the zap with your own number before going live." in cand.steps
    assert_verbatim(cand, DENTAL)


def test_accounting_two_automations() -> None:
    found = by_type(ACCOUNTING)
    assert set(found) == {"document_automation", "follow_up"}
    docs, chase = found["document_automation"], found["follow_up"]
    assert {"Dext", "Xero"} <= set(docs.tools)
    assert {"Make", "Xero", "Gmail"} <= set(chase.tools)
    assert fields(docs) == {"hours_saved_week": 12.0, "tool_cost_month": 150.0}
    assert fields(chase) == {"percent": 35.0, "setup_hours": 16.0}
    assert "OCR" in docs.evidence[0] and "unpaid invoices" in chase.evidence[0]
    assert chase.title == "Invoice follow-ups with Make, Xero and Gmail for accounting"
    for cand in found.values():
        assert_verbatim(cand, ACCOUNTING)


def test_real_estate_lead_follow_up_and_routing() -> None:
    cand, routing = extract_candidates(REAL_ESTATE)
    assert cand.automation_type == "follow_up"
    assert cand.tools == ["Follow Up Boss"]
    assert cand.industries == ["real_estate"]
    assert "Follow Up Boss now sends" in cand.evidence[0]
    assert routing.automation_type == "lead_generation"
    assert routing.tools == ["Zapier", "Slack"]
    assert routing.evidence[0].startswith("Agents also set up a Zapier integration")
    numbers = {n.field: n.value for c in (cand, routing) for n in c.numbers}
    assert numbers == {"percent": 40.0, "tool_cost_month": 69.0}
    assert_verbatim(cand, REAL_ESTATE)
    assert_verbatim(routing, REAL_ESTATE)


def test_ecommerce_support_and_reviews() -> None:
    found = by_type(ECOMMERCE)
    assert set(found) == {"client_communication", "marketing"}
    assert found["client_communication"].tools == ["Shopify", "Gorgias"]
    assert found["marketing"].tools == ["Klaviyo"]
    assert found["marketing"].title == "Review requests with Klaviyo for e-commerce"
    for cand in found.values():
        assert cand.industries == ["ecommerce"]
        assert_verbatim(cand, ECOMMERCE)


def test_agency_reporting_with_numbered_steps() -> None:
    [cand] = extract_candidates(AGENCY)
    assert cand.automation_type == "reporting"
    assert cand.tools == ["Looker Studio", "Make", "Google Sheets"]
    assert cand.industries == ["agency"]
    assert fields(cand) == {"setup_hours": 40.0, "hours_saved_week": 25.0}
    assert cand.steps == ["Connect each ad account to Google Sheets with a Make scenario.",
                          "Build one Looker Studio template and copy it per client.",
                          "Schedule the email delivery in Looker Studio."]
    assert cand.complexity == 5
    assert_verbatim(cand, AGENCY)


def test_legal_intake() -> None:
    [cand] = extract_candidates(LEGAL)
    assert cand.automation_type == "document_automation"
    assert {"Jotform", "Zapier", "Clio", "PandaDoc"} == set(cand.tools)
    assert cand.industries == ["legal"]
    assert fields(cand) == {"hours_saved_week": 5.0}
    assert cand.title.startswith("Client intake forms with ")
    assert cand.evidence[0].startswith("A Zapier zap creates the contact")
    assert not any("retyped" in quote for quote in cand.evidence)
    assert_verbatim(cand, LEGAL)


def test_restaurant_inventory_with_toast() -> None:
    [cand] = extract_candidates(RESTAURANT)
    assert cand.automation_type == "workflow_optimization"
    assert cand.tools == ["Toast", "Google Sheets", "Zapier", "Slack"]
    assert cand.industries == ["restaurant"]
    [pct] = [n for n in cand.numbers if n.field == "percent"]
    assert (pct.value, pct.direction) == (12.0, "down")
    assert_verbatim(cand, RESTAURANT)


def test_recruiting_interview_scheduling() -> None:
    [cand] = extract_candidates(RECRUITING)
    assert cand.automation_type == "scheduling"
    assert cand.tools == ["Greenhouse", "Calendly", "Google Calendar"]
    assert cand.industries == ["recruiting"]
    assert cand.title.startswith("Interview scheduling with Greenhouse")
    assert fields(cand) == {"hours_saved_week": 6.0}
    assert_verbatim(cand, RECRUITING)


@pytest.mark.parametrize("text", [RECIPE, PICNIC, COMMENTS, "", "Hello.", "\n\n\n"])
def test_pages_without_automation_yield_nothing(text: str) -> None:
    assert extract_candidates(text, title="Our summer") == []


def test_title_is_only_a_prior_never_a_source() -> None:
    cands = extract_candidates(RECIPE, title="How we automated everything with Zapier")
    assert cands == []
    [cand] = extract_candidates(LEGAL, title="Zapier for law firms")
    assert all(q in LEGAL for q in cand.evidence)


# --------------------------------------------------------------------------- verbatim property

SAMPLE_PARAGRAPHS = [
    "Our HVAC company books jobs in Housecall Pro. When a job is marked done, a zap sends the "
    "invoice and a review request by SMS.",
    "Dr. Patel's physio clinic uses Jane App; reminders go out 24 hours before, and no-shows "
    "fell by 30%.",
    "The insurance agency built an intake form in Jotform that feeds Applied Epic, saving "
    "approx. 4 hours a week.",
    "Every Friday a Make scenario pulls Stripe payouts into Google Sheets and posts a KPI "
    "summary to Slack.",
    "First, export the contacts. Then map the fields. Finally, turn the workflow on.",
    "- Connect Gmail to HubSpot\n- Create a deal for every reply\n- Notify the owner in Slack",
    "1. Scan the receipt with Dext.\n2. Approve it in Xero.\n3) Pay it via Bill.com.",
    "We tried ChatGPT for drafting replies; it cut response time from 6 hours to 40 minutes.",
    "Make sure you have admin access to Shopify. You'll need a Klaviyo account too.",
    "Our café runs on Square, and the weekly sales report lands in my inbox every Monday.",
    "Setup took two days and the plan costs €29/mo per user.",
    "The U.S. team (approx. 12 people) saves 1.5 hours a day each.",
    "Candidates apply via Workable and get an interview slot from Calendly automatically.",
    "A chatbot built with Tidio answers FAQs about shipping times after hours.",
    "Nothing to see here: just a note about the parking lot and the buffer time we need.",
    "«Quotes» and “curly quotes” shouldn't break anything… right? Right!",
    "Leads from Facebook ads are enriched in Clay, scored, and pushed to Pipedrive.",
    "The broker's kvCORE nurture drip follows up with cold leads every 10 days.",
    "Tabs\tand   odd   spacing   survive. So do trailing spaces.   ",
    "Q3 revenue rose 12% from $40k to $45k a month after the campaign automation went live.",
    "Patients fill in a Typeform before the visit; the answers land in SimplePractice.",
    "Every new hire gets an onboarding checklist in Asana, and approvals go to their manager.",
    "A Power Automate flow saves each PDF attachment from Outlook to SharePoint.",
    "We use UiPath bots to copy data between the legacy ERP and Salesforce, saving $3,000 a month.",
]


def sample_texts() -> list[str]:
    rng = random.Random(7)
    out = list(SAMPLE_PARAGRAPHS)
    for sep in ("\n\n", "\n", " ", "\r\n\r\n"):
        out.append(sep.join(SAMPLE_PARAGRAPHS))
    for _ in range(20):
        picked = rng.sample(SAMPLE_PARAGRAPHS, k=rng.randint(2, 8))
        out.append(rng.choice(["\n\n", "\n", "\n \n"]).join(picked))
    return out + [DENTAL, ACCOUNTING, REAL_ESTATE, ECOMMERCE, AGENCY, LEGAL, RESTAURANT,
                  RECRUITING, RECIPE, PICNIC, COMMENTS]


def test_everything_returned_is_verbatim() -> None:
    produced = 0
    for text in sample_texts():
        for s in split_sentences(text):
            assert text[s.start:s.end] == s.text == s.text.strip() != ""
        for n in find_numbers(text):
            assert text[n.start:n.end] == n.raw and n.raw in n.sentence and n.sentence in text
        for m in find_tools(text):
            assert text[m.start:m.end] == m.alias and m.sentence in text
        for cand in extract_candidates(text):
            produced += 1
            assert_verbatim(cand, text)
            assert cand.automation_type in {
                "lead_generation", "client_communication", "document_automation", "scheduling",
                "follow_up", "reporting", "marketing", "workflow_optimization", "other"}
    assert produced > 20


# --------------------------------------------------------------------------- demo corpus

DEMO_DIR = Path(__file__).resolve().parents[2] / "reservoir" / "demo"


def demo_pages() -> list[tuple[dict[str, Any], str, str]]:
    """(label, title, text) per labelled page, text as the upstream extractor gives it."""
    if not (DEMO_DIR / "labels.json").exists():
        pytest.skip("demo corpus not present")
    extract = pytest.importorskip("reservoir.tools.extract")
    labels = json.loads((DEMO_DIR / "labels.json").read_text(encoding="utf-8"))
    out = []
    for page in labels["pages"]:
        found = sorted(DEMO_DIR.glob(f"corpus/{page['slug']}.*")) or sorted(
            DEMO_DIR.glob(f"newsletter/{page['slug']}.*"))
        if not found:
            continue
        raw = found[0].read_text(encoding="utf-8", errors="replace")
        if found[0].suffix in (".md", ".txt"):
            doc = extract.extract_text_document(raw, f"file:///{found[0].name}")
        else:
            doc = extract.extract_page(raw, f"https://demo.test/articles/{found[0].name}")
        out.append((page, doc.title, doc.text))
    return out


@pytest.mark.slow  # ~3 s, nearly all of it in the upstream HTML extractor
def test_demo_corpus_recall_and_tool_precision() -> None:
    """A labelled automation counts as found when its page yields a candidate of its type.

    Measured 0.93 recall, 0.90 candidate precision, tool P/R 1.00/0.97 on the English pages;
    the thresholds leave room for the corpus to grow without tuning to it.
    """
    pages = demo_pages()
    if len(pages) < 20:
        pytest.skip("demo corpus incomplete")
    found = wanted = tool_hits = tool_got = tool_want = 0
    aliases = catalogue.ALIASES
    for page, title, text in pages:
        cands = extract_candidates(text, title=title)
        for cand in cands:
            assert_verbatim(cand, text)
        if page["kind"] == "no_automation":
            assert cands == [], page["slug"]
        if page["kind"] == "non_english":
            continue  # the extractive strategy reads English only
        types = {c.automation_type for c in cands}
        wanted += len(page["automations"])
        found += sum(a["automation_type"] in types for a in page["automations"])
        want = {aliases.get(t.lower(), t) for a in page["automations"] for t in a["tools"]}
        got = {t for c in cands for t in c.tools}
        tool_hits, tool_got, tool_want = (tool_hits + len(want & got), tool_got + len(got),
                                          tool_want + len(want))
    assert found / wanted >= 0.85
    assert tool_hits / tool_got >= 0.9 and tool_hits / tool_want >= 0.85
