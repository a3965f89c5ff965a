"""The storage SPI's conformance suite: every store passes the same tests; the embedded store has a few more.

pytest tests/test_store_conformance.py -q
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import astrocyte
from astrocyte.errors import ConfigError, DataDirLocked, ValidationError
from astrocyte.stores.base import (
    Condition,
    EntityQuery,
    KeywordQuery,
    MemoryStore,
    RecordFilter,
    Scored,
    StoredRecord,
    VectorQuery,
)
from astrocyte.stores.chroma_vectors import ChromaVectors
from astrocyte.stores.embedded import EmbeddedStore
from astrocyte.stores.memory import InMemoryStore
from astrocyte.types import BankInfo, MemoryRecord, Metadata

DIM = 8
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ANY = RecordFilter()
BANK = "notes"


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=DIM)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def stored(
    memory_id: str,
    *,
    bank: str = BANK,
    terms: Sequence[str] = (),
    vector: np.ndarray | None = None,
    entities: Sequence[str] = (),
    metadata: Metadata | None = None,
    tags: Sequence[str] = (),
    key: str | None = None,
    occurred: float = 0.0,
    retained: float = 0.0,
) -> StoredRecord:
    record = MemoryRecord(
        id=memory_id,
        bank_id=bank,
        text=f"memory {memory_id}",
        key=key,
        metadata=metadata or {},
        tags=tuple(tags),
        occurred_at=at(occurred),
        retained_at=at(retained),
        updated_at=at(retained),
        entities=tuple(entities),
        document_id=f"doc-{memory_id}",
    )
    default_vector = unit(zlib.crc32(memory_id.encode()))
    return StoredRecord(record, default_vector if vector is None else vector, terms=tuple(terms))


def ids_of(hits: Sequence[Scored] | Sequence[MemoryRecord]) -> list[str]:
    return [hit.id for hit in hits]


def open_embedded(
    path: Path, identity: str = "test-embedder", dimensions: int = DIM, **options: float | bool
) -> EmbeddedStore:
    return EmbeddedStore(path, embedder_identity=identity, dimensions=dimensions, **options)


EMBEDDED_OPTIONS = {
    "embedded": {},
    "embedded-chroma-search": {"exact_search_bank_mb": 0.0},
    "embedded-in-process": {"vector_process": False},
}


@pytest.fixture(params=["memory", *EMBEDDED_OPTIONS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore]:
    """The embedded store three times: small banks searched exactly in memory (the default), every bank searched
    in Chroma's index (`exact_search_bank_mb=0`), as banks too big to hold are, and Chroma in this process."""
    if request.param == "memory":
        instance: MemoryStore = InMemoryStore()
    else:
        instance = open_embedded(tmp_path / "data", **EMBEDDED_OPTIONS[request.param])
    yield instance
    instance.close()


def test_round_trip_keeps_every_field(store: MemoryStore) -> None:
    record = MemoryRecord(
        id="m1",
        bank_id=BANK,
        text="Alice moved to Paris.",
        key="alice.city",
        value={"city": "Paris", "since": 2023, "history": ["Lyon", 1.5, None, True], "extra": {"x": None}},
        metadata={"s": "x", "i": 7, "f": 1.25, "whole": 2.0, "b": False, "n": None, "big": 2**53 + 1},
        tags=("travel", "people"),
        occurred_at=datetime(2023, 5, 17, 8, 30, 12, 345678, tzinfo=UTC),
        retained_at=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        updated_at=datetime(2024, 3, 1, tzinfo=UTC),
        fact_type="experience",
        entities=("Alice", "Paris"),
        source="chat:42",
        content_type="fact",
        document_id="doc-7",
        chunk_index=3,
    )
    store.upsert([StoredRecord(record, unit(1), terms=("alic", "pari"))])

    [got] = store.get(BANK, ["m1"])
    assert got == record
    assert got.model_dump_json() == record.model_dump_json()
    assert type(got.metadata["whole"]) is float and type(got.metadata["i"]) is int
    assert got.metadata["b"] is False and got.metadata["big"] == 2**53 + 1
    assert got.occurred_at.utcoffset() == timedelta(0)
    assert store.select(BANK, ANY) == [record]


def test_upsert_replaces_a_record_and_its_indexes(store: MemoryStore) -> None:
    store.upsert([stored("m1", terms=["old"], entities=["Old"], vector=unit(1), metadata={"v": 1})])
    store.upsert([stored("m1", terms=["new"], entities=["New"], vector=unit(2), metadata={"v": 2})])

    assert store.count(BANK) == 1
    assert store.get(BANK, ["m1"])[0].metadata == {"v": 2}
    assert store.search_keywords(BANK, KeywordQuery(["old"], 5)) == []
    assert ids_of(store.search_keywords(BANK, KeywordQuery(["new"], 5))) == ["m1"]
    assert store.search_entities(BANK, EntityQuery(["old"], 5)) == []
    assert ids_of(store.search_entities(BANK, EntityQuery(["new"], 5))) == ["m1"]
    [[hit]] = store.search_vectors(BANK, VectorQuery(unit(2)[None], 5))
    assert hit.id == "m1" and hit.score == pytest.approx(1.0, abs=1e-5)
    v2 = RecordFilter(metadata=(Condition("v", "$eq", 2),))
    assert ids_of(store.search_vectors(BANK, VectorQuery(unit(1)[None], 5, v2))[0]) == ["m1"]


def test_the_last_of_repeated_ids_in_one_upsert_wins(store: MemoryStore) -> None:
    store.upsert([stored("m1", vector=unit(1), terms=["first"]), stored("m1", vector=unit(2), terms=["second"])])

    assert store.count(BANK) == 1
    assert ids_of(store.search_keywords(BANK, KeywordQuery(["second"], 5))) == ["m1"]
    assert store.search_vectors(BANK, VectorQuery(unit(2)[None], 1))[0][0].score == pytest.approx(1.0, abs=1e-5)


def test_get_keeps_the_order_asked_and_skips_missing_ids(store: MemoryStore) -> None:
    store.upsert([stored("a"), stored("b"), stored("c")])

    assert ids_of(store.get(BANK, ["c", "missing", "a"])) == ["c", "a"]
    assert store.get(BANK, []) == []
    assert store.get("no-such-bank", ["a"]) == []


def test_select_orders_oldest_retained_first_then_by_id_and_pages(store: MemoryStore) -> None:
    store.upsert([stored("b", retained=1), stored("d", retained=2), stored("a", retained=1), stored("c")])

    assert ids_of(store.select(BANK, ANY)) == ["c", "a", "b", "d"]
    assert ids_of(store.select(BANK, ANY, offset=1, limit=2)) == ["a", "b"]
    assert ids_of(store.select(BANK, ANY, offset=3)) == ["d"]
    assert store.select(BANK, ANY, limit=0) == []
    assert store.select("no-such-bank", ANY) == []


METADATA_RECORDS: dict[str, Metadata] = {
    "int1": {"n": 1},
    "float1": {"n": 1.0},
    "float15": {"n": 1.5},
    "true": {"n": True},
    "false": {"n": False},
    "str1": {"n": "1"},
    "strb": {"n": "b"},
    "null": {"n": None},
    "missing": {"other": 1},
}
EVERY = set(METADATA_RECORDS)
METADATA_CASES: list[tuple[Condition, set[str]]] = [
    (Condition("n", "$eq", 1), {"int1", "float1"}),
    (Condition("n", "$eq", 1.0), {"int1", "float1"}),
    (Condition("n", "$eq", True), {"true"}),
    (Condition("n", "$eq", False), {"false"}),
    (Condition("n", "$eq", 0), set()),
    (Condition("n", "$eq", "1"), {"str1"}),
    (Condition("n", "$eq", None), {"null"}),
    (Condition("n", "$ne", 1), EVERY - {"int1", "float1"}),
    (Condition("n", "$ne", True), EVERY - {"true"}),
    (Condition("n", "$ne", None), EVERY - {"null"}),
    (Condition("n", "$gt", 1), {"float15"}),
    (Condition("n", "$gte", 1), {"int1", "float1", "float15"}),
    (Condition("n", "$lt", 1.5), {"int1", "float1"}),
    (Condition("n", "$lte", 0), set()),
    (Condition("n", "$gt", False), set()),
    (Condition("n", "$gte", "1"), {"str1", "strb"}),
    (Condition("n", "$lt", "b"), {"str1"}),
    (Condition("n", "$lt", None), set()),
    (Condition("n", "$in", (1, "b")), {"int1", "float1", "strb"}),
    (Condition("n", "$in", (True, None)), {"true", "null"}),
    (Condition("n", "$in", ()), set()),
    (Condition("n", "$nin", (1, "b")), EVERY - {"int1", "float1", "strb"}),
    (Condition("n", "$nin", ()), EVERY),
    (Condition("absent", "$eq", None), set()),
    (Condition("absent", "$ne", 1), EVERY),
    (Condition("absent", "$nin", (1,)), EVERY),
    (Condition("absent", "$gt", 0), set()),
]


def test_metadata_conditions_compare_with_type_and_handle_missing_keys(store: MemoryStore) -> None:
    store.upsert([stored(memory_id, metadata=metadata) for memory_id, metadata in METADATA_RECORDS.items()])

    def matching(condition: Condition) -> set[str]:
        where = RecordFilter(metadata=(condition,))
        assert store.count(BANK, where) == len(store.select(BANK, where))
        return set(ids_of(store.select(BANK, where)))

    assert {condition: matching(condition) for condition, _ in METADATA_CASES} == dict(METADATA_CASES)


def test_metadata_conditions_are_a_conjunction_and_keys_may_hold_any_character(store: MemoryStore) -> None:
    odd = {"a.b": "dot", 'q"uote': 1, "$x[0]": True}
    store.upsert([stored(memory_id, metadata=metadata) for memory_id, metadata in METADATA_RECORDS.items()])
    store.upsert([stored("odd", metadata=odd)])

    between = RecordFilter(metadata=(Condition("n", "$gte", 1), Condition("n", "$lt", 1.5)))
    assert ids_of(store.select(BANK, between)) == ["float1", "int1"]
    for key, value in odd.items():
        assert ids_of(store.select(BANK, RecordFilter(metadata=(Condition(key, "$eq", value),)))) == ["odd"]


def test_an_unknown_operator_is_rejected(store: MemoryStore) -> None:
    store.upsert([stored("m1", metadata={"n": 1})])

    with pytest.raises(ValidationError, match="unknown operator"):
        store.select(BANK, RecordFilter(metadata=(Condition("n", "$regex", "x"),)))  # type: ignore[arg-type]


def test_tags_all_requires_every_tag(store: MemoryStore) -> None:
    store.upsert([stored("ab", tags=["a", "b"]), stored("a", tags=["a"]), stored("abc", tags=["a", "b", "c"])])
    store.upsert([stored("none")])

    def tagged(*tags: str) -> set[str]:
        return set(ids_of(store.select(BANK, RecordFilter(tags_all=frozenset(tags)))))

    assert tagged("a", "b") == {"ab", "abc"}
    assert tagged("a") == {"a", "ab", "abc"}
    assert tagged("z") == set()
    assert tagged() == {"a", "ab", "abc", "none"}


def test_time_bounds_are_inclusive(store: MemoryStore) -> None:
    store.upsert([stored(f"d{day}", occurred=day, retained=10 * day) for day in (1, 2, 3)])
    microsecond = timedelta(microseconds=1)

    def between(**bounds: datetime) -> list[str]:
        return ids_of(store.select(BANK, RecordFilter(**bounds)))

    assert between(occurred_from=at(2)) == ["d2", "d3"]
    assert between(occurred_from=at(2) + microsecond) == ["d3"]
    assert between(occurred_until=at(2)) == ["d1", "d2"]
    assert between(occurred_until=at(2) - microsecond) == ["d1"]
    assert between(occurred_from=at(2), occurred_until=at(2)) == ["d2"]
    assert between(retained_until=at(20)) == ["d1", "d2"]
    assert between(retained_until=at(20) - microsecond) == ["d1"]


def test_keys_and_ids_restrict_to_those_sets(store: MemoryStore) -> None:
    store.upsert([stored("m1", key="k1"), stored("m2", key="k2"), stored("m3", key="k3"), stored("m4")])

    assert ids_of(store.select(BANK, RecordFilter(keys=frozenset({"k1", "k3", "zz"})))) == ["m1", "m3"]
    assert ids_of(store.select(BANK, RecordFilter(ids=frozenset({"m2", "m4", "zz"})))) == ["m2", "m4"]
    both = RecordFilter(keys=frozenset({"k1", "k2"}), ids=frozenset({"m2", "m3"}))
    assert ids_of(store.select(BANK, both)) == ["m2"]


def test_count(store: MemoryStore) -> None:
    store.upsert([stored("m1", tags=["x"]), stored("m2"), stored("m3", tags=["x"]), stored("o1", bank="other")])

    assert store.count(BANK) == 3
    assert store.count(BANK, ANY) == 3
    assert store.count(BANK, RecordFilter(tags_all=frozenset({"x"}))) == 2
    assert store.count("no-such-bank") == 0


def test_delete_returns_only_ids_that_existed_and_unindexes_them(store: MemoryStore) -> None:
    store.upsert([stored(name, terms=["word"], entities=["Alice"], vector=unit(i)) for i, name in enumerate("abc")])

    assert store.delete(BANK, ["c", "missing", "a", "a"]) == ["c", "a"]
    assert store.delete(BANK, ["a"]) == []
    assert store.delete("no-such-bank", ["b"]) == []
    assert ids_of(store.get(BANK, ["a", "b", "c"])) == ["b"]
    assert ids_of(store.search_keywords(BANK, KeywordQuery(["word"], 5))) == ["b"]
    assert ids_of(store.search_entities(BANK, EntityQuery(["alice"], 5))) == ["b"]
    assert ids_of(store.search_vectors(BANK, VectorQuery(unit(0)[None], 5))[0]) == ["b"]


def test_banks_are_isolated(store: MemoryStore) -> None:
    first, second = "tenant:acme/notes", "other bank"
    store.upsert([stored("m1", bank=first, terms=["alpha"], entities=["Alice"], vector=unit(1))])
    store.upsert([stored("m1", bank=second, terms=["beta"], entities=["Bob"], vector=unit(2))])
    store.upsert([stored("m2", bank=second, terms=["alpha"], entities=["Alice"], vector=unit(1))])

    assert store.get(first, ["m1"])[0].bank_id == first
    assert store.count(first) == 1 and store.count(second) == 2
    assert ids_of(store.search_keywords(first, KeywordQuery(["alpha", "beta"], 5))) == ["m1"]
    assert ids_of(store.search_entities(first, EntityQuery(["alice", "bob"], 5))) == ["m1"]
    assert ids_of(store.search_vectors(first, VectorQuery(unit(2)[None], 5))[0]) == ["m1"]
    assert store.delete(first, ["m1", "m2"]) == ["m1"]
    assert ids_of(store.get(second, ["m1", "m2"])) == ["m1", "m2"]


def test_search_vectors_ranks_nearest_first_with_cosine_scores(store: MemoryStore) -> None:
    vectors = {f"m{i}": unit(i) for i in range(6)}
    store.upsert([stored(memory_id, vector=vector) for memory_id, vector in vectors.items()])
    query = unit(100)
    cosine = {memory_id: float(vector @ query) for memory_id, vector in vectors.items()}
    expected = sorted(cosine, key=cosine.__getitem__, reverse=True)

    [top3] = store.search_vectors(BANK, VectorQuery(query[None], 3))
    assert ids_of(top3) == expected[:3]
    assert [hit.score for hit in top3] == pytest.approx([cosine[memory_id] for memory_id in expected[:3]], abs=1e-5)
    assert ids_of(store.search_vectors(BANK, VectorQuery(query[None], 50))[0]) == expected


def test_search_vectors_honours_the_filter(store: MemoryStore) -> None:
    vectors = {f"m{i}": unit(i) for i in range(6)}
    store.upsert([stored(f"m{i}", vector=unit(i), metadata={"even": i % 2 == 0}) for i in range(6)])
    even = RecordFilter(metadata=(Condition("even", "$eq", True),))

    [hits] = store.search_vectors(BANK, VectorQuery(vectors["m1"][None], 10, even))
    assert sorted(ids_of(hits)) == ["m0", "m2", "m4"]
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    nothing = RecordFilter(ids=frozenset({"zz"}))
    assert store.search_vectors(BANK, VectorQuery(vectors["m1"][None], 10, nothing)) == [[]]


def test_search_vectors_on_an_empty_or_missing_bank_gives_an_empty_list_per_query(store: MemoryStore) -> None:
    queries = np.stack([unit(1), unit(2)])
    assert store.search_vectors("no-such-bank", VectorQuery(queries, 5)) == [[], []]
    store.upsert([stored("m1")])
    store.delete(BANK, ["m1"])
    assert store.search_vectors(BANK, VectorQuery(queries, 5)) == [[], []]
    assert store.search_vectors(BANK, VectorQuery(queries, 5, RecordFilter(tags_all=frozenset({"x"})))) == [[], []]


def test_search_vectors_answers_a_batch_of_queries(store: MemoryStore) -> None:
    store.upsert([stored(f"m{i}", vector=unit(i), tags=["odd"] if i % 2 else []) for i in range(6)])
    queries = np.stack([unit(1), unit(3), unit(4)])

    results = store.search_vectors(BANK, VectorQuery(queries, 2))
    assert [hits[0].id for hits in results] == ["m1", "m3", "m4"]
    assert all(len(hits) == 2 and hits[0].score == pytest.approx(1.0, abs=1e-5) for hits in results)
    odd = store.search_vectors(BANK, VectorQuery(queries, 1, RecordFilter(tags_all=frozenset({"odd"}))))
    nearest_odd_to_m4 = max(("m1", "m3", "m5"), key=lambda memory_id: float(unit(int(memory_id[1])) @ unit(4)))
    assert [ids_of(hits) for hits in odd] == [["m1"], ["m3"], [nearest_odd_to_m4]]


def test_a_rare_term_outranks_a_common_one(store: MemoryStore) -> None:
    store.upsert([stored("rare", terms=["zebra", "pad"]), stored("common", terms=["apple", "pad"])])
    store.upsert([stored(f"filler{i}", terms=["apple", "other"]) for i in range(4)])

    hits = store.search_keywords(BANK, KeywordQuery(["zebra", "apple"], 10))
    assert hits[0].id == "rare"
    assert set(ids_of(hits)) == {"rare", "common", "filler0", "filler1", "filler2", "filler3"}
    assert all(hit.score > 0 for hit in hits)


def test_higher_term_frequency_ranks_higher_at_equal_length(store: MemoryStore) -> None:
    store.upsert([stored("once", terms=["cat", "dog", "eel"]), stored("twice", terms=["cat", "cat", "dog"])])
    store.upsert([stored(f"filler{i}", terms=["owl", "yak", "elk"]) for i in range(3)])

    assert ids_of(store.search_keywords(BANK, KeywordQuery(["cat"], 10))) == ["twice", "once"]


def test_any_query_term_may_match(store: MemoryStore) -> None:
    store.upsert([stored("cat", terms=["cat"]), stored("dog", terms=["dog"]), stored("eel", terms=["eel"])])

    assert set(ids_of(store.search_keywords(BANK, KeywordQuery(["cat", "dog", "unknown"], 10)))) == {"cat", "dog"}
    assert len(store.search_keywords(BANK, KeywordQuery(["cat", "dog"], 1))) == 1
    assert store.search_keywords(BANK, KeywordQuery([], 10)) == []
    assert store.search_keywords(BANK, KeywordQuery(["unknown"], 10)) == []
    assert store.search_keywords("no-such-bank", KeywordQuery(["cat"], 10)) == []


def test_keyword_terms_are_matched_exactly_as_given(store: MemoryStore) -> None:
    store.upsert([stored("apostrophe", terms=["o'neil"]), stored("accent", terms=["café"])])
    store.upsert([stored("quote", terms=['say"when']), stored("upper", terms=["Paris"])])

    for term, expected in [("o'neil", ["apostrophe"]), ("café", ["accent"]), ('say"when', ["quote"])]:
        assert ids_of(store.search_keywords(BANK, KeywordQuery([term], 10))) == expected
    for near_miss in ["o", "neil", "cafe", "say", "paris", "OR", "NEAR"]:
        assert store.search_keywords(BANK, KeywordQuery([near_miss], 10)) == []


def test_keyword_search_honours_the_filter(store: MemoryStore) -> None:
    store.upsert([stored("kept", terms=["cat"], tags=["keep"]), stored("dropped", terms=["cat", "cat"])])

    assert ids_of(
        store.search_keywords(BANK, KeywordQuery(["cat"], 10, RecordFilter(tags_all=frozenset({"keep"}))))
    ) == ["kept"]


def test_bm25_statistics_are_per_bank(store: MemoryStore) -> None:
    store.upsert([stored("doc", bank="common", terms=["kiwi", "pad"])])
    store.upsert([stored(f"filler{i}", bank="common", terms=["kiwi", "pad"]) for i in range(3)])
    store.upsert([stored("doc", bank="rare", terms=["kiwi", "pad"])])
    store.upsert([stored(f"filler{i}", bank="rare", terms=["lime", "pad"]) for i in range(3)])

    [in_rare] = store.search_keywords("rare", KeywordQuery(["kiwi"], 10))
    in_common = {hit.id: hit.score for hit in store.search_keywords("common", KeywordQuery(["kiwi"], 10))}
    assert in_rare.id == "doc"
    assert in_rare.score > 1000 * in_common["doc"] > 0


def test_search_entities_is_case_insensitive_and_ranks_by_entities_shared(store: MemoryStore) -> None:
    store.upsert([stored("m1", entities=["Alice", "Paris"]), stored("m2", entities=["alice"])])
    store.upsert([stored("m3", entities=["Bob"]), stored("m4", entities=["PARIS", "Alice", "Lyon"])])
    store.upsert([stored("m5", entities=["Bob", "bob"])])

    assert store.search_entities(BANK, EntityQuery(["ALICE", "paris"], 10)) == [
        Scored("m1", 2.0),
        Scored("m4", 2.0),
        Scored("m2", 1.0),
    ]
    assert store.search_entities(BANK, EntityQuery(["bob", "BOB"], 10)) == [Scored("m3", 1.0), Scored("m5", 1.0)]
    assert ids_of(store.search_entities(BANK, EntityQuery(["alice", "paris"], 1))) == ["m1"]
    not_m1 = RecordFilter(ids=frozenset({"m2", "m3", "m4"}))
    assert ids_of(store.search_entities(BANK, EntityQuery(["alice", "paris"], 10, not_m1))) == ["m4", "m2"]
    assert store.search_entities(BANK, EntityQuery([], 10)) == []
    assert store.search_entities(BANK, EntityQuery(["nobody"], 10)) == []


def test_banks_lists_banks_holding_records(store: MemoryStore) -> None:
    assert store.banks() == []
    store.upsert([stored("m1", bank="b"), stored("m2", bank="b"), stored("m3", bank="a")])
    assert store.banks() == [BankInfo(bank_id="a", memories=1), BankInfo(bank_id="b", memories=2)]
    store.delete("a", ["m3"])
    assert store.banks() == [BankInfo(bank_id="b", memories=2)]


def test_concurrent_writers_lose_nothing(store: MemoryStore) -> None:
    def work(worker: int) -> None:
        for i in range(10):
            store.upsert([stored(f"w{worker}-{i}", vector=unit(100 * worker + i), tags=[f"w{worker}"])])
            store.search_vectors(BANK, VectorQuery(unit(i)[None], 3, RecordFilter(tags_all=frozenset({f"w{worker}"}))))
            store.count(BANK)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))

    assert store.count(BANK) == 80
    assert len(store.search_vectors(BANK, VectorQuery(unit(0)[None], 100))[0]) == 80


def test_keyword_scores_match_the_reference_store_exactly(tmp_path: Path) -> None:
    words = ["ant", "bee", "cat", "dog", "eel", "fox"]
    rng = np.random.default_rng(7)
    records = [stored(f"m{i}", terms=list(rng.choice(words, size=rng.integers(1, 9)))) for i in range(30)]
    reference = InMemoryStore()
    reference.upsert(records)

    with open_embedded(tmp_path / "data") as embedded:
        embedded.upsert(records)
        for query in (["ant"], ["cat", "fox"], ["bee", "dog", "eel", "zzz"]):
            expected = reference.search_keywords(BANK, KeywordQuery(query, 30))
            got = embedded.search_keywords(BANK, KeywordQuery(query, 30))
            assert ids_of(got) == ids_of(expected)
            assert [hit.score for hit in got] == pytest.approx([hit.score for hit in expected], rel=1e-12)


def test_embedded_store_keeps_everything_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "data"
    with open_embedded(path) as store:
        store.upsert([stored("m1", terms=["alpha"], entities=["Alice"], vector=unit(1), metadata={"n": 1})])
        store.upsert([stored("m2", bank="other", vector=unit(2))])

    with open_embedded(path) as store:
        assert ids_of(store.get(BANK, ["m1"])) == ["m1"]
        assert ids_of(store.search_keywords(BANK, KeywordQuery(["alpha"], 5))) == ["m1"]
        assert ids_of(store.search_entities(BANK, EntityQuery(["alice"], 5))) == ["m1"]
        assert ids_of(store.search_vectors(BANK, VectorQuery(unit(1)[None], 5))[0]) == ["m1"]
        one = RecordFilter(metadata=(Condition("n", "$eq", 1),))
        assert ids_of(store.search_vectors(BANK, VectorQuery(unit(2)[None], 5, one))[0]) == ["m1"]
        assert store.banks() == [BankInfo(bank_id=BANK, memories=1), BankInfo(bank_id="other", memories=1)]


def test_writes_reach_the_database_file_itself_without_waiting_for_a_later_open(tmp_path: Path) -> None:
    # A checkpoint copies the write-ahead log into the database file; a thread of the store runs it once enough
    # rows were written, so a copy of the file alone, without its log, soon holds them.
    path = tmp_path / "data"
    with open_embedded(path) as store:
        store.upsert([stored(f"m{number}", vector=unit(number)) for number in range(1000)])
        deadline = time.monotonic() + 30
        while _records_in_the_file_alone(path / "records.sqlite3", tmp_path / "copy.sqlite3") < 1000:
            assert time.monotonic() < deadline, "the log was not checkpointed into the database file"
            time.sleep(0.05)


def _records_in_the_file_alone(database: Path, copy: Path) -> int:
    shutil.copyfile(database, copy)
    try:
        with closing(sqlite3.connect(f"file:{copy}?immutable=1", uri=True)) as db:
            return db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    except sqlite3.DatabaseError:  # copied while the checkpoint was writing it
        return 0


def test_vector_writes_lost_in_a_crash_are_replayed_on_reopening(tmp_path: Path) -> None:
    path = tmp_path / "data"
    store = open_embedded(path, vector_process=False)  # Chroma in this process, so that it can be made to fail
    store.upsert([stored("kept", vector=unit(1))])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ChromaVectors, "apply", _crash)
        store.upsert([stored("late", vector=unit(2))])  # acknowledged: records and vectors are in SQLite
        store.delete(BANK, ["kept"])
        assert ids_of(store.get(BANK, ["kept", "late"])) == ["late"]
        with pytest.raises(RuntimeError, match="crash"):
            store.search_vectors(BANK, VectorQuery(unit(1)[None], 5))
        store.close()

    with open_embedded(path) as reopened:
        [hits] = reopened.search_vectors(BANK, VectorQuery(unit(1)[None], 5))
        assert ids_of(hits) == ["late"]


def test_a_failed_vector_write_is_retried_by_the_next_search(tmp_path: Path) -> None:
    with open_embedded(tmp_path / "data", vector_process=False) as store:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ChromaVectors, "apply", _crash)
            store.upsert([stored("late", vector=unit(2), tags=["t"])])

        [hits] = store.search_vectors(BANK, VectorQuery(unit(2)[None], 5, RecordFilter(tags_all=frozenset({"t"}))))
        assert ids_of(hits) == ["late"]


def _crash(self: ChromaVectors, ops: object) -> None:
    raise RuntimeError("simulated crash before the vectors reached chroma")


def test_a_second_process_fails_fast_while_the_data_dir_is_held(tmp_path: Path) -> None:
    path = tmp_path / "data"
    script = textwrap.dedent(
        f"""
        import sys, time
        from astrocyte.errors import DataDirLocked
        from astrocyte.stores.embedded import EmbeddedStore

        start = time.monotonic()
        try:
            EmbeddedStore(sys.argv[1], embedder_identity="test-embedder", dimensions={DIM})
        except DataDirLocked as exc:
            print(f"{{time.monotonic() - start:.3f}} {{exc}}")
            sys.exit(3)
        """
    )
    source_root = str(Path(astrocyte.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": source_root}
    with open_embedded(path):
        result = subprocess.run(
            [sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env, timeout=120
        )

    assert result.returncode == 3, result.stderr
    seconds, message = result.stdout.strip().split(" ", 1)
    assert float(seconds) < 1.0
    assert str(path) in message and "another process" in message and "data_dir" in message


def test_the_data_dir_is_locked_within_a_process_too_and_released_on_close(tmp_path: Path) -> None:
    path = tmp_path / "data"
    store = open_embedded(path)
    with pytest.raises(DataDirLocked):
        open_embedded(path)
    store.close()
    store.close()
    open_embedded(path).close()


def test_an_embedder_mismatch_is_a_config_error_and_leaves_the_dir_unlocked(tmp_path: Path) -> None:
    path = tmp_path / "data"
    open_embedded(path).close()

    with pytest.raises(ConfigError, match=r"built with embedder 'test-embedder' \(dim 8\)"):
        open_embedded(path, identity="another-embedder")
    with pytest.raises(ConfigError, match="new data_dir"):
        open_embedded(path, dimensions=DIM * 2)
    open_embedded(path).close()


def test_vectors_of_the_wrong_dimension_are_rejected(tmp_path: Path) -> None:
    with open_embedded(tmp_path / "data") as store:
        with pytest.raises(ValidationError, match="8-dimensional"):
            store.upsert([stored("m1"), stored("m2", vector=np.ones(DIM + 1, dtype=np.float32))])
        with pytest.raises(ValidationError, match=r"\(n, 8\)"):
            store.search_vectors(BANK, VectorQuery(np.ones((1, DIM + 1)), 5))
        assert store.count(BANK) == 0


def test_search_entities_matches_a_longer_name_by_its_leading_words(store: MemoryStore) -> None:
    store.upsert(
        [stored("m1", entities=["Bob Okafor"]), stored("m2", entities=["Bobby"]), stored("m3", entities=["Okafor Bob"])]
    )
    assert ids_of(store.search_entities(BANK, EntityQuery(["bob"], 10))) == ["m1"]
    assert ids_of(store.search_entities(BANK, EntityQuery(["bob okafor"], 10))) == ["m1"]
