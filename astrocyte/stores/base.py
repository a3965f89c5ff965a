"""The storage SPI: what a backend implements so the pipeline can keep and search memories.

    store = InMemoryStore()
    store.upsert([StoredRecord(record, vector, terms=("alic", "live", "pari"))])
    store.search_keywords("people", KeywordQuery(["pari"], k=5))       # [Scored("m1", 0.41)]
    store.get("people", ["m1"])                                        # derived from `select`

A store holds records, their vectors, their index terms and their entities, per bank. It never embeds,
tokenises or applies policy: the pipeline hands it finished records, so every store ranks the same input.
A backend implements the abstract methods; `get`, `count` and the context manager are derived from them. Every method is
synchronous and must be safe to call from several threads at once.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import NamedTuple, Self

import numpy as np

from astrocyte._requests import Condition, RecordFilter
from astrocyte.types import BankInfo, MemoryRecord

__all__ = [
    "ANY",
    "Condition",
    "EntityQuery",
    "KeywordQuery",
    "MemoryStore",
    "RecordFilter",
    "Scored",
    "StoredRecord",
    "VectorOp",
    "VectorQuery",
    "without_common_terms",
]

ANY = RecordFilter()


class Scored(NamedTuple):
    id: str
    score: float


class VectorOp(NamedTuple):
    """Put `vector` under `memory_id` in the bank's vector index, or delete it when `vector` is None."""

    bank_id: str
    memory_id: str
    vector: np.ndarray | None


class VectorQuery(NamedTuple):
    """For each row of `vectors`, the `k` records matching `where` nearest to it by cosine similarity, best first."""

    vectors: np.ndarray
    k: int
    where: RecordFilter = ANY


class KeywordQuery(NamedTuple):
    """Records matching `where` ranked by BM25 over their index terms (any term may match), best first, ties in
    the order the records were first stored; score > 0.

    As SQLite FTS5 ranks two columns: a term's frequency is its count in `terms` plus `context_weight` times
    its count in `context`, and a record's length is both together. With `context_weight` 0 only `terms`
    is searched. Terms held by more than `max_term_rows` of the bank's records are left out of the search,
    except the rarest term of the query; a store may count those records approximately."""

    terms: Sequence[str]
    k: int
    where: RecordFilter = ANY
    context_weight: float = 1.0
    max_term_rows: int | None = None


class EntityQuery(NamedTuple):
    """Records matching `where` naming any of `entities`, most first; score = how many of the record's entities
    match. Matching is case-insensitive, and a query entity also matches a longer name it begins
    ('bob' matches 'Bob Okafor', not 'Bobby' or 'Okafor Bob')."""

    entities: Sequence[str]
    k: int
    where: RecordFilter = ANY


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as the pipeline hands it to a store: the record, its unit vector and its index terms."""

    record: MemoryRecord
    vector: np.ndarray
    terms: Sequence[str] = field(default=())
    """Normalised tokens for the keyword index (already stemmed; the store must not re-tokenise them)."""
    context: Sequence[str] = field(default=())
    """Index terms that describe the memory without being its words (the turns before it, the dates it names),
    ranked with `KeywordQuery.context_weight`; normalised like `terms`."""
    fingerprint: str = ""
    """The key of exact dedup (`astrocyte.text.fingerprint` of text and metadata), for `RecordFilter.fingerprints`."""


def without_common_terms(terms: Sequence[str], held: Mapping[str, int], max_rows: int) -> list[str]:
    """`terms` minus those held by more than `max_rows` records, but never without the rarest (the first of
    equals); `held` counts the records holding each term."""
    rarest = min(terms, key=lambda term: held.get(term, 0))
    return [term for term in terms if term == rarest or held.get(term, 0) <= max_rows]


class MemoryStore(abc.ABC):
    """The contract every backend meets; `tests/test_store_conformance.py` checks it for each one."""

    @abc.abstractmethod
    def upsert(self, records: Sequence[StoredRecord]) -> None:
        """Insert or replace records by id, atomically: after a crash either all of them are kept or none."""

    @abc.abstractmethod
    def select(
        self, bank_id: str, where: RecordFilter, *, offset: int = 0, limit: int | None = None
    ) -> list[MemoryRecord]:
        """Records matching `where`, oldest retained first (ties by id)."""

    @abc.abstractmethod
    def ids(self, bank_id: str, where: RecordFilter) -> dict[str, str]:
        """The ids of the records matching `where`, in `select`'s order, each with its fingerprint: a select
        that reads no record. Lookups by ids, keys, fingerprints or tags must each go through an index."""

    @abc.abstractmethod
    def delete(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        """Delete these records; return the ids that existed, in the order asked."""

    @abc.abstractmethod
    def search_vectors(self, bank_id: str, query: VectorQuery) -> list[list[Scored]]: ...

    @abc.abstractmethod
    def search_keywords(self, bank_id: str, query: KeywordQuery) -> list[Scored]: ...

    @abc.abstractmethod
    def search_entities(self, bank_id: str, query: EntityQuery) -> list[Scored]: ...

    @abc.abstractmethod
    def banks(self) -> list[BankInfo]:
        """Banks holding records, by id."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what the store holds; idempotent."""

    def get(self, bank_id: str, ids: Sequence[str]) -> list[MemoryRecord]:
        """Records with these ids, in the order asked; missing ids are skipped."""
        if not ids:
            return []
        found = {record.id: record for record in self.select(bank_id, RecordFilter(ids=frozenset(ids)))}
        return [found[memory_id] for memory_id in ids if memory_id in found]

    def count(self, bank_id: str, where: RecordFilter = ANY) -> int:
        """How many records match `where`."""
        return len(self.ids(bank_id, where))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
