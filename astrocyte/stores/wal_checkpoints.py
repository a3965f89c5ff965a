"""Checkpoints of an SQLite write-ahead log, run on a thread of their own so that writers do not wait for them.

    checkpoints = WalCheckpoints(Path("data/records.sqlite3"), every_rows=1000)
    checkpoints.written(rows=1000)     # after a commit: asks for a checkpoint once enough rows were written
    checkpoints.close()

In WAL mode a commit appends the pages it changed to the log, and a checkpoint copies them into the database file
and syncs it. SQLite runs one inside whichever commit pushes the log past 1,000 pages, and that writer waits for
it (a good part of a batched retain's SQLite time; BENCHMARKS.md has the figures). Here a second connection
checkpoints instead, PASSIVE, so that it never blocks a writer nor waits for one; the writer's connection keeps
SQLite's own checkpoint at `BACKSTOP_PAGES` (several times the usual log), which only runs if this thread falls
behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)
BACKSTOP_PAGES = 10_000


class WalCheckpoints:
    """A daemon thread with its own connection to `path`, checkpointing after every `every_rows` rows written."""

    def __init__(self, path: Path, *, every_rows: int) -> None:
        self._path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA synchronous = FULL")
        self._every_rows = every_rows
        self._unsaved_rows = 0
        self._wanted = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"wal-checkpoints:{path.name}", daemon=True)
        self._thread.start()

    def written(self, rows: int) -> None:
        """Count rows a commit wrote; past `every_rows` since the last request, ask the thread for a checkpoint."""
        self._unsaved_rows += rows
        if self._unsaved_rows >= self._every_rows:
            self._unsaved_rows = 0
            self._wanted.set()

    def close(self) -> None:
        """Stop the thread after the checkpoint it is running, and close its connection; idempotent."""
        self._closing = True
        self._wanted.set()
        self._thread.join()
        self._db.close()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._closing:
                return
            try:
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:
                log.warning("checkpoint of %s failed (%s); SQLite's own still bounds the log", self._path, exc)
