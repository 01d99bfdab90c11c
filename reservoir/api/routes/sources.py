"""Sources: list with health, register, remove (a source's documents always stay)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from reservoir.api.deps import AUTH, PageDep, SessionDep, storable_ref
from reservoir.api.errors import ApiError, not_found
from reservoir.api.schemas import Page
from reservoir.memory import sources as source_queries
from reservoir.memory.public import SourceCreate, SourcePublic

router = APIRouter(prefix="/sources", tags=["sources"], dependencies=AUTH)


@router.get("", response_model=Page[SourcePublic], summary="List sources with their health")
def list_sources(session: SessionDep, page: PageDep, active: bool | None = None) -> dict[str, Any]:
    found = source_queries.list_sources(session, active=active, limit=page.limit, offset=page.offset)
    return page.page([SourcePublic.model_validate(s) for s in found.items], found.total)


@router.post("", status_code=201, response_model=SourcePublic, summary="Register a source")
def create_source(body: SourceCreate, session: SessionDep, response: Response) -> SourcePublic:
    """A name already taken is a 409: replacing a source is never done implicitly. A url the
    kind cannot read (a feed or sitemap needs http(s), a folder a path) is a 422 naming it."""
    try:
        source = source_queries.add_source(session, body.name, body.kind, body.url, body.config,
                                           active=body.active)
    except source_queries.SourceExistsError as exc:
        raise ApiError(409, str(exc), code="source_exists") from None
    except source_queries.InvalidSourceError as exc:
        raise ApiError(422, str(exc), code="validation_error",
                       details={"field": exc.field}) from None
    response.headers["Location"] = f"/api/v1/sources/{source.id}"
    return SourcePublic.model_validate(source)


@router.get("/{ref}", response_model=SourcePublic, summary="One source by id or name")
def get_source(ref: str, session: SessionDep) -> SourcePublic:
    source = source_queries.get_source(session, ref) if storable_ref(ref) else None
    if source is None:
        raise not_found(f"source {ref!r}")
    return SourcePublic.model_validate(source)


@router.delete("/{ref}", status_code=204, summary="Remove a source (its documents stay)")
def delete_source(ref: str, session: SessionDep) -> Response:
    if not storable_ref(ref) or not source_queries.remove_source(session, ref):
        raise not_found(f"source {ref!r}")
    return Response(status_code=204)
