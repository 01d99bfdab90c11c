"""Fit: a challenge counts only when the evidence is close to it; industries only as stated."""

from __future__ import annotations

import pytest

from reservoir.agents import fit
from reservoir.agents.writer import rank_line
from reservoir.config import Settings
from reservoir.memory.models import BusinessProfile, Opportunity, RoiEstimate

REALTY = BusinessProfile(id=1, name="Harborview", industry="real_estate", team_size=12,
                         hourly_rate=55.0, current_tools=["Follow Up Boss"],
                         challenges=["Online leads wait hours for a first call, especially in the "
                                     "evening",
                                     "Agents write listing descriptions and social posts from "
                                     "scratch"])
ROUTING = ("We automated lead routing with Zapier and Follow Up Boss: every new lead from any "
           "source is created as a contact, assigned to the next agent in a round robin, and "
           "announced by a Twilio text to that agent within a minute.")
MAINTENANCE = ("Tenants now submit maintenance requests through a Typeform, which creates a "
               "record in Airtable and posts the job to a Slack channel where our technicians "
               "claim it.")


def _opp(kind: str, industries: list[str], tools: list[str] | None = None) -> Opportunity:
    return Opportunity(id=1, key="k", title="t", automation_type=kind, industries=industries,
                       tools=tools or [])


BOOKS = BusinessProfile(id=2, name="Nguyen", industry="accounting", team_size=5, hourly_rate=75,
                        current_tools=["QuickBooks"],
                        challenges=["Month-end close waits on missing receipts from clients",
                                    "Monthly management reports are built by hand in spreadsheets"])
REPORTING = ("So basically I automated the monthly reporting with Make, QuickBooks and Google "
             "Sheets, and I only write the commentary now.")


def test_a_close_challenge_is_quoted_with_the_evidence() -> None:
    result = fit.profile_fit(_opp("reporting", ["accounting"], ["QuickBooks"]), BOOKS,
                             [ROUTING, REPORTING])
    assert result.industry == "own"
    assert result.factor == round(fit.OWN_INDUSTRY * fit.TOOLS_BONUS * fit.CHALLENGE_BONUS, 3)
    reason = result.reasons[-1]
    assert reason.startswith("addresses your challenge “Monthly management reports are built")
    assert f"its source says “{REPORTING}”" in reason
    other = fit.profile_fit(_opp("lead_generation", ["accounting"]), BOOKS, [ROUTING])
    assert not any("challenge" in r for r in other.reasons)


def test_shared_words_are_not_a_match() -> None:
    """The issue's case: a maintenance workflow does not address listing descriptions."""
    result = fit.profile_fit(_opp("workflow_optimization", ["real_estate"]), REALTY, [MAINTENANCE])
    assert not any("challenge" in r for r in result.reasons)
    assert result.factor == fit.OWN_INDUSTRY


def test_another_industry_is_a_stated_transfer_and_none_is_unspecified() -> None:
    transfer = fit.industry_fit(_opp("client_communication", ["insurance"]), REALTY)
    assert transfer.industry == "transfer" and transfer.factor == fit.TRANSFER
    assert transfer.reasons == ["seen in insurance; applies wherever inbound emails and "
                                "messages are read and answered by hand"]
    unknown = fit.industry_fit(_opp("scheduling", []), REALTY)
    assert unknown.industry == "unspecified" and "state no industry" in unknown.reasons[0]


def test_the_rank_line_explains_the_product() -> None:
    roi = RoiEstimate(opportunity_id=1, profile_id=1, hours_saved_week=5, hourly_value=55,
                      setup_hours=10, tool_cost_month=50, monthly_net_value=1000.0,
                      confidence=0.5, method="roi-v2", fit=1.8, rank_value=900.0,
                      measured_count=2)
    line = rank_line(_opp("scheduling", ["dental"]), roi, REALTY)
    assert line == ("$1,000/month expected × fit 1.80 × confidence 50% = 900; "
                    "measured by 2 implementation(s)")
    old = RoiEstimate(opportunity_id=1, profile_id=1, hours_saved_week=5, hourly_value=55,
                      setup_hours=10, tool_cost_month=50, monthly_net_value=1000.0,
                      confidence=0.5, method="roi-v1")  # no fit stored: its stated industry
    assert rank_line(_opp("scheduling", ["dental"]), old, REALTY) == \
        "$1,000/month expected × fit 0.60 × confidence 50% = 300"


def test_a_scoring_pass_embeds_its_texts_in_one_batch(settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Challenges × every opportunity's claims: one `encode` call, however many pairs; the
    pass's challenge types come from the same vectors, and a second pass embeds nothing."""
    from reservoir.agents import prototypes, roi
    from reservoir.deps import Deps
    from reservoir.llm import LlmClient
    from reservoir.memory.db import session_scope
    from reservoir.memory.documents import DocumentIn, upsert_document
    from reservoir.memory.embeddings import LocalEmbedder
    from reservoir.memory.opportunities import EvidenceIn, OpportunityIn, create_opportunity
    from reservoir.memory.profiles import upsert_profile

    if prototypes._model() is None or fit._embedder() is None:  # loads both before counting
        pytest.skip("the bundled MiniLM is not available")
    claims = [f"{text} (batch test {i})" for i, text in enumerate([ROUTING, MAINTENANCE, REPORTING])]
    with session_scope(settings) as session:
        opp_ids = []
        for i, (claim, kind) in enumerate(zip(claims, ["lead_generation", "workflow_optimization",
                                                       "reporting"], strict=True)):
            doc = upsert_document(session, DocumentIn(url=f"https://example.com/b{i}",
                                                      title=f"B{i}", text=claim)).document
            opp_ids.append(create_opportunity(session, OpportunityIn(
                key=f"b{i}", title=f"B{i}", summary=claim, automation_type=kind,
                evidence=[EvidenceIn(document_id=doc.id, quote=claim)])).id)  # type: ignore[arg-type]
        profile_ids = [upsert_profile(session, {
            "name": f"P{n}", "industry": "accounting", "team_size": 5, "hourly_rate": 75.0,
            "challenges": [f"{c} (batch test profile {n})" for c in BOOKS.challenges]}).id
            for n in range(2)]
    calls: list[int] = []
    original = LocalEmbedder.encode
    monkeypatch.setattr(LocalEmbedder, "encode",
                        lambda self, texts: calls.append(len(texts)) or original(self, texts))
    deps = Deps(settings=settings, llm=LlmClient(settings))
    roi.score_opportunities(deps, opp_ids, profile_ids)  # type: ignore[arg-type]
    assert calls == [len(claims) + 2 * len(BOOKS.challenges)]
    roi.score_opportunities(deps, opp_ids, profile_ids)  # type: ignore[arg-type]
    assert len(calls) == 1


def test_a_full_cache_starts_afresh_without_losing_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound the cache is emptied, and the texts asked for are all there after it."""
    if fit._embedder() is None:
        pytest.skip("the bundled MiniLM is not available")
    monkeypatch.setitem(fit._STATE, "cache", {})
    monkeypatch.setattr(fit, "CACHE_MAX", 3)
    fit.prepare([BOOKS.challenges[0]], [REPORTING])
    vectors = fit._vectors([BOOKS.challenges[0], ROUTING, MAINTENANCE])  # 2 + 2 new > 3
    assert set(vectors) == {BOOKS.challenges[0], ROUTING, MAINTENANCE}
    assert REPORTING not in fit._STATE["cache"]
