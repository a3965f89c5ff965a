"""The `MemoryStore` both built-in stores are: records, keywords, entities and tags in a `SqliteIndex`, vectors in
a `VectorIndex`, kept in step by the index's vector outbox.

    store = IndexedStore(SqliteIndex(None), vectors, resources, vector_batch=1)
    store.upsert(records)        # records and their vector ops: one SQLite transaction; the ops are sent on
    store.search_vectors("people", VectorQuery(query_vectors, k=10))      # after every write committed before it

A write commits the records together with an outbox of vector operations in one SQLite transaction, then sends
the outbox to the vector index once `vector_batch` operations are pending, before any vector search that could
reach them, on `flush`, and on close: a vector index may pay a fixed cost per call (Chroma does), so writes made
one at a time are applied in batches. An apply is answered later (a `Future`): what it applied leaves the outbox
once it answers, and a search waits for it. `embedded.py` and `memory.py` say what each store puts in it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from typing import Protocol

import numpy as np

from astrocyte.errors import ValidationError
from astrocyte.stores.base import (
    EntityQuery,
    KeywordQuery,
    MemoryStore,
    RecordFilter,
    Scored,
    StoredRecord,
    VectorOp,
    VectorQuery,
)
from astrocyte.stores.sqlite_index import SqliteIndex
from astrocyte.types import BankInfo, MemoryRecord

log = logging.getLogger(__name__)
_EXACT_SEARCH_LIMIT = 2048
"""A filter leaving at most this many records is searched exactly, vector by vector, instead of through the
index's filtered search, which in Chroma costs milliseconds per query row however few records pass."""


class VectorIndex(Protocol):
    """Where a store's vectors live: `apply` answered later, searches after every apply sent before them."""

    def apply(self, ops: Sequence[VectorOp]) -> Future[None]: ...

    def query(
        self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str] | None = None
    ) -> list[list[Scored]]: ...

    def exact(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str]) -> list[list[Scored]]: ...

    def close(self) -> None: ...


class IndexedStore(MemoryStore):
    """A thread-safe `MemoryStore` over `index` and `vectors`; `resources` (which hold them) close with it."""

    def __init__(
        self,
        index: SqliteIndex,
        vectors: VectorIndex,
        resources: ExitStack,
        *,
        dimensions: int | None = None,
        vector_batch: int = 1,
    ) -> None:
        self.dimensions = dimensions
        """The length of every vector, checked on the way in; None takes any."""
        self._index = index
        self._vectors = vectors
        self._resources = resources
        self._lock = threading.RLock()
        """Serialises SQLite and the outbox; vector searches go to the vector index without it."""
        self._vector_batch = vector_batch
        self._pending: set[tuple[str, str]] = set()
        """(bank, id) of upserts committed to SQLite whose vectors wait in the outbox."""
        self._queued: list[VectorOp] = []
        """The operations in the outbox, in order, while `_owed` is False: what this process committed."""
        self._owed = True
        """The outbox may hold operations this process did not queue: left by a crash, or by an apply that failed
        part way. They are read back from SQLite then."""
        self._in_flight: tuple[Future[None], int] | None = None
        """An apply sent and not yet answered, and the last outbox row it covers."""
        self._waited = 0.0

    @property
    def vector_wait_s(self) -> float:
        """Seconds this store has spent waiting for the vector index to apply writes (a batch sent while the last
        is applied, a search, a flush); what the speed report counts as waiting for chromadb."""
        return self._waited

    def upsert(self, records: Sequence[StoredRecord]) -> None:
        for stored in records:
            if self.dimensions is not None and np.shape(stored.vector) != (self.dimensions,):
                raise ValidationError(
                    f"vector of {stored.record.id!r}: shape {np.shape(stored.vector)}, but this store holds "
                    f"{self.dimensions}-dimensional vectors; embed with the embedder the store was built with"
                )
        with self._lock:
            self._index.write(records)
            self._queued += [
                VectorOp(stored.record.bank_id, stored.record.id, np.asarray(stored.vector, dtype=np.float32))
                for stored in records
            ]
            self._pending.update((stored.record.bank_id, stored.record.id) for stored in records)
            if len(self._pending) >= self._vector_batch:
                self._send_vector_outbox()

    def flush(self) -> None:
        """Apply the vector operations still waiting in the outbox now."""
        self._apply_vector_outbox()

    def select(
        self, bank_id: str, where: RecordFilter, *, offset: int = 0, limit: int | None = None
    ) -> list[MemoryRecord]:
        with self._lock:
            return self._index.select(bank_id, where, offset, limit)

    def ids(self, bank_id: str, where: RecordFilter) -> dict[str, str]:
        with self._lock:
            return self._index.ids(bank_id, where)

    def delete(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        with self._lock:
            deleted = self._index.remove(bank_id, ids)
            if deleted:
                self._queued += [VectorOp(bank_id, memory_id, None) for memory_id in deleted]
                self._send_vector_outbox()
        return deleted

    def search_vectors(self, bank_id: str, query: VectorQuery) -> list[list[Scored]]:
        vectors, k, where = query
        if self.dimensions is not None and (np.ndim(vectors) != 2 or np.shape(vectors)[1] != self.dimensions):
            raise ValidationError(
                f"query vectors: shape {np.shape(vectors)}, expected (n, {self.dimensions}) for this store"
            )
        # Vectors still waiting in the outbox (batched, or owed by a failed apply) are written first when the search
        # could reach them, so a search sees every write committed before it began.
        if where.is_empty:
            if self._pending or self._owed or self._in_flight:
                self._apply_vector_outbox()
            return self._vectors.query(bank_id, vectors, k)
        with self._lock:
            allowed = list(self._index.ids(bank_id, where))
            reachable = (
                self._owed
                or self._in_flight
                or not self._pending.isdisjoint((bank_id, memory_id) for memory_id in allowed)
            )
        if not allowed:
            return [[] for _ in vectors]
        if reachable:
            self._apply_vector_outbox()
        if len(allowed) <= _EXACT_SEARCH_LIMIT:
            return self._vectors.exact(bank_id, vectors, k, allowed)
        return self._vectors.query(bank_id, vectors, k, allowed)

    def search_keywords(self, bank_id: str, query: KeywordQuery) -> list[Scored]:
        with self._lock:
            return self._index.search_keywords(bank_id, query)

    def search_entities(self, bank_id: str, query: EntityQuery) -> list[Scored]:
        with self._lock:
            return self._index.search_entities(bank_id, query)

    def banks(self) -> list[BankInfo]:
        with self._lock:
            return self._index.banks()

    def close(self) -> None:
        """Apply waiting vector writes (what fails stays in the outbox for the next open) and release the
        resources; idempotent."""
        with self._lock:
            try:
                if self._pending or self._owed or self._in_flight:
                    self._apply_vector_outbox()
            except Exception:
                log.warning(
                    "vector writes left in the outbox of %s; they are applied when it is next opened", self._index.name
                )
            finally:
                self._pending.clear()
                self._in_flight = None
                self._resources.close()

    def _apply_vector_outbox(self) -> None:
        """Send what the outbox holds and wait until it is applied, all of it; raises what the apply raised."""
        with self._lock:
            self._send_vector_outbox()
            self._settle_vector_outbox()

    def _send_vector_outbox(self) -> None:
        """Send what the outbox holds, once the apply in flight (if any) is answered. If that apply failed,
        everything still in the outbox is sent again: a batch written meanwhile carries it."""
        with self._lock:
            try:
                self._settle_vector_outbox()
            except Exception as exc:
                log.warning("applying vector writes of %s failed (%s); sending them again", self._index.name, exc)
            ops, through = self._index.pending_vector_ops() if self._owed else (self._queued, self._index.last_queued)
            self._owed = True  # until the ops are handed over: if that raises, they are read back from SQLite
            if ops:
                self._in_flight = (self._vectors.apply(ops), through)
            self._queued = []
            self._pending.clear()
            self._owed = False

    def _settle_vector_outbox(self) -> None:
        """Wait for the apply in flight; empty the outbox of what it applied, or mark the outbox owed if it failed."""
        if self._in_flight is None:
            return
        applied, through = self._in_flight
        self._in_flight = None
        started = time.perf_counter()
        try:
            applied.result()
        except BaseException:
            self._owed = True
            raise
        finally:
            self._waited += time.perf_counter() - started
        self._index.clear_vector_ops(through)
