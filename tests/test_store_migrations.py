"""The embedded store's schema is versioned (`PRAGMA user_version`) and migrated on open, in one transaction:
data written before versions were recorded opens and is upgraded, an up-to-date database is opened without
migrating, a failing step leaves the database as it was, and a database from a newer Astrocyte is refused."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from astrocyte.errors import ConfigError
from astrocyte.stores import sqlite_index
from astrocyte.stores.base import KeywordQuery, RecordFilter, VectorQuery
from astrocyte.stores.embedded import EmbeddedStore
from astrocyte.stores.migrations import Migration, pending
from astrocyte.stores.sqlite_index import SqliteIndex
from astrocyte.text import fingerprint
from tests.sql_trace import traced_statements
from tests.test_store_conformance import BANK, DIM, ids_of, stored

LATEST = sqlite_index._MIGRATIONS[-1].version

UNVERSIONED_SCHEMA = """
CREATE TABLE records (
    seq INTEGER PRIMARY KEY, bank_id TEXT NOT NULL, id TEXT NOT NULL, key TEXT, occurred_us INTEGER NOT NULL,
    retained_us INTEGER NOT NULL, metadata TEXT NOT NULL, tags TEXT NOT NULL, record TEXT NOT NULL, fingerprint TEXT,
    UNIQUE (bank_id, id)
);
CREATE INDEX records_by_retained ON records (bank_id, retained_us, id);
CREATE INDEX records_by_occurred ON records (bank_id, occurred_us);
CREATE INDEX records_by_set_key ON records (bank_id, key) WHERE key IS NOT NULL;
CREATE INDEX records_by_fingerprint ON records (bank_id, fingerprint);
CREATE TABLE entities (
    bank_id TEXT NOT NULL, entity TEXT NOT NULL, memory_id TEXT NOT NULL, PRIMARY KEY (bank_id, entity, memory_id)
) WITHOUT ROWID;
CREATE INDEX entities_by_memory ON entities (bank_id, memory_id);
CREATE TABLE vector_outbox (
    seq INTEGER PRIMARY KEY, op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')), bank_id TEXT NOT NULL,
    memory_id TEXT NOT NULL, vector BLOB
);
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
"""The schema as the store wrote it before versions were recorded (user_version 0)."""


def write_unversioned(path: Path) -> None:
    """A records file as the last unversioned store left it: one tagged record, its keywords and entity, and its
    vector still in the outbox."""
    record = stored("old", terms=["lyon"], entities=["Alice"], tags=["trip"], key="alice.city", retained=-1).record
    table = "keywords_" + hashlib.sha256(BANK.encode()).hexdigest()[:32]
    with closing(sqlite3.connect(path)) as db:
        db.executescript(UNVERSIONED_SCHEMA)
        db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(terms, context)")
        db.execute(
            "INSERT INTO records VALUES (1, ?, 'old', 'alice.city', ?, ?, '{}', '[\"trip\"]', ?, ?)",
            (
                BANK,
                micros(record.occurred_at),
                micros(record.retained_at),
                record.model_dump_json(),
                fingerprint(record.text, {}),
            ),
        )
        db.execute(f"INSERT INTO {table} (rowid, terms, context) VALUES (1, ?, '')", (b"lyon".hex(),))
        db.execute("INSERT INTO entities VALUES (?, 'alice', 'old')", (BANK,))
        db.execute(
            "INSERT INTO vector_outbox (op, bank_id, memory_id, vector) VALUES ('upsert', ?, 'old', ?)",
            (BANK, np.ones(DIM, dtype=np.float32).tobytes()),
        )
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("embedder_identity", "test"), ("dimensions", str(DIM))])
        db.commit()


def micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_a_data_dir_of_the_unversioned_schema_opens_and_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.mkdir()
    write_unversioned(path / "records.sqlite3")
    assert user_version(path / "records.sqlite3") == 0

    with EmbeddedStore(path, embedder_identity="test", dimensions=DIM) as store:
        assert ids_of(store.select(BANK, RecordFilter(tags_all=frozenset({"trip"})))) == ["old"]
        assert ids_of(store.select(BANK, RecordFilter(keys=frozenset({"alice.city"})))) == ["old"]
        assert ids_of(store.search_keywords(BANK, KeywordQuery(["lyon"], 5))) == ["old"]
        assert ids_of(store.search_vectors(BANK, VectorQuery(np.ones((1, DIM)), 5))[0]) == ["old"]
        store.upsert([stored("new", tags=["trip"])])
        assert ids_of(store.select(BANK, RecordFilter(tags_all=frozenset({"trip"})))) == ["old", "new"]
    assert user_version(path / "records.sqlite3") == LATEST


def test_an_up_to_date_database_opens_without_migrating(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    SqliteIndex(path).close()
    with traced_statements() as ran:
        SqliteIndex(path).close()
    assert not [sql for _, sql in ran if sql.startswith(("CREATE", "ALTER", "DROP", "INSERT", "UPDATE"))]


def test_a_failing_step_leaves_the_database_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "records.sqlite3"
    SqliteIndex(path).close()

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk full")

    steps = (*sqlite_index._MIGRATIONS, Migration(LATEST + 1, "a step that fails", half_done))
    monkeypatch.setattr(sqlite_index, "_MIGRATIONS", steps)
    with pytest.raises(sqlite3.OperationalError, match="disk full"):
        SqliteIndex(path)
    assert user_version(path) == LATEST
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None


def test_a_database_from_a_newer_astrocyte_is_refused_and_the_dir_left_unlocked(tmp_path: Path) -> None:
    path = tmp_path / "data"
    EmbeddedStore(path, embedder_identity="test", dimensions=DIM).close()
    with closing(sqlite3.connect(path / "records.sqlite3")) as db:
        db.execute(f"PRAGMA user_version = {LATEST + 5}")

    with pytest.raises(ConfigError, match=rf"schema version {LATEST + 5}.*up to {LATEST}.*newer Astrocyte.*upgrade"):
        EmbeddedStore(path, embedder_identity="test", dimensions=DIM)
    with FileLock(path / "astrocyte.lock", timeout=0):
        pass


def test_pending_returns_the_steps_after_the_recorded_version_in_order() -> None:
    steps = [Migration(version, f"step {version}", lambda connection: None) for version in (1, 2, 3)]
    assert [step.version for step in pending(steps, 0, database="db")] == [1, 2, 3]
    assert [step.version for step in pending(steps, 2, database="db")] == [3]
    assert pending(steps, 3, database="db") == []
    with pytest.raises(ConfigError, match="db is at schema version 4"):
        pending(steps, 4, database="db")
