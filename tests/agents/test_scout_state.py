"""The scout returns only what the discovery graph's state holds: LangGraph drops any other
key without a word, so a key outside ``DiscoveryState`` is work nobody receives."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import get_type_hints

from reservoir.agents.scout import scout_source
from reservoir.config import load_settings
from reservoir.graphs.runner import make_deps
from reservoir.graphs.state import DiscoveryState
from reservoir.memory.db import session_scope
from reservoir.memory.runs import create_run
from reservoir.memory.sources import add_source


def test_scout_returns_only_state_fields(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "clinic.md").write_text("# No-shows\n\nThe clinic sends text reminders the day "
                                      "before each visit, and no-shows fell by half.\n")
    settings = load_settings(data_dir=tmp_path / "data")
    with session_scope(settings) as session:
        source_id = add_source(session, "notes", "folder", str(folder)).id
        run_id = create_run(session, trigger="cli").id
    deps = make_deps(settings)
    try:
        update = asyncio.run(scout_source({"source_id": source_id, "run_id": run_id,
                                                  "query": None}, deps))
    finally:
        asyncio.run(deps.aclose())
    assert update["counters"]["documents_new"] == 1  # it did fetch and store the note
    assert set(update) <= set(get_type_hints(DiscoveryState, include_extras=True))
