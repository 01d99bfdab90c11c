"""Two processes appending events to one run (a runner and the scheduler) never collide."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import RunEvent
from reservoir.memory.runs import create_run

WRITER = """
import sys
from reservoir.config import load_settings
from reservoir.memory.runs import record_event
settings = load_settings(data_dir=sys.argv[1])
for i in range(40):
    record_event(settings, sys.argv[2], sys.argv[3], "tick", {"i": i})
"""


def test_concurrent_writers_each_get_the_next_seq(settings: Settings, tmp_path: Path) -> None:
    with session_scope(settings, write=True) as session:
        run_id = create_run(session, params={}).id
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(settings.data_dir), run_id,
                                 name], stderr=subprocess.PIPE)
               for name in ("runner", "scheduler")]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()[-2000:]
    with session_scope(settings) as session:
        seqs = sorted(e.seq for e in session.exec(select(RunEvent).where(RunEvent.run_id == run_id)))
    assert seqs == list(range(1, 81))


def test_the_latest_event_of_given_kinds(settings: Settings) -> None:
    from reservoir.memory.runs import add_event, last_event_type

    with session_scope(settings, write=True) as session:
        run_id = create_run(session, params={}).id
        assert last_event_type(session, run_id, ("started", "budget_reached")) is None
        for type_ in ("started", "step", "budget_reached", "interrupted"):
            add_event(session, run_id, "runner", type_)
        assert last_event_type(session, run_id, ("started", "budget_reached")) == "budget_reached"
        add_event(session, run_id, "runner", "started")
        assert last_event_type(session, run_id, ("started", "budget_reached")) == "started"
