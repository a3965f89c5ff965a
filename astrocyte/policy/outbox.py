"""A durable first-in first-out queue of writes that could not reach the store yet.

    outbox = RetainOutbox(data_dir / "outbox.sqlite3")     # None: in memory, for stores that keep nothing
    entry_id = outbox.put({"content": "...", "bank_id": "notes"})
    for entry_id, payload in outbox.pending(limit=100): ...
    outbox.ack([entry_id])                                 # only after the write has landed

An entry is committed to disk (WAL, synchronous=FULL) before `put` returns, and stays until acknowledged, so a
crash between the two replays it rather than losing it. Ids only grow, so acknowledging twice is harmless.
`len(outbox)`, asked before every retain and recall, is counted in this process (the file is its alone: the data
directory is locked), from one count when it opens.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_SCHEMA = "CREATE TABLE IF NOT EXISTS retain_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL)"


class RetainOutbox:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(":memory:" if path is None else path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self._entries = int(self._db.execute("SELECT count(*) FROM retain_outbox").fetchone()[0])

    def put(self, payload: dict[str, Any]) -> int:
        """Store `payload` (JSON) and return its id once it is on disk."""
        text = json.dumps(payload)
        with self._lock:
            cursor = self._db.execute("INSERT INTO retain_outbox (payload) VALUES (?)", (text,))
            self._entries += 1
            return int(cursor.lastrowid or 0)

    def pending(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        """Up to `limit` unacknowledged entries, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id, payload FROM retain_outbox ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [(entry_id, json.loads(payload)) for entry_id, payload in rows]

    def ack(self, ids: Iterable[int]) -> None:
        """Remove entries whose write has landed; unknown or already acknowledged ids are ignored."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM retain_outbox WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),)
            )
            self._entries -= cursor.rowcount

    def __len__(self) -> int:
        return self._entries

    def close(self) -> None:
        with self._lock:
            self._db.close()
