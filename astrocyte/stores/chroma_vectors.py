"""The Chroma half of the embedded store: one cosine collection of vectors per bank, and nothing else.

    vectors = ChromaVectors(Path("data/chroma"))
    vectors.apply([VectorOp("people", "m1", unit_vector)])
    vectors.query("people", query_vectors, k=5)          # [[Scored("m1", 0.93)], ...] per query row

Collections are created without an embedding function, so Chroma never loads (or downloads) its default
model: every vector is computed by Astrocyte's embedder and passed in.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings
from chromadb.errors import NotFoundError

from astrocyte.errors import ProviderUnavailable
from astrocyte.stores.base import Scored, VectorOp
from astrocyte.stores.exact_vectors import ExactVectors, cosine, unit


class ChromaVectors:
    """Vectors per bank in a persistent Chroma client; not thread-safe, the owner serialises calls.

    Banks small enough are also held in memory (`exact`) and searched exactly there; Chroma's index serves the rest.
    """

    def __init__(self, path: Path, exact: ExactVectors | None = None) -> None:
        try:
            self._client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
        except Exception as exc:
            raise ProviderUnavailable(
                f"chromadb could not open {path} ({type(exc).__name__}: {exc}); it must be a directory this process "
                "can write, holding only what chromadb put there"
            ) from exc
        self._collections: dict[str, Collection] = {}
        self._batch_size = self._client.get_max_batch_size()
        self._exact = exact or ExactVectors(bank_bytes=0, total_bytes=0)
        self._not_held: set[str] = set()
        """Banks found too big to hold, not counted again until something is deleted or a held bank is let go."""

    def apply(self, ops: Sequence[VectorOp]) -> None:
        """Apply `ops` in order, one Chroma call per run of the same kind of op on the same bank."""
        for (bank_id, is_delete), run in itertools.groupby(ops, key=lambda op: (op.bank_id, op.vector is None)):
            collection = self._collection(bank_id)
            latest = {op.memory_id: op.vector for op in run}
            ids = list(latest)
            for start in range(0, len(ids), self._batch_size):
                chunk = ids[start : start + self._batch_size]
                if is_delete:
                    collection.delete(ids=chunk)
                    self._exact.remove(bank_id, chunk)
                    self._not_held.clear()
                else:
                    vectors = np.stack([latest[memory_id] for memory_id in chunk])
                    collection.upsert(ids=chunk, embeddings=vectors)
                    held = self._exact.holds(bank_id)
                    self._exact.put(bank_id, chunk, vectors)
                    if held and not self._exact.holds(bank_id):
                        self._not_held.clear()  # it outgrew its room, which banks refused before may now fit

    def query(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str] | None = None) -> list[list[Scored]]:
        """The k nearest vectors to each query row by cosine similarity, optionally only among `ids`."""
        collection = self._existing_collection(bank_id)
        if collection is None:
            return [[] for _ in vectors]
        if self._held(bank_id, collection, np.shape(vectors)[1]):
            return self._exact.search(bank_id, vectors, k, ids)
        # Chroma returns fewer rows when it holds fewer than asked for; counting them first costs as much as a query.
        n_results = k if ids is None else min(k, len(ids))
        if n_results <= 0:
            return [[] for _ in vectors]
        result = collection.query(
            query_embeddings=np.asarray(vectors, dtype=np.float32),
            n_results=n_results,
            ids=None if ids is None else list(ids),
            include=["distances"],
        )
        return [
            [Scored(memory_id, 1.0 - distance) for memory_id, distance in zip(row_ids, row_distances, strict=True)]
            for row_ids, row_distances in zip(result["ids"], result["distances"], strict=True)
        ]

    def exact(self, bank_id: str, vectors: np.ndarray, k: int, ids: Sequence[str]) -> list[list[Scored]]:
        """The k nearest to each query row among `ids` only, by comparing with each of their stored vectors: exact,
        and much faster than a filtered index search when there are few of them."""
        collection = self._existing_collection(bank_id)
        if collection is None or not ids or k <= 0:
            return [[] for _ in vectors]
        if self._held(bank_id, collection, np.shape(vectors)[1]):
            return self._exact.search(bank_id, vectors, k, ids)
        found = collection.get(ids=list(ids), include=["embeddings"])
        if not found["ids"]:
            return [[] for _ in vectors]
        stored = np.asarray(found["embeddings"], dtype=np.float32)
        similarities = cosine(vectors, unit(stored))
        best = np.argsort(-similarities, axis=1, kind="stable")[:, :k]
        return [
            [Scored(found["ids"][column], float(row[column])) for column in order]
            for row, order in zip(similarities, best, strict=True)
        ]

    def close(self) -> None:
        self._client.close()

    def _held(self, bank_id: str, collection: Collection, dimensions: int) -> bool:
        """Whether `bank_id` is searched in memory, loading it there the first time it fits."""
        if self._exact.holds(bank_id):
            return True
        if bank_id in self._not_held or not self._exact.would_hold(collection.count(), dimensions):
            self._not_held.add(bank_id)
            return False
        found = collection.get(include=["embeddings"])
        matrix = np.asarray(found["embeddings"], dtype=np.float32)
        if self._exact.load(bank_id, found["ids"], matrix, dimensions):
            return True
        self._not_held.add(bank_id)
        return False

    def _collection(self, bank_id: str) -> Collection:
        if bank_id not in self._collections:
            self._collections[bank_id] = self._client.get_or_create_collection(
                _collection_name(bank_id),
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"bank_id": bank_id},
                embedding_function=None,
            )
        return self._collections[bank_id]

    def _existing_collection(self, bank_id: str) -> Collection | None:
        if bank_id not in self._collections:
            try:
                self._collections[bank_id] = self._client.get_collection(
                    _collection_name(bank_id), embedding_function=None
                )
            except NotFoundError:
                return None
        return self._collections[bank_id]


def _collection_name(bank_id: str) -> str:
    """Bank ids may hold characters Chroma rejects in names (`:`, `/`, spaces), so collections go by hash."""
    return "bank-" + hashlib.sha256(bank_id.encode()).hexdigest()[:40]
