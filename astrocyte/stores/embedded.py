"""The embedded default store: SQLite for records, keywords and entities, Chroma for vectors, in one folder.

    store = EmbeddedStore("~/.astrocyte", embedder_identity=embedder.identity, dimensions=embedder.dimensions)
    with store:
        store.upsert(records)
        hits = store.search_vectors("people", query_vectors, k=10, where=RecordFilter())

The directory holds `records.sqlite3` (the source of truth), `chroma/` (vectors only) and `astrocyte.lock`,
held while the store is open so that a second process fails fast instead of corrupting the data. A write
commits the records together with an outbox of vector operations in one SQLite transaction, then sends the
outbox to Chroma once `vector_batch` operations are pending, before any vector search, and on close: Chroma
pays a fixed cost per call, so writes made one at a time are applied in batches. Chroma runs in a worker
process (`chroma_process.py`) unless `vector_process` is False, so a batch is applied there while this process
goes on; what it applied leaves the outbox once it answers, and a search waits for it. Whatever a crash left in
the outbox is applied when the store is next opened. Banks whose vectors take at most `exact_search_bank_mb`
are also held in memory once searched, and searched exactly there (`exact_vectors.py`): faster than Chroma's
index for small banks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

import numpy as np
from filelock import FileLock, Timeout

from astrocyte.errors import ConfigError, DataDirLocked, ValidationError
from astrocyte.stores.base import MemoryStore, RecordFilter, Scored, StoredRecord, VectorOp
from astrocyte.stores.chroma_process import InProcessVectors, ProcessVectors, VectorIndex
from astrocyte.stores.sqlite_index import SqliteIndex
from astrocyte.types import BankInfo, MemoryRecord

log = logging.getLogger(__name__)
_EXACT_SEARCH_LIMIT = 2048
"""A filter leaving at most this many records is searched exactly, vector by vector, instead of through Chroma's
filtered index search, which costs milliseconds per query row however few records pass."""


class EmbeddedStore(MemoryStore):
    """A `MemoryStore` persisted under `path`, for one process at a time; thread-safe within it."""

    def __init__(
        self,
        path: str | Path,
        *,
        embedder_identity: str,
        dimensions: int,
        lock_timeout: float = 0.0,
        vector_batch: int = 1,
        exact_search_bank_mb: float = 8.0,
        exact_search_total_mb: float = 128.0,
        vector_process: bool = True,
    ) -> None:
        self.path = Path(path).expanduser()
        self.dimensions = dimensions
        self._lock = threading.RLock()
        """Serialises SQLite and the outbox; vector searches go to Chroma without it."""
        self._vector_batch = vector_batch
        self._pending: set[tuple[str, str]] = set()
        """(bank, id) of upserts committed to SQLite whose vectors wait in the outbox."""
        self._queued: list[VectorOp] = []
        """The operations in the outbox, in order, while `_owed` is False: what this process committed."""
        self._owed = True
        """The outbox may hold operations this process did not queue: left by a crash, or by an apply that failed
        part way. They are read back from SQLite then."""
        self._in_flight: tuple[Future[None], int] | None = None
        """An apply sent to Chroma and not yet answered, and the last outbox row it covers."""
        self.path.mkdir(parents=True, exist_ok=True)
        with ExitStack() as undo:
            self._file_lock = _lock_data_dir(self.path, lock_timeout)
            undo.callback(self._file_lock.release)
            self._index = SqliteIndex(self.path / "records.sqlite3")
            undo.callback(self._index.close)
            self._check_embedder(embedder_identity, dimensions)
            limits = {"bank_bytes": _bytes(exact_search_bank_mb), "total_bytes": _bytes(exact_search_total_mb)}
            vectors = ProcessVectors if vector_process else InProcessVectors
            self._vectors: VectorIndex = vectors(self.path / "chroma", **limits)
            undo.callback(self._vectors.close)
            self._apply_vector_outbox()
            self._resources = undo.pop_all()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def upsert(self, records: Sequence[StoredRecord]) -> None:
        for stored in records:
            if np.shape(stored.vector) != (self.dimensions,):
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

    def get(self, bank_id: str, ids: Sequence[str]) -> list[MemoryRecord]:
        with self._lock:
            return self._index.get(bank_id, ids)

    def select(
        self, bank_id: str, where: RecordFilter, *, offset: int = 0, limit: int | None = None
    ) -> list[MemoryRecord]:
        with self._lock:
            return self._index.select(bank_id, where, offset, limit)

    def count(self, bank_id: str, where: RecordFilter | None = None) -> int:
        with self._lock:
            return self._index.count(bank_id, where or RecordFilter())

    def delete(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        with self._lock:
            deleted = self._index.remove(bank_id, ids)
            self._queued += [VectorOp(bank_id, memory_id, None) for memory_id in deleted]
            self._send_vector_outbox()
        return deleted

    def search_vectors(self, bank_id: str, vectors: np.ndarray, k: int, where: RecordFilter) -> list[list[Scored]]:
        if np.ndim(vectors) != 2 or np.shape(vectors)[1] != self.dimensions:
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
            allowed = self._index.matching_ids(bank_id, where)
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

    def vectors_in_memory(self, bank_id: str) -> bool:
        """Whether `bank_id` is held in memory for exact search (known once it has been searched)."""
        return self._vectors.in_memory(bank_id)

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
        with self._lock:
            return self._index.search_keywords(bank_id, terms, k, where, context_weight, max_term_rows)

    def search_entities(self, bank_id: str, entities: Sequence[str], k: int, where: RecordFilter) -> list[Scored]:
        with self._lock:
            return self._index.search_entities(bank_id, entities, k, where)

    def banks(self) -> list[BankInfo]:
        with self._lock:
            return self._index.banks()

    def close(self) -> None:
        """Apply waiting vector writes (what fails stays in the outbox for the next open) and release the data
        directory; idempotent."""
        with self._lock:
            try:
                if self._pending or self._owed or self._in_flight:
                    self._apply_vector_outbox()
            except Exception:
                log.warning(
                    "vector writes left in the outbox of %s; they are applied when it is next opened", self.path
                )
            finally:
                self._pending.clear()
                self._in_flight = None
                self._resources.close()

    def _check_embedder(self, identity: str, dimensions: int) -> None:
        built_identity, built_dimensions = self._index.claim_embedder(identity, dimensions)
        if (built_identity, built_dimensions) != (identity, dimensions):
            raise ConfigError(
                f"data_dir {self.path} was built with embedder {built_identity!r} (dim {built_dimensions}), "
                f"not {identity!r} (dim {dimensions}); configure that embedder, or use a new data_dir"
            )

    def _apply_vector_outbox(self) -> None:
        """Send what the outbox holds and wait until Chroma has applied all of it; raises what the apply raised."""
        with self._lock:
            self._send_vector_outbox()
            self._settle_vector_outbox()

    def _send_vector_outbox(self) -> None:
        """Send what the outbox holds to Chroma, once the apply in flight (if any) is answered. If that apply
        failed, everything still in the outbox is sent again: a batch written meanwhile carries it."""
        with self._lock:
            try:
                self._settle_vector_outbox()
            except Exception as exc:
                log.warning("applying vector writes to %s failed (%s); sending them again", self.path, exc)
            ops = self._index.pending_vector_ops() if self._owed else self._queued
            self._owed = True  # until the ops are handed over: if that raises, they are read back from SQLite
            if ops:
                self._in_flight = (self._vectors.apply(ops), self._index.last_vector_op())
            self._queued = []
            self._pending.clear()
            self._owed = False

    def _settle_vector_outbox(self) -> None:
        """Wait for the apply in flight; empty the outbox of what it applied, or mark the outbox owed if it failed."""
        if self._in_flight is None:
            return
        applied, through = self._in_flight
        self._in_flight = None
        try:
            applied.result()
        except BaseException:
            self._owed = True
            raise
        self._index.clear_vector_ops(through)


def _bytes(megabytes: float) -> int:
    return int(megabytes * 2**20)


def _lock_data_dir(path: Path, timeout: float) -> FileLock:
    # Not thread-local: the store may be closed from another thread than the one that opened it.
    lock = FileLock(path / "astrocyte.lock", timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except Timeout as exc:
        raise DataDirLocked(
            f"data_dir {path} is held by another process; close that process, point data_dir elsewhere, "
            "or use a server-backed store so that several processes can share memory"
        ) from exc
    return lock
