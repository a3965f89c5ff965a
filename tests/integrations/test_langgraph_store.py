"""AstrocyteStore against LangGraph's own contract: a differential test with InMemoryStore, then each feature."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langgraph.store.base import GetOp, Item, ListNamespacesOp, PutOp, SearchOp
from langgraph.store.memory import InMemoryStore

from astrocyte import Astrocyte, Context, ValidationError
from astrocyte_langgraph import AstrocyteStore, bank_template, default_bank, sanitise_bank_id

NAMESPACES = [("a",), ("a", "b"), ("a", "c"), ("a", "b", "d"), ("b",), ("users", "ann"), ("users", "bob")]
KEYS = ["k0", "k1", "k2", "k3"]
PREFIXES = [(), ("a",), ("a", "b"), ("users",), ("b",), ("zzz",)]
FILTERS: list[dict[str, Any] | None] = [
    None,
    {"colour": "red"},
    {"n": {"$gte": 3}},
    {"n": {"$lt": 5}, "colour": {"$ne": "blue"}},
    {"n": {"$gt": 2, "$lte": 7}},
    {"nested": {"x": 1}},
    {"tags": ["t1", "t2"]},
    {"colour": {"$eq": "blue"}},
    {"missing": None},
]


@pytest.fixture
def brain(tmp_path: Path) -> Iterator[Astrocyte]:
    with Astrocyte({"data_dir": str(tmp_path / "memory")}) as instance:
        yield instance


class FakeClock:
    """Epoch seconds that move only when a test advances them."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


def eventually(condition: Callable[[], bool], within_s: float = 10.0) -> bool:
    """Whether `condition` holds before the deadline, polling it (for work another thread does)."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def random_value(rng: random.Random) -> dict[str, Any]:
    value: dict[str, Any] = {"n": rng.randint(0, 9), "text": rng.choice(["apples", "pears", "plums"])}
    if rng.random() < 0.7:
        value["colour"] = rng.choice(["red", "blue"])
    if rng.random() < 0.3:
        value["nested"] = {"x": rng.randint(0, 2)}
    if rng.random() < 0.3:
        value["tags"] = rng.choice([["t1", "t2"], ["t2"]])
    return value


def random_op(rng: random.Random) -> tuple[str, dict[str, Any]]:
    roll = rng.random()
    if roll < 0.4:
        return "put", {
            "namespace": rng.choice(NAMESPACES),
            "key": rng.choice(KEYS),
            "value": random_value(rng),
            "index": rng.choice([None, False, ["text"]]),
        }
    if roll < 0.55:
        return "delete", {"namespace": rng.choice(NAMESPACES), "key": rng.choice(KEYS)}
    if roll < 0.7:
        return "get", {"namespace": rng.choice(NAMESPACES), "key": rng.choice(KEYS)}
    if roll < 0.88:
        return "search", {
            "namespace_prefix": rng.choice(PREFIXES),
            "filter": rng.choice(FILTERS),
            "limit": rng.choice([1, 3, 10]),
            "offset": rng.choice([0, 0, 1, 2]),
        }
    return "list_namespaces", {
        "prefix": rng.choice([None, ("a",), ("users",), ("a", "*")]),
        "suffix": rng.choice([None, None, ("b",), ("*", "d")]),
        "max_depth": rng.choice([None, None, 1, 2]),
        "limit": rng.choice([2, 100]),
        "offset": rng.choice([0, 0, 1]),
    }


def observed(result: Any) -> Any:
    """What both stores must agree on: namespaces, keys and values (timestamps differ by construction)."""
    if isinstance(result, Item):
        return (result.namespace, result.key, result.value)
    if isinstance(result, list):
        return [observed(entry) for entry in result]
    return result


def drop_empty_namespaces(reference: InMemoryStore) -> None:
    """InMemoryStore's defaultdict keeps a namespace once it was read or emptied; PostgresStore and
    AstrocyteStore list only namespaces that hold items, so the reference forgets empty ones."""
    for namespace in [namespace for namespace, items in reference._data.items() if not items]:
        del reference._data[namespace]


def run_op(store: Any, name: str, arguments: dict[str, Any]) -> Any:
    options = dict(arguments)
    prefix = options.pop("namespace_prefix", None)
    return observed(getattr(store, name)(*([prefix] if name == "search" else []), **options))


async def arun_op(store: Any, name: str, arguments: dict[str, Any]) -> Any:
    options = dict(arguments)
    prefix = options.pop("namespace_prefix", None)
    return observed(await getattr(store, f"a{name}")(*([prefix] if name == "search" else []), **options))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequences_match_in_memory_store(brain: Astrocyte, seed: int) -> None:
    rng = random.Random(seed)
    store, reference = AstrocyteStore(brain), InMemoryStore()
    for step in range(120):
        name, arguments = random_op(rng)
        expected = run_op(reference, name, arguments)
        drop_empty_namespaces(reference)
        assert run_op(store, name, arguments) == expected, f"step {step}: {name}({arguments})"
    assert run_op(store, "search", {"namespace_prefix": (), "limit": 1000}) == run_op(
        reference, "search", {"namespace_prefix": (), "limit": 1000}
    )


async def test_random_sequences_match_in_memory_store_async(brain: Astrocyte) -> None:
    rng = random.Random(7)
    store, reference = AstrocyteStore(brain), InMemoryStore()
    for step in range(80):
        name, arguments = random_op(rng)
        expected = await arun_op(reference, name, arguments)
        drop_empty_namespaces(reference)
        assert await arun_op(store, name, arguments) == expected, f"step {step}: {name}({arguments})"


@pytest.mark.parametrize("seed", [11, 12])
def test_batches_match_in_memory_store(brain: Astrocyte, seed: int) -> None:
    """Several ops per batch: reads see the store before the batch, the last put of an item wins.

    Gets read namespaces that hold items: InMemoryStore's get creates an empty namespace in the middle of a
    batch, which changes its namespace order and listing (see drop_empty_namespaces)."""
    rng = random.Random(seed)
    store, reference = AstrocyteStore(brain), InMemoryStore()
    for step in range(25):
        ops = []
        for _ in range(rng.randint(1, 6)):
            name, arguments = random_op(rng)
            if name == "put":
                ops.append(PutOp(arguments["namespace"], arguments["key"], arguments["value"], arguments["index"]))
            elif name == "delete":
                ops.append(PutOp(arguments["namespace"], arguments["key"], None))
            elif name == "get" and reference._data:
                ops.append(GetOp(rng.choice(list(reference._data)), arguments["key"]))
            elif name == "search":
                ops.append(SearchOp(**arguments))
            elif name == "list_namespaces":
                ops.append(ListNamespacesOp(limit=100))
        expected = observed(reference.batch(ops))
        drop_empty_namespaces(reference)
        assert observed(store.batch(ops)) == expected, f"batch {step}: {ops}"


def test_query_search_ranks_with_scores_and_respects_index(brain: Astrocyte) -> None:
    store = AstrocyteStore(brain, index={"fields": ["text"]})
    store.put(("docs",), "python", {"text": "Python tutorial for beginners", "year": 2024})
    store.put(("docs",), "ts", {"text": "TypeScript guide to generics", "year": 2023})
    store.put(("docs",), "secret", {"text": "Python internals", "year": 2022}, index=False)
    store.put(("docs",), "title", {"title": "Python cookbook", "text": "recipes"}, index=["title"])
    store.put(("other",), "py", {"text": "Python elsewhere"})
    found = store.search(("docs",), query="python tutorial")
    assert [item.key for item in found][:1] == ["python"]
    assert "secret" not in {item.key for item in found} and "py" not in {item.key for item in found}
    assert "title" in {item.key for item in found}
    assert all(0.0 <= item.score <= 1.0 for item in found)
    assert [item.key for item in store.search(("docs",), query="python", filter={"year": {"$gte": 2024}})] == ["python"]
    assert len(store.search(("docs",), query="python", limit=1)) == 1
    everything = [item.key for item in store.search(("docs",), query="python", limit=10)]
    assert [item.key for item in store.search(("docs",), query="python", offset=1, limit=10)] == everything[1:]
    assert {item.key for item in store.search(("docs",))} == {"python", "ts", "secret", "title"}
    assert store.get(("docs",), "secret").value == {"text": "Python internals", "year": 2022}


def test_values_round_trip_and_timestamps(brain: Astrocyte) -> None:
    clock = FakeClock()
    store = AstrocyteStore(brain, clock=clock)
    value = {"text": "x", "nested": {"list": [1, 2.5, None, True], "unicode": "ünïcödé"}, "empty": {}}
    store.put(("users", "ann"), "prefs", value)
    first = store.get(("users", "ann"), "prefs")
    assert first.value == value and first.created_at == first.updated_at == clock.moment()
    clock.advance(1.5)
    store.put(("users", "ann"), "prefs", {"text": "y"})
    second = store.get(("users", "ann"), "prefs")
    assert second.value == {"text": "y"}
    assert second.created_at == first.created_at and second.updated_at == first.updated_at + timedelta(seconds=1.5)
    assert len(brain.sync.list("users/ann")) == 1


def test_namespaces_keep_their_order_while_the_clock_stands_still(brain: Astrocyte) -> None:
    store = AstrocyteStore(brain, clock=FakeClock())
    for namespace, key in [(("b",), "k1"), (("a",), "k1"), (("b",), "k2")]:
        store.put(namespace, key, {"text": "x"})
    assert [(item.namespace, item.key) for item in store.search(())] == [(("b",), "k1"), (("b",), "k2"), (("a",), "k1")]


def test_namespace_to_bank_mappings(brain: Astrocyte) -> None:
    assert default_bank(("memories", "ann")) == "memories/ann"
    assert sanitise_bank_id("team chat/ünï") == "team-chat/-n-"
    assert sanitise_bank_id("_private") == "ns-_private"
    long = sanitise_bank_id("x" * 300)
    assert len(long) == 128 and long != sanitise_bank_id("x" * 299)
    assert bank_template("user-{1}")(("memories", "ann")) == "user-ann"
    with pytest.raises(ValueError, match="no label"):
        bank_template("user-{3}")(("memories", "ann"))

    AstrocyteStore(brain, namespace_to_bank="user-{1}").put(("memories", "ann"), "k", {"text": "a"})
    AstrocyteStore(brain, namespace_to_bank=lambda namespace: "shared").put(("x", "y"), "k", {"text": "b"})
    AstrocyteStore(brain).put(("with space", "é"), "k", {"text": "c"})
    assert {bank.bank_id for bank in brain.sync.banks()} == {"user-ann", "shared", "with-space/-"}


def test_a_lossy_mapping_keeps_namespaces_apart(brain: Astrocyte) -> None:
    store = AstrocyteStore(brain, namespace_to_bank=lambda namespace: "one-bank")
    store.put(("a", "x"), "k", {"v": 1})
    store.put(("a", "y"), "k", {"v": 2})
    store.put(("a/x",), "k", {"v": 3})
    assert store.get(("a", "x"), "k").value == {"v": 1}
    assert [item.value["v"] for item in store.search(("a",))] == [1, 2]
    assert store.list_namespaces() == [("a", "x"), ("a", "y"), ("a/x",)]
    store.delete(("a", "x"), "k")
    assert store.get(("a", "y"), "k").value == {"v": 2} and store.get(("a", "x"), "k") is None


def test_a_scoped_memory_writes_to_its_bank(brain: Astrocyte) -> None:
    scoped = brain.scoped("agent-notes", context=Context(principal="agent:planner"))
    store = AstrocyteStore(scoped)
    store.put(("plans", "q3"), "goal", {"text": "Ship the beta."})
    assert [record.bank_id for record in brain.sync.list("agent-notes")] == ["agent-notes"]
    assert store.search(("plans",))[0].value == {"text": "Ship the beta."}
    with pytest.raises(ValidationError, match="ScopedMemory already carries"):
        AstrocyteStore(scoped, context=Context(principal="agent:other"))


def test_mip_routes_store_writes_and_reads_follow(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        """
version: 1
default_bank: general
banks:
  - {id: general, description: Anything else}
  - {id: archive, description: Archived store items}
rules:
  - name: archive-namespace
    priority: 10
    match: {all: [{metadata.langgraph_namespace: {regex: "^archive/"}}]}
    action: {bank: archive, tags: [archived]}
"""
    )
    config = {"data_dir": str(tmp_path / "memory"), "mip": {"rules": str(tmp_path / "rules.yaml")}}
    with Astrocyte(config) as routed:
        store = AstrocyteStore(routed)
        store.put(("archive", "2024"), "report", {"text": "Annual report"})
        store.put(("live",), "note", {"text": "Current note"})
        assert [record.bank_id for record in routed.sync.list("archive")] == ["archive"]
        assert store.get(("archive", "2024"), "report").value == {"text": "Annual report"}
        assert store.search(("archive",), query="annual report")[0].key == "report"
        assert store.list_namespaces() == [("archive", "2024"), ("live",)]
        store.put(("archive", "2024"), "report", {"text": "Annual report v2"})
        assert len(routed.sync.list("archive")) == 1
        store.delete(("archive", "2024"), "report")
        assert routed.sync.list("archive") == [] and store.get(("archive", "2024"), "report") is None


def test_ttl_expires_refreshes_and_sweeps(brain: Astrocyte) -> None:
    clock = FakeClock()
    store = AstrocyteStore(brain, ttl={"default_ttl": 1, "refresh_on_read": True}, clock=clock)
    assert store.supports_ttl
    store.put(("s",), "kept", {"text": "refreshed by reads"})
    store.put(("s",), "lapsing", {"text": "read without refresh"})
    store.put(("s",), "forever", {"text": "no ttl"}, ttl=None)
    written = store.get(("s",), "kept", refresh_ttl=False)
    clock.advance(40)
    assert store.get(("s",), "lapsing", refresh_ttl=False) is not None
    assert store.get(("s",), "kept") is not None  # now expires at 100 s
    clock.advance(59)
    assert store.get(("s",), "kept") is not None  # at 99 s, past the first expiry; now expires at 159 s
    assert store.get(("s",), "lapsing", refresh_ttl=False) is None
    refreshed = store.get(("s",), "kept")
    assert (refreshed.created_at, refreshed.updated_at) == (written.created_at, written.updated_at)
    assert {item.key for item in store.search(("s",))} == {"kept", "forever"}
    clock.advance(61)
    assert [item.key for item in store.search(("s",), refresh_ttl=False)] == ["forever"]
    assert store.list_namespaces() == [("s",)]
    assert [record.key for record in brain.sync.list("s")] == ['[["s"],"forever"]']


def test_sweep_deletes_expired_items(brain: Astrocyte) -> None:
    clock = FakeClock()
    store = AstrocyteStore(brain, ttl={"sweep_interval_minutes": 1}, clock=clock)
    store.put(("s",), "short", {"text": "x"}, ttl=1)
    store.put(("s",), "long", {"text": "y"}, ttl=10)
    clock.advance(59)
    assert store.sweep_ttl() == 0
    clock.advance(2)
    assert store.sweep_ttl() == 1
    only_long = ['[["s"],"long"]']
    assert [record.key for record in brain.sync.list("s")] == only_long
    done = store.start_ttl_sweeper(0.01 / 60)
    store.put(("s",), "short", {"text": "x"}, ttl=1)
    clock.advance(61)
    assert eventually(lambda: [record.key for record in brain.sync.list("s")] == only_long)
    assert store.stop_ttl_sweeper(timeout=5) and done.result(timeout=5) is None


def test_configuration_is_checked(brain: Astrocyte) -> None:
    with pytest.raises(ValidationError, match=r"index\.dims"):
        AstrocyteStore(brain, index={"dims": 3, "embed": lambda texts: [[0.0] * 3 for _ in texts]})
    with pytest.raises(ValidationError, match=r"ttl\.omit_expired"):
        AstrocyteStore(brain, ttl={"omit_expired": False})
    with pytest.raises(ValidationError, match="sweep_interval_minutes"):
        AstrocyteStore(brain).start_ttl_sweeper()
    with pytest.raises(ValueError, match="Unsupported operator"):
        AstrocyteStore(brain).search(("a",), filter={"n": {"$regex": "x"}})
    with pytest.raises(ValidationError, match="512"):
        AstrocyteStore(brain).put(("a",), "k" * 600, {"v": 1})


def test_reflect_answers_from_the_namespace(brain: Astrocyte) -> None:
    store = AstrocyteStore(brain, index={"fields": ["content"]})
    store.put(("memories", "ann"), "city", {"content": "Ann lives in Lyon."})
    store.put(("memories", "bob"), "city", {"content": "Bob lives in Berlin."})
    result = store.reflect(("memories", "ann"), "Where does Ann live?")
    assert "Lyon" in result.answer and "Berlin" not in result.answer
    assert result.hits and all(hit.record.bank_id == "memories/ann" for hit in result.hits)
