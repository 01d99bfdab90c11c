"""Tools: which tools the reservoir's opportunities use, in which industries, how often."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from reservoir.api.deps import AUTH, PageDep, SessionDep
from reservoir.api.errors import not_found
from reservoir.api.schemas import Page, ToolDetail, ToolOut
from reservoir.memory import tools as tool_queries

router = APIRouter(prefix="/tools", tags=["tools"], dependencies=AUTH)


@router.get("", response_model=Page[ToolOut], summary="Tools used by opportunities, most used first")
def list_tools(session: SessionDep, page: PageDep,
               category: Annotated[str | None, Query(min_length=1, max_length=60)] = None,
               catalogue: Annotated[bool, Query(description="The whole catalogue, not the tools in use")
                                    ] = False,
               contains: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
               ) -> dict[str, Any]:
    tools = (tool_queries.catalogue_tools(category, contains) if catalogue
             else tool_queries.tool_usage(session, category))
    items = [ToolOut(**t.to_public()) for t in tools[page.offset:page.offset + page.limit]]
    return page.page(items, len(tools))


@router.get("/{name}", response_model=ToolDetail, summary="One tool by name or alias")
def get_tool(name: str, session: SessionDep) -> ToolDetail:
    tool = tool_queries.get_tool(session, name[:200])
    if tool is None:
        raise not_found(f"tool {name!r}")
    return ToolDetail(**tool.to_public(with_ids=True))
