"""The stores' side of conversation memory: context terms and their weight, leaving out very common terms,
lookups by fingerprint, the batched vector outbox, and opening data written before these existed."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from astrocyte import Astrocyte
from astrocyte._core.runtime import open_store
from astrocyte.config import load_config
from astrocyte.stores.base import KeywordQuery, MemoryStore, RecordFilter, StoredRecord, VectorQuery
from astrocyte.stores.embedded import EmbeddedStore
from astrocyte.stores.memory import InMemoryStore
from astrocyte.stores.sqlite_index import SqliteIndex
from astrocyte.testing import OfflineEmbedder
from astrocyte.text import fingerprint
from astrocyte.types import MemoryRecord

DIM = 8
BANK = "notes"
ANY = RecordFilter()
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=DIM)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def stored(memory_id: str, terms: Sequence[str], context: Sequence[str] = (), *, text: str = "") -> StoredRecord:
    record = MemoryRecord(
        id=memory_id,
        bank_id=BANK,
        text=text or f"memory {memory_id}",
        occurred_at=T0,
        retained_at=T0,
        updated_at=T0,
        document_id=f"doc-{memory_id}",
    )
    vector = unit(zlib.crc32(memory_id.encode()))
    return StoredRecord(record, vector, terms, tuple(context), fingerprint=fingerprint(record.text, {}))


@pytest.fixture(params=["memory", "embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore]:
    instance: MemoryStore = (
        InMemoryStore()
        if request.param == "memory"
        else EmbeddedStore(tmp_path / "data", embedder_identity="test", dimensions=DIM)
    )
    yield instance
    instance.close()


def ids(hits: list) -> list[str]:
    return [hit.id for hit in hits]


def test_context_terms_match_with_their_weight_and_not_at_zero(store: MemoryStore) -> None:
    store.upsert([stored("own", ["pottery", "mug"]), stored("ctx", ["mug"], ["pottery"]), stored("x", ["tea"])])
    assert ids(store.search_keywords(BANK, KeywordQuery(["pottery"], 5))) == ["own", "ctx"]
    assert ids(store.search_keywords(BANK, KeywordQuery(["pottery"], 5, context_weight=0.0))) == ["own"]
    heavy = store.search_keywords(BANK, KeywordQuery(["pottery"], 5, context_weight=3.0))
    light = store.search_keywords(BANK, KeywordQuery(["pottery"], 5, context_weight=0.5))
    assert dict(heavy)["ctx"] > dict(light)["ctx"]


def test_context_weighted_scores_agree_across_stores(tmp_path: Path) -> None:
    words = ["ant", "bee", "cat", "dog", "eel", "fox"]
    rng = np.random.default_rng(3)
    records = [
        stored(
            f"m{i}", list(rng.choice(words, size=rng.integers(1, 6))), list(rng.choice(words, size=rng.integers(0, 6)))
        )
        for i in range(30)
    ]
    reference = InMemoryStore()
    reference.upsert(records)
    with EmbeddedStore(tmp_path / "data", embedder_identity="test", dimensions=DIM) as embedded:
        embedded.upsert(records)
        for weight in (0.0, 0.5, 1.0, 2.0):
            for query in (["ant"], ["cat", "fox"], ["bee", "dog", "eel"]):
                expected = reference.search_keywords(BANK, KeywordQuery(query, 30, context_weight=weight))
                got = embedded.search_keywords(BANK, KeywordQuery(query, 30, context_weight=weight))
                assert ids(got) == ids(expected)
                assert [hit.score for hit in got] == pytest.approx([hit.score for hit in expected], rel=1e-9)


def test_max_term_rows_leaves_out_common_terms_but_keeps_the_rarest(store: MemoryStore) -> None:
    store.upsert([stored(f"c{i}", ["coffee"]) for i in range(5)] + [stored("ana", ["coffee", "ana"])])
    assert ids(store.search_keywords(BANK, KeywordQuery(["coffee", "ana"], 10, max_term_rows=3))) == ["ana"]
    assert len(store.search_keywords(BANK, KeywordQuery(["coffee", "ana"], 10, max_term_rows=None))) == 6
    assert len(store.search_keywords(BANK, KeywordQuery(["coffee"], 10, max_term_rows=3))) == 6


def test_records_are_found_by_fingerprint(store: MemoryStore) -> None:
    store.upsert([stored("a", ["x"], text="Hello there"), stored("b", ["y"], text="Bye")])
    where = RecordFilter(fingerprints=frozenset({fingerprint("hello   THERE", {})}))
    assert ids(store.select(BANK, where)) == ["a"]
    assert ids(store.search_vectors(BANK, VectorQuery(unit(1)[None], 5, where))[0]) == ["a"]


def test_vector_writes_wait_for_a_batch_but_every_search_sees_them(tmp_path: Path) -> None:
    path = tmp_path / "data"
    with EmbeddedStore(path, embedder_identity="test", dimensions=DIM, vector_batch=3) as store:
        store.upsert([stored("a", ["x"]), stored("b", ["y"])])
        assert store._vectors.query(BANK, unit(1)[None], 5) == [[]]
        assert set(ids(store.search_vectors(BANK, VectorQuery(unit(1)[None], 5))[0])) == {"a", "b"}
        store.upsert([stored("c", ["z"])])
        assert len(store._vectors.query(BANK, unit(1)[None], 10)[0]) == 2
        store.upsert([stored("d", ["z"]), stored("e", ["z"]), stored("f", ["z"])])
        assert len(store._vectors.query(BANK, unit(1)[None], 10)[0]) == 6
        store.upsert([stored("g", ["z"])])
    with EmbeddedStore(path, embedder_identity="test", dimensions=DIM) as reopened:
        assert len(reopened._vectors.query(BANK, unit(1)[None], 10)[0]) == 7


@pytest.mark.parametrize("batch", [1, 10])
def test_chroma_holds_the_last_vector_written_for_an_id(tmp_path: Path, batch: int) -> None:
    """An id written twice before the outbox is applied, rewritten after, or retried after an apply failed part way,
    ends with its last vector and is found once."""
    first, second, third = unit(1), unit(2), unit(3)

    def top(store: EmbeddedStore, query: np.ndarray) -> tuple[str, float]:
        [[hit, *_]] = store.search_vectors(BANK, VectorQuery(query[None], 3))
        return hit.id, round(hit.score, 4)

    def put(store: EmbeddedStore, memory_id: str, vector: np.ndarray) -> None:
        store.upsert([StoredRecord(stored(memory_id, ["t"]).record, vector, ["t"])])

    # Chroma in this process, so that its collection can be made to fail.
    options = {"embedder_identity": "test", "dimensions": DIM, "exact_search_bank_mb": 0, "vector_batch": batch}
    with EmbeddedStore(tmp_path / "data", vector_process=False, **options) as store:
        put(store, "a", first)
        put(store, "a", second)
        put(store, "b", first)
        assert top(store, second) == ("a", 1.0)
        put(store, "a", third)
        assert top(store, third) == ("a", 1.0)
        assert top(store, first) == ("b", 1.0)
        with pytest.MonkeyPatch.context() as patch:
            collection = store._vectors._vectors._collection(BANK).__class__
            real_upsert = collection.upsert

            def upsert_then_fail(collection: object, **arguments: object) -> None:
                real_upsert(collection, **arguments)
                raise RuntimeError("chroma failed after writing")

            patch.setattr(collection, "upsert", upsert_then_fail)
            put(store, "c", second)  # acknowledged: the record and its vector are in SQLite
            with pytest.raises(RuntimeError, match="after writing"):
                store.flush()
        assert top(store, second) == ("c", 1.0)
        assert sorted(hit.id for hit in store.search_vectors(BANK, VectorQuery(second[None], 10))[0]) == ["a", "b", "c"]


@pytest.mark.parametrize(("vector_batch", "waiting"), [(64, 1), (1, 0)])
def test_store_vector_batch_is_read_from_config(tmp_path: Path, vector_batch: int, waiting: int) -> None:
    config = {"data_dir": str(tmp_path / "data"), "store": {"vector_batch": vector_batch}}
    store = open_store(load_config(config), OfflineEmbedder())
    with Astrocyte(config, store=store) as brain:
        brain.sync.retain("Alice lives in Lyon.", bank_id=BANK)
        assert len(store._pending) == waiting
        assert brain.sync.recall("Where does Alice live?", bank_id=BANK).hits
        assert not store._pending


def test_data_written_before_context_and_fingerprints_opens_and_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    record = MemoryRecord(
        id="old",
        bank_id=BANK,
        text="Alice lives in Lyon",
        occurred_at=T0,
        retained_at=T0,
        updated_at=T0,
        document_id="d",
    )
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE records (seq INTEGER PRIMARY KEY, bank_id TEXT NOT NULL, id TEXT NOT NULL, key TEXT, "
        "occurred_us INTEGER NOT NULL, retained_us INTEGER NOT NULL, metadata TEXT NOT NULL, tags TEXT NOT NULL, "
        "record TEXT NOT NULL, UNIQUE (bank_id, id))"
    )
    db.execute("INSERT INTO records VALUES (1, ?, 'old', NULL, 0, 0, '{}', '[]', ?)", (BANK, record.model_dump_json()))
    table = "keywords_" + hashlib.sha256(BANK.encode()).hexdigest()[:32]
    db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(terms)")
    db.execute(f"INSERT INTO {table} (rowid, terms) VALUES (1, ?)", (b"lyon".hex(),))
    db.commit()
    db.close()

    index = SqliteIndex(path)
    try:
        assert ids(index.search_keywords(BANK, KeywordQuery(["lyon"], 5))) == ["old"]
        where = RecordFilter(fingerprints=frozenset({fingerprint("alice lives in lyon", {})}))
        assert ids(index.select(BANK, where, 0, None)) == ["old"]
        assert "context" in json.dumps([row[1] for row in index._db.execute(f"PRAGMA table_info({table})")])
    finally:
        index.close()
