"""brain.sync works from plain threads and from inside a running event loop, without deadlock, and each twin
has exactly the signature and docstring of the async method it blocks on."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from astrocyte import AgentMemory, Astrocyte, AstrocyteError, HookCall, ScopedMemory, SyncAstrocyte
from astrocyte.sync import SyncTwin, blocking

CARDS = Path(__file__).resolve().parents[1] / "agent_cards"


@pytest.fixture
def agent(memory_brain: Astrocyte) -> AgentMemory:
    return memory_brain.sync.for_agent(CARDS / "crewai-researcher.json", bindings=CARDS / "bindings.yaml")


def handles(brain: Astrocyte, agent: AgentMemory) -> list[Astrocyte | ScopedMemory]:
    return [brain, brain.scoped("notes"), agent]


def in_a_thread(work: Callable[[], Any], timeout: float = 30) -> Any:
    """`work()` in a thread of its own; a deadlock fails the test after `timeout` instead of hanging it."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"deadlocked: still waiting after {timeout}s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def sync_loops() -> int:
    return sum(thread.name == "astrocyte-sync" for thread in threading.enumerate())


def async_methods(target: object) -> set[str]:
    return {name for name, _ in inspect.getmembers(type(target), inspect.iscoroutinefunction) if name[0] != "_"}


def twins(twin: SyncTwin[Any]) -> set[str]:
    return {name for cls in type(twin).__mro__ for name, member in vars(cls).items() if isinstance(member, blocking)}


# Signatures


def test_every_async_method_has_a_twin(memory_brain: Astrocyte, agent: AgentMemory) -> None:
    for target in handles(memory_brain, agent):
        assert twins(target.sync) == async_methods(target), type(target).__name__


def test_each_twin_has_the_async_methods_signature_and_docstring(memory_brain: Astrocyte, agent: AgentMemory) -> None:
    for target in handles(memory_brain, agent):
        for name in async_methods(target):
            method, twin = getattr(target, name), getattr(target.sync, name)
            assert inspect.signature(twin) == inspect.signature(method), f"{type(target).__name__}.{name}"
            assert twin.__doc__ and twin.__doc__ == method.__doc__, f"{type(target).__name__}.{name}"


def test_a_twin_reads_as_a_method_of_its_twin_class() -> None:
    assert SyncAstrocyte.retain.__qualname__ == "SyncAstrocyte.retain"
    assert list(inspect.signature(SyncAstrocyte.retain).parameters)[:2] == ["self", "content"]
    assert not inspect.iscoroutinefunction(SyncAstrocyte.retain)


def test_scoped_methods_name_their_keywords(memory_brain: Astrocyte) -> None:
    notes = memory_brain.scoped("notes")
    assert [name for name, parameter in inspect.signature(notes.recall).parameters.items()] == [
        "query",
        "banks",
        "strategy",
        "max_results",
        "max_tokens",
        "tags",
        "filter",
        "time_range",
        "as_of",
    ]
    assert not any(
        parameter.kind is inspect.Parameter.VAR_KEYWORD
        for method in (notes.retain, notes.recall, notes.reflect, notes.forget)
        for parameter in inspect.signature(method).parameters.values()
    )


def test_a_typo_in_a_keyword_is_a_type_error_before_any_work(memory_brain: Astrocyte, agent: AgentMemory) -> None:
    calls: list[HookCall] = []
    memory_brain.register_hook("on_retain", calls.append)
    notes = memory_brain.scoped("notes")
    with pytest.raises(TypeError, match=r"Astrocyte\.retain.*'tagz'"):
        memory_brain.sync.retain("Typo'd write.", bank_id="notes", tagz=["x"])
    with pytest.raises(TypeError, match=r"ScopedMemory\.retain.*'bank_id'"):
        notes.sync.retain("Scoped handles own their bank.", bank_id="elsewhere")
    with pytest.raises(TypeError, match=r"ScopedMemory\.recall.*'max_result'"):
        notes.sync.recall("anything", max_result=3)
    with pytest.raises(TypeError, match="'tagz'"):
        agent.sync.retain("Agent write.", tagz=["x"])
    with pytest.raises(TypeError):
        notes.sync.forget(["positional", "ids"])
    assert calls == []
    assert memory_brain.sync.list("notes") == []


# Scoped behaviour


def test_scoped_recall_reads_the_handles_banks_unless_told_otherwise(memory_brain: Astrocyte) -> None:
    memory_brain.sync.retain("Lyon trip is in May.", bank_id="trips")
    memory_brain.sync.retain("Lyon office opens in June.", bank_id="work")
    both = memory_brain.scoped("trips", banks=["trips", "work"])
    assert sorted(hit.bank_id for hit in both.sync.recall("Lyon").hits) == ["trips", "work"]
    assert [hit.bank_id for hit in both.sync.recall("Lyon", banks=["work"]).hits] == ["work"]
    assert both.sync.reflect("Lyon", banks=["work"]).hits[0].bank_id == "work"


def test_scoped_forget_passes_its_selectors(memory_brain: Astrocyte) -> None:
    notes = memory_brain.scoped("notes")
    kept, dropped = notes.sync.retain("Keep me."), notes.sync.retain("Drop me.", key="drop")
    assert notes.sync.forget(keys=["drop"]).deleted == 1
    assert [record.id for record in notes.sync.list()] == list(kept.memory_ids)
    assert notes.sync.get(dropped.memory_ids[0]) is None


def test_agent_memory_adds_its_hints_and_the_callers_metadata_wins(agent: AgentMemory) -> None:
    one = agent.sync.retain("Hinted write.", metadata={"crew": "solo"})
    [many] = agent.sync.retain_many(["Hinted batch write."])
    assert agent.sync.get(one.memory_ids[0]).metadata == {"framework": "crewai", "crew": "solo"}
    assert agent.sync.get(many.memory_ids[0]).metadata == {"framework": "crewai", "crew": "research"}


# Threads and loops


def test_sync_from_many_plain_threads(brain: Astrocyte) -> None:
    def work(number: int) -> str:
        return brain.sync.retain(f"Fact number {number} about topic {number}.", bank_id="threads").memory_ids[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, range(40)))
    assert len(set(ids)) == 40
    assert len(brain.sync.list("threads", limit=100)) == 40


async def test_sync_from_inside_a_running_event_loop(brain: Astrocyte) -> None:
    assert asyncio.get_running_loop().is_running()
    brain.sync.retain("Called synchronously from a coroutine.", bank_id="loop")
    hits = brain.sync.recall("called synchronously", bank_id="loop").hits
    assert hits[0].text == "Called synchronously from a coroutine."
    result = await brain.recall("coroutine", bank_id="loop")
    assert result.hits


def test_sync_from_a_thread_that_runs_its_own_loop(brain: Astrocyte) -> None:
    crew = brain.scoped("crew")

    async def crew_like_task() -> list[str]:
        assert asyncio.get_running_loop().is_running()
        brain.sync.retain("Saved from akickoff-style code.", bank_id="crew")
        crew.sync.retain("Saved through a scoped handle.")
        return crew.sync.recall("saved akickoff scoped").texts

    texts = in_a_thread(lambda: asyncio.run(crew_like_task()))
    assert sorted(texts) == ["Saved from akickoff-style code.", "Saved through a scoped handle."]


def test_sync_inside_a_hook_is_refused_quickly_not_deadlocked(brain: Astrocyte) -> None:
    errors: list[Exception] = []

    def reentrant(call: HookCall) -> None:
        for call_back in (lambda: brain.sync.recall("anything", bank_id="hooks"), brain.scoped("hooks").sync.list):
            try:
                call_back()
            except AstrocyteError as exc:
                errors.append(exc)

    brain.register_hook("on_retain", reentrant)
    started = time.monotonic()
    in_a_thread(lambda: brain.sync.retain("Trigger the hook.", bank_id="hooks"))
    assert time.monotonic() - started < 10
    assert len(errors) == 2 and all("await the async method" in str(error) for error in errors)


def test_close_is_idempotent_and_releases_the_data_dir(data_dir: Path) -> None:
    brain = Astrocyte(data_dir=data_dir)
    brain.sync.retain("x marks the spot", bank_id="b")
    brain.close()
    brain.close()
    with Astrocyte(data_dir=data_dir) as again:
        assert again.sync.list("b")[0].text == "x marks the spot"


def test_a_call_after_close_is_refused(memory_brain: Astrocyte) -> None:
    notes = memory_brain.scoped("notes")
    memory_brain.close()
    loops = sync_loops()
    with pytest.raises(AstrocyteError, match=r"after brain\.close\(\)"):
        memory_brain.sync.retain("Too late.", bank_id="notes")
    with pytest.raises(AstrocyteError, match=r"after brain\.close\(\)"):
        notes.sync.recall("too late")
    assert sync_loops() == loops


@pytest.mark.parametrize("strategy", ["parallel", "cascade"])
async def test_async_api_concurrently(brain: Astrocyte, strategy: str) -> None:
    await asyncio.gather(*(brain.retain(f"Note {i} on gardening topic {i}.", bank_id=f"g{i % 2}") for i in range(10)))
    result = await brain.recall("gardening", banks=["g0", "g1"], strategy=strategy, max_results=10)
    assert len(result.hits) == 10
