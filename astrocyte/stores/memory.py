"""The in-memory store: the embedded store's SQLite index on an in-memory database, and every vector held in
memory and searched exactly; nothing persisted.

    store = InMemoryStore()
    store.upsert([StoredRecord(record, vector, terms=["alic", "live", "pari"])])
    store.search_keywords("people", KeywordQuery(["pari"], k=5))

It ranks keywords and evaluates filters with the very SQL the embedded store runs (`sqlite_index.py`), so the
two stores differ only in where vectors live. For tests, experiments and `store.kind: memory`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from itertools import groupby

import numpy as np

from astrocyte.stores.base import Scored, VectorOp
from astrocyte.stores.exact_vectors import ExactVectors
from astrocyte.stores.indexed import IndexedStore
from astrocyte.stores.sqlite_index import SqliteIndex


class InMemoryStore(IndexedStore):
    """A thread-safe `MemoryStore` held in process memory."""

    def __init__(self) -> None:
        resources = ExitStack()
        index = SqliteIndex(None)
        resources.callback(index.close)
        super().__init__(index, _MemoryVectors(), resources)


class _MemoryVectors:
    """A `VectorIndex` holding every bank in `ExactVectors`, applying writes as they come."""

    def __init__(self) -> None:
        self._exact = ExactVectors(bank_bytes=sys.maxsize, total_bytes=sys.maxsize)
        self._lock = threading.Lock()

    def apply(self, ops: Sequence[VectorOp]) -> Future[None]:
        with self._lock:
            for (bank_id, is_delete), run in groupby(ops, key=lambda op: (op.bank_id, op.vector is None)):
                latest = {op.memory_id: op.vector for op in run}
                if is_delete:
                    self._exact.remove(bank_id, list(latest))
                    continue
                vectors = np.stack(list(latest.values()))
                if not self._exact.holds(bank_id):
                    self._exact.load(bank_id, [], vectors[:0], vectors.shape[1])
                self._exact.put(bank_id, list(latest), vectors)
        applied: Future[None] = Future()
        applied.set_result(None)
        return applied

    def query(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str] | None = None) -> list[list[Scored]]:
        with self._lock:
            if not self._exact.holds(bank_id):
                return [[] for _ in vectors]
            return self._exact.search(bank_id, vectors, k, ids)

    def exact(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str]) -> list[list[Scored]]:
        return self.query(bank_id, vectors, k, ids)

    def close(self) -> None:
        """Nothing to release: the vectors live as long as the store."""
