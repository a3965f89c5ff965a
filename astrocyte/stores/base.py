"""The storage SPI: what a backend implements so the pipeline can keep and search memories.

    store = InMemoryStore()
    store.upsert([StoredRecord(record, vector, terms="alic live pari")])
    store.search_keywords("people", ["pari"], k=5, where=RecordFilter())

A store holds records, their vectors, their index terms and their entities, per bank. It never embeds,
tokenises or applies policy: the pipeline hands it finished records, so every store ranks the same input.
Every method is synchronous and must be safe to call from several threads at once.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from astrocyte._requests import Condition, RecordFilter
from astrocyte.types import BankInfo, MemoryRecord

__all__ = ["Condition", "MemoryStore", "RecordFilter", "Scored", "StoredRecord", "VectorOp", "without_common_terms"]


class Scored(NamedTuple):
    id: str
    score: float


class VectorOp(NamedTuple):
    """Put `vector` under `memory_id` in the bank's vector index, or delete it when `vector` is None."""

    bank_id: str
    memory_id: str
    vector: np.ndarray | None


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as the pipeline hands it to a store: the record, its unit vector and its index terms."""

    record: MemoryRecord
    vector: np.ndarray
    terms: Sequence[str] = field(default=())
    """Normalised tokens for the keyword index (already stemmed; the store must not re-tokenise them)."""
    context: Sequence[str] = field(default=())
    """Index terms that describe the memory without being its words (the turns before it, the dates it names),
    ranked with the weight `search_keywords` is given; normalised like `terms`."""
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
    def get(self, bank_id: str, ids: Sequence[str]) -> list[MemoryRecord]:
        """Records with these ids, in the order asked; missing ids are skipped."""

    @abc.abstractmethod
    def select(
        self, bank_id: str, where: RecordFilter, *, offset: int = 0, limit: int | None = None
    ) -> list[MemoryRecord]:
        """Records matching `where`, oldest retained first (ties by id)."""

    @abc.abstractmethod
    def count(self, bank_id: str, where: RecordFilter | None = None) -> int: ...

    @abc.abstractmethod
    def delete(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        """Delete these records; return the ids that existed."""

    @abc.abstractmethod
    def search_vectors(self, bank_id: str, vectors: np.ndarray, k: int, where: RecordFilter) -> list[list[Scored]]:
        """For each row of `vectors`, the k nearest records by cosine similarity, best first."""

    @abc.abstractmethod
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
        """Records ranked by BM25 over their index terms (any term may match), best first, ties in the order the
        records were first stored; score > 0.

        As SQLite FTS5 ranks two columns: a term's frequency is its count in `terms` plus `context_weight` times
        its count in `context`, and a record's length is both together. With `context_weight` 0 only `terms`
        is searched. Terms held by more than `max_term_rows` of the bank's records are left out of the search,
        except the rarest term of the query; a store may count those records approximately."""

    @abc.abstractmethod
    def search_entities(self, bank_id: str, entities: Sequence[str], k: int, where: RecordFilter) -> list[Scored]:
        """Records naming any of these entities, most first; score = how many of the record's entities match.

        Matching is case-insensitive, and a query entity also matches a longer name it begins
        ('bob' matches 'Bob Okafor', not 'Bobby' or 'Okafor Bob')."""

    @abc.abstractmethod
    def banks(self) -> list[BankInfo]: ...

    @abc.abstractmethod
    def close(self) -> None: ...
