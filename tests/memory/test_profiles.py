"""Profiles: optional owner facts are checked, and an older database gains their columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reservoir.config import Settings, load_settings
from reservoir.memory.db import dispose_engines, session_scope
from reservoir.memory.models import BusinessProfile
from reservoir.memory.profiles import upsert_profile


@pytest.mark.parametrize("data,message", [
    ({"headcount": {"agents": -1}}, "whole number"),
    ({"headcount": {"agents": 3}, "team_size": 2}, "exceeds the team size"),
    ({"monthly_volumes": {"calls": 5}}, "unknown monthly volume 'calls'"),
    ({"monthly_volumes": {"leads": -5}}, "must be a number >= 0"),
])
def test_bad_facts_are_refused(any_settings: Settings, data: dict, message: str) -> None:
    with session_scope(any_settings) as session, pytest.raises(ValueError, match=message):
        upsert_profile(session, {"name": "P", "industry": "retail", **data})


def test_an_older_database_gains_the_new_columns(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    settings.ensure_data_dir()
    db = sqlite3.connect(settings.data_dir / "reservoir.db")
    db.execute("CREATE TABLE business_profile (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL,"
               " industry VARCHAR(100) NOT NULL, team_size INTEGER NOT NULL, hourly_rate FLOAT"
               " NOT NULL, current_tools JSON NOT NULL, challenges JSON NOT NULL, goals JSON NOT"
               " NULL, created_at DATETIME NOT NULL)")
    db.execute("INSERT INTO business_profile VALUES (1, 'Old', 'legal', 3, 40, '[]', '[]', '[]',"
               " '2025-01-01 00:00:00')")
    db.commit()
    db.close()
    dispose_engines()
    with session_scope(settings) as session:
        old = session.get(BusinessProfile, 1)
        assert old.name == "Old" and old.headcount is None and old.monthly_volumes is None
        upsert_profile(session, {"name": "Old", "industry": "legal", "team_size": 3,
                                 "headcount": {"paralegals": 2}})
    with session_scope(settings) as session:
        assert session.get(BusinessProfile, 1).headcount == {"paralegals": 2}
    dispose_engines()
