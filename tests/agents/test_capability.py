"""Capability statements: makers' descriptions of what a product, an agent or a recipe does.

The examples are written for this test in the general forms the module names; none is a
sentence of the real-text corpus.
"""

from __future__ import annotations

from reservoir.agents.capability import find_capability, is_statement, observes, product_name
from reservoir.agents.extractive import extract_candidates, split_sentences


def _capability(text: str):
    sentences = [s.text for s in split_sentences(text)]
    return sentences, find_capability(sentences)


def test_a_named_agent_that_acts_names_its_product() -> None:
    text = ("The Zorblix agent receives events from other agents and sends them to a Zorblix "
            "channel.\nSet the channel name in the options.")
    sentences, found = _capability(text)
    assert found is not None and found.key == 0
    assert found.product == "Zorblix" and found.product_sentence == 0


def test_function_names_and_class_names_are_not_products() -> None:
    assert product_name("Gap Detector") is None
    assert product_name("LocalFileAgent") is None
    assert product_name("The Delay Agent") is None
    assert product_name("YakYak") == "YakYak"            # a brand with an inner capital
    assert product_name("Quorvex Connector for Power Automate") == "Quorvex"


def test_a_title_line_names_the_product_of_a_sentence_without_subject() -> None:
    text = ("Quorvex Rates\nProvides access to daily exchange rates through a REST API for "
            "your flows.\nPublisher: someone\nPrerequisites\nAn API key is required.")
    sentences, found = _capability(text)
    assert found is not None and sentences[found.key].startswith("Provides access")
    assert found.product == "Quorvex Rates" and found.product_sentence == 0


def test_a_problem_and_its_solution_go_together() -> None:
    text = ("Problem\nYou want to turn a CSV file into one message per row.\nSolution\n"
            "Use the CSV node to parse the file and split it into messages.\n")
    sentences, found = _capability(text)
    assert found is not None
    assert sentences[found.key].startswith("You want to")
    assert [sentences[i] for i in found.support] == [
        "Use the CSV node to parse the file and split it into messages."]


def test_text_without_software_states_no_capability() -> None:
    text = ("Problem\nYou want to bake a loaf with a crisp crust.\nSolution\n"
            "Use the top shelf and a tray of water for the first twenty minutes.")
    assert _capability(text)[1] is None


def test_title_case_headlines_are_not_statements() -> None:
    assert not is_statement("Zorblix Sends Invoices To Every Customer Automatically Now")
    assert is_statement("The Zorblix agent sends invoices to every customer")


def test_a_maker_description_becomes_one_traced_finding() -> None:
    text = ("Quorvex SMS\nThe Quorvex connector allows you to send and receive SMS messages "
            "from your flows. Replies arrive as events that can start another flow.\n"
            "Prerequisites\nYou need a Quorvex account and an API key.")
    [found] = extract_candidates(text, title="Quorvex SMS")
    assert found.evidence == ["The Quorvex connector allows you to send and receive SMS "
                              "messages from your flows."]
    assert found.tools == ["Quorvex SMS"]  # the title writes the product's full name
    assert all(m.sentence in text and text[m.start:m.end] == m.alias
               for m in found.tool_mentions)
    assert found.automation_type != "other"
    assert found.industries == [] and not found.industry_quotes


def test_the_title_names_the_product_a_page_is_about() -> None:
    text = ("Plano Desk\nZentrio is a suite of chat apps that add features to teams. "
            "Each app has its own purpose.\nPlano Desk is a booking board for shared desks. "
            "This connector allows you to create and cancel desk bookings.\n")
    sentences, found = _capability(text)
    assert found is not None
    assert sentences[found.key].startswith("Plano Desk is a booking board")  # not Zentrio's
    assert found.product == "Plano Desk"  # common words, but the title's name


def test_a_shorter_name_takes_the_titles_fuller_form() -> None:
    text = ("Quorvex CRM\nQuorvex is a sales platform for small teams. "
            "The connector lets you create and update Quorvex records.\n")
    sentences, found = _capability(text)
    assert found is not None and found.product == "Quorvex CRM"
    assert "Quorvex CRM" in sentences[found.product_sentence]


def test_an_agent_title_does_not_extend_the_product() -> None:
    text = ("Pinterest Pins Agent\nThe Pinterest Pins Agent checks for saved Pinterest pins and "
            "emits an event for each new one. It runs every hour.\n")
    found = _capability(text)[1]
    assert found is not None and not found.titled  # "… Agent" names an agent, not a product
    [candidate] = extract_candidates(text, title="Pinterest Pins Agent")
    assert candidate.tools == ["Pinterest"]  # the catalogue's product, not "Pinterest Pins"


def test_a_qualified_software_noun_keeps_its_subject() -> None:
    text = ("The Quorvex community connector allows you to create and update records in your "
            "flows.\nIt needs an API key from the Quorvex portal.")
    sentences, found = _capability(text)
    assert found is not None and found.key == 0 and found.product == "Quorvex"


def test_watching_is_told_from_publishing() -> None:
    assert observes("The Feedly agent watches a feed and emits an event for each new entry.")
    assert observes("This connector subscribes to issue updates in your tracker.")
    assert observes("The Pinterest Pins Agent checks for saved Pinterest pins.")
    assert not observes("The Pinterest agent publishes a pin for each event it receives.")
    assert not observes("The Quorvex connector follows up with customers who did not reply.")
    [candidate] = extract_candidates(
        "Quorvex Watch\nThe Quorvex agent monitors a web page and emits an event when its "
        "content changes. It runs every hour.\n", title="Quorvex Watch")
    assert candidate.automation_type == "reporting"


def test_a_makers_product_that_acts_is_a_tool_of_its_case_passage() -> None:
    text = ("Quorvex Ledger\nQuorvex enables finance teams to automate invoice processing "
            "with OCR, so invoices arriving by email are read and entered into the accounting "
            "system automatically. The connector saves about 10 hours a week of data entry.\n")
    candidates = extract_candidates(text, title="Quorvex Ledger")
    assert candidates and "Quorvex" in candidates[0].tools[0]
    customer = ("Brightpath Partners is a 12-person bookkeeping firm. We automated invoice "
                "processing with Dext and Xero: invoices arriving by email are read and entered "
                "automatically, which saves 10 hours a week of data entry.\n")
    [found] = extract_candidates(customer, title="How we automated invoices")
    assert "Brightpath Partners" not in found.tools  # the customer of a case study, not a tool


def test_the_page_title_names_a_product_of_common_words() -> None:
    sentences = [s.text for s in split_sentences(
        "The Harbor Lights community connector allows you to read tide tables and post them "
        "to a channel.\nIt needs an API key from the Harbor Lights portal.")]
    assert find_capability(sentences).product is None  # common words, nothing says a name
    found = find_capability(sentences, page_title="Harbor Lights")
    assert found is not None and found.product == "Harbor Lights"
    assert find_capability(sentences, page_title="Harbor Lights Agent").product is None


def test_a_name_the_document_links_as_its_domain_is_a_product() -> None:
    text = ("The Beacon agent receives events and sends them as push messages to a phone.\n"
            "You need an application token: https://beacon.example/apps/new")
    sentences, found = _capability(text)
    assert found is not None and found.product == "Beacon"  # a common word, linked as a site
    unlinked = _capability("The Beacon agent receives events and sends them as push messages "
                           "to a phone.\nYou need an application token.")[1]
    assert unlinked is not None and unlinked.product is None
    lower = _capability("The quorvex.ai agent receives events, sends a text query to your "
                        "quorvex.ai instance and emits the outcome as events.")[1]
    assert lower is not None and lower.product == "quorvex.ai"


def test_a_problem_solved_by_a_statement_keeps_the_problem_as_evidence() -> None:
    text = ("Problem\nYou want to turn the rows of a spreadsheet export into CSV strings for "
            "another system.\nSolution\nThe Quorvex node can be used to generate well-formed "
            "CSV strings from such rows.\nDiscussion\nEach row becomes one line of output.")
    sentences, found = _capability(text)
    assert found is not None and sentences[found.key].startswith("You want to turn")
    assert [sentences[j] for j in found.support] == [
        "The Quorvex node can be used to generate well-formed CSV strings from such rows."]
    [candidate] = extract_candidates(text, title="Generate CSV")
    assert candidate.automation_type == "document_automation"  # formats are documents' work
