"""roi-v2: a source's figure is read with its unit and scaled to the profile, within capacity."""

from __future__ import annotations

import pytest

from reservoir.agents import roi_scale
from reservoir.agents.roi import compute, gather_inputs
from reservoir.memory.models import BusinessProfile, Evidence, Opportunity

REALTY = BusinessProfile(id=1, name="Harborview", industry="real_estate", team_size=12,
                         hourly_rate=55.0, headcount={"agents": 9, "inbound email": 1},
                         monthly_volumes={"leads": 320, "appointments": 140})
INSURANCE = ("The two people who used to route email by hand save about 55 hours a week "
             "between them, and both moved to handling simple claims.")


def _opp(kind: str = "client_communication") -> Opportunity:
    return Opportunity(id=5, key="k", title="Email triage", automation_type=kind,
                       industries=["insurance"], tools=["Zendesk"])


def _evidence(*quotes: str) -> list[Evidence]:
    return [Evidence(id=i, opportunity_id=5, document_id=i, quote=q, quote_hash="")
            for i, q in enumerate(quotes, 1)]


@pytest.mark.parametrize(("sentence", "kind", "people"), [
    (INSURANCE, "group", 2),
    ("Across five SDRs, we save about 25 hours a week of research.", "group", 5),
    ("Our two bookkeepers estimate they save about 9 hours a week each on data entry.",
     "person", 1),
    ("Each recruiter saves about 6 hours a week that used to go into emails.", "person", 1),
    ("Carol estimates she saves about 12 hours a week.", "person", 1),
    ("The receptionist saves about 12 hours a week during tax season.", "person", 1),
    ("The team saves roughly 15 hours a week, which now goes into packaging.", "team", 1),
    ("We save around 6 hours a week on research that we used to do by hand.", "team", 1),
])
def test_the_unit_is_read_from_the_sentence(sentence: str, kind: str, people: float) -> None:
    unit = roi_scale.read_unit(sentence)
    assert (unit.kind, unit.people) == (kind, people)


def test_the_issue_example_reads_as_a_chain_and_scales_to_one_person() -> None:
    opp = _opp()
    result = compute(gather_inputs(opp, _evidence(INSURANCE)), REALTY, opp)
    # 55 / 2 clerks × the 1 person on inbound email = 27.5, more than half of one person's week
    assert result["hours_saved_week"] == 20.0
    chain = result["assumptions"]
    assert (f"source: “{INSURANCE}” → 55 h/week, 2 people → 27.5 h per person → you have 1 on "
            "inbound email → 27.5 h/week → capped at 20 h/week (50% of 1 × 40 h)") in chain
    assert result["method"] == "roi-v2"


def test_without_headcount_the_people_are_assumed_within_a_share_of_the_team() -> None:
    small = BusinessProfile(id=2, name="Solo", industry="real_estate", team_size=3,
                            hourly_rate=50.0)
    opp = _opp()
    result = compute(gather_inputs(opp, _evidence(INSURANCE)), small, opp)
    # one of three people (25 % rounds to 1) at 27.5 h is capped at half a 40-hour week
    assert result["hours_saved_week"] == 20.0
    assert "assumed 1" in result["assumptions"] and "capped at 20 h/week" in result["assumptions"]


def test_a_figure_without_a_unit_is_bounded_by_a_share_of_capacity() -> None:
    tiny = BusinessProfile(id=3, name="Two", industry="retail", team_size=2, hourly_rate=30.0)
    opp = _opp("reporting")
    quote = "The team saves roughly 15 hours a week, which now goes into packaging."
    result = compute(gather_inputs(opp, _evidence(quote)), tiny, opp)
    assert result["hours_saved_week"] == 8.0  # 10 % of 2 × 40 h
    assert "bounded by 10% of your team's 80 h/week = 8 h → capped at 8 h/week" in \
        result["assumptions"]


def test_a_per_item_figure_scales_with_the_profile_volume() -> None:
    opp = _opp("document_automation")
    quote = "With roughly 35 new patients a week, the front desk saves about 7 hours a week."
    result = compute(gather_inputs(opp, _evidence(quote)), REALTY, opp)
    # 7 h over 35 a week = 12 min per appointment; 140 appointments/month = 32.3/week
    assert result["hours_saved_week"] == pytest.approx(7 / 35 * 140 / (52 / 12), abs=0.01)
    assert "12 min per appointment" in result["assumptions"]
    assert "you have 140 appointments/month" in result["assumptions"]
    without = BusinessProfile(id=4, name="No volumes", industry="medical", team_size=6,
                              hourly_rate=45.0)
    assert compute(gather_inputs(opp, _evidence(quote)), without, opp)["hours_saved_week"] == 7


def test_a_saving_per_invoice_times_the_monthly_invoices() -> None:
    opp = _opp("document_automation")
    quote = "The robot saves us 6 minutes per invoice on data entry."
    books = BusinessProfile(id=6, name="Books", industry="accounting", team_size=5,
                            hourly_rate=75.0, monthly_volumes={"invoices": 433})
    scaled = roi_scale.scale_hours([], [quote], books, opp.automation_type)
    assert scaled is not None and scaled.value == pytest.approx(0.1 * 433 / (52 / 12), rel=1e-3)


@pytest.mark.parametrize("team", [1, 2, 5, 12, 40])
def test_no_saving_exceeds_the_profile_capacity(team: int) -> None:
    profile = BusinessProfile(id=7, name="P", industry="insurance", team_size=team,
                              hourly_rate=50.0)
    opp = _opp()
    huge = "Our 40 clerks save about 2000 hours a week between them."
    for quotes in ([INSURANCE], [huge], ["The team saves 300 hours a week."]):
        result = compute(gather_inputs(opp, _evidence(*quotes)), profile, opp)
        assert result["hours_saved_week"] <= roi_scale.capacity(profile) * roi_scale.TEAM_SHARE
        assert result["hours_saved_week"] > 0


def test_a_per_seat_price_is_multiplied_by_the_seats_needed() -> None:
    opp = _opp()
    quote = "The inbox tool costs $20 per user per month."
    office = BusinessProfile(id=8, name="Office", industry="insurance", team_size=8,
                             hourly_rate=40.0, headcount={"support": 3})
    result = compute(gather_inputs(opp, _evidence(quote)), office, opp)
    assert result["tool_cost_month"] == 60.0
    assert "$20/month per seat; you have 3 on support → $60/month" in result["assumptions"]


def test_one_person_is_not_multiplied_by_another_function() -> None:
    """"She saves 7 hours" on list building is not 9 agents × 7 hours for a realty office."""
    opp = _opp("lead_generation")
    quote = "She estimates the automation saves her about 7 hours a week of list building."
    result = compute(gather_inputs(opp, _evidence(quote)), REALTY, opp)
    assert result["hours_saved_week"] == 7.0
    assert "you have 9 on agents, maybe not the same work: counted as the source's 1" in \
        result["assumptions"]
