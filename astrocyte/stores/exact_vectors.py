"""Small banks' vectors held in memory and searched exactly: for a few thousand vectors one pass over them is
faster than an approximate index search, and it is exact.

    exact = ExactVectors(bank_bytes=8 * 2**20, total_bytes=128 * 2**20)
    exact.load("people", ["m1", "m2"], matrix, 384)      # False when the bank does not fit
    exact.put("people", ["m3"], vectors); exact.remove("people", ["m1"])
    exact.search("people", query_rows, k=5)              # [[Scored("m3", 0.91), ...]] per query row

Banks are held whole or not at all, first come first served within the budgets; the owner loads a bank from
the index that persists it and keeps it current by calling `put` and `remove` with every write it applies there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from astrocyte.stores.base import Scored


class _BankMatrix:
    """One bank's unit vectors in the first `len(ids)` rows of `matrix`, and the row of each id."""

    def __init__(self, ids: Sequence[str], matrix: np.ndarray, dimensions: int) -> None:
        self.ids = list(ids)
        self.rows = {memory_id: row for row, memory_id in enumerate(self.ids)}
        self.matrix = unit(np.asarray(matrix, dtype=np.float32).reshape(len(self.ids), dimensions))

    @property
    def nbytes(self) -> int:
        """The bytes of the vectors held (the matrix keeps some room to grow beyond them)."""
        return len(self.ids) * self.matrix.shape[1] * self.matrix.itemsize

    def put(self, ids: Sequence[str], vectors: np.ndarray, max_rows: int) -> None:
        """Set these ids' vectors; room to grow is made a quarter at a time, up to `max_rows` unless more are needed."""
        units = unit(np.asarray(vectors, dtype=np.float32))
        fresh: dict[str, int] = {}
        for position, memory_id in enumerate(ids):
            if memory_id in self.rows:
                self.matrix[self.rows[memory_id]] = units[position]
            else:
                fresh[memory_id] = position
        needed = len(self.ids) + len(fresh)
        if needed > len(self.matrix):
            rows = max(needed, min(len(self.matrix) * 5 // 4, max_rows))
            grown = np.empty((rows, self.matrix.shape[1]), dtype=np.float32)
            grown[: len(self.ids)] = self.matrix[: len(self.ids)]
            self.matrix = grown
        for memory_id, position in fresh.items():
            self.rows[memory_id] = len(self.ids)
            self.matrix[len(self.ids)] = units[position]
            self.ids.append(memory_id)

    def remove(self, ids: Sequence[str]) -> None:
        for memory_id in ids:
            row = self.rows.pop(memory_id, None)
            if row is None:
                continue
            last = self.ids.pop()
            if last != memory_id:
                self.matrix[row] = self.matrix[len(self.ids)]
                self.ids[row] = last
                self.rows[last] = row

    def search(self, queries: np.ndarray, k: int, ids: Sequence[str] | None) -> list[list[Scored]]:
        if ids is None:
            names, matrix = self.ids, self.matrix[: len(self.ids)]
        else:
            rows = [self.rows[memory_id] for memory_id in dict.fromkeys(ids) if memory_id in self.rows]
            names, matrix = [self.ids[row] for row in rows], self.matrix[rows]
        if not names or k <= 0:
            return [[] for _ in queries]
        similarities = cosine(queries, matrix)
        k = min(k, len(names))
        results = []
        for row in similarities:
            best = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
            best = best[np.lexsort((best, -row[best]))]
            results.append([Scored(names[column], float(row[column])) for column in best])
        return results


class ExactVectors:
    """Whole banks of vectors in memory; not thread-safe, the owner serialises calls.

    A bank is held when its vectors take at most `bank_bytes` (beyond that an index search is faster) and they fit
    in what is left of `total_bytes`; a held bank that outgrows either is let go.
    """

    def __init__(self, *, bank_bytes: int, total_bytes: int) -> None:
        self.bank_bytes = bank_bytes
        self.total_bytes = total_bytes
        self._banks: dict[str, _BankMatrix] = {}

    def holds(self, bank_id: str) -> bool:
        return bank_id in self._banks

    def would_hold(self, vectors: int, dimensions: int) -> bool:
        """Whether a bank of `vectors` vectors of `dimensions` would be held if loaded now."""
        return self._fits(vectors * dimensions * 4, self._used())

    def load(self, bank_id: str, ids: Sequence[str], matrix: np.ndarray, dimensions: int) -> bool:
        """Hold `bank_id`'s vectors (every one it has); False, and nothing held, when they do not fit."""
        bank = _BankMatrix(ids, matrix, dimensions)
        if not self._fits(bank.nbytes, self._used(bank_id)):
            return False
        self._banks[bank_id] = bank
        return True

    def put(self, bank_id: str, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Set the vectors of `ids` in a held bank (nothing if the bank is not held)."""
        bank = self._banks.get(bank_id)
        if bank is not None:
            bank.put(ids, vectors, max_rows=self.bank_bytes // (bank.matrix.shape[1] * bank.matrix.itemsize))
            if not self._fits(bank.nbytes, self._used(bank_id)):
                del self._banks[bank_id]

    def remove(self, bank_id: str, ids: Sequence[str]) -> None:
        if bank_id in self._banks:
            self._banks[bank_id].remove(ids)

    def search(self, bank_id: str, queries: np.ndarray, k: int, ids: Sequence[str] | None = None) -> list[list[Scored]]:
        """The k most cosine-similar vectors of a held bank to each query row, optionally among `ids` only."""
        return self._banks[bank_id].search(queries, k, ids)

    def _used(self, leaving_out: str | None = None) -> int:
        return sum(bank.nbytes for bank_id, bank in self._banks.items() if bank_id != leaving_out)

    def _fits(self, nbytes: int, used: int) -> bool:
        return nbytes <= self.bank_bytes and used + nbytes <= self.total_bytes


def cosine(queries: np.ndarray, units: np.ndarray) -> np.ndarray:
    """The cosine similarity of each query row to each row of `units` (unit vectors): one row per query.

    np.vecdot runs in the calling thread alone, where a BLAS matrix product would hand the work to worker threads
    that then spin, competing for the cores with the searches running alongside (the keyword search)."""
    return np.vecdot(units[None, :, :], unit(np.asarray(queries, dtype=np.float32))[:, None, :])


def unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
