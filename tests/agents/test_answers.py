"""Sentence selection, extractive answers, citation numbering and the model-answer check."""

from __future__ import annotations

from reservoir.agents import answers, relevance
from reservoir.agents.relevance import Candidate


def _c(text: str, doc: int, score: float, opp: int | None = None, claim: bool = False) -> Candidate:
    return Candidate(text=text, document_id=doc, url=f"https://e.com/{doc}", title=f"Page {doc}",
                     opportunity_id=opp, opportunity_title=f"Opportunity {opp}" if opp else None,
                     tools=("Twilio",) if opp else (), score=score, claim=claim)


def test_select_keeps_relevant_pages_claims_first() -> None:
    ranked = relevance.rank([
        _c("The no-show rate fell to 7 percent by the end of the quarter.", 1, 0.60),
        _c("We automated appointment reminders with Twilio, 48 hours before.", 1, 0.30, 7, True),
        _c("Patients reply C to confirm or R to reschedule the visit.", 1, 0.55),
        _c("A vet clinic sends review requests two days after a visit.", 2, 0.45),
        _c("A cake recipe with lemons and olive oil, baked for 40 minutes.", 3, 0.20),
    ])
    kept = relevance.select(ranked, threshold=0.36, gap=0.10)
    assert [c.document_id for c in kept] == [1, 1]  # page 2 is 0.15 below the best page
    assert kept[0].claim  # the automation leads although a passage sentence scored higher
    assert relevance.select(ranked, threshold=0.36, gap=None)[-1].document_id == 2
    assert relevance.select(ranked, threshold=0.7) == []


def test_a_sentence_naming_its_title_stands_for_it() -> None:
    """A product-name title says little; a sentence that names it says what it means."""
    named = Candidate(text="The Gap Detector Agent watches a stream of events for gaps.",
                      document_id=1, url="u1", title="Gap Detector Agent")
    unnamed = Candidate(text="For example, a timeout can be set in case a sensor stops.",
                        document_id=2, url="u2", title="Gap Detector Agent")
    assert relevance.names_title(named)
    assert not relevance.names_title(unnamed)
    assert not relevance.names_title(Candidate(text="Gap Detectors Agents watch streams.",
                                               document_id=3, url="u3", title="Gap Detector"))
    heading = "Stop qualifying leads by hand: our routing setup"  # a description, not a name
    assert not relevance.names_title(Candidate(text=f"{heading} Ledgerly sells software.",
                                               document_id=4, url="u4", title=heading))
    question, title = [1.0, 0.0], [0.0, 1.0]  # the title alone is unlike the question
    scored = relevance.score("alert when a sensor stops", question, [named, unnamed],
                             [[0.8, 0.6], [0.8, 0.6]], [[title], [title]])
    by_doc = {c.document_id: c for c in scored}
    assert by_doc[1].parts[1] == by_doc[1].parts[0] == 0.8
    assert by_doc[2].parts[1] == 0.0
    assert scored[0].document_id == 1


def test_a_sentence_sending_the_reader_to_another_page_does_not_answer_for_its_own() -> None:
    """"use the Feed Writer" on the reader's page says the other page answers."""
    pointer = Candidate(text="If you want to publish a feed, use the FeedWriter instead.",
                        document_id=1, url="u1", title="Feed Reader")
    writer = Candidate(text="The Feed Writer publishes received items as a feed.",
                       document_id=2, url="u2", title="Feed Writer")
    own = Candidate(text="To write notes, use the Feed Reader's notes option.",
                    document_id=1, url="u1", title="Feed Reader")
    others = {1: ["Feed Reader"], 2: ["Feed Writer"]}
    assert relevance.points_elsewhere(pointer, others)  # written together or apart
    assert not relevance.points_elsewhere(writer, others)
    assert not relevance.points_elsewhere(own, others)  # its own name
    mention = Candidate(text="The Feed Writer is faster than this page's tool.",
                        document_id=1, url="u1", title="Feed Reader")
    assert not relevance.points_elsewhere(mention, others)  # named, not pointed to
    question = [1.0, 0.0]
    scored = relevance.score("publish a feed", question, [pointer, writer],
                             [[0.9, 0.1], [0.7, 0.3]], [[[0.9, 0.1]], [[0.7, 0.3]]])
    assert scored[0].document_id == 2
    assert next(c for c in scored if c.document_id == 1).score == 0.0
    reading = Candidate(text="The Feed Reader checks a feed every hour for new items.",
                        document_id=1, url="u1", title="Feed Reader")
    vectors = [[0.9, 0.1], [0.7, 0.3], [0.6, 0.4]]
    titles = [[[0.9, 0.1]], [[0.7, 0.3]], [[0.9, 0.1]]]
    scored = relevance.score("publish a feed", question, [pointer, writer, reading], vectors, titles)
    assert [c.document_id for c in scored if c.score > 0] == [2]  # the page defers to the one it names
    scored = relevance.score("publish a feed", question, [pointer, writer, reading],
                             [[0.1, 0.9], [0.7, 0.3], [0.6, 0.4]], titles)
    assert {c.document_id for c in scored if c.score > 0} == {1, 2}  # the pointer was not its best


def test_compose_cites_each_document_once_in_order_of_first_use() -> None:
    selected = [_c("We automated appointment reminders with Twilio and Acuity.", 5, 0.6, 1, True),
                _c("Patients reply C to confirm or R to reschedule.", 5, 0.5, 1),
                _c("Review requests go out two days after each visit.", 9, 0.4, 2, True)]
    text, citations = answers.compose(selected)
    lines = text.splitlines()
    assert lines[0] == "We automated appointment reminders with Twilio and Acuity. [1]"
    assert "[1][1]" not in text and "[2][2]" not in text
    assert [c["n"] for c in citations] == [1, 2] and [c["document_id"] for c in citations] == [5, 9]
    assert citations[0]["quote"] == ("We automated appointment reminders with Twilio and Acuity. … "
                                     "Patients reply C to confirm or R to reschedule.")
    assert any(line.endswith("[2]") for line in lines)


def test_nothing_relevant_says_so_without_citations() -> None:
    assert answers.compose([]) == (answers.NOTHING, [])


def test_compose_by_cost_uses_quoted_costs_only() -> None:
    candidates = [_c("Reminders with Twilio.", 1, 0.5, 1, True),
                  _c("Intake forms with Jotform.", 2, 0.4, 2, True),
                  _c("Review requests with Zapier.", 3, 0.3, 3, True)]
    costs = {1: (65.0, {"quote": "Twilio costs us about $65 per month.", "document_id": 1,
                        "url": "https://e.com/1", "title": "Page 1"}),
             2: (39.0, {"quote": "The Jotform plan costs $39 per month.", "document_id": 2,
                        "url": "https://e.com/2", "title": "Page 2"}),
             3: None}
    text, citations, order = answers.compose_by_cost(candidates, costs)
    assert order == [2, 1, 3]
    assert text.startswith("The cheapest by the costs its sources quote is Opportunity 2.")
    assert "$39 a month" in text and "no tool cost is quoted" in text
    assert [c["document_id"] for c in citations] == [2, 1, 3]


def test_check_generated_drops_unsupported_and_unretrieved() -> None:
    citations = [{"n": 1, "document_id": 5, "url": "u1", "title": "t1",
                  "quote": "We automated our appointment reminders with Twilio, 48 hours before the visit."},
                 {"n": 2, "document_id": 9, "url": "u2", "title": "t2",
                  "quote": "Zapier sends a review request two days after a visit."}]
    generated = ("Dental practices send automated appointment reminders with Twilio 48 hours before "
                 "the visit [1]. Reminders cut no-shows by 90 percent [1]. They also use Salesforce [3]. "
                 "Review requests go out two days after a visit [2].")
    text, kept = answers.check_generated(generated, citations)
    assert "90 percent" not in text and "Salesforce" not in text and "[3]" not in text
    assert text.startswith("Dental practices send automated appointment reminders")
    assert [c["n"] for c in kept] == [1, 2] and [c["document_id"] for c in kept] == [5, 9]
    assert answers.check_generated("Bread needs flour [4].", citations) == ("", [])


def test_check_generated_renumbers_in_order_of_first_use() -> None:
    citations = [{"n": 1, "document_id": 5, "url": "u1", "title": "t1",
                  "quote": "Invoices are sent by Jobber."},
                 {"n": 2, "document_id": 9, "url": "u2", "title": "t2",
                  "quote": "Visit reminders come from Jobber."}]
    text, kept = answers.check_generated(
        "Visit reminders come from Jobber [2]. Jobber sends invoices [1].", citations)
    assert text == "Visit reminders come from Jobber [1]. Jobber sends invoices [2]."
    assert [(c["n"], c["document_id"]) for c in kept] == [(1, 9), (2, 5)]


def test_check_generated_judges_each_claim_of_a_list() -> None:
    citations = [{"n": 1, "document_id": 5, "url": "u1", "title": "t1",
                  "quote": "Jobber sends visit reminders the day before."},
                 {"n": 2, "document_id": 9, "url": "u2", "title": "t2",
                  "quote": "Housecall Pro emails the invoice when the job is closed."}]
    text, kept = answers.check_generated(
        "The reservoir holds: Jobber visit reminders [1]; Salesforce forecasting [2]; "
        "Housecall Pro invoices emailed when the job is closed [2]. An uncited remark.", citations)
    assert text == "The reservoir holds: Jobber visit reminders [1]; Housecall Pro invoices emailed when " \
                   "the job is closed [2]."
    assert [c["document_id"] for c in kept] == [5, 9]
