"""The SQL statements run on the SQLite connections opened inside a block, for tests that count or explain them.

with traced_statements() as ran:
    store = EmbeddedStore(path, embedder_identity="test", dimensions=8)
    store.select("notes", RecordFilter(keys=frozenset({"k1"})))
ran          # [("records.sqlite3", "SELECT r.record FROM records AS r WHERE ..."), ...]
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def traced_statements() -> Iterator[list[tuple[str, str]]]:
    """(database file name, SQL with its values) of each top-level statement, in order; the statements SQLite
    runs inside them (FTS5's own, `-- ...`) are left out."""
    ran: list[tuple[str, str]] = []
    connect = sqlite3.connect

    def traced(database: str | Path, *arguments: object, **options: object) -> sqlite3.Connection:
        connection = connect(database, *arguments, **options)
        name = Path(database).name
        connection.set_trace_callback(lambda sql: None if sql.startswith("--") else ran.append((name, sql)))
        return connection

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite3, "connect", traced)
        yield ran
