"""The in-memory reference store: plain dicts per bank, brute-force search, nothing persisted.

    store = InMemoryStore()
    store.upsert([StoredRecord(record, vector, terms=["alic", "live", "pari"])])
    store.search_keywords("people", ["pari"], k=5, where=RecordFilter())

It defines the behaviour every other store must match: its keyword ranking is SQLite FTS5's BM25 written out
by hand (same constants, same IDF floor, statistics per bank), so the embedded store ranks identically.
"""

from __future__ import annotations

import math
import operator
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from astrocyte._requests import FILTER_OPS
from astrocyte.errors import ValidationError
from astrocyte.stores.base import (
    Condition,
    MemoryStore,
    RecordFilter,
    Scored,
    StoredRecord,
    without_common_terms,
)
from astrocyte.types import BankInfo, MemoryRecord, MetadataValue

_BM25_K1 = 1.2
_BM25_B = 0.75
_BM25_MIN_IDF = 1e-6
_MISSING = object()
_ORDERING = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


@dataclass(frozen=True)
class _Entry:
    record: MemoryRecord
    vector: np.ndarray
    terms: Counter[str]
    context: Counter[str]
    length: int
    """Tokens in `terms` and `context` together, as FTS5 counts a row's length."""
    entities: frozenset[str]
    fingerprint: str


class InMemoryStore(MemoryStore):
    """A thread-safe `MemoryStore` held in process memory; for tests and as the behavioural reference."""

    def __init__(self) -> None:
        self._banks: dict[str, dict[str, _Entry]] = {}
        self._lock = threading.Lock()

    def upsert(self, records: Sequence[StoredRecord]) -> None:
        entries = [_entry(stored) for stored in records]
        with self._lock:
            for entry in entries:
                self._banks.setdefault(entry.record.bank_id, {})[entry.record.id] = entry

    def get(self, bank_id: str, ids: Sequence[str]) -> list[MemoryRecord]:
        with self._lock:
            bank = self._banks.get(bank_id, {})
            return [bank[memory_id].record for memory_id in ids if memory_id in bank]

    def select(
        self, bank_id: str, where: RecordFilter, *, offset: int = 0, limit: int | None = None
    ) -> list[MemoryRecord]:
        with self._lock:
            records = [entry.record for entry in self._matching(bank_id, where)]
        records.sort(key=lambda record: (record.retained_at, record.id))
        end = None if limit is None else offset + limit
        return records[offset:end]

    def count(self, bank_id: str, where: RecordFilter | None = None) -> int:
        with self._lock:
            return len(self._matching(bank_id, where or RecordFilter()))

    def delete(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        with self._lock:
            bank = self._banks.get(bank_id, {})
            deleted = [memory_id for memory_id in dict.fromkeys(ids) if memory_id in bank]
            for memory_id in deleted:
                del bank[memory_id]
            if not bank:
                self._banks.pop(bank_id, None)
            return deleted

    def search_vectors(self, bank_id: str, vectors: np.ndarray, k: int, where: RecordFilter) -> list[list[Scored]]:
        with self._lock:
            candidates = self._matching(bank_id, where)
        if not candidates or k <= 0:
            return [[] for _ in vectors]
        similarities = _unit_rows(vectors) @ _unit_rows(np.stack([entry.vector for entry in candidates])).T
        ids = [entry.record.id for entry in candidates]
        return [_top_k(ids, row.tolist(), k) for row in similarities]

    def search_keywords(
        self,
        bank_id: str,
        terms: Sequence[str],
        k: int,
        where: RecordFilter,
        *,
        context_weight: float = 1.0,
        max_term_rows: int | None = None,
    ) -> list[Scored]:
        query = [term for term in dict.fromkeys(terms) if term]
        with self._lock:
            bank = list(self._banks.get(bank_id, {}).values())
        if max_term_rows is not None and query:
            held = {term: sum(1 for entry in bank if term in entry.terms or term in entry.context) for term in query}
            query = without_common_terms(query, held, max_term_rows)
        scores = _bm25(bank, query, context_weight)
        hits = [entry.record.id for entry in bank if entry.record.id in scores and _matches(entry, where)]
        ranked = sorted(hits, key=lambda memory_id: -scores[memory_id])
        return [Scored(memory_id, scores[memory_id]) for memory_id in ranked[: max(k, 0)]]

    def search_entities(self, bank_id: str, entities: Sequence[str], k: int, where: RecordFilter) -> list[Scored]:
        wanted = {entity.lower() for entity in entities}
        with self._lock:
            candidates = self._matching(bank_id, where)
        shared = {entry.record.id: sum(_names_any(entity, wanted) for entity in entry.entities) for entry in candidates}
        hits = [memory_id for memory_id, count in shared.items() if count]
        return _top_k(hits, [float(shared[memory_id]) for memory_id in hits], k)

    def banks(self) -> list[BankInfo]:
        with self._lock:
            return [BankInfo(bank_id=bank_id, memories=len(bank)) for bank_id, bank in sorted(self._banks.items())]

    def close(self) -> None:
        """Nothing to release; the records live as long as the store object."""

    def _matching(self, bank_id: str, where: RecordFilter) -> list[_Entry]:
        bank = self._banks.get(bank_id, {})
        return [entry for entry in bank.values() if _matches(entry, where)]


def _names_any(entity: str, wanted: set[str]) -> bool:
    """`wanted` names the entity whole, or by its leading words ('bob' names 'bob okafor')."""
    return entity in wanted or any(entity.startswith(f"{name} ") for name in wanted)


def _matches(entry: _Entry, where: RecordFilter) -> bool:
    """Whether the entry's record satisfies every restriction in `where`."""
    record = entry.record
    return (
        all(_condition_holds(record.metadata.get(condition.key, _MISSING), condition) for condition in where.metadata)
        and where.tags_all.issubset(record.tags)
        and (where.occurred_from is None or record.occurred_at >= where.occurred_from)
        and (where.occurred_until is None or record.occurred_at <= where.occurred_until)
        and (where.retained_until is None or record.retained_at <= where.retained_until)
        and (not where.keys or record.key in where.keys)
        and (not where.ids or record.id in where.ids)
        and (not where.fingerprints or entry.fingerprint in where.fingerprints)
    )


def _condition_holds(actual: object, condition: Condition) -> bool:
    op, expected = condition.op, condition.value
    if op == "$eq":
        return _equal(actual, expected)
    if op == "$ne":
        return not _equal(actual, expected)
    if op == "$in":
        return any(_equal(actual, option) for option in _options(expected))
    if op == "$nin":
        return not any(_equal(actual, option) for option in _options(expected))
    if op not in _ORDERING:
        raise ValidationError(f"filter: unknown operator {op!r}; use one of {', '.join(FILTER_OPS)}")
    kind = _kind(actual)
    return kind in ("number", "string") and kind == _kind(expected) and _ORDERING[op](actual, expected)


def _equal(actual: object, expected: object) -> bool:
    return _kind(actual) == _kind(expected) != "other" and actual == expected


def _options(value: MetadataValue | tuple[MetadataValue, ...]) -> tuple[MetadataValue, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _entry(stored: StoredRecord) -> _Entry:
    terms = Counter(term for term in stored.terms if term)
    context = Counter(term for term in stored.context if term)
    return _Entry(
        record=stored.record,
        vector=np.asarray(stored.vector, dtype=np.float64),
        terms=terms,
        context=context,
        length=terms.total() + context.total(),
        entities=frozenset(entity.lower() for entity in stored.record.entities),
        fingerprint=stored.fingerprint,
    )


def _bm25(bank: list[_Entry], query: list[str], context_weight: float) -> dict[str, float]:
    """FTS5's `bm25(table, 1.0, context_weight)` negated: the same formula evaluated in the same order, so both
    stores score alike. With a zero weight FTS5 is asked for the terms column only, which its IDF follows."""
    if not query:
        return {}
    rows = len(bank) or 1
    avgdl = (sum(entry.length for entry in bank) or 1) / rows
    searched = context_weight > 0

    def frequency(entry: _Entry, term: str) -> float:
        return entry.terms[term] + (context_weight * entry.context[term] if searched else 0.0)

    def contains(entry: _Entry, term: str) -> bool:
        return term in entry.terms or (searched and term in entry.context)

    idf = []
    for term in query:
        hits = sum(1 for entry in bank if contains(entry, term))
        term_idf = math.log((rows - hits + 0.5) / (hits + 0.5))
        idf.append(term_idf if term_idf > 0.0 else _BM25_MIN_IDF)
    scores = {}
    for entry in bank:
        if not any(contains(entry, term) for term in query):
            continue
        score = 0.0
        for term, term_idf in zip(query, idf, strict=True):
            tf = frequency(entry, term)
            score += term_idf * (
                (tf * (_BM25_K1 + 1.0)) / (tf + _BM25_K1 * (1 - _BM25_B + _BM25_B * entry.length / avgdl))
            )
        scores[entry.record.id] = score
    return scores


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _top_k(ids: Iterable[str], scores: Sequence[float], k: int) -> list[Scored]:
    ranked = sorted(zip(ids, scores, strict=True), key=lambda pair: (-pair[1], pair[0]))
    return [Scored(memory_id, score) for memory_id, score in ranked[: max(k, 0)]]
