"""Embedded Qdrant shared by several processes, one operation at a time.

Qdrant's local mode locks its directory for as long as a client is open, so a second process
(`reservoir ask` beside `reservoir serve`, a discovery beside the dashboard) used to fail. Here a
process keeps its client open while nobody else wants the store — no reload between operations
— and hands it over between two operations when another process asks for it:

- a process that wants the store takes an exclusive lease (``.reservoir-lease``, a portalocker
  lock on a file of the directory); while it cannot, it marks itself waiting
  (``.waiting/<pid>``, holding when it started waiting, touched on every try) and retries;
  waiters take the lease first come, first served;
- the holder releases the lease (closes its client) at the end of any operation during which
  someone waits, and a watcher thread does so while the holder is idle;
- the next opener reloads the collections from disk, so it sees every write of the previous
  holder (local mode persists each write before returning).

A waiter gives up only when the same holder keeps the store for ``store_wait`` seconds (every
handover restarts the count): a holder that never lets go (stuck inside one operation, or a
program that opened the directory with a bare ``QdrantClient``) leaves the waiter with one
line naming it (pid, command, since when) and what to do. A handover costs one reload of the collections (see
README, "Sharing the embedded store").
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from io import TextIOWrapper

    from qdrant_client import QdrantClient

LEASE_FILE = ".reservoir-lease"
HOLDER_FILE = "holder.json"
WAITING_DIR = ".waiting"
POLL_SECONDS = 0.02
WATCH_SECONDS = 0.05
FRESH_SECONDS = 1.0  # a waiting mark older than this belongs to a process that gave up or died
GRACE_SECONDS = 1.0  # after handing over, let the waiter take the lease before asking again


class VectorStoreError(RuntimeError):
    """The vector store cannot be opened or does not match the embedder."""


def _command() -> str:
    """How this process was started, for the message another process shows."""
    args = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]]
    text = " ".join(args)
    return text if len(text) <= 120 else text[:119] + "…"


def _read_float(path: str) -> float:
    try:
        with open(path, encoding="utf-8") as handle:
            return float(handle.read() or 0.0)
    except (OSError, ValueError):
        return 0.0  # being written: treat as first in line, which only makes us wait


class LocalLease:
    """One embedded Qdrant directory as seen from this process: a client while leased."""

    def __init__(self, path: Path, wait: float, tune: Any = None) -> None:
        self.path = path
        self.wait = wait
        self.mutex = threading.RLock()  # this process's threads, one operation at a time
        self._tune = tune  # callable(client, collection) applied to every collection on open
        self._client: QdrantClient | None = None
        self._lease: TextIOWrapper | None = None
        self._depth = 0
        self._yielded_at = 0.0
        self._watcher: threading.Thread | None = None
        self.handovers = 0  # times this process gave the store to another one

    # -- public
    @contextmanager
    def hold(self) -> Iterator[QdrantClient]:
        """The client for one operation; handed over afterwards if another process waits."""
        with self.mutex:
            self._depth += 1
            try:
                client = self._client if self._client is not None else self._open()
                yield client
            finally:
                self._depth -= 1
                if self._depth == 0 and self._client is not None and self.others_waiting():
                    self._release(handover=True)

    def close(self) -> None:
        with self.mutex:
            self._release(handover=False)

    @property
    def is_open(self) -> bool:
        return self._client is not None

    def others_waiting(self) -> bool:
        """Another process marked itself waiting less than FRESH_SECONDS ago."""
        return bool(self._waiters())

    def _waiters(self) -> list[float]:
        """When each other live waiter started waiting (a mark's content; its mtime is fresh)."""
        me, now, found = str(os.getpid()), time.time(), []
        try:
            with os.scandir(self.path / WAITING_DIR) as entries:
                for entry in entries:
                    if entry.name != me and not entry.name.endswith(".tmp") \
                            and now - entry.stat().st_mtime < FRESH_SECONDS:
                        found.append(_read_float(entry.path))
        except OSError:
            return []
        return found

    def _first_in_line(self, queued_at: float) -> bool:
        """First come, first served: nobody who is still waiting came before us."""
        return all(started >= queued_at for started in self._waiters())

    def _holder_key(self) -> tuple[Any, Any]:
        who = self.holder() or {}
        return who.get("pid"), who.get("since")

    def holder(self) -> dict[str, Any] | None:
        """Who took the lease last (pid, command, since), if anyone recorded it."""
        try:
            return json.loads((self.path / HOLDER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # -- opening and releasing
    def _open(self) -> QdrantClient:
        import portalocker

        self.path.mkdir(parents=True, exist_ok=True)
        self._let_waiter_in()
        lease = open(self.path / LEASE_FILE, "a+")  # noqa: SIM115 - held while leased
        queued_at = time.time()
        holder, deadline = self._holder_key(), time.monotonic() + self.wait
        try:
            while True:
                if self._first_in_line(queued_at):
                    try:
                        portalocker.lock(lease, portalocker.LockFlags.EXCLUSIVE
                                         | portalocker.LockFlags.NON_BLOCKING)
                        break
                    except portalocker.exceptions.LockException:
                        pass
                if (now_holder := self._holder_key()) != holder:  # handed over: progress
                    holder, deadline = now_holder, time.monotonic() + self.wait
                if time.monotonic() >= deadline:
                    raise VectorStoreError(self.busy_message())
                self._mark_waiting(queued_at)
                time.sleep(POLL_SECONDS)
        except BaseException:
            lease.close()
            self._unmark_waiting()
            raise
        self._unmark_waiting()
        try:
            client = self._new_client()
        except BaseException:
            portalocker.unlock(lease)
            lease.close()
            raise
        self._client, self._lease = client, lease
        self._record_holder()
        self._start_watcher()
        return client

    def _new_client(self) -> QdrantClient:
        from qdrant_client import QdrantClient

        try:
            client = QdrantClient(path=str(self.path))
        except RuntimeError as exc:  # opened by a program that does not take the lease
            raise VectorStoreError(
                f"the embedded vector store {self.path} is open in a process that does not "
                f"share it ({exc}); stop that process, or set RESERVOIR_QDRANT_URL to a Qdrant "
                "server") from exc
        if self._tune is not None:
            for collection in list(client._client.collections):  # type: ignore[attr-defined]
                self._tune(client, collection)
        return client

    def _release(self, *, handover: bool) -> None:
        import portalocker

        client, lease = self._client, self._lease
        self._client = self._lease = None
        if client is not None:
            with suppress(Exception):
                client.close()
        if lease is not None:
            with suppress(Exception):
                portalocker.unlock(lease)
            lease.close()
        if handover:
            self.handovers += 1
            self._yielded_at = time.monotonic()

    def _let_waiter_in(self) -> None:
        """Right after a handover, wait (briefly) until the waiter has taken the lease."""
        if time.monotonic() - self._yielded_at > GRACE_SECONDS:
            return
        end = self._yielded_at + GRACE_SECONDS
        while time.monotonic() < end and self.others_waiting():
            time.sleep(POLL_SECONDS)

    # -- waiting marks and the holder record
    def _mark_waiting(self, queued_at: float) -> None:
        """Written once with when we started waiting, then only touched (kept fresh)."""
        mark = self.path / WAITING_DIR / str(os.getpid())
        with suppress(OSError):
            if mark.exists():
                mark.touch()
            else:
                mark.parent.mkdir(exist_ok=True)
                tmp = mark.with_name(f"{mark.name}.tmp")
                tmp.write_text(repr(queued_at), encoding="utf-8")
                tmp.replace(mark)

    def _unmark_waiting(self) -> None:
        with suppress(OSError):
            (self.path / WAITING_DIR / str(os.getpid())).unlink()

    def _record_holder(self) -> None:
        record = {"pid": os.getpid(), "command": _command(),
                  "since": datetime.now(UTC).isoformat(timespec="milliseconds")}
        with suppress(OSError):
            tmp = self.path / f"{HOLDER_FILE}.{os.getpid()}"
            tmp.write_text(json.dumps(record), encoding="utf-8")
            tmp.replace(self.path / HOLDER_FILE)

    def busy_message(self) -> str:
        who = self.holder()
        named = (f"process {who.get('pid')} (`{who.get('command')}`, holding it since "
                 f"{who.get('since')})") if who else "another process"
        return (f"the embedded vector store {self.path} is held by {named} and was not handed "
                f"over within {self.wait:g} s; wait for that process to finish or stop it, "
                "raise RESERVOIR_STORE_WAIT, or set RESERVOIR_QDRANT_URL to a Qdrant server")

    # -- the idle holder's watcher
    def _start_watcher(self) -> None:
        """Called under the mutex when the client opens; the watcher ends when it closes."""
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="reservoir-qdrant-lease",
                                             daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        """While leased, hand over between operations whenever another process waits."""
        while True:
            time.sleep(WATCH_SECONDS)
            if not self.mutex.acquire(blocking=False):
                continue  # an operation is running: `hold` hands over at its end
            try:
                if self._client is None:
                    self._watcher = None
                    return
                if self._depth == 0 and self.others_waiting():
                    self._release(handover=True)
            finally:
                self.mutex.release()
