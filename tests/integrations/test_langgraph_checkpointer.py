"""AstrocyteCheckpointer: LangGraph's checkpointer conformance suite, then the long-term memory hooks."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES, Capability
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph

from astrocyte import Astrocyte, ValidationError
from astrocyte._core.runtime import open_store
from astrocyte.config import load_config
from astrocyte.stores.base import MemoryStore
from astrocyte.testing import Faults, OfflineEmbedder
from astrocyte_langgraph import AstrocyteCheckpointer

ANN_T1 = {"configurable": {"thread_id": "t1", "user_id": "ann"}}


@pytest.fixture
def brain(tmp_path: Path) -> Iterator[Astrocyte]:
    with Astrocyte({"data_dir": str(tmp_path / "memory")}) as instance:
        yield instance


def supported_by(saver_type: type[BaseCheckpointSaver]) -> set[str]:
    """Capabilities the wrapper can serve: those the inner saver implements, sync or async."""
    return {
        capability.value
        for capability in ALL_CAPABILITIES
        if any(
            getattr(saver_type, name) is not getattr(BaseCheckpointSaver, name)
            for name in (f"a{capability.value}", capability.value)
        )
    }


def sqlite_saver(path: Path) -> SqliteSaver:
    return SqliteSaver(sqlite3.connect(path, check_same_thread=False))


@pytest.mark.parametrize("inner_kind", ["InMemorySaver", "SqliteSaver", "AsyncSqliteSaver"])
async def test_conformance_suite_passes_with_the_saver_inside(
    brain: Astrocyte, tmp_path: Path, inner_kind: str
) -> None:
    counter = iter(range(1000))

    async def wrapped() -> AsyncIterator[AstrocyteCheckpointer]:
        if inner_kind == "AsyncSqliteSaver":
            async with AsyncSqliteSaver.from_conn_string(str(tmp_path / f"a{next(counter)}.db")) as inner:
                yield AstrocyteCheckpointer(inner, brain, bank_id="conformance", forget_on_delete=True)
            return
        inner = InMemorySaver() if inner_kind == "InMemorySaver" else sqlite_saver(tmp_path / f"{next(counter)}.db")
        yield AstrocyteCheckpointer(inner, brain, bank_id="conformance", forget_on_delete=True)

    saver_type = {"InMemorySaver": InMemorySaver, "SqliteSaver": SqliteSaver}.get(inner_kind, AsyncSqliteSaver)
    supported = supported_by(saver_type)
    skipped = {capability.value for capability in Capability} - supported
    registered = checkpointer_test(name=f"Astrocyte({inner_kind})", skip_capabilities=skipped)(wrapped)
    report = await validate(registered)
    assert report.passed_all(), report.to_dict()
    assert report.passed_all_base()
    passed = {name for name, result in report.results.items() if result.passed}
    assert passed == supported and {"put", "put_writes", "get_tuple", "list", "delete_thread"} <= passed


def echo_graph(checkpointer: BaseCheckpointSaver) -> CompiledStateGraph:
    def agent(state: MessagesState) -> dict:
        return {"messages": [AIMessage(f"You said: {state['messages'][-1].text}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    return builder.compile(checkpointer=checkpointer)


def texts(brain: Astrocyte, bank: str) -> list[str]:
    return [record.text for record in brain.sync.list(bank)]


def test_new_human_and_ai_messages_are_retained_once(brain: Astrocyte) -> None:
    saver = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="user-{user_id}")
    graph = echo_graph(saver)
    graph.invoke({"messages": [HumanMessage("I moved to Lyon.")]}, ANN_T1)
    graph.invoke({"messages": [HumanMessage("I adopted a cat.")]}, ANN_T1)
    assert texts(brain, "user-ann") == [
        "I moved to Lyon.",
        "You said: I moved to Lyon.",
        "I adopted a cat.",
        "You said: I adopted a cat.",
    ]
    assert saver.stats.retained == 4 and saver.stats.failed == saver.stats.refused == 0
    first = brain.sync.list("user-ann")[0]
    assert first.metadata | {"message_id": "-"} == {
        "thread_id": "t1",
        "session": "t1",
        "speaker": "ann",
        "user_id": "ann",
        "role": "human",
        "message_id": "-",
        "checkpoint_ns": "",
    }
    assert brain.sync.list("user-ann")[1].metadata["speaker"] == "ai"
    assert first.tags == ("thread:t1",) and first.source == "langgraph:checkpoint"
    assert "moved to Lyon" in brain.sync.recall("Who moved to Lyon?", bank_id="user-ann").hits[0].text


def test_tool_traffic_is_skipped_and_filter_and_summary_apply(brain: Astrocyte) -> None:
    def agent(state: MessagesState) -> dict:
        return {
            "messages": [
                AIMessage("", tool_calls=[{"name": "lookup", "args": {}, "id": "c1"}]),
                ToolMessage("tool output", tool_call_id="c1"),
                AIMessage("Done."),
            ]
        }

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")

    plain = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="plain")
    builder.compile(checkpointer=plain).invoke({"messages": [HumanMessage("Go.")]}, ANN_T1)
    assert texts(brain, "plain") == ["Go.", "Done."]

    humans = AstrocyteCheckpointer(
        InMemorySaver(), brain, bank_id="humans", message_filter=lambda message: message.type == "human"
    )
    builder.compile(checkpointer=humans).invoke({"messages": [HumanMessage("Only me.")]}, ANN_T1)
    assert texts(brain, "humans") == ["Only me."]

    def summary(messages: list[BaseMessage]) -> str:
        return "Summary: " + " / ".join(str(message.text) for message in messages)

    summarised = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="summaries", summarise=summary)
    builder.compile(checkpointer=summarised).invoke({"messages": [HumanMessage("Go.")]}, ANN_T1)
    assert texts(brain, "summaries") == ["Summary: Go.", "Summary: Done."]
    summarised_first = brain.sync.list("summaries")[0].metadata
    assert summarised_first["role"] == "summary" and "speaker" not in summarised_first


def test_a_restart_reretains_history_as_upserts(brain: Astrocyte, tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    echo_graph(AstrocyteCheckpointer(sqlite_saver(path), brain, bank_id="b")).invoke(
        {"messages": [HumanMessage("First.")]}, ANN_T1
    )
    echo_graph(AstrocyteCheckpointer(sqlite_saver(path), brain, bank_id="b")).invoke(
        {"messages": [HumanMessage("Second.")]}, ANN_T1
    )
    assert texts(brain, "b") == ["First.", "You said: First.", "Second.", "You said: Second."]


async def test_a_sync_only_saver_works_under_ainvoke(brain: Astrocyte, tmp_path: Path) -> None:
    saver = AstrocyteCheckpointer(sqlite_saver(tmp_path / "t.db"), brain, bank_id="user-{user_id}")
    graph = echo_graph(saver)
    await graph.ainvoke({"messages": [HumanMessage("Async hello.")]}, ANN_T1)
    await graph.ainvoke({"messages": [HumanMessage("Again.")]}, ANN_T1)
    state = await graph.aget_state(ANN_T1)
    assert [message.text for message in state.values["messages"]][-1] == "You said: Again."
    assert saver.stats.retained == 4 and len(texts(brain, "user-ann")) == 4


def test_a_failing_retain_never_breaks_the_run_and_is_retried(
    brain: Astrocyte, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    saver = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="b")
    graph = echo_graph(saver)
    real = brain.retain_many

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("memory service down")

    monkeypatch.setattr(brain, "retain_many", unreachable)
    result = graph.invoke({"messages": [HumanMessage("Kept for later.")]}, ANN_T1)
    assert result["messages"][-1].text == "You said: Kept for later."
    assert saver.stats.failed >= 1 and "next checkpoint retries" in caplog.text
    monkeypatch.setattr(brain, "retain_many", real)
    graph.invoke({"messages": [HumanMessage("Back.")]}, ANN_T1)
    assert texts(brain, "b") == ["Kept for later.", "You said: Kept for later.", "Back.", "You said: Back."]


def test_an_unavailable_store_queues_in_the_outbox(tmp_path: Path) -> None:
    faults, config = Faults(), load_config({"data_dir": str(tmp_path / "memory")})
    with Astrocyte(config, store=faults.wrap(open_store(config, OfflineEmbedder()), MemoryStore)) as brain:
        saver = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="b")
        with faults.failing("upsert", error=sqlite3.OperationalError("disk I/O error")):
            echo_graph(saver).invoke({"messages": [HumanMessage("Queued.")]}, ANN_T1)
        assert saver.stats.queued == 2 and saver.stats.retained == 0
        brain.sync.recall("anything", bank_id="b")
        assert texts(brain, "b") == ["Queued.", "You said: Queued."]


def test_delete_thread_forgets_that_threads_memories(brain: Astrocyte) -> None:
    saver = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="user-{user_id}", forget_on_delete=True)
    graph = echo_graph(saver)
    graph.invoke({"messages": [HumanMessage("Thread one.")]}, ANN_T1)
    graph.invoke({"messages": [HumanMessage("Thread two.")]}, {"configurable": {"thread_id": "t2", "user_id": "ann"}})
    saver.delete_thread("t1")
    assert graph.get_state(ANN_T1).values == {}
    assert texts(brain, "user-ann") == ["Thread two.", "You said: Thread two."]
    kept = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="user-{user_id}")
    kept.delete_thread("t2")
    assert len(texts(brain, "user-ann")) == 2


async def test_adelete_thread_forgets_too(brain: Astrocyte) -> None:
    saver = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="b", forget_on_delete=True)
    await echo_graph(saver).ainvoke({"messages": [HumanMessage("Gone soon.")]}, ANN_T1)
    await saver.adelete_thread("t1")
    assert texts(brain, "b") == []


def test_mip_routes_retained_messages(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        """
version: 1
default_bank: general
banks:
  - {id: general, description: Anything else}
  - {id: "user-{metadata.user_id}", description: One user's memory}
rules:
  - name: per-user
    priority: 10
    match: {all: [{metadata.user_id: {present: true}}, {source: langgraph:checkpoint}]}
    action: {bank: "user-{metadata.user_id}", tags: [conversation]}
"""
    )
    config = {"data_dir": str(tmp_path / "memory"), "mip": {"rules": str(tmp_path / "rules.yaml")}}
    with Astrocyte(config) as routed:
        echo_graph(AstrocyteCheckpointer(InMemorySaver(), routed)).invoke(
            {"messages": [HumanMessage("Routed by MIP.")]}, {"configurable": {"thread_id": "t9", "user_id": "zoe"}}
        )
        record = routed.sync.list("user-zoe")[0]
        assert record.text == "Routed by MIP." and record.tags == ("thread:t9", "conversation")


class Recording(InMemorySaver):
    """An InMemorySaver that also implements the optional capabilities, recording each call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []

    def delete_for_runs(self, run_ids: Any) -> None:
        self.calls.append(("delete_for_runs", list(run_ids)))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self.calls.append(("copy_thread", (source_thread_id, target_thread_id)))

    def prune(self, thread_ids: Any, *, strategy: str = "keep_latest") -> None:
        self.calls.append(("prune", (list(thread_ids), strategy)))


async def test_everything_else_is_delegated(brain: Astrocyte, tmp_path: Path) -> None:
    inner = sqlite_saver(tmp_path / "d.db")
    saver = AstrocyteCheckpointer(inner, brain, bank_id="b")
    assert saver.inner is inner and saver.serde is inner.serde and saver.config_specs == inner.config_specs
    assert saver.get_next_version(None, None).split(".")[0] == inner.get_next_version(None, None).split(".")[0]
    clone = saver.with_allowlist([("my_module", "MyType")])
    assert isinstance(clone, AstrocyteCheckpointer) and clone.stats is saver.stats
    await echo_graph(saver).ainvoke({"messages": [HumanMessage("Hi.")]}, ANN_T1)
    head = (await saver.aget_tuple(ANN_T1)).config
    history = inner.get_delta_channel_history(config=head, channels=["messages"])
    assert saver.get_delta_channel_history(config=head, channels=["messages"]) == history
    assert await saver.aget_delta_channel_history(config=head, channels=["messages"]) == history
    with pytest.raises(NotImplementedError):
        saver.copy_thread("a", "b")

    recording = Recording()
    wrapped = AstrocyteCheckpointer(recording, brain, bank_id="b")
    wrapped.delete_for_runs(["r1"])
    await wrapped.adelete_for_runs(["r2"])
    wrapped.copy_thread("s", "t")
    await wrapped.acopy_thread("s2", "t2")
    wrapped.prune(["t"], strategy="delete")
    await wrapped.aprune(["t2"])
    assert recording.calls == [
        ("delete_for_runs", ["r1"]),
        ("delete_for_runs", ["r2"]),
        ("copy_thread", ("s", "t")),
        ("copy_thread", ("s2", "t2")),
        ("prune", (["t"], "delete")),
        ("prune", (["t2"], "keep_latest")),
    ]
    with pytest.raises(ValidationError, match="bank_id"):
        AstrocyteCheckpointer(InMemorySaver(), brain)
