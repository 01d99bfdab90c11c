"""The one opportunity filter: what the list query, hybrid search, the API, the CLI and the ask
graph narrow opportunities by, and the one place that turns it into SQL.

It used to be three classes whose SQL had drifted: the list query matched an industry with a
bare LIKE, so the ``_`` of ``real_estate`` was a wildcard (``realXestate`` matched) while search
escaped it. Every LIKE here escapes ``%``, ``_`` and the escape character itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, text

from reservoir.memory.models import AUTOMATION_TYPES, OPPORTUNITY_STATUSES, as_utc

LIKE_ESCAPE = "/"
DATE_PARAMS = ("f_since", "f_until")


def like_escape(value: str) -> str:
    """A literal for LIKE ... ESCAPE '/': the wildcards and the escape itself match themselves."""
    return (value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
            .replace("_", LIKE_ESCAPE + "_"))


def like_json_element(column: str, name: str, value: str, params: dict[str, Any]) -> str:
    """Case-insensitive element match in a JSON list of strings (either JSON escaping)."""
    forms = dict.fromkeys([f'"{value.lower()}"', json.dumps(value.lower())])
    parts = []
    for n, form in enumerate(forms):
        params[f"{name}{n}"] = f"%{like_escape(form)}%"
        parts.append(f"lower(CAST({column} AS TEXT)) LIKE :{name}{n} ESCAPE '{LIKE_ESCAPE}'")
    return "(" + " OR ".join(parts) + ")"


@dataclass
class OpportunityFilter:
    """Exact type and status, an industry or tool among the lists, a window on last_seen."""

    automation_type: str | None = None
    industry: str | None = None
    status: str | None = None
    tool: str | None = None
    since: datetime | None = None  # on last_seen
    until: datetime | None = None
    ids: list[int] | None = None  # only these (the list query's id filter)

    def validate(self) -> OpportunityFilter:
        if self.automation_type and self.automation_type not in AUTOMATION_TYPES:
            raise ValueError(f"unknown automation type {self.automation_type!r}; "
                             f"choose one of {', '.join(AUTOMATION_TYPES)}")
        if self.status and self.status not in OPPORTUNITY_STATUSES:
            raise ValueError(f"unknown status {self.status!r}; "
                             f"choose one of {', '.join(OPPORTUNITY_STATUSES)}")
        return self

    @property
    def active(self) -> bool:
        return any(v is not None and v != "" for v in vars(self).values())

    def conditions(self, params: dict[str, Any], table: str = "opportunity") -> list[str]:
        """WHERE conditions over ``table`` (fixed text per filter shape) into ``params``."""
        where: list[str] = []
        for field in ("automation_type", "status"):
            if getattr(self, field):
                where.append(f"{table}.{field} = :f_{field}")
                params[f"f_{field}"] = getattr(self, field)
        if self.industry:
            where.append(like_json_element(f"{table}.industries", "f_ind", self.industry, params))
        if self.tool:
            where.append(like_json_element(f"{table}.tools", "f_tool", self.tool, params))
        if self.since:
            where.append(f"{table}.last_seen >= :f_since")
            params["f_since"] = as_utc(self.since)
        if self.until:
            where.append(f"{table}.last_seen <= :f_until")
            params["f_until"] = as_utc(self.until)
        if self.ids is not None:
            where.append(f"{table}.id IN ({', '.join(str(int(i)) for i in self.ids) or 'NULL'})")
        return where

    def clause(self) -> Any:
        """The conditions as one SQLAlchemy clause for a select() (the list query)."""
        params: dict[str, Any] = {}
        where = self.validate().conditions(params)
        if not where:
            return None
        binds = [bindparam(n, params.pop(n), type_=DateTime()) for n in DATE_PARAMS
                 if n in params]
        return text(" AND ".join(where)).bindparams(*binds, **params)
