"""Opportunities: filtered lists, hybrid search, detail with evidence and ROI, status changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session

from reservoir.agents.verify import field_traces
from reservoir.api.deps import AUTH, DbId, PageDep, SessionDep, SettingsDep
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import Page
from reservoir.memory import opportunities as opp_queries
from reservoir.memory import search as search_queries
from reservoir.memory.embeddings import EmbeddingError
from reservoir.memory.indexing import status_changed
from reservoir.memory.models import Opportunity
from reservoir.memory.public import (
    AutomationType,
    OpportunityDetail,
    OpportunityHit,
    OpportunityStatus,
    OpportunityUpdate,
    OpportunityWithEvidence,
)
from reservoir.memory.vectors import VectorStoreError, get_vector_store

router = APIRouter(prefix="/opportunities", tags=["opportunities"], dependencies=AUTH)

Text = Annotated[str | None, Query(min_length=1, max_length=200)]
SEARCH_MAX = 100


def _detail(session: Session, opp: Opportunity) -> OpportunityDetail:
    return opp_queries.opportunity_detail(session, opp, field_traces)


@router.get("", response_model=Page[OpportunityWithEvidence],
            summary="List opportunities, newest first, each with its evidence")
def list_opportunities(session: SessionDep, page: PageDep, type: AutomationType | None = None,
                       industry: Text = None, status: OpportunityStatus | None = None,
                       tool: Text = None) -> dict[str, Any]:
    query = opp_queries.OpportunityQuery(automation_type=type, industry=industry, status=status, tool=tool)
    found = opp_queries.list_opportunities(session, query, limit=page.limit, offset=page.offset)
    return page.page(opp_queries.with_evidence(session, found.items), found.total)


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
    items = opp_queries.hits_public(session, rows)
    return {"items": items, "total": len(hits), "limit": limit, "offset": offset}


@router.get("/{opp_id}", response_model=OpportunityDetail,
            summary="One opportunity with its evidence and ROI per profile")
def get_opportunity(opp_id: DbId, session: SessionDep) -> OpportunityDetail:
    opp = session.get(Opportunity, opp_id)
    if opp is None:
        raise not_found(f"opportunity {opp_id}")
    return _detail(session, opp)


@router.patch("/{opp_id}", response_model=OpportunityDetail, summary="Change an opportunity's status")
def patch_opportunity(opp_id: DbId, body: OpportunityUpdate, session: SessionDep,
                      settings: SettingsDep) -> OpportunityDetail:
    try:
        opp = opp_queries.set_status(session, opp_id, body.status)
    except LookupError:
        raise not_found(f"opportunity {opp_id}") from None
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    status_changed(get_vector_store(settings), opp)  # before the commit: a failure undoes both
    return _detail(session, opp)
