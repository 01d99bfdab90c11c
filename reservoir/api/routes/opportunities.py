"""Opportunities: filtered lists, hybrid search, detail with evidence and ROI, status changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session, select

from reservoir.agents.verify import field_traces
from reservoir.api.deps import AUTH, DbId, PageDep, SessionDep, SettingsDep
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import (
    AutomationType,
    EvidenceOut,
    OpportunityDetail,
    OpportunityHit,
    OpportunityOut,
    OpportunityPatch,
    OpportunityStatus,
    Page,
    RoiOut,
)
from reservoir.memory import opportunities as opp_queries
from reservoir.memory import search as search_queries
from reservoir.memory.embeddings import EmbeddingError
from reservoir.memory.indexing import status_changed
from reservoir.memory.models import BusinessProfile, Opportunity, RoiEstimate
from reservoir.memory.vectors import VectorStoreError, get_vector_store

router = APIRouter(prefix="/opportunities", tags=["opportunities"], dependencies=AUTH)

Text = Annotated[str | None, Query(min_length=1, max_length=200)]
SEARCH_MAX = 100


def _roi(session: Session, opp_id: int) -> list[RoiOut]:
    rows = session.exec(
        select(RoiEstimate, BusinessProfile.name)
        .join(BusinessProfile, BusinessProfile.id == RoiEstimate.profile_id)
        .where(RoiEstimate.opportunity_id == opp_id).order_by(BusinessProfile.name)
    ).all()
    return [RoiOut(profile_id=r.profile_id, profile_name=name, hours_saved_week=r.hours_saved_week,
                   hourly_value=r.hourly_value, setup_hours=r.setup_hours, tool_cost_month=r.tool_cost_month,
                   monthly_net_value=r.monthly_net_value, payback_months=r.payback_months,
                   confidence=r.confidence, assumptions=r.assumptions, method=r.method,
                   low_monthly_value=r.low_monthly_value, high_monthly_value=r.high_monthly_value,
                   payback_low_months=r.payback_low_months,
                   payback_high_months=r.payback_high_months, sources_count=r.sources_count,
                   measured_count=r.measured_count, fit=r.fit, fit_reasons=r.fit_reasons,
                   rank_value=r.rank_value, updated_at=r.updated_at) for r, name in rows]


def _detail(session: Session, opp: Opportunity) -> OpportunityDetail:
    evidence = opp_queries.evidence_for(session, [opp.id])[opp.id]
    return OpportunityDetail(**OpportunityOut.fields_of(opp),
                             evidence=[EvidenceOut(**e) for e in evidence],
                             traces=field_traces(opp.tools, opp.industries, evidence),
                             roi=_roi(session, opp.id))


@router.get("", response_model=Page[OpportunityOut], summary="List opportunities, newest first")
def list_opportunities(session: SessionDep, page: PageDep, type: AutomationType | None = None,
                       industry: Text = None, status: OpportunityStatus | None = None,
                       tool: Text = None) -> dict[str, Any]:
    query = opp_queries.OpportunityQuery(automation_type=type, industry=industry, status=status, tool=tool)
    found = opp_queries.list_opportunities(session, query, limit=page.limit, offset=page.offset)
    return page.page([OpportunityOut.from_row(o) for o in found.items], found.total)


@router.get("/search", response_model=Page[OpportunityHit],
            summary="Hybrid search (dense + full text, fused by rank)")
def search_opportunities(
    session: SessionDep, settings: SettingsDep,
    q: Annotated[str, Query(max_length=1000, description="Free text; empty lists the most recent.")],
    limit: Annotated[int, Query(ge=1, le=SEARCH_MAX)] = 20,
    offset: Annotated[int, Query(ge=0, le=900)] = 0,
    type: AutomationType | None = None, industry: Text = None,
    status: OpportunityStatus | None = None, tool: Text = None,
) -> dict[str, Any]:
    """Best first; ``total`` counts the hits found up to ``offset + limit``."""
    filters = search_queries.OpportunityFilters(automation_type=type, industry=industry, status=status,
                                                tool=tool)
    try:
        # The request's own session and this app's store: one pooled connection per request.
        hits = search_queries.search_opportunities(session, q, filters, limit=offset + limit,
                                                   store=get_vector_store(settings))
    except (VectorStoreError, EmbeddingError) as exc:
        raise ApiError(503, f"search is unavailable: {exc}", code="search_unavailable") from None
    rows = search_queries.load_opportunities(session, hits[offset:])
    items = [OpportunityHit(**OpportunityOut.fields_of(o), score=round(h.score, 6)) for h, o in rows]
    return {"items": items, "total": len(hits), "limit": limit, "offset": offset}


@router.get("/{opp_id}", response_model=OpportunityDetail,
            summary="One opportunity with its evidence and ROI per profile")
def get_opportunity(opp_id: DbId, session: SessionDep) -> OpportunityDetail:
    opp = session.get(Opportunity, opp_id)
    if opp is None:
        raise not_found(f"opportunity {opp_id}")
    return _detail(session, opp)


@router.patch("/{opp_id}", response_model=OpportunityDetail, summary="Change an opportunity's status")
def patch_opportunity(opp_id: DbId, body: OpportunityPatch, session: SessionDep,
                      settings: SettingsDep) -> OpportunityDetail:
    try:
        opp = opp_queries.set_status(session, opp_id, body.status)
    except LookupError:
        raise not_found(f"opportunity {opp_id}") from None
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    status_changed(get_vector_store(settings), opp)  # before the commit: a failure undoes both
    return _detail(session, opp)
