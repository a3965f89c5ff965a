"""Chroma in a worker process: the embedded stores of one Python process hand their vector work to one child.

    vectors = ProcessVectors(Path("data/chroma"), bank_bytes=8 * 2**20, total_bytes=128 * 2**20)
    applied = vectors.apply([VectorOp("people", "m1", unit_vector)])   # a Future; this process goes on meanwhile
    vectors.query("people", query_vectors, k=5)    # answered after every apply sent before it
    applied.result()                               # None once Chroma holds the vectors, or the error it raised

chromadb holds the GIL through the whole of an insert while its own threads build the index, so in the process
that calls it nothing else runs meanwhile: not the next batch's SQLite work, not the event loop's other tasks.
In a worker process Chroma's work overlaps the rest of Astrocyte's. The worker takes requests in order, so a
search sent after an apply sees its vectors. It is started on first use with `python -m` (multiprocessing's
spawn would re-run a script's unguarded top level, and fork copies a process with threads mid-flight), shared
by every store of the process, started again if it dies (with the open stores reopened in it; their unapplied
writes wait in SQLite's outbox), and stopped when this process exits. Both are the embedded store's
`VectorIndex` (`indexed.py`); `InProcessVectors` has Chroma in this process (`store.vector_process: false`).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from astrocyte.errors import ProviderUnavailable
from astrocyte.stores.base import Scored, VectorOp
from astrocyte.stores.exact_vectors import ExactVectors


class _Worker:
    """One running worker process, the replies it owes, and the thread that reads them."""

    def __init__(self) -> None:
        # The worker imports this same astrocyte, also when it runs from a checkout that is not installed.
        source = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "astrocyte.stores.chroma_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": path},
            )
        except OSError as exc:
            raise ProviderUnavailable(
                f"could not start Chroma's worker process with {sys.executable!r} ({exc}); set "
                "store.vector_process: false to run Chroma in this process"
            ) from exc
        self.alive = True
        self._owed: dict[int, Future[Any]] = {}
        self._owed_lock = threading.Lock()
        self._write_lock = threading.Lock()
        """Apart from `_owed_lock`: a write blocked on a full pipe must not keep the reader from taking replies."""
        threading.Thread(target=self._read_replies, name="astrocyte-chroma-replies", daemon=True).start()

    def send(self, number: int, store: int, method: str, arguments: tuple) -> Future[Any]:
        reply: Future[Any] = Future()
        message = pickle.dumps((number, store, method, arguments), protocol=pickle.HIGHEST_PROTOCOL)
        with self._owed_lock:
            if not self.alive:
                reply.set_exception(self._gone())
                return reply
            self._owed[number] = reply
        try:
            with self._write_lock:
                self.process.stdin.write(message)
                self.process.stdin.flush()
        except (OSError, ValueError):  # the worker died, or was stopped, before reading it
            with self._owed_lock:
                self._owed.pop(number, None)
            if not reply.done():
                reply.set_exception(self._gone())
        return reply

    def stop(self) -> None:
        """Close the worker's stdin, so it closes Chroma and exits, and wait for it."""
        with self._write_lock, contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def _read_replies(self) -> None:
        try:
            while True:
                number, ok, value = pickle.load(self.process.stdout)
                with self._owed_lock:
                    reply = self._owed.pop(number, None)
                if reply is None:  # its send failed part way and was answered then
                    continue
                if ok:
                    reply.set_result(value)
                else:
                    reply.set_exception(value)
        except (EOFError, OSError):
            pass
        except Exception:  # a reply that cannot be read: out of step with the worker, so start afresh
            self.process.kill()
        self.process.wait()
        with self._owed_lock:
            self.alive = False
            owed, self._owed = list(self._owed.values()), {}
        for reply in owed:
            reply.set_exception(self._gone())

    def _gone(self) -> ProviderUnavailable:
        return ProviderUnavailable(
            f"Chroma's worker process (pid {self.process.pid}) exited with code {self.process.poll()}; vector writes "
            "not yet applied stay in the store's outbox, and a new worker applies them with the next batch or search"
        )


class ChromaProcess:
    """The worker shared by this process's embedded stores: started on first use, and again after it dies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._pid = os.getpid()
        self._opened: dict[int, tuple[str, int, int]] = {}
        self._numbers = itertools.count(1)
        self._stores = itertools.count(1)

    @property
    def pid(self) -> int | None:
        """The running worker's process id, if one runs."""
        worker = self._worker
        return worker.process.pid if worker and worker.alive else None

    def open(self, path: Path, bank_bytes: int, total_bytes: int) -> int:
        """Open Chroma at `path` in the worker; the number returned names the store in `submit`."""
        store = next(self._stores)
        arguments = (str(path), bank_bytes, total_bytes)
        self.submit(store, "open", arguments).result()
        with self._lock:
            self._opened[store] = arguments
        return store

    def close(self, store: int) -> None:
        with self._lock:
            self._opened.pop(store, None)
            running = self._worker is not None and self._worker.alive and self._pid == os.getpid()
        if running:
            with contextlib.suppress(ProviderUnavailable):  # if the worker died, nothing of the store is open
                self.submit(store, "close", ()).result()

    def submit(self, store: int, method: str, arguments: tuple) -> Future[Any]:
        """Send one request; the Future holds the reply, or the error raised in the worker or by its death."""
        with self._lock:
            worker = self._running_worker()
            number = next(self._numbers)
        return worker.send(number, store, method, arguments)

    def shutdown(self) -> None:
        """Stop the worker (at exit); the next request starts a new one."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None and self._pid == os.getpid():
            worker.stop()

    def _running_worker(self) -> _Worker:
        if self._pid != os.getpid():  # forked: the worker and its pipes are the parent's, and so are its stores
            self._worker, self._opened, self._pid = None, {}, os.getpid()
        if self._worker is None or not self._worker.alive:
            self._worker = _Worker()
            for store, arguments in self._opened.items():
                self._worker.send(next(self._numbers), store, "open", arguments)
        return self._worker


def pack_hits(rows: list[list[Scored]]) -> list[tuple[list[str], np.ndarray]]:
    """Hits as the worker sends them: ids and an array of scores per query row pickle ten times faster."""
    return [([hit.id for hit in row], np.fromiter((hit.score for hit in row), float, len(row))) for row in rows]


def unpack_hits(packed: list[tuple[list[str], np.ndarray]]) -> list[list[Scored]]:
    return [[Scored(*hit) for hit in zip(ids, scores.tolist(), strict=True)] for ids, scores in packed]


CHROMA_PROCESS = ChromaProcess()
atexit.register(CHROMA_PROCESS.shutdown)


class ProcessVectors:
    """One store's vectors in the shared worker."""

    def __init__(
        self, path: Path, *, bank_bytes: int, total_bytes: int, process: ChromaProcess = CHROMA_PROCESS
    ) -> None:
        self._process = process
        self._store = process.open(path, bank_bytes, total_bytes)

    def apply(self, ops: Sequence[VectorOp]) -> Future[None]:
        return self._process.submit(self._store, "apply", (list(ops),))

    def query(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str] | None = None) -> list[list[Scored]]:
        return unpack_hits(self._call("query", bank_id, vectors, k, ids))

    def exact(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str]) -> list[list[Scored]]:
        return unpack_hits(self._call("exact", bank_id, vectors, k, ids))

    def close(self) -> None:
        self._process.close(self._store)

    def _call(self, method: str, *arguments: Any) -> Any:
        return self._process.submit(self._store, method, arguments).result()


class InProcessVectors:
    """One store's vectors in Chroma in this process, serialised by a lock (Chroma's client is not thread-safe)."""

    def __init__(self, path: Path, *, bank_bytes: int, total_bytes: int) -> None:
        from astrocyte.stores.chroma_vectors import ChromaVectors  # chromadb is imported only where it runs

        self._lock = threading.Lock()
        self._vectors = ChromaVectors(path, ExactVectors(bank_bytes=bank_bytes, total_bytes=total_bytes))

    def apply(self, ops: Sequence[VectorOp]) -> Future[None]:
        applied: Future[None] = Future()
        try:
            with self._lock:
                self._vectors.apply(ops)
        except Exception as exc:
            applied.set_exception(exc)
        else:
            applied.set_result(None)
        return applied

    def query(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str] | None = None) -> list[list[Scored]]:
        with self._lock:
            return self._vectors.query(bank_id, vectors, k, ids)

    def exact(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str]) -> list[list[Scored]]:
        with self._lock:
            return self._vectors.exact(bank_id, vectors, k, ids)

    def close(self) -> None:
        with self._lock:
            self._vectors.close()
