"""Documents the scout stored: list (by source, analysed or not) and read one with its text."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reservoir.api.deps import AUTH, DbId, OptionalId, PageDep, SessionDep
from reservoir.api.errors import not_found
from reservoir.api.schemas import Page
from reservoir.memory import documents as document_queries
from reservoir.memory.models import Document
from reservoir.memory.public import DocumentDetail, DocumentPublic

router = APIRouter(prefix="/documents", tags=["documents"], dependencies=AUTH)


@router.get("", response_model=Page[DocumentPublic], summary="List documents, newest first")
def list_documents(session: SessionDep, page: PageDep, source_id: OptionalId = None,
                   analysed: bool | None = None) -> dict[str, Any]:
    found = document_queries.list_documents(session, source_id=source_id, analysed=analysed,
                                            limit=page.limit, offset=page.offset)
    return page.page([DocumentPublic.model_validate(d) for d in found.items], found.total)


@router.get("/{document_id}", response_model=DocumentDetail, summary="One document with its text")
def get_document(document_id: DbId, session: SessionDep) -> DocumentDetail:
    doc = session.get(Document, document_id)
    if doc is None:
        raise not_found(f"document {document_id}")
    return DocumentDetail.model_validate(doc)
