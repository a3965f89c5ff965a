"""The embedded default store: SQLite for records, keywords, entities and tags, Chroma for vectors, in one folder.

    store = EmbeddedStore("~/.astrocyte", embedder_identity=embedder.identity, dimensions=embedder.dimensions)
    with store:
        store.upsert(records)
        hits = store.search_vectors("people", VectorQuery(query_vectors, k=10))

The directory holds `records.sqlite3` (the source of truth), `chroma/` (vectors only) and `astrocyte.lock`,
held while the store is open so that a second process fails fast instead of corrupting the data. Writes reach
Chroma through SQLite's vector outbox in batches of `vector_batch` (`indexed.py`); whatever a crash left in the
outbox is applied when the store is next opened. Chroma runs in a worker process (`chroma_process.py`) unless
`vector_process` is False, so a batch is applied there while this process goes on. Banks whose vectors take at
most `exact_search_bank_mb` are also held in memory once searched, and searched exactly there
(`exact_vectors.py`): faster than Chroma's index for small banks.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from filelock import FileLock, Timeout

from astrocyte.config import StoreConfig
from astrocyte.errors import ConfigError, DataDirLocked
from astrocyte.stores.chroma_process import InProcessVectors, ProcessVectors
from astrocyte.stores.indexed import IndexedStore, VectorIndex
from astrocyte.stores.sqlite_index import SqliteIndex


class EmbeddedStore(IndexedStore):
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
        self.path.mkdir(parents=True, exist_ok=True)
        with ExitStack() as undo:
            undo.callback(_lock_data_dir(self.path, lock_timeout).release)
            index = SqliteIndex(self.path / "records.sqlite3")
            undo.callback(index.close)
            _check_embedder(self.path, index, embedder_identity, dimensions)
            limits = {"bank_bytes": _bytes(exact_search_bank_mb), "total_bytes": _bytes(exact_search_total_mb)}
            vectors: VectorIndex = (ProcessVectors if vector_process else InProcessVectors)(
                self.path / "chroma", **limits
            )
            undo.callback(vectors.close)
            super().__init__(index, vectors, undo, dimensions=dimensions, vector_batch=vector_batch)
            self._apply_vector_outbox()
            self._resources = undo.pop_all()

    @classmethod
    def from_config(
        cls, path: str | Path, config: StoreConfig, *, embedder_identity: str, dimensions: int
    ) -> EmbeddedStore:
        """The store `config` (the `store:` section) describes, under `path` (the data_dir)."""
        return cls(
            path,
            embedder_identity=embedder_identity,
            dimensions=dimensions,
            lock_timeout=config.lock_timeout_s,
            vector_batch=config.vector_batch,
            exact_search_bank_mb=config.exact_search_bank_mb,
            exact_search_total_mb=config.exact_search_total_mb,
            vector_process=config.vector_process,
        )


def _check_embedder(path: Path, index: SqliteIndex, identity: str, dimensions: int) -> None:
    built_identity, built_dimensions = index.claim_embedder(identity, dimensions)
    if (built_identity, built_dimensions) != (identity, dimensions):
        raise ConfigError(
            f"data_dir {path} was built with embedder {built_identity!r} (dim {built_dimensions}), "
            f"not {identity!r} (dim {dimensions}); configure that embedder, or use a new data_dir"
        )


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
