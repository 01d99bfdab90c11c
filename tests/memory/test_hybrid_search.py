"""Hybrid search on real SQLite and PostgreSQL with embedded Qdrant and the real MiniLM model.

The labelled set: 30 opportunities across the 8 automation types and 30 paraphrased queries;
at least a third of the queries share no keyword with their target (checked below), which
only the dense retriever can bridge, while exact names favour the lexical one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from reservoir.config import Settings
from reservoir.memory.chunking import chunk_text
from reservoir.memory.db import session_scope
from reservoir.memory.embeddings import LocalEmbedder, get_embedder
from reservoir.memory.indexing import chunk_payload, opportunity_payload, opportunity_text
from reservoir.memory.models import Document, DocumentChunk, Opportunity, Source
from reservoir.memory.search import (
    CHUNK_TARGET,
    OPPORTUNITY_TARGET,
    ChunkFilters,
    OpportunityFilters,
    lexical_query,
    load_chunks,
    load_opportunities,
    query_terms,
    search_chunks,
    search_opportunities,
)
from reservoir.memory.vectors import OPPORTUNITIES, VectorStore

# (title, summary, automation_type, industries, tools)
OPPORTUNITIES_SET = [
    ("Website visitor identification for B2B SaaS sales teams", "Match anonymous website traffic to company records via reverse IP lookup and push warm accounts into HubSpot for SDR outreach.", "lead_generation", ["SaaS"], ["HubSpot", "Clearbit"]),  # noqa: E501
    ("Lead qualification chatbot for real estate agencies", "A website chat assistant asks buyers about budget, area and timeline, scores them and books viewings for agents.", "lead_generation", ["Real Estate"], ["Intercom", "Calendly"]),  # noqa: E501
    ("Prospect list building for recruitment agencies", "Use job-change signals and hiring posts to assemble contact lists of hiring managers, enriched with verified emails.", "lead_generation", ["Recruitment", "Staffing"], ["Apollo"]),  # noqa: E501
    ("Local lead scraping for commercial cleaning companies", "Collect new office openings and facility manager contacts from Google Maps and business registries into a CRM pipeline.", "lead_generation", ["Cleaning Services"], ["Google Maps", "Pipedrive"]),  # noqa: E501
    ("AI email triage for law firm client inquiries", "Classify incoming client emails by matter and urgency, draft replies for paralegals and route new case enquiries to the right partner.", "client_communication", ["Legal"], ["Outlook", "Clio"]),  # noqa: E501
    ("WhatsApp order status updates for e-commerce shops", "Send customers shipping confirmations, tracking links and delivery notifications through WhatsApp Business whenever an order changes state.", "client_communication", ["E-commerce", "Retail"], ["Shopify"]),  # noqa: E501
    ("Multilingual support chatbot for hotels", "Answer guest questions about check-in, parking and breakfast in twenty languages, handing off to front desk staff when needed.", "client_communication", ["Hospitality"], ["Zendesk"]),  # noqa: E501
    ("Patient portal message routing for primary care practices", "Sort secure patient messages into prescription refills, test results and billing questions and assign them to nurses or front office.", "client_communication", ["Healthcare"], ["Epic MyChart"]),  # noqa: E501
    ("Invoice data extraction for accounts payable", "OCR supplier invoices from email attachments, extract vendor, amounts and VAT, and create draft bills in Xero for approval.", "document_automation", ["Accounting", "Finance"], ["Xero", "Nanonets"]),  # noqa: E501
    ("Contract clause review for small legal teams", "Flag risky indemnity, termination and liability clauses in incoming NDAs and vendor agreements and produce a redline summary.", "document_automation", ["Legal"], ["DocuSign"]),  # noqa: E501
    ("Mortgage application document checklist", "Collect payslips, bank statements and ID from applicants, check completeness and classify each upload for brokers.", "document_automation", ["Financial Services", "Mortgage"], ["Dropbox"]),  # noqa: E501
    ("Insurance claim form processing", "Read first notice of loss forms and photos, extract policy number and damage details, and open a claim in the core system.", "document_automation", ["Insurance"], ["Guidewire"]),  # noqa: E501
    ("Automated SMS appointment reminders for dental clinics", "Text patients 48 and 2 hours before their visit with confirm or reschedule links to cut no-shows.", "scheduling", ["Dental", "Healthcare"], ["Twilio", "Dentrix"]),  # noqa: E501
    ("Technician route and job scheduling for HVAC contractors", "Assign service calls to technicians by skill and location, optimise daily routes and notify homeowners of arrival windows.", "scheduling", ["HVAC", "Home Services"], ["ServiceTitan"]),  # noqa: E501
    ("Class booking and waitlist management for fitness studios", "Members reserve spots in yoga and spin classes, get promoted from the waitlist and charged late-cancel fees.", "scheduling", ["Fitness"], ["Mindbody"]),  # noqa: E501
    ("Interview scheduling coordination for recruiters", "Find common free slots across candidates and hiring panels, send calendar invites and handle rescheduling automatically.", "scheduling", ["Recruitment", "HR"], ["Google Calendar", "Greenhouse"]),  # noqa: E501
    ("Overdue invoice payment chasing for accounting firms", "Send polite escalating email and SMS nudges to clients with unpaid bills, stopping as soon as payment lands in QuickBooks.", "follow_up", ["Accounting"], ["QuickBooks", "Stripe"]),  # noqa: E501
    ("Post-purchase review requests for online stores", "Ask buyers for a product review a week after delivery and follow up once with a discount code if they do not respond.", "follow_up", ["E-commerce"], ["Shopify", "Klaviyo"]),  # noqa: E501
    ("Abandoned quote follow-up for roofing contractors", "Re-contact homeowners who received a roofing estimate but did not sign, with financing options and seasonal reminders.", "follow_up", ["Construction", "Home Services"], ["Jobber"]),  # noqa: E501
    ("Lapsed patient reactivation for physiotherapy clinics", "Identify patients who stopped attending mid-treatment and invite them back with a personalised message and booking link.", "follow_up", ["Healthcare", "Physiotherapy"], ["Cliniko"]),  # noqa: E501
    ("Weekly marketing KPI dashboard for agencies", "Pull ad spend, clicks and conversions from Google Ads and Meta into a client-ready Looker Studio report every Monday.", "reporting", ["Marketing Agency"], ["Looker Studio", "Google Ads"]),  # noqa: E501
    ("Restaurant daily sales and food cost report", "Combine point-of-sale takings with supplier invoices to compute food cost percentage and email the owner each morning.", "reporting", ["Restaurants", "Hospitality"], ["Toast", "Google Sheets"]),  # noqa: E501
    ("Month-end financial close pack for small businesses", "Generate profit and loss, cash flow and variance commentary from the ledger for bookkeepers to review.", "reporting", ["Accounting"], ["Xero", "Excel"]),  # noqa: E501
    ("Construction project progress reports from site photos", "Turn daily site photos and foreman notes into a weekly progress report for clients with percent complete per trade.", "reporting", ["Construction"], ["Procore"]),  # noqa: E501
    ("AI social media content calendar for real estate agents", "Generate property listing posts, neighbourhood spotlights and market updates and schedule them on Instagram and Facebook.", "marketing", ["Real Estate"], ["Buffer", "Canva"]),  # noqa: E501
    ("Personalised email newsletters for independent bookstores", "Recommend new releases to each subscriber based on past purchases and send a monthly curated newsletter.", "marketing", ["Retail", "Books"], ["Mailchimp"]),  # noqa: E501
    ("Google review response generator for local restaurants", "Draft owner replies to new Google reviews, thanking happy diners and addressing complaints calmly.", "marketing", ["Restaurants"], ["Google Business Profile"]),  # noqa: E501
    ("Employee onboarding checklist automation", "Create accounts, order laptops, assign training and collect signed policies when HR marks a new hire in the HRIS.", "workflow_optimization", ["HR", "Professional Services"], ["BambooHR", "Okta"]),  # noqa: E501
    ("Inventory reorder alerts for auto repair shops", "Track parts stock from the shop management system and raise purchase orders with suppliers when levels drop below minimums.", "workflow_optimization", ["Automotive"], ["Tekmetric"]),  # noqa: E501
    ("Expense receipt approval workflow for consulting firms", "Employees photograph receipts, the system categorises them, checks policy limits and routes to managers for sign-off.", "workflow_optimization", ["Consulting", "Professional Services"], ["Expensify"]),  # noqa: E501
]

# (query, index of the expected opportunity, shares no keyword with it)
QUERIES = [
    ("figure out which firms are browsing our web pages", 0, True),
    ("bot that screens home buyers before property viewings", 1, False),
    ("find hiring managers to pitch our staffing services", 2, False),
    ("get contacts of offices that need janitorial contracts", 3, False),
    ("prioritise attorneys' mailbox automatically", 4, True),
    ("tell buyers where their parcel is via a messaging app", 5, True),
    ("automated concierge for travellers speaking other tongues", 6, True),
    ("triage messages from patients at a GP surgery", 7, False),
    ("read supplier bills and enter them into bookkeeping software", 8, False),
    ("spot dangerous terms in agreements before signing", 9, False),
    ("gather paperwork from home loan applicants", 10, False),
    ("speed up handling of car crash paperwork", 11, True),
    ("stop patients forgetting appointments", 12, False),
    ("dispatch furnace repair crews efficiently", 13, True),
    ("let gym members reserve spots in classes", 14, False),
    ("coordinate candidate meetings with the hiring panel", 15, False),
    ("get customers to settle outstanding balances", 16, True),
    ("ask customers to rate products after they arrive", 17, False),
    ("win back homeowners who got an estimate but never signed", 18, False),
    ("re-engage rehab people who quit halfway", 19, True),
    ("monday client report on ad performance for agencies", 20, False),
    ("track what a bistro spends on ingredients versus revenue", 21, True),
    ("prepare end of month accounts for bookkeepers", 22, False),
    ("summarise building work advancement from pictures", 23, True),
    ("create instagram posts about house listings", 24, False),
    ("suggest books to readers in a monthly email", 25, False),
    ("reply to diner feedback online", 26, False),
    ("set up laptops and accounts for new starters", 27, False),
    ("warn mechanics when spares are running low", 28, True),
    ("staff snap photos of receipts for reimbursement sign-off", 29, False),
]
WEIRD = ["", "   ", "***", "AND OR NOT", "NOT", '"', '"unbalanced quote', "title:dental",
         "NEAR(dental clinic)", "dental*", "^start", "it's", "'; DROP TABLE opportunity; --",
         "%_\\", "a" * 2048, "reminders " * 230, "Zahnärzte Terminerinnerung für Praxen",
         "歯科医院の予約リマインダー", "🦷📅🤖", "\x00\x01 null bytes", "-dental +sms", "(((", "x"]


def _tokens(value: str) -> set[str]:
    return {t for t in re.findall(r"[^\W_]+", value.lower())}


def _shares_keyword(query: str, target: tuple[Any, ...]) -> bool:
    """Same word or same first four letters (a crude stem), ignoring stopwords."""
    words = _tokens(" ".join([target[0], target[1], *target[3], *target[4]]))
    stems = {w[:4] for w in words if len(w) >= 4}
    return any(t in words or (len(t) >= 4 and t[:4] in stems) for t in query_terms(query))


class MemoEmbedder:
    """The real model, with each text embedded once per test session (SQLite + PostgreSQL)."""

    def __init__(self, inner: LocalEmbedder) -> None:
        self.inner, self.name, self.cache = inner, inner.name, {}

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for t, v in zip(missing, self.inner.embed(missing), strict=True):
            self.cache[t] = v
        return [self.cache[t] for t in texts]

    def embed_query(self, text_: str) -> list[float]:
        return self.embed([text_])[0]


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> MemoEmbedder:
    from reservoir.config import load_settings

    inner = get_embedder(load_settings(data_dir=tmp_path_factory.mktemp("m")))
    assert isinstance(inner, LocalEmbedder)
    return MemoEmbedder(inner)


@pytest.fixture
def store(any_settings: Settings, embedder: MemoEmbedder) -> Any:
    vs = VectorStore(any_settings, embedder=embedder)
    yield vs
    vs.close()


def _seed(settings: Settings, store: VectorStore) -> list[int]:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    with session_scope(settings) as session:
        rows = [Opportunity(key=f"opp-{i}", title=t, summary=s, automation_type=a,
                            industries=ind, tools=tools, last_seen=base + timedelta(days=10 * i),
                            first_seen=base, status="approved" if i % 5 == 0 else "new")
                for i, (t, s, a, ind, tools) in enumerate(OPPORTUNITIES_SET)]
        session.add_all(rows)
        session.flush()
        items = [(o.id, opportunity_text(o), opportunity_payload(o)) for o in rows]
        ids = [o.id for o in rows]
    store.upsert_opportunities(items)
    return ids  # type: ignore[return-value]


def test_dataset_is_honest() -> None:
    blind = [q for q, i, no_overlap in QUERIES if no_overlap]
    assert len(blind) >= len(QUERIES) / 3
    for query, index, no_overlap in QUERIES:
        assert _shares_keyword(query, OPPORTUNITIES_SET[index]) is not no_overlap, query
    assert {o[2] for o in OPPORTUNITIES_SET} >= {
        "lead_generation", "client_communication", "document_automation", "scheduling",
        "follow_up", "reporting", "marketing", "workflow_optimization"}


def test_paraphrased_queries_rank_the_right_item(any_settings: Settings, store: VectorStore,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(any_settings, store)
    first: dict[str, int] = {"hybrid": 0, "dense": 0, "lexical": 0}
    misses = []
    for query, index, _ in QUERIES:
        for mode in first:
            hits = search_opportunities(any_settings, query, limit=3, store=store, mode=mode)
            ranked = [h.id for h in hits]
            first[mode] += bool(ranked) and ranked[0] == ids[index]
            if mode == "hybrid":
                assert ids[index] in ranked, (query, ranked)
                if ranked[0] != ids[index]:
                    misses.append(query)
    n = len(QUERIES)
    with capsys.disabled():
        print(f"\n[{any_settings.sqlalchemy_url.split(':')[0]}] top-1 hit rate over {n} "
              f"paraphrased queries: hybrid {first['hybrid'] / n:.0%}, dense-only "
              f"{first['dense'] / n:.0%}, lexical-only {first['lexical'] / n:.0%}; "
              f"hybrid misses: {misses}")
    assert first["hybrid"] >= 0.9 * n
    assert first["hybrid"] >= max(first["dense"], first["lexical"])


def test_exact_names_and_rows(any_settings: Settings, store: VectorStore) -> None:
    ids = _seed(any_settings, store)
    hits = search_opportunities(any_settings, "Dentrix Twilio", store=store)
    assert hits[0].id == ids[12] and hits[0].lexical_rank == 1 and hits[0].dense_rank
    with session_scope(any_settings) as session:
        rows = load_opportunities(session, hits[:2])
        assert rows[0][1].title.startswith("Automated SMS appointment reminders")
        # An open session works too (the caller's transaction, e.g. inside a graph node).
        assert search_opportunities(session, "Dentrix", store=store)[0].id == ids[12]


def test_filters(any_settings: Settings, store: VectorStore) -> None:
    ids = _seed(any_settings, store)
    by_id = dict(zip(ids, OPPORTUNITIES_SET, strict=True))

    def run(**kw: Any) -> list[int]:
        return [h.id for h in search_opportunities(any_settings, "reminders for clients",
                                                   OpportunityFilters(**kw), 30, store=store)]

    assert run(automation_type="scheduling")
    assert all(by_id[i][2] == "scheduling" for i in run(automation_type="scheduling"))
    healthcare = run(industry="healthcare")  # case-insensitive, whole element
    assert set(healthcare) == {ids[7], ids[12], ids[19]}
    assert run(industry="health") == []
    assert set(run(status="approved")) == {ids[i] for i in range(0, 30, 5)}
    since = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=200)
    assert set(run(since=since)) == set(ids[20:])
    assert set(run(until=since - timedelta(seconds=1))) == set(ids[:20])
    assert set(run(since=since, industry="Restaurants", tool="toast")) == {ids[21]}
    with pytest.raises(ValueError):
        run(automation_type="nonsense")
    # An empty query lists recent items, filtered.
    recent = search_opportunities(any_settings, "", OpportunityFilters(status="approved"),
                                  3, store=store)
    assert [h.id for h in recent] == [ids[25], ids[20], ids[15]]


def test_selective_filter_beyond_dense_depth(any_settings: Settings, store: VectorStore,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A filter that excludes the whole dense top-N still gets dense scores (exact pass)."""
    ids = _seed(any_settings, store)
    real = store.dense_search
    monkeypatch.setattr(store, "dense_search", lambda c, v, limit, filter=None: real(c, v, 2))
    hits = search_opportunities(any_settings, "dispatch furnace repair crews efficiently",
                                OpportunityFilters(industry="hvac"), store=store)
    assert [h.id for h in hits] == [ids[13]] and hits[0].dense_rank == 1


def test_stale_points_are_ignored(any_settings: Settings, store: VectorStore) -> None:
    ids = _seed(any_settings, store)
    with session_scope(any_settings) as session:
        session.delete(session.get(Opportunity, ids[12]))
    hits = search_opportunities(any_settings, "dental appointment reminders", store=store)
    assert ids[12] not in [h.id for h in hits]
    assert store.count(OPPORTUNITIES) == 30  # the point is still there, SQL decides


def test_weird_queries_do_not_crash(any_settings: Settings, store: VectorStore) -> None:
    ids = _seed(any_settings, store)
    for query in WEIRD:
        hits = search_opportunities(any_settings, query, OpportunityFilters(), 5, store=store)
        assert len(hits) <= 5 and {h.id for h in hits} <= set(ids), query
        if not query_terms(query):  # nothing to rank by: the most recently seen first
            assert [h.id for h in hits] == ids[::-1][:5], query
            assert search_chunks(any_settings, query, store=store) == [], query
        else:
            search_chunks(any_settings, query, ChunkFilters(source_id=1), store=store)


def test_chunks(any_settings: Settings, store: VectorStore) -> None:
    with session_scope(any_settings) as session:
        src = Source(name="blog", kind="rss", url="https://example.com/feed")
        other = Source(name="forum", kind="rss", url="https://example.org/feed")
        session.add_all([src, other])
        session.flush()
        texts = {
            (src.id, 2023): "Our dental practice lost hours every week calling patients. "
                            "Now an SMS bot confirms visits and no-shows fell by a third.\n\n"
                            + "Filler sentence about the weather. " * 60
                            + "\n\nThe roofing crew still quotes jobs on paper.",
            (other.id, 2025): "We built a scraper that finds facility managers for our "
                              "cleaning business. It fills Pipedrive every morning.",
        }
        chunks: list[tuple[DocumentChunk, Document]] = []
        for n, ((source_id, year), body) in enumerate(texts.items()):
            doc = Document(url=f"https://example.com/{n}", source_id=source_id, title="t",
                           text=body, content_hash=f"h{n}",
                           published_at=datetime(year, 6, 1, tzinfo=UTC))
            session.add(doc)
            session.flush()
            for i, part in enumerate(chunk_text(body, max_words=60, overlap=10)):
                chunk = DocumentChunk(document_id=doc.id, ordinal=i, text=part)
                session.add(chunk)
                chunks.append((chunk, doc))
        session.flush()
        items = [(c.id, c.text, chunk_payload(c, d)) for c, d in chunks]
        src_id = src.id
    assert len(items) >= 4
    store.upsert_chunks(items)
    store.upsert_chunks(items)
    assert store.count("documents") == len(items)
    hits = search_chunks(any_settings, "reduce missed dentist visits", limit=3, store=store)
    with session_scope(any_settings) as session:
        top = load_chunks(session, hits)[0]
        assert "dental practice" in top[1].text and top[2].source_id == src_id
    scoped = search_chunks(any_settings, "cleaning business leads",
                           ChunkFilters(source_id=src_id), store=store)
    with session_scope(any_settings) as session:
        assert scoped and all(d.source_id == src_id for _, _, d in load_chunks(session, scoped))
    later = search_chunks(any_settings, "dental", ChunkFilters(
        since=datetime(2024, 1, 1, tzinfo=UTC)), store=store)
    with session_scope(any_settings) as session:
        assert all(d.published_at.year == 2025 for _, _, d in load_chunks(session, later))
    assert search_chunks(any_settings, "", store=store) == []


def test_postgres_lexical_queries_use_the_gin_indexes(pg_settings: Settings) -> None:
    with session_scope(pg_settings) as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        for target, index in ((OPPORTUNITY_TARGET, "ix_opportunity_fts"),
                              (CHUNK_TARGET, "ix_chunk_fts")):
            filters = OpportunityFilters() if target is OPPORTUNITY_TARGET else ChunkFilters()
            sql, params = lexical_query(session, target, ["dental", "reminders"], filters, 10)
            plan = "\n".join(r[0] for r in session.execute(text("EXPLAIN " + sql), params))
            assert index in plan, plan


def test_words_in_most_rows_are_left_out_of_the_full_text_query(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """bm25 gives them ~0 weight on SQLite; they would only make every row a match."""
    from reservoir.memory import search

    monkeypatch.setattr(search, "COMMON_TERMS_MIN_ROWS", 10)
    monkeypatch.setattr(search, "_DF", {})
    with session_scope(settings) as session:
        session.add_all([Opportunity(key=f"k{i}", title=f"Automation idea number{i}",
                                     summary="reminders" if i < 3 else "reports")
                         for i in range(20)])
        session.flush()
        target = OPPORTUNITY_TARGET
        assert search.informative_terms(session, target, ["automation", "reminders"]) == [
            "reminders"]
        assert search.lexical_ids(session, target, ["automation"], OpportunityFilters(), 50) == []
        assert len(search.lexical_ids(session, target, ["automation", "reminders"],
                                      OpportunityFilters(), 50)) == 3
        # Three words: a row must hold two of them.
        two = search.lexical_ids(session, target, ["reminders", "number1", "zebra"],
                                 OpportunityFilters(), 50)
        assert two == [session.exec(select(Opportunity.id).where(
            Opportunity.key == "k1")).one()]
