"""Opportunities: checked ranges, evidence merging, filters and pagination on both databases."""

import pytest
from sqlalchemy.exc import IntegrityError

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.documents import DocumentIn, upsert_document
from reservoir.memory.models import Opportunity, RoiEstimate
from reservoir.memory.opportunities import (
    EvidenceIn,
    OpportunityIn,
    OpportunityQuery,
    create_opportunity,
    evidence_for,
    list_opportunities,
    merge_into,
    set_status,
)
from reservoir.memory.profiles import upsert_profile


def _opp(key: str, doc_id: int, type_: str = "scheduling", **kw: object) -> OpportunityIn:
    return OpportunityIn(key=key, title=f"Opp {key}", summary="s", automation_type=type_,
                         evidence=[EvidenceIn(doc_id, f"quote for {key}")], **kw)  # type: ignore[arg-type]


def test_merge_adds_mentions_without_duplicates(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        d1 = upsert_document(db, DocumentIn(url="https://a.test/1", title="", text="one")).document
        d2 = upsert_document(db, DocumentIn(url="https://a.test/2", title="", text="two")).document
        opp = create_opportunity(db, _opp("k", d1.id, tools=["Twilio"]))
        assert opp.mentions == 1
        assert merge_into(db, opp, _opp("k", d2.id, tools=["twilio", "Acuity Scheduling"])) == 1
        assert merge_into(db, opp, _opp("k", d2.id)) == 0
        assert opp.mentions == 2
        assert opp.tools == ["Twilio", "Acuity Scheduling"]
        evidence = evidence_for(db, [opp.id])[opp.id]
        assert {e["url"] for e in evidence} == {"https://a.test/1", "https://a.test/2"}


def test_filters_and_pagination(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        doc = upsert_document(db, DocumentIn(url="https://a.test/x", title="", text="x")).document
        for i in range(7):
            create_opportunity(db, _opp(f"k{i}", doc.id, "scheduling" if i % 2 else "reporting",
                                        industries=["healthcare" if i < 3 else "real_estate"]))
        set_status(db, 1 if not any_settings.is_postgres else _first_id(db), "approved")
        page = list_opportunities(db, OpportunityQuery(automation_type="reporting"), limit=2)
        assert page.total == 4 and len(page.items) == 2
        assert page.items[0].id > page.items[1].id  # newest first
        assert list_opportunities(db, OpportunityQuery(industry="healthcare")).total == 3
        assert list_opportunities(db, OpportunityQuery(status="approved")).total == 1
        assert list_opportunities(db, limit=5, offset=5).total == 7
        with pytest.raises(ValueError, match="unknown automation type"):
            list_opportunities(db, OpportunityQuery(automation_type="magic"))
        with pytest.raises(ValueError, match="limit"):
            list_opportunities(db, limit=0)


def _first_id(db) -> int:  # type: ignore[no-untyped-def]
    return min(o.id for o in list_opportunities(db, limit=100).items)


@pytest.mark.parametrize("field,value", [("complexity", 11), ("demand", 101),
                                         ("automation_type", "magic"), ("status", "maybe")])
def test_checked_ranges(any_settings: Settings, field: str, value: object) -> None:
    with pytest.raises(IntegrityError), session_scope(any_settings) as db:
        opp = Opportunity(key="bad", title="t", summary="s")
        setattr(opp, field, value)
        db.add(opp)


def test_roi_confidence_range_and_uniqueness(any_settings: Settings) -> None:
    with session_scope(any_settings) as db:
        profile = upsert_profile(db, {"name": "p", "industry": "accounting"})
        opp = Opportunity(key="k", title="t", summary="s")
        db.add(opp)
        db.flush()
        ids = (opp.id, profile.id)
    base = dict(hours_saved_week=1, hourly_value=50, setup_hours=2, tool_cost_month=10,
                monthly_net_value=100, method="roi-v1")
    with pytest.raises(IntegrityError), session_scope(any_settings) as db:
        db.add(RoiEstimate(opportunity_id=ids[0], profile_id=ids[1], confidence=1.5, **base))
    with session_scope(any_settings) as db:
        db.add(RoiEstimate(opportunity_id=ids[0], profile_id=ids[1], confidence=0.5, **base))
    with pytest.raises(IntegrityError), session_scope(any_settings) as db:
        db.add(RoiEstimate(opportunity_id=ids[0], profile_id=ids[1], confidence=0.4, **base))


def test_underscore_and_percent_are_not_wildcards(any_settings: Settings) -> None:
    """One filter, one SQL builder: the list query and search both match `_` and `%` literally."""
    from reservoir.memory.filters import OpportunityFilter
    from reservoir.memory.search import OPPORTUNITY_TARGET, lexical_ids

    with session_scope(any_settings) as db:
        doc = upsert_document(db, DocumentIn(url="https://a.test/w", title="", text="w")).document
        wanted = create_opportunity(db, _opp("re", doc.id, industries=["real_estate"],
                                             tools=["100%Tool"]))
        create_opportunity(db, _opp("rx", doc.id, industries=["realXestate"],
                                    tools=["100XTool"]))
        for filter_ in (OpportunityFilter(industry="real_estate"),
                        OpportunityFilter(tool="100%tool"),
                        OpportunityFilter(industry="REAL_ESTATE", tool="100%TOOL")):
            listed = list_opportunities(db, filter_)
            assert [o.id for o in listed.items] == [wanted.id], filter_
            found = lexical_ids(db, OPPORTUNITY_TARGET, ["opp"], filter_, 10)
            assert found == [wanted.id], filter_
        assert list_opportunities(db, OpportunityFilter(industry="real%")).total == 0
        assert list_opportunities(db, OpportunityFilter(ids=[wanted.id])).total == 1
        assert list_opportunities(db, OpportunityFilter(ids=[])).total == 0
