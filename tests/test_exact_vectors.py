"""Small banks' vectors held in memory and searched exactly: the same answers as Chroma's index, kept current
through every write and delete, within the per-bank and total limits, and let go when a bank outgrows them.

Chroma runs in this process here (`vector_process=False`), so that a search answered from memory can be told
from one that queried Chroma's index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from chromadb.api.models.Collection import Collection

from astrocyte import Astrocyte
from astrocyte._core.runtime import open_store as open_configured_store
from astrocyte.config import load_config
from astrocyte.stores.base import Condition, RecordFilter, StoredRecord, VectorQuery
from astrocyte.stores.embedded import EmbeddedStore
from astrocyte.stores.exact_vectors import ExactVectors
from astrocyte.testing import OfflineEmbedder
from astrocyte.types import MemoryRecord

DIM = 8
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ANY = RecordFilter()
MB_PER_VECTOR = DIM * 4 / 2**20


def vectors(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(count, DIM)).astype(np.float32)


def stored(memory_id: str, vector: np.ndarray, bank: str = "notes", *, group: int = 0) -> StoredRecord:
    record = MemoryRecord(
        id=memory_id,
        bank_id=bank,
        text=f"memory {memory_id}",
        metadata={"group": group},
        occurred_at=T0,
        retained_at=T0,
        updated_at=T0,
        document_id=f"doc-{memory_id}",
    )
    return StoredRecord(record, vector, terms=())


def brute_force(held: dict[str, np.ndarray], query: np.ndarray, k: int) -> list[tuple[str, float]]:
    unit_query = query / np.linalg.norm(query)
    scores = {memory_id: float(vector @ unit_query / np.linalg.norm(vector)) for memory_id, vector in held.items()}
    return sorted(scores.items(), key=lambda item: -item[1])[:k]


def search(store: EmbeddedStore, query: np.ndarray, k: int, where: RecordFilter = ANY, bank: str = "notes") -> list:
    [hits] = store.search_vectors(bank, VectorQuery(query[None], k, where))
    return [(hit.id, hit.score) for hit in hits]


def assert_same(found: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    assert [memory_id for memory_id, _ in found] == [memory_id for memory_id, _ in expected]
    assert [score for _, score in found] == pytest.approx([score for _, score in expected], abs=1e-5)


def open_store(path: Path, **limits: float) -> EmbeddedStore:
    return EmbeddedStore(path, embedder_identity="test", dimensions=DIM, vector_process=False, **limits)


@contextmanager
def chroma_queries() -> Iterator[list[Collection]]:
    """The Chroma collections queried inside the block."""
    queried: list[Collection] = []
    real_query = Collection.query

    def query(collection: Collection, *arguments: object, **options: object) -> object:
        queried.append(collection)
        return real_query(collection, *arguments, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Collection, "query", query)
        yield queried


def searched_in_memory(store: EmbeddedStore, bank: str = "notes") -> bool:
    """Whether a search of the whole bank is answered from the vectors held in memory, not by Chroma's index."""
    with chroma_queries() as queried:
        search(store, vectors(1, seed=99)[0], 3, bank=bank)
    return not queried


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[EmbeddedStore, EmbeddedStore]]:
    """The default store (small banks in memory) and one that searches every bank in Chroma."""
    exact = open_store(tmp_path / "exact")
    chroma = open_store(tmp_path / "chroma", exact_search_bank_mb=0)
    yield exact, chroma
    exact.close()
    chroma.close()


def test_exact_search_answers_as_chroma_does_through_writes_replacements_and_deletes(
    stores: tuple[EmbeddedStore, EmbeddedStore],
) -> None:
    exact, chroma = stores
    held: dict[str, np.ndarray] = {}

    def write(records: list[StoredRecord]) -> None:
        for store in stores:
            store.upsert(records)
        held.update({record.record.id: record.vector for record in records})

    write([stored(f"m{i}", vector, group=i % 3) for i, vector in enumerate(vectors(60, seed=1))])
    queries = vectors(12, seed=2)
    for query in queries:
        assert_same(search(exact, query, 5), search(chroma, query, 5))
    assert searched_in_memory(exact) and not searched_in_memory(chroma)

    # After the bank is held: new memories, new vectors for old ids, and deletes all reach the copy in memory.
    write([stored(f"n{i}", vector, group=1) for i, vector in enumerate(vectors(30, seed=3))])
    replaced = range(0, 60, 4)
    write([stored(f"m{i}", vector, group=i % 3) for i, vector in zip(replaced, vectors(15, seed=4), strict=True)])
    gone = [f"m{i}" for i in range(1, 60, 5)] + ["n0", "n29"]
    for store in stores:
        assert sorted(store.delete("notes", gone)) == sorted(gone)
    for memory_id in gone:
        del held[memory_id]

    group_one = RecordFilter(metadata=(Condition("group", "$eq", 1),))
    in_group_one = {memory_id for memory_id in held if memory_id.startswith("n") or int(memory_id[1:]) % 3 == 1}
    for query in queries:
        assert_same(search(exact, query, 8), brute_force(held, query, 8))
        assert_same(search(exact, query, 8), search(chroma, query, 8))
        expected = brute_force({memory_id: held[memory_id] for memory_id in in_group_one}, query, 6)
        assert_same(search(exact, query, 6, group_one), expected)
        assert_same(search(chroma, query, 6, group_one), expected)
    assert searched_in_memory(exact)


def test_a_bank_that_outgrows_the_limit_is_searched_in_chroma_and_misses_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path / "d", exact_search_bank_mb=40 * MB_PER_VECTOR) as store:
        first = vectors(30, seed=5)
        store.upsert([stored(f"a{i}", vector) for i, vector in enumerate(first)])
        query = vectors(1, seed=6)[0]
        search(store, query, 3)
        assert searched_in_memory(store)

        more = vectors(30, seed=7)
        store.upsert([stored(f"b{i}", vector) for i, vector in enumerate(more)])
        held = {f"a{i}": vector for i, vector in enumerate(first)} | {f"b{i}": vector for i, vector in enumerate(more)}
        assert_same(search(store, query, 10), brute_force(held, query, 10))
        assert not searched_in_memory(store)

        # Deleting brings it under the limit again: it is held again, with exactly what is left.
        store.delete("notes", [f"b{i}" for i in range(30)])
        assert_same(search(store, query, 10), brute_force(dict(list(held.items())[:30]), query, 10))
        assert searched_in_memory(store)


def test_banks_beyond_the_total_budget_are_searched_in_chroma(tmp_path: Path) -> None:
    with open_store(tmp_path / "d", exact_search_total_mb=50 * MB_PER_VECTOR) as store:
        banks = {"first": vectors(40, seed=8), "second": vectors(40, seed=9)}
        for bank, matrix in banks.items():
            store.upsert([stored(f"{bank}-{i}", vector, bank) for i, vector in enumerate(matrix)])
        query = vectors(1, seed=10)[0]
        for bank, matrix in banks.items():
            held = {f"{bank}-{i}": vector for i, vector in enumerate(matrix)}
            assert_same(search(store, query, 5, bank=bank), brute_force(held, query, 5))
        assert searched_in_memory(store, "first") and not searched_in_memory(store, "second")


def test_a_bank_refused_for_lack_of_room_is_held_once_a_held_bank_outgrows_its_limit(tmp_path: Path) -> None:
    limits = {"exact_search_bank_mb": 45 * MB_PER_VECTOR, "exact_search_total_mb": 60 * MB_PER_VECTOR}
    with open_store(tmp_path / "d", **limits) as store:
        banks = {"first": vectors(40, seed=15), "second": vectors(40, seed=16)}
        for bank, matrix in banks.items():
            store.upsert([stored(f"{bank}-{i}", vector, bank) for i, vector in enumerate(matrix)])
        query = vectors(1, seed=17)[0]
        for bank in banks:
            search(store, query, 3, bank=bank)
        assert searched_in_memory(store, "first") and not searched_in_memory(store, "second")

        store.upsert([stored(f"first-more-{i}", vector, "first") for i, vector in enumerate(vectors(10, seed=18))])
        held = {f"second-{i}": vector for i, vector in enumerate(banks["second"])}
        assert_same(search(store, query, 5, bank="second"), brute_force(held, query, 5))
        assert searched_in_memory(store, "second") and not searched_in_memory(store, "first")


def test_a_growing_bank_is_held_until_its_vectors_pass_the_limit_not_its_room_to_grow() -> None:
    exact = ExactVectors(bank_bytes=int(100 * DIM * 4), total_bytes=2**20)
    assert exact.load("bank", [f"m{i}" for i in range(60)], vectors(60, seed=19), DIM)
    for start in range(60, 100, 10):
        exact.put("bank", [f"m{i}" for i in range(start, start + 10)], vectors(10, seed=start))
        assert exact.holds("bank"), f"let go at {start + 10} vectors, within the limit of 100"
    exact.put("bank", ["m100"], vectors(1, seed=20))
    assert not exact.holds("bank")


def test_held_vectors_survive_removing_rows_in_any_order_and_adding_again() -> None:
    exact = ExactVectors(bank_bytes=2**20, total_bytes=2**20)
    matrix = vectors(6, seed=11)
    assert exact.load("bank", [f"m{i}" for i in range(6)], matrix, DIM)
    held = {f"m{i}": vector for i, vector in enumerate(matrix)}
    exact.remove("bank", ["m5", "m0", "missing", "m3"])
    for memory_id in ("m5", "m0", "m3"):
        del held[memory_id]
    added = vectors(3, seed=12)
    exact.put("bank", ["m0", "x1", "x1"], added)
    held |= {"m0": added[0], "x1": added[2]}
    for query in vectors(5, seed=13):
        [hits] = exact.search("bank", query[None], 10)
        assert_same([(hit.id, hit.score) for hit in hits], brute_force(held, query, 10))
        [among] = exact.search("bank", query[None], 10, ids=["x1", "m2", "nope"])
        assert sorted(hit.id for hit in among) == ["m2", "x1"]
    exact.remove("bank", list(held))
    assert exact.search("bank", vectors(1, seed=14), 3) == [[]]


@pytest.mark.parametrize(("bank_mb", "in_memory"), [(8.0, True), (0.0, False)])
def test_exact_search_limit_is_read_from_config(tmp_path: Path, bank_mb: float, in_memory: bool) -> None:
    config = {"data_dir": str(tmp_path / "data"), "store": {"exact_search_bank_mb": bank_mb, "vector_process": False}}
    store = open_configured_store(load_config(config), OfflineEmbedder())
    with Astrocyte(config, store=store) as brain:
        brain.sync.retain("Maya adopted a greyhound named Biscuit.", bank_id="pets")
        with chroma_queries() as queried:
            [hit] = brain.sync.recall("Which dog did Maya adopt?", bank_id="pets").hits
        assert "Biscuit" in hit.text
        assert (not queried) is in_memory
