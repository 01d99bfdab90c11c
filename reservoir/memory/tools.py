"""The tool database: which tools the reservoir's opportunities use, in which industries, how often.

Opportunities store tool names (canonical catalogue names, or a product's name as written
when the catalogue lacks it); this module counts them and joins the catalogue's category,
aliases and sources. Counting runs in Python over the opportunity rows: a reservoir holds
thousands of opportunities, not millions, and the JSON list column is not indexable anyway.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from reservoir.agents.catalogue import CATALOGUE, UNKNOWN, canonical_name
from reservoir.memory.models import Opportunity


@dataclass
class ToolUsage:
    """One tool as the reservoir sees it."""

    name: str
    category: str
    in_catalogue: bool
    opportunities: int = 0
    industries: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    opportunity_ids: list[int] = field(default_factory=list)

    def to_public(self, with_ids: bool = False) -> dict[str, Any]:
        info = CATALOGUE.get(self.name)
        data: dict[str, Any] = {
            "name": self.name, "category": self.category, "in_catalogue": self.in_catalogue,
            "opportunities": self.opportunities,
            "industries": dict(self.industries.most_common()),
            "automation_types": dict(self.types.most_common()),
            "aliases": [a.lstrip("~=") for a in info.aliases] if info else [],
            "sources": list(info.source) if info else [],
        }
        if with_ids:
            data["opportunity_ids"] = self.opportunity_ids
        return data


def _usage_for(name: str) -> ToolUsage:
    canonical = canonical_name(name)
    info = CATALOGUE.get(canonical) if canonical else None
    if info is None:
        return ToolUsage(name, UNKNOWN, False)
    return ToolUsage(info.name, info.category, True)


def tool_usage(session: Session, category: str | None = None) -> list[ToolUsage]:
    """Every tool named by a stored opportunity, most used first (ties by name)."""
    usage: dict[str, ToolUsage] = {}
    for opp in session.exec(select(Opportunity).order_by(Opportunity.id)).all():
        for name in dict.fromkeys(opp.tools):
            probe = _usage_for(name)
            tool = usage.setdefault(probe.name.lower(), probe)
            tool.opportunities += 1
            tool.industries.update(opp.industries or ["unspecified"])
            tool.types[opp.automation_type] += 1
            if opp.id is not None:
                tool.opportunity_ids.append(opp.id)
    tools = [t for t in usage.values() if category is None or t.category == category]
    return sorted(tools, key=lambda t: (-t.opportunities, t.name.lower()))


def catalogue_tools(category: str | None = None, contains: str | None = None) -> list[ToolUsage]:
    """The whole catalogue (zero usage), by name: browse what the analyst can recognise."""
    needle = (contains or "").lower()
    return [ToolUsage(info.name, info.category, True)
            for info in sorted(CATALOGUE.values(), key=lambda i: i.name.lower())
            if (category is None or info.category == category)
            and (not needle or needle in info.name.lower()
                 or any(needle in a.lower() for a in info.aliases))]


def get_tool(session: Session, name: str) -> ToolUsage | None:
    """One tool by name or alias: its usage, or a zero-usage entry if only the catalogue knows it."""
    probe = _usage_for(name)
    for tool in tool_usage(session):
        if tool.name.lower() == probe.name.lower():
            return tool
    return probe if probe.in_catalogue else None
