"""The SQLite half of the stores: records, the keyword, entity and tag indexes, and the vector outbox.

    index = SqliteIndex(Path("data/records.sqlite3"))     # or SqliteIndex(None): in memory, nothing kept
    index.write(stored_records)              # records, keywords, entities, tags and vector ops: one transaction
    ops, through = index.pending_vector_ops()
    vectors.apply(ops).result()
    index.clear_vector_ops(through)

SQLite is the source of truth. Each bank has its own FTS5 table, so BM25 statistics are per bank, with two
columns: a memory's own terms and its context terms, weighted at query time. Terms are indexed hex-encoded, one
FTS5 token each: they arrive already normalised, and FTS5's tokenizer would otherwise split them again at
apostrophes or fold their accents. A lookup by id, key, fingerprint or tag reads through an index whatever the
size of the bank; the schema is versioned (`PRAGMA user_version`) and brought up to date on open (`_MIGRATIONS`).
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
    EntityQuery,
    KeywordQuery,
    RecordFilter,
    Scored,
    StoredRecord,
    VectorOp,
    without_common_terms,
)
from astrocyte.stores.migrations import Migration, pending
from astrocyte.stores.wal_checkpoints import BACKSTOP_PAGES, WalCheckpoints
from astrocyte.text import fingerprint
from astrocyte.types import BankInfo, MemoryRecord, MetadataValue

_KEYWORD_COLUMNS = "USING fts5(terms, context)"
_HELD_REFRESH = 1000
_CHECKPOINT_ROWS = 1000
"""Records written between two checkpoints of the log: each changes one to two pages of it."""
_PARSED_CACHE = 8192
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORDERING_SQL = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


class SqliteIndex:
    """Records and their indexes in one SQLite database; not thread-safe, the owner serialises calls."""

    def __init__(self, path: Path | None) -> None:
        self.name = str(path or ":memory:")
        self._db = sqlite3.connect(self.name, check_same_thread=False, isolation_level=None)
        self._writes: dict[str, int] = {}
        self._parsed: OrderedDict[tuple[str, str], MemoryRecord] = OrderedDict()
        self._rows: dict[str, int] = {}
        """Records per bank, counted once and then kept up to date by writes and removals."""
        self._held_counts: dict[str, tuple[int, dict[str, int]]] = {}
        self._records_end = self._outbox_end = 0
        """The largest seq given to a record, and to an op in the vector outbox. The index numbers new rows itself,
        counting on from these (a file is one process's alone), so it never asks SQLite which seq a row got."""
        if path is not None:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
        # Deleted rows are zeroed in the pages a delete writes anyway, not in pages it frees: zeroing those would
        # write every page of an applied outbox a second time, as much as the rows took to write.
        self._db.execute("PRAGMA secure_delete = FAST")
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        self._records_end, self._outbox_end = self._db.execute(
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM records), (SELECT COALESCE(MAX(seq), 0) FROM vector_outbox)"
        ).fetchone()
        self._tables = self._keyword_tables()
        """Keyword tables known to exist (they are never dropped), and vocabularies made of them."""
        self._checkpoints = WalCheckpoints(path, every_rows=_CHECKPOINT_ROWS) if path is not None else None

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
        """Insert or replace records with their keywords, entities and tags, and queue their vectors."""
        latest = {(stored.record.bank_id, stored.record.id): stored for stored in records}
        with self._transaction():
            by_bank: dict[str, list[StoredRecord]] = {}
            for (bank_id, _), stored in latest.items():
                by_bank.setdefault(bank_id, []).append(stored)
            for bank_id, batch in by_bank.items():
                self._write_bank(bank_id, batch)
        self._written(len(latest))
        # Once committed, the records just written are the likeliest to be read back soon.
        for slot, stored in latest.items():
            self._parsed[slot] = stored.record
            self._parsed.move_to_end(slot)
        self._trim_parsed()

    def remove(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        """Delete records with their indexes, queue their vector deletes; return those found, in the order asked."""
        with self._transaction():
            rows = self._db.execute(
                "DELETE FROM records WHERE bank_id = ? AND id IN (SELECT value FROM json_each(?)) RETURNING id, seq",
                (bank_id, json.dumps(list(ids))),
            )
            found = dict(rows.fetchall())
            deleted = [memory_id for memory_id in dict.fromkeys(ids) if memory_id in found]
            if not deleted:
                return []
            seqs = [(found[memory_id],) for memory_id in deleted]
            table = _keyword_table(bank_id)
            self._db.executemany(f"DELETE FROM {table} WHERE rowid = ?", seqs)
            self._db.executemany("DELETE FROM tags WHERE seq = ?", seqs)
            self._db.executemany(
                "DELETE FROM entities WHERE bank_id = ? AND memory_id = ?",
                [(bank_id, memory_id) for memory_id in deleted],
            )
            self._writes[table] = self._writes.get(table, 0) + len(seqs)
            if bank_id in self._rows:
                self._rows[bank_id] -= len(seqs)
            self._queue_vectors([(bank_id, memory_id, None) for memory_id in deleted])
        for memory_id in deleted:
            self._parsed.pop((bank_id, memory_id), None)
        self._written(len(deleted))
        return deleted

    def select(
        self, bank_id: str, where: RecordFilter, offset: int = 0, limit: int | None = None
    ) -> list[MemoryRecord]:
        if where == RecordFilter(ids=where.ids) and where.ids and offset == 0 and limit is None:
            return self._by_id(bank_id, where.ids)
        sql, params = _filter_sql(bank_id, where)
        rows = self._db.execute(
            f"SELECT r.record FROM records AS r WHERE {sql} ORDER BY {_order_sql(where)} LIMIT ? OFFSET ?",
            (*params, -1 if limit is None else limit, offset),
        )
        return [MemoryRecord.model_validate_json(record) for (record,) in rows]

    def ids(self, bank_id: str, where: RecordFilter) -> dict[str, str]:
        sql, params = _filter_sql(bank_id, where)
        rows = self._db.execute(
            f"SELECT r.id, r.fingerprint FROM records AS r WHERE {sql} ORDER BY {_order_sql(where)}", params
        )
        return {memory_id: found or "" for memory_id, found in rows}

    def search_keywords(self, bank_id: str, query: KeywordQuery) -> list[Scored]:
        terms = [term for term in dict.fromkeys(query.terms) if term]
        table = _keyword_table(bank_id)
        if not terms or query.k <= 0 or table not in self._tables:
            return []
        if query.max_term_rows is not None and self._rows_in(bank_id) > query.max_term_rows:
            terms = without_common_terms(terms, self._held(table, terms), query.max_term_rows)
        match = " OR ".join(f'"{_token(term)}"' for term in terms)
        if query.context_weight <= 0:
            match = f"terms : ({match})"
        weight = max(query.context_weight, 0.0)
        if query.where.is_empty:
            # Rank inside FTS5 alone and join only the k best: joining every match first costs several times more.
            rows = self._db.execute(
                f"SELECT r.id, best.score FROM (SELECT rowid, -bm25({table}, 1.0, ?) AS score FROM {table} "
                f"WHERE {table} MATCH ? ORDER BY score DESC, rowid LIMIT ?) AS best "
                "JOIN records AS r ON r.seq = best.rowid ORDER BY best.score DESC, best.rowid",
                (weight, match, query.k),
            )
        else:
            sql, params = _filter_sql(bank_id, query.where)
            rows = self._db.execute(
                f"SELECT r.id, -bm25({table}, 1.0, ?) AS score FROM {table} JOIN records AS r "
                f"ON r.seq = {table}.rowid WHERE {table} MATCH ? AND {sql} ORDER BY score DESC, r.seq LIMIT ?",
                (weight, match, *params, query.k),
            )
        return [Scored(memory_id, score) for memory_id, score in rows]

    def search_entities(self, bank_id: str, query: EntityQuery) -> list[Scored]:
        wanted = sorted({entity.lower() for entity in query.entities})
        if not wanted or query.k <= 0:
            return []
        sql, params = _filter_sql(bank_id, query.where)
        rows = self._db.execute(
            # One index range per wanted name: the name itself and every longer name it begins ('bob ...'),
            # since in byte order 'bob' < 'bob okafor' < 'bob!' < 'bobby'.
            "SELECT r.id, COUNT(DISTINCT e.entity) AS shared FROM json_each(?) AS w "
            "CROSS JOIN entities AS e ON e.bank_id = ? AND e.entity >= w.value AND e.entity < w.value || '!' "
            "AND (e.entity = w.value OR substr(e.entity, length(w.value) + 1, 1) = ' ') "
            "CROSS JOIN records AS r ON r.bank_id = e.bank_id AND r.id = e.memory_id "
            f"WHERE {sql} GROUP BY r.id ORDER BY shared DESC, r.id LIMIT ?",
            (json.dumps(wanted), bank_id, *params, query.k),
        )
        return [Scored(memory_id, float(shared)) for memory_id, shared in rows]

    def banks(self) -> list[BankInfo]:
        rows = self._db.execute("SELECT bank_id, COUNT(*) FROM records GROUP BY bank_id ORDER BY bank_id")
        return [BankInfo(bank_id=bank_id, memories=memories) for bank_id, memories in rows]

    def pending_vector_ops(self) -> tuple[list[VectorOp], int]:
        """Vector ops committed but not yet cleared, oldest first, and the position of the last (0 if none)."""
        rows = self._db.execute("SELECT seq, op, bank_id, memory_id, vector FROM vector_outbox ORDER BY seq").fetchall()
        ops = [
            VectorOp(bank_id, memory_id, None if op == "delete" else np.frombuffer(vector, dtype=np.float32))
            for _, op, bank_id, memory_id, vector in rows
        ]
        return ops, rows[-1][0] if rows else 0

    @property
    def last_queued(self) -> int:
        """The position of the newest vector op in the outbox (0 when it is empty), for `clear_vector_ops`."""
        return self._outbox_end

    def clear_vector_ops(self, through: int) -> None:
        """Remove the ops up to position `through` from the outbox, once they are applied."""
        self._db.execute("DELETE FROM vector_outbox WHERE seq <= ?", (through,))

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
        self._db.close()

    def _migrate(self) -> None:
        """Bring the schema to the last of `_MIGRATIONS`, all steps in one transaction."""
        with self._transaction():
            recorded = self._db.execute("PRAGMA user_version").fetchone()[0]
            steps = pending(_MIGRATIONS, recorded, database=self.name)
            for step in steps:
                step.apply(self._db)
            if steps:
                self._db.execute(f"PRAGMA user_version = {steps[-1].version}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        ends = self._records_end, self._outbox_end
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            self._rows.clear()
            self._tables = self._keyword_tables()
            self._records_end, self._outbox_end = ends
            raise
        self._db.execute("COMMIT")

    def _write_bank(self, bank_id: str, batch: list[StoredRecord]) -> None:
        """Insert or replace one bank's records (ids unique within the batch) and all that indexes them."""
        table = _keyword_table(bank_id)
        if table not in self._tables:
            self._db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} {_KEYWORD_COLUMNS}")
            self._tables.add(table)
        self._writes[table] = self._writes.get(table, 0) + len(batch)
        for stored in batch:
            self._parsed.pop((bank_id, stored.record.id), None)
        replaced = self._db.execute(
            "SELECT seq, id FROM records WHERE bank_id = ? AND id IN (SELECT value FROM json_each(?))",
            (bank_id, json.dumps([stored.record.id for stored in batch])),
        ).fetchall()
        kept = {memory_id: seq for seq, memory_id in replaced}
        seqs = [kept.get(stored.record.id) or self._next_record() for stored in batch]
        # A replaced record keeps its seq: the insert offers none (NULL), and the conflict on (bank_id, id) updates.
        self._db.executemany(
            _UPSERT_RECORD,
            [
                (*_record_row(stored), None if stored.record.id in kept else seq)
                for seq, stored in zip(seqs, batch, strict=True)
            ],
        )
        if bank_id in self._rows:
            self._rows[bank_id] += len(batch) - len(replaced)
        if replaced:
            self._db.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(seq,) for seq, _ in replaced])
            self._db.executemany("DELETE FROM tags WHERE seq = ?", [(seq,) for seq, _ in replaced])
            self._db.executemany(
                "DELETE FROM entities WHERE bank_id = ? AND memory_id = ?", [(bank_id, id_) for _, id_ in replaced]
            )
        self._db.executemany(
            f"INSERT INTO {table} (rowid, terms, context) VALUES (?, ?, ?)",
            [(seq, _tokens(stored.terms), _tokens(stored.context)) for seq, stored in zip(seqs, batch, strict=True)],
        )
        entities = [
            (bank_id, entity.lower(), stored.record.id) for stored in batch for entity in stored.record.entities
        ]
        if entities:
            self._db.executemany(
                "INSERT OR IGNORE INTO entities (bank_id, entity, memory_id) VALUES (?, ?, ?)", entities
            )
        tags = [(seq, bank_id, tag) for seq, stored in zip(seqs, batch, strict=True) for tag in stored.record.tags]
        if tags:
            self._db.executemany("INSERT OR IGNORE INTO tags (seq, bank_id, tag) VALUES (?, ?, ?)", tags)
        self._queue_vectors(
            [(bank_id, stored.record.id, np.asarray(stored.vector, dtype=np.float32).tobytes()) for stored in batch]
        )

    def _queue_vectors(self, ops: list[tuple[str, str, bytes | None]]) -> None:
        """Add vector ops (a None vector deletes) to the end of the outbox."""
        first = self._outbox_end + 1
        self._outbox_end += len(ops)
        self._db.executemany(
            "INSERT INTO vector_outbox (seq, op, bank_id, memory_id, vector) VALUES (?, ?, ?, ?, ?)",
            [
                (seq, "delete" if vector is None else "upsert", bank_id, memory_id, vector)
                for seq, (bank_id, memory_id, vector) in enumerate(ops, start=first)
            ],
        )

    def _next_record(self) -> int:
        self._records_end += 1
        return self._records_end

    def _by_id(self, bank_id: str, ids: frozenset[str]) -> list[MemoryRecord]:
        """Records by id, oldest retained first; recently read ones come from a cache of parsed records that
        writes keep current."""
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
        return sorted(found.values(), key=lambda record: (record.retained_at, record.id))

    def _written(self, rows: int) -> None:
        if self._checkpoints is not None:
            self._checkpoints.written(rows)

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
            vocabulary = f"temp.{table}_vocabulary"
            if vocabulary not in self._tables:
                self._db.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocabulary} USING fts5vocab(main, {table}, 'row')"
                )
                self._tables.add(vocabulary)
            rows = self._db.execute(
                f"SELECT term, doc FROM {vocabulary} WHERE term IN (SELECT value FROM json_each(?))",
                (json.dumps([_token(term) for term in missing]),),
            )
            found = {bytes.fromhex(token).decode(): count for token, count in rows}
            held.update({term: found.get(term, 0) for term in missing})
        return held

    def _keyword_tables(self) -> set[str]:
        rows = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'keywords^_%' ESCAPE '^'"
        )
        return {name for (name,) in rows}


_UPSERT_RECORD = (
    # The metadata and tags columns, which filters read, are taken from the record's JSON, not encoded again.
    "INSERT INTO records (seq, bank_id, id, key, occurred_us, retained_us, metadata, tags, record, fingerprint) "
    "VALUES (?8, ?1, ?2, ?3, ?4, ?5, json_extract(?6, '$.metadata'), json_extract(?6, '$.tags'), ?6, ?7) "
    "ON CONFLICT (bank_id, id) DO UPDATE SET key = excluded.key, "
    "occurred_us = excluded.occurred_us, retained_us = excluded.retained_us, "
    "metadata = excluded.metadata, tags = excluded.tags, record = excluded.record, "
    "fingerprint = excluded.fingerprint"
)


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


def _filter_sql(bank_id: str, where: RecordFilter) -> tuple[str, list[object]]:
    """The bank and `where` as a SQL condition on `records AS r`, with its parameters.

    Tags are looked up in their own index. When they are the only point restriction the bank is compared as
    `+r.bank_id`, an expression no index serves, so that SQLite reads the records of those tags by rowid rather
    than every record of the bank through an index on `bank_id`."""
    parts = [_condition_sql(condition) for condition in where.metadata]
    parts += [
        ("r.seq IN (SELECT seq FROM tags WHERE bank_id = ? AND tag = ?)", [bank_id, tag])
        for tag in sorted(where.tags_all)
    ]
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
    by_tags = where.tags_all and not (where.ids or where.keys or where.fingerprints)
    bank = ("+r.bank_id = ?" if by_tags else "r.bank_id = ?", [bank_id])
    parts.insert(0, bank)
    return " AND ".join(f"({part})" for part, _ in parts), [param for _, part_params in parts for param in part_params]


def _order_sql(where: RecordFilter) -> str:
    """Oldest retained first. A lookup by ids, keys, fingerprints or tags sorts what its index found; ordering
    by the plain columns would make SQLite read the whole bank in `records_by_retained` order instead."""
    if where.ids or where.keys or where.fingerprints or where.tags_all:
        return "+r.retained_us, +r.id"
    return "r.retained_us, r.id"


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


_UNVERSIONED_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS records (
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
    )""",
    "CREATE INDEX IF NOT EXISTS records_by_retained ON records (bank_id, retained_us, id)",
    "CREATE INDEX IF NOT EXISTS records_by_occurred ON records (bank_id, occurred_us)",
    "DROP INDEX IF EXISTS records_by_key",
    "CREATE INDEX IF NOT EXISTS records_by_set_key ON records (bank_id, key) WHERE key IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS entities (
        bank_id TEXT NOT NULL,
        entity TEXT NOT NULL,
        memory_id TEXT NOT NULL,
        PRIMARY KEY (bank_id, entity, memory_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS entities_by_memory ON entities (bank_id, memory_id)",
    """CREATE TABLE IF NOT EXISTS vector_outbox (
        seq INTEGER PRIMARY KEY,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        bank_id TEXT NOT NULL,
        memory_id TEXT NOT NULL,
        vector BLOB
    )""",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def _adopt_unversioned(db: sqlite3.Connection) -> None:
    """Version 1: the schema as it was before versions were recorded (user_version 0), from whichever of its
    earlier forms the file holds: without fingerprints, or with one-column keyword tables."""
    for statement in _UNVERSIONED_SCHEMA:
        db.execute(statement)
    if "fingerprint" not in {row[1] for row in db.execute("PRAGMA table_info(records)")}:
        db.execute("ALTER TABLE records ADD COLUMN fingerprint TEXT")
        rows = db.execute("SELECT seq, json_extract(record, '$.text'), metadata FROM records").fetchall()
        db.executemany(
            "UPDATE records SET fingerprint = ? WHERE seq = ?",
            [(fingerprint(text, json.loads(metadata)), seq) for seq, text, metadata in rows],
        )
    db.execute("CREATE INDEX IF NOT EXISTS records_by_fingerprint ON records (bank_id, fingerprint)")
    one_column = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'keywords^_%' ESCAPE '^' "
        "AND sql LIKE '%fts5(terms)'"
    ).fetchall()
    for (table,) in one_column:
        db.execute(f"CREATE VIRTUAL TABLE {table}_rebuilt {_KEYWORD_COLUMNS}")
        db.execute(f"INSERT INTO {table}_rebuilt (rowid, terms, context) SELECT rowid, terms, '' FROM {table}")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")


def _index_tags(db: sqlite3.Connection) -> None:
    """Version 2: tags in a table of their own, so that a lookup by tag reads its records alone."""
    db.execute(
        "CREATE TABLE tags (seq INTEGER NOT NULL, bank_id TEXT NOT NULL, tag TEXT NOT NULL, "
        "PRIMARY KEY (seq, tag)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX tags_by_tag ON tags (bank_id, tag)")
    db.execute(
        "INSERT OR IGNORE INTO tags (seq, bank_id, tag) "
        "SELECT r.seq, r.bank_id, t.value FROM records AS r, json_each(r.tags) AS t"
    )


_MIGRATIONS: tuple[Migration[sqlite3.Connection], ...] = (
    Migration(1, "records, keywords, entities and the vector outbox, as written before versions", _adopt_unversioned),
    Migration(2, "an index of tags", _index_tags),
)
