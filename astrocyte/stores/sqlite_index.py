"""The SQLite half of the embedded store: records, the keyword and entity indexes, and the vector outbox.

    index = SqliteIndex(Path("data/records.sqlite3"))
    index.write(stored_records)              # records, keywords, entities and vector ops: one transaction
    through = index.last_vector_op()
    vectors.apply(index.pending_vector_ops()).result()
    index.clear_vector_ops(through)

SQLite is the source of truth. Each bank has its own FTS5 table, so BM25 statistics are per bank as in the
in-memory store, with two columns: a memory's own terms and its context terms, weighted at query time. Terms
are indexed hex-encoded, one FTS5 token each: they arrive already normalised, and FTS5's tokenizer would
otherwise split them again at apostrophes or fold their accents.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from astrocyte._requests import FILTER_OPS
from astrocyte.errors import ValidationError
from astrocyte.stores.base import (
    Condition,
    RecordFilter,
    Scored,
    StoredRecord,
    VectorOp,
    without_common_terms,
)
from astrocyte.stores.wal_checkpoints import BACKSTOP_PAGES, WalCheckpoints
from astrocyte.text import fingerprint
from astrocyte.types import BankInfo, MemoryRecord, MetadataValue

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    bank_id TEXT NOT NULL,
    id TEXT NOT NULL,
    key TEXT,
    occurred_us INTEGER NOT NULL,
    retained_us INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    tags TEXT NOT NULL,
    record TEXT NOT NULL,
    fingerprint TEXT,
    UNIQUE (bank_id, id)
);
CREATE INDEX IF NOT EXISTS records_by_retained ON records (bank_id, retained_us, id);
CREATE INDEX IF NOT EXISTS records_by_occurred ON records (bank_id, occurred_us);
DROP INDEX IF EXISTS records_by_key;
CREATE INDEX IF NOT EXISTS records_by_set_key ON records (bank_id, key) WHERE key IS NOT NULL;
CREATE TABLE IF NOT EXISTS entities (
    bank_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    memory_id TEXT NOT NULL,
    PRIMARY KEY (bank_id, entity, memory_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entities_by_memory ON entities (bank_id, memory_id);
CREATE TABLE IF NOT EXISTS vector_outbox (
    seq INTEGER PRIMARY KEY,
    op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    bank_id TEXT NOT NULL,
    memory_id TEXT NOT NULL,
    vector BLOB
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_KEYWORD_COLUMNS = "USING fts5(terms, context)"
_HELD_REFRESH = 1000
_CHECKPOINT_ROWS = 1000
"""Records written between two checkpoints of the log: each changes one to two pages of it."""
_PARSED_CACHE = 8192
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORDERING_SQL = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


class SqliteIndex:
    """Records and their indexes in one SQLite file; not thread-safe, the owner serialises calls."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._tables: set[str] = set()
        """Keyword tables known to exist (they are never dropped)."""
        self._writes: dict[str, int] = {}
        self._parsed: OrderedDict[tuple[str, str], MemoryRecord] = OrderedDict()
        self._rows: dict[str, int] = {}
        """Records per bank, counted once and then kept up to date by writes and removals."""
        self._held_counts: dict[str, tuple[int, dict[str, int]]] = {}
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
        self._secure_delete = self._db.execute("PRAGMA secure_delete").fetchone()[0]
        self._db.executescript(_SCHEMA)
        self._add_fingerprints()
        self._add_context_columns()
        self._checkpoints = WalCheckpoints(path, every_rows=_CHECKPOINT_ROWS)

    def claim_embedder(self, identity: str, dimensions: int) -> tuple[str, int]:
        """Record the embedder if the index is new; return the embedder the index was built with."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)",
                [("embedder_identity", identity), ("dimensions", str(dimensions))],
            )
            meta = dict(self._db.execute("SELECT name, value FROM meta"))
        return meta["embedder_identity"], int(meta["dimensions"])

    def write(self, records: Sequence[StoredRecord]) -> None:
        """Insert or replace records with their keywords and entities, and queue their vectors."""
        latest = {(stored.record.bank_id, stored.record.id): stored for stored in records}
        with self._transaction():
            by_bank: dict[str, list[StoredRecord]] = {}
            for (bank_id, _), stored in latest.items():
                by_bank.setdefault(bank_id, []).append(stored)
            for bank_id, batch in by_bank.items():
                self._write_bank(bank_id, batch)
        self._checkpoints.written(len(latest))
        # Once committed, the records just written are the likeliest to be read back soon.
        for slot, stored in latest.items():
            self._parsed[slot] = stored.record
            self._parsed.move_to_end(slot)
        self._trim_parsed()

    def remove(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        """Delete records with their keywords and entities, queue their vector deletes; return those found."""
        with self._transaction():
            rows = self._db.execute(
                "SELECT id, seq FROM records WHERE bank_id = ? AND id IN (SELECT value FROM json_each(?))",
                (bank_id, json.dumps(list(ids))),
            )
            found = dict(rows)
            deleted = [memory_id for memory_id in dict.fromkeys(ids) if memory_id in found]
            if not deleted:
                return []
            seqs = [(found[memory_id],) for memory_id in deleted]
            pairs = [(bank_id, memory_id) for memory_id in deleted]
            self._db.executemany("DELETE FROM records WHERE seq = ?", seqs)
            table = _keyword_table(bank_id)
            self._db.executemany(f"DELETE FROM {table} WHERE rowid = ?", seqs)
            self._writes[table] = self._writes.get(table, 0) + len(seqs)
            for memory_id in deleted:
                self._parsed.pop((bank_id, memory_id), None)
            if bank_id in self._rows:
                self._rows[bank_id] -= len(seqs)
            self._db.executemany("DELETE FROM entities WHERE bank_id = ? AND memory_id = ?", pairs)
            self._db.executemany("INSERT INTO vector_outbox (op, bank_id, memory_id) VALUES ('delete', ?, ?)", pairs)
        self._checkpoints.written(len(deleted))
        return deleted

    def get(self, bank_id: str, ids: Sequence[str]) -> list[MemoryRecord]:
        """Records by id; recently read ones come from a cache of parsed records that writes keep current."""
        found = {memory_id: record for memory_id in ids if (record := self._parsed.get((bank_id, memory_id)))}
        missing = [memory_id for memory_id in ids if memory_id not in found]
        if missing:
            rows = self._db.execute(
                "SELECT id, record FROM records WHERE bank_id = ? AND id IN (SELECT value FROM json_each(?))",
                (bank_id, json.dumps(missing)),
            )
            for memory_id, record in rows:
                found[memory_id] = self._parsed[(bank_id, memory_id)] = MemoryRecord.model_validate_json(record)
        for memory_id in found:
            self._parsed.move_to_end((bank_id, memory_id))
        self._trim_parsed()
        return [found[memory_id] for memory_id in ids if memory_id in found]

    def select(self, bank_id: str, where: RecordFilter, offset: int, limit: int | None) -> list[MemoryRecord]:
        sql, params = _filter_sql(where)
        rows = self._db.execute(
            f"SELECT r.record FROM records AS r WHERE r.bank_id = ? AND {sql} "
            "ORDER BY r.retained_us, r.id LIMIT ? OFFSET ?",
            (bank_id, *params, -1 if limit is None else limit, offset),
        )
        return [MemoryRecord.model_validate_json(record) for (record,) in rows]

    def count(self, bank_id: str, where: RecordFilter) -> int:
        sql, params = _filter_sql(where)
        query = f"SELECT COUNT(*) FROM records AS r WHERE r.bank_id = ? AND {sql}"
        return self._db.execute(query, (bank_id, *params)).fetchone()[0]

    def matching_ids(self, bank_id: str, where: RecordFilter) -> list[str]:
        sql, params = _filter_sql(where)
        rows = self._db.execute(f"SELECT r.id FROM records AS r WHERE r.bank_id = ? AND {sql}", (bank_id, *params))
        return [memory_id for (memory_id,) in rows]

    def search_keywords(
        self,
        bank_id: str,
        terms: Sequence[str],
        k: int,
        where: RecordFilter,
        context_weight: float = 1.0,
        max_term_rows: int | None = None,
    ) -> list[Scored]:
        query = [term for term in dict.fromkeys(terms) if term]
        table = _keyword_table(bank_id)
        if not query or k <= 0 or not self._table_exists(table):
            return []
        if max_term_rows is not None and self._rows_in(bank_id) > max_term_rows:
            query = without_common_terms(query, self._held(table, query), max_term_rows)
        match = " OR ".join(f'"{_token(term)}"' for term in query)
        if context_weight <= 0:
            match = f"terms : ({match})"
        weight = max(context_weight, 0.0)
        if where.is_empty:
            # Rank inside FTS5 alone and join only the k best: joining every match first costs several times more.
            rows = self._db.execute(
                f"SELECT r.id, best.score FROM (SELECT rowid, -bm25({table}, 1.0, ?) AS score FROM {table} "
                f"WHERE {table} MATCH ? ORDER BY score DESC, rowid LIMIT ?) AS best "
                "JOIN records AS r ON r.seq = best.rowid ORDER BY best.score DESC, best.rowid",
                (weight, match, k),
            )
        else:
            sql, params = _filter_sql(where)
            rows = self._db.execute(
                f"SELECT r.id, -bm25({table}, 1.0, ?) AS score FROM {table} JOIN records AS r "
                f"ON r.seq = {table}.rowid WHERE {table} MATCH ? AND {sql} ORDER BY score DESC, r.seq LIMIT ?",
                (weight, match, *params, k),
            )
        return [Scored(memory_id, score) for memory_id, score in rows]

    def search_entities(self, bank_id: str, entities: Sequence[str], k: int, where: RecordFilter) -> list[Scored]:
        wanted = sorted({entity.lower() for entity in entities})
        if not wanted or k <= 0:
            return []
        sql, params = _filter_sql(where)
        rows = self._db.execute(
            # One index range per wanted name: the name itself and every longer name it begins ('bob ...'),
            # since in byte order 'bob' < 'bob okafor' < 'bob!' < 'bobby'.
            "SELECT r.id, COUNT(DISTINCT e.entity) AS shared FROM json_each(?) AS w "
            "CROSS JOIN entities AS e ON e.bank_id = ? AND e.entity >= w.value AND e.entity < w.value || '!' "
            "AND (e.entity = w.value OR substr(e.entity, length(w.value) + 1, 1) = ' ') "
            "CROSS JOIN records AS r ON r.bank_id = e.bank_id AND r.id = e.memory_id "
            f"WHERE {sql} GROUP BY r.id ORDER BY shared DESC, r.id LIMIT ?",
            (json.dumps(wanted), bank_id, *params, k),
        )
        return [Scored(memory_id, float(shared)) for memory_id, shared in rows]

    def banks(self) -> list[BankInfo]:
        rows = self._db.execute("SELECT bank_id, COUNT(*) FROM records GROUP BY bank_id ORDER BY bank_id")
        return [BankInfo(bank_id=bank_id, memories=memories) for bank_id, memories in rows]

    def pending_vector_ops(self) -> list[VectorOp]:
        """Vector ops committed but not yet cleared, oldest first."""
        rows = self._db.execute("SELECT op, bank_id, memory_id, vector FROM vector_outbox ORDER BY seq")
        return [
            VectorOp(bank_id, memory_id, None if op == "delete" else np.frombuffer(vector, dtype=np.float32))
            for op, bank_id, memory_id, vector in rows
        ]

    def last_vector_op(self) -> int:
        """The position of the newest op in the outbox (0 when it is empty), for `clear_vector_ops`."""
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM vector_outbox").fetchone()[0]

    def clear_vector_ops(self, through: int) -> None:
        """Remove the ops up to position `through` from the outbox, once they are applied."""
        # Without zeroing what is deleted (`secure_delete`, on in some SQLite builds): these vectors are in Chroma
        # now, and zeroing them would write every outbox page a second time, as much as the rows took to write.
        self._db.execute("PRAGMA secure_delete = OFF")
        try:
            self._db.execute("DELETE FROM vector_outbox WHERE seq <= ?", (through,))
        finally:
            self._db.execute(f"PRAGMA secure_delete = {self._secure_delete}")

    def close(self) -> None:
        self._checkpoints.close()
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            self._rows.clear()
            raise
        self._db.execute("COMMIT")

    def _write_bank(self, bank_id: str, batch: list[StoredRecord]) -> None:
        """Insert or replace one bank's records (ids unique within the batch) and all that indexes them."""
        table = _keyword_table(bank_id)
        self._db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} {_KEYWORD_COLUMNS}")
        self._writes[table] = self._writes.get(table, 0) + len(batch)
        for stored in batch:
            self._parsed.pop((bank_id, stored.record.id), None)
        ids = json.dumps([stored.record.id for stored in batch])
        replaced = self._db.execute(
            "SELECT seq, id FROM records WHERE bank_id = ? AND id IN (SELECT value FROM json_each(?))", (bank_id, ids)
        ).fetchall()
        self._db.executemany(
            # The metadata and tags columns, which filters read, are taken from the record's JSON, not encoded again.
            "INSERT INTO records (bank_id, id, key, occurred_us, retained_us, metadata, tags, record, fingerprint) "
            "VALUES (?1, ?2, ?3, ?4, ?5, json_extract(?6, '$.metadata'), json_extract(?6, '$.tags'), ?6, ?7) "
            "ON CONFLICT (bank_id, id) DO UPDATE SET key = excluded.key, "
            "occurred_us = excluded.occurred_us, retained_us = excluded.retained_us, "
            "metadata = excluded.metadata, tags = excluded.tags, record = excluded.record, "
            "fingerprint = excluded.fingerprint",
            [_record_row(stored) for stored in batch],
        )
        seqs = dict(
            self._db.execute(
                "SELECT id, seq FROM records WHERE bank_id = ? AND id IN (SELECT value FROM json_each(?))",
                (bank_id, ids),
            )
        )
        if bank_id in self._rows:
            self._rows[bank_id] += len(batch) - len(replaced)
        if replaced:
            self._db.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(seq,) for seq, _ in replaced])
            self._db.executemany(
                "DELETE FROM entities WHERE bank_id = ? AND memory_id = ?", [(bank_id, id_) for _, id_ in replaced]
            )
        self._db.executemany(
            f"INSERT INTO {table} (rowid, terms, context) VALUES (?, ?, ?)",
            [(seqs[stored.record.id], _tokens(stored.terms), _tokens(stored.context)) for stored in batch],
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO entities (bank_id, entity, memory_id) VALUES (?, ?, ?)",
            [(bank_id, entity.lower(), stored.record.id) for stored in batch for entity in stored.record.entities],
        )
        self._db.executemany(
            "INSERT INTO vector_outbox (op, bank_id, memory_id, vector) VALUES ('upsert', ?, ?, ?)",
            [(bank_id, stored.record.id, np.asarray(stored.vector, dtype=np.float32).tobytes()) for stored in batch],
        )

    def _add_fingerprints(self) -> None:
        """Give records stored before exact dedup existed their fingerprint column, filled in, and its index."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
        if "fingerprint" not in columns:
            with self._transaction():
                self._db.execute("ALTER TABLE records ADD COLUMN fingerprint TEXT")
                rows = self._db.execute("SELECT seq, json_extract(record, '$.text'), metadata FROM records")
                self._db.executemany(
                    "UPDATE records SET fingerprint = ? WHERE seq = ?",
                    [(fingerprint(text, json.loads(metadata)), seq) for seq, text, metadata in rows.fetchall()],
                )
        self._db.execute("CREATE INDEX IF NOT EXISTS records_by_fingerprint ON records (bank_id, fingerprint)")

    def _add_context_columns(self) -> None:
        """Rebuild keyword tables made before context terms existed (one column) with both columns."""
        rows = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'keywords^_%' ESCAPE '^' "
            "AND sql LIKE '%fts5(terms)'"
        ).fetchall()
        for (table,) in rows:
            with self._transaction():
                self._db.execute(f"CREATE VIRTUAL TABLE {table}_rebuilt {_KEYWORD_COLUMNS}")
                self._db.execute(
                    f"INSERT INTO {table}_rebuilt (rowid, terms, context) SELECT rowid, terms, '' FROM {table}"
                )
                self._db.execute(f"DROP TABLE {table}")
                self._db.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")

    def _trim_parsed(self) -> None:
        while len(self._parsed) > _PARSED_CACHE:
            self._parsed.popitem(last=False)

    def _rows_in(self, bank_id: str) -> int:
        if bank_id not in self._rows:
            query = "SELECT COUNT(*) FROM records WHERE bank_id = ?"
            self._rows[bank_id] = self._db.execute(query, (bank_id,)).fetchone()[0]
        return self._rows[bank_id]

    def _held(self, table: str, terms: list[str]) -> dict[str, int]:
        """How many records hold each term, from FTS5's vocabulary; remembered until the bank has taken
        `_HELD_REFRESH` more writes, since this only decides which very common terms to leave out."""
        written = self._writes.get(table, 0)
        filled_at, held = self._held_counts.get(table, (written, {}))
        if written - filled_at >= _HELD_REFRESH:
            filled_at, held = written, {}
        self._held_counts[table] = (filled_at, held)
        missing = [term for term in terms if term not in held]
        if missing:
            vocabulary = f"{table}_vocabulary"
            self._db.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocabulary} USING fts5vocab(main, {table}, 'row')"
            )
            rows = self._db.execute(
                f"SELECT term, doc FROM temp.{vocabulary} WHERE term IN (SELECT value FROM json_each(?))",
                (json.dumps([_token(term) for term in missing]),),
            )
            found = {bytes.fromhex(token).decode(): count for token, count in rows}
            held.update({term: found.get(term, 0) for term in missing})
        return held

    def _table_exists(self, table: str) -> bool:
        if table not in self._tables:
            query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            if self._db.execute(query, (table,)).fetchone() is None:
                return False
            self._tables.add(table)
        return True


def _keyword_table(bank_id: str) -> str:
    return "keywords_" + hashlib.sha256(bank_id.encode()).hexdigest()[:32]


@lru_cache(maxsize=200_000)
def _token(term: str) -> str:
    """A term as one FTS5 token whatever characters it holds: its UTF-8 bytes in hex."""
    return term.encode().hex()


def _tokens(terms: Sequence[str]) -> str:
    return " ".join([_token(term) for term in terms if term])


def _record_row(stored: StoredRecord) -> tuple[object, ...]:
    record = stored.record
    return (
        record.bank_id,
        record.id,
        record.key,
        _micros(record.occurred_at),
        _micros(record.retained_at),
        record.model_dump_json(),
        stored.fingerprint,
    )


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _filter_sql(where: RecordFilter) -> tuple[str, list[object]]:
    """`where` as a SQL condition on `records AS r`, with its parameters; `1` for the empty filter."""
    parts = [_condition_sql(condition) for condition in where.metadata]
    parts += [("EXISTS (SELECT 1 FROM json_each(r.tags) WHERE value = ?)", [tag]) for tag in sorted(where.tags_all)]
    if where.occurred_from is not None:
        parts.append(("r.occurred_us >= ?", [_micros(where.occurred_from)]))
    if where.occurred_until is not None:
        parts.append(("r.occurred_us <= ?", [_micros(where.occurred_until)]))
    if where.retained_until is not None:
        parts.append(("r.retained_us <= ?", [_micros(where.retained_until)]))
    if where.keys:
        parts.append(("r.key IN (SELECT value FROM json_each(?))", [json.dumps(sorted(where.keys))]))
    if where.ids:
        parts.append(("r.id IN (SELECT value FROM json_each(?))", [json.dumps(sorted(where.ids))]))
    if where.fingerprints:
        parts.append(("r.fingerprint IN (SELECT value FROM json_each(?))", [json.dumps(sorted(where.fingerprints))]))
    sql = " AND ".join(f"({part})" for part, _ in parts) or "1"
    return sql, [param for _, part_params in parts for param in part_params]


def _condition_sql(condition: Condition) -> tuple[str, list[object]]:
    """A metadata condition as a test on the `json_each` row of its key; a missing key has no row."""
    op, value = condition.op, condition.value
    if op in ("$eq", "$ne"):
        test, params = _equal_sql((value,))
    elif op in ("$in", "$nin"):
        test, params = _equal_sql(value if isinstance(value, tuple | list) else (value,))
    elif op in _ORDERING_SQL:
        test, params = _ordering_sql(_ORDERING_SQL[op], value)
    else:
        raise ValidationError(f"filter: unknown operator {op!r}; use one of {', '.join(FILTER_OPS)}")
    exists = f"EXISTS (SELECT 1 FROM json_each(r.metadata) AS m WHERE m.key = ? AND ({test}))"
    return (f"NOT {exists}" if op in ("$ne", "$nin") else exists), [condition.key, *params]


def _equal_sql(options: Sequence[object]) -> tuple[str, list[object]]:
    tests = [_equal_one_sql(option) for option in options]
    sql = " OR ".join(f"({test})" for test, _ in tests) or "0"
    return sql, [param for _, params in tests for param in params]


def _equal_one_sql(value: object) -> tuple[str, list[object]]:
    if value is None:
        return "m.type = 'null'", []
    if isinstance(value, bool):
        return f"m.type = '{str(value).lower()}'", []
    if isinstance(value, int | float):
        return "m.type IN ('integer', 'real') AND m.value = ?", [value]
    if isinstance(value, str):
        return "m.type = 'text' AND m.value = ?", [value]
    return "0", []


def _ordering_sql(operator: str, value: MetadataValue | tuple[MetadataValue, ...]) -> tuple[str, list[object]]:
    if isinstance(value, str):
        return f"m.type = 'text' AND m.value {operator} ?", [value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"m.type IN ('integer', 'real') AND m.value {operator} ?", [value]
    return "0", []
