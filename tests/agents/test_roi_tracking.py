"""The loop: an implementation recorded with actuals changes the next projection of a similar
opportunity, and the report says it is measured."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from reservoir.agents import roi, writer
from reservoir.config import Settings
from reservoir.graphs import runner
from reservoir.graphs.discovery import opportunities_to_score
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, upsert_document
from reservoir.memory.implementations import TrackIn, track
from reservoir.memory.models import Report, RoiEstimate
from reservoir.memory.opportunities import EvidenceIn, OpportunityIn, create_opportunity
from reservoir.memory.profiles import upsert_profile

A_QUOTE = "Our office manager saves about 10 hours a week on reminder calls with Twilio."
B_QUOTE = "The front desk saves about 12 hours a week since Twilio texts every client."


def _seed(settings: Settings) -> tuple[int, int, int, int]:
    """Two similar scheduling opportunities (Twilio), one unrelated, one profile."""
    with session_scope(settings) as session:
        ids = []
        for i, (kind, tools, quote) in enumerate([
                ("scheduling", ["Twilio"], A_QUOTE), ("scheduling", ["Twilio", "Calendly"], B_QUOTE),
                ("reporting", ["Looker Studio"], "We save 6 hours a week on the monthly report.")]):
            doc = upsert_document(session, DocumentIn(
                url=f"https://example.com/{i}", title=f"Case {i}", text=quote)).document
            opp = create_opportunity(session, OpportunityIn(
                key=f"k{i}", title=f"Case {i}", summary=quote, automation_type=kind,
                industries=["dental"], tools=tools,
                evidence=[EvidenceIn(document_id=doc.id, quote=quote)]))  # type: ignore[arg-type]
            ids.append(opp.id)
        profile = upsert_profile(session, {"name": "Smile Dental", "industry": "dental",
                                           "team_size": 6, "hourly_rate": 40.0,
                                           "headcount": {"front desk": 1}})
        return ids[0], ids[1], ids[2], profile.id  # type: ignore[return-value]


def _estimate(settings: Settings, opp_id: int, profile_id: int) -> RoiEstimate:
    with session_scope(settings) as session:
        return session.exec(select(RoiEstimate).where(
            RoiEstimate.opportunity_id == opp_id, RoiEstimate.profile_id == profile_id)).one()


def test_actuals_calibrate_the_next_projection_of_a_similar_opportunity(
        any_settings: Settings) -> None:
    settings = any_settings
    a, b, other, pid = _seed(settings)
    deps = runner.make_deps(settings)
    roi.score_opportunities(deps, [a, b, other], [pid])
    before_b, before_other = _estimate(settings, b, pid), _estimate(settings, other, pid)
    assert before_b.measured_count == 0 and before_b.hours_saved_week == 12.0

    with session_scope(settings) as session:
        from reservoir.memory.models import BusinessProfile

        profile = session.get(BusinessProfile, pid)
        track(session, profile, a, TrackIn(status="in_progress"))  # type: ignore[arg-type]
        row = track(session, profile, a, TrackIn(  # type: ignore[arg-type]
            status="implemented", actual_hours_saved_week=3.0, actual_setup_hours=20.0))
        assert row.projected_hours_saved_week == 10.0  # the projection when tracking began
        assert row.started_at is not None and row.implemented_at is not None

    stale = opportunities_to_score(deps, [], [pid])
    assert b in stale and other not in stale  # only the implemented type is re-scored
    roi.score_opportunities(deps, stale, [pid])
    after_b = _estimate(settings, b, pid)
    # (2 × 12 + 3) / (2 + 1) = 9: shrunk towards the measured 3 h/week
    assert after_b.hours_saved_week == 9.0 and after_b.measured_count == 1
    assert after_b.monthly_net_value < before_b.monthly_net_value
    assert "measured by 1 implementation(s) (Smile Dental: 3 h/week measured)" in \
        after_b.assumptions
    assert _estimate(settings, other, pid).hours_saved_week == before_other.hours_saved_week

    report_id = asyncio.run(writer.write_report(deps, None, pid))
    with session_scope(settings) as session:
        stored = session.get(Report, report_id)
        markdown, html = stored.markdown, stored.html  # type: ignore[union-attr]
    assert "## Projected vs actual" in markdown and "| Case 0 | 10 | 3 | 20 | – |" in markdown
    assert "<svg" in html and "actual 3 h/week" in html
    assert "<td>Case 0</td><td>10 → 3</td>" in html  # the table beside the plot
    sections = {part.split("\n", 1)[0]: part for part in markdown.split("\n### ")[1:]}
    (measured,) = [text for head, text in sections.items() if head.endswith("Case 1")]
    assert "measured by 1 implementation(s)" in measured
    (unmeasured,) = [text for head, text in sections.items() if head.endswith("Case 2")]
    assert "measured by" not in unmeasured


@pytest.mark.parametrize(("steps", "message"), [
    (["abandoned", "in_progress"], "cannot go from abandoned to in_progress"),
    (["bookmarked", "shipped"], "unknown status 'shipped'"),
])
def test_impossible_steps_are_refused(settings: Settings, steps: list[str], message: str) -> None:
    a, _, _, pid = _seed(settings)
    with session_scope(settings) as session, pytest.raises(ValueError, match=message):
        from reservoir.memory.models import BusinessProfile

        profile = session.get(BusinessProfile, pid)
        for status in steps:
            track(session, profile, a, TrackIn(status=status))  # type: ignore[arg-type]


def test_actuals_need_an_implemented_status(settings: Settings) -> None:
    a, _, _, pid = _seed(settings)
    with session_scope(settings) as session, pytest.raises(ValueError, match="implemented"):
        from reservoir.memory.models import BusinessProfile

        track(session, session.get(BusinessProfile, pid), a,  # type: ignore[arg-type]
              TrackIn(status="in_progress", actual_hours_saved_week=2.0))
