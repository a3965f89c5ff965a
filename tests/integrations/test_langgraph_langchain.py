"""The LangChain pieces: AstrocyteRetriever, the memory tools, the prompt helper and the offline chat model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.retrievers import BaseRetriever
from langgraph.store.memory import InMemoryStore

from astrocyte import Astrocyte, Context, ValidationError
from astrocyte_langgraph import (
    AstrocyteRetriever,
    AstrocyteStore,
    OfflineChatModel,
    create_memory_tools,
    format_memories,
    memory_prompt,
    resolve_namespace,
)

ANN = {"configurable": {"user_id": "ann"}}


@pytest.fixture
def brain(tmp_path: Path) -> Iterator[Astrocyte]:
    with Astrocyte({"data_dir": str(tmp_path / "memory")}) as instance:
        instance.sync.retain("Ann lives in Lyon.", bank_id="user-ann", metadata={"kind": "home"}, tags=["profile"])
        instance.sync.retain("Ann plays the cello.", bank_id="user-ann", metadata={"kind": "hobby"})
        instance.sync.retain("Bob lives in Berlin.", bank_id="user-bob")
        yield instance


def test_retriever_sync_and_async(brain: Astrocyte) -> None:
    retriever = AstrocyteRetriever(memory=brain, bank_id="user-ann", k=1)
    assert isinstance(retriever, BaseRetriever)
    [doc] = retriever.invoke("Where does Ann live?")
    assert doc.page_content == "Ann lives in Lyon."
    assert doc.metadata["bank_id"] == "user-ann" and doc.metadata["kind"] == "home"
    assert 0 < doc.metadata["score"] <= 1 and doc.metadata["tags"] == ["profile"]
    assert doc.id == doc.metadata["memory_id"]
    assert AstrocyteRetriever(memory=brain, banks=["user-ann", "user-bob"], k=5).batch(["Berlin"])[0]


async def test_retriever_async_filters_and_scoped(brain: Astrocyte) -> None:
    hobby = AstrocyteRetriever(memory=brain, bank_id="user-ann", filter={"kind": "hobby"})
    assert [doc.page_content for doc in await hobby.ainvoke("Ann")] == ["Ann plays the cello."]
    tagged = AstrocyteRetriever(memory=brain, bank_id="user-ann", require_tags=["profile"])
    assert [doc.page_content for doc in await tagged.ainvoke("Ann")] == ["Ann lives in Lyon."]
    scoped = AstrocyteRetriever(memory=brain.scoped("user-bob", context=Context(principal="agent:helper")))
    assert [doc.page_content for doc in await scoped.ainvoke("lives")] == ["Bob lives in Berlin."]
    with pytest.raises(ValidationError, match="bank_id: required"):
        AstrocyteRetriever(memory=brain)


def test_tools_save_search_and_reflect_through_the_store(brain: Astrocyte) -> None:
    store = AstrocyteStore(brain, namespace_to_bank="user-{1}", index={"fields": ["content"]})
    search, save, reflect = create_memory_tools(("memories", "{user_id}"))
    assert [tool.name for tool in (search, save, reflect)] == ["search_memory", "save_memory", "reflect_memory"]
    assert set(save.tool_call_schema.model_json_schema()["properties"]) == {"content", "key"}
    assert save.invoke({"content": "Ann drinks oolong tea.", "key": "drink", "store": store}, ANN) == (
        "Saved to memory under key 'drink'."
    )
    assert store.get(("memories", "ann"), "drink").value == {"content": "Ann drinks oolong tea."}
    assert search.invoke({"query": "oolong tea", "store": store}, ANN).startswith("- Ann drinks oolong tea. (score ")
    assert "oolong" in reflect.invoke({"question": "What does Ann drink?", "store": store}, ANN)
    assert search.invoke({"query": "tea", "store": store}, {"configurable": {"user_id": "zed"}}) == (
        "No matching memories."
    )
    with pytest.raises(ValidationError, match="AstrocyteStore"):
        reflect.invoke({"question": "?", "store": InMemoryStore()}, ANN)
    with pytest.raises(ValidationError, match=r"configurable\['user_id'\]"):
        resolve_namespace(("memories", "{user_id}"), {"configurable": {}})


async def test_tools_async(brain: Astrocyte) -> None:
    store = AstrocyteStore(brain, namespace_to_bank="user-{1}", index={"fields": ["content"]})
    search, save, reflect = create_memory_tools()
    await save.ainvoke({"content": "Ann's bike is red.", "store": store}, ANN)
    assert "Ann's bike is red." in await search.ainvoke({"query": "bike", "store": store}, ANN)
    assert "red" in await reflect.ainvoke({"question": "What colour is the bike?", "store": store}, ANN)


def test_memory_prompt_works_with_any_store() -> None:
    store = InMemoryStore()
    assert memory_prompt(store, ("memories", "ann"), "anything") == ""
    store.put(("memories", "ann"), "a", {"content": "Ann likes jazz."})
    store.put(("memories", "ann"), "b", {"genre": "jazz"})
    assert memory_prompt(store, ("memories", "ann"), "music") == (
        'Relevant memories:\n- Ann likes jazz.\n- {"genre": "jazz"}'
    )
    assert format_memories([], "x") == ""


def test_offline_model_follows_its_rules() -> None:
    model = OfflineChatModel().bind_tools(create_memory_tools())
    saving = model.invoke([HumanMessage("Remember that my train leaves at nine.")])
    assert saving.tool_calls[0]["name"] == "save_memory"
    assert saving.tool_calls[0]["args"] == {"content": "My train leaves at nine."}
    asking = model.invoke([HumanMessage("When does my train leave?")])
    assert asking.tool_calls[0] == {
        "name": "search_memory",
        "args": {"query": "When does my train leave?"},
        "id": asking.tool_calls[0]["id"],
        "type": "tool_call",
    }
    found = ToolMessage("- My train leaves at nine. (score 0.91)", tool_call_id="1", name="search_memory")
    assert model.invoke([HumanMessage("?"), AIMessage(""), found]).text == "From memory: My train leaves at nine."
    empty = ToolMessage("No matching memories.", tool_call_id="1", name="search_memory")
    assert model.invoke([empty]).text == "I don't know that yet."
    bare = OfflineChatModel()
    prompt = SystemMessage("Relevant memories:\n- The train leaves at nine.")
    assert bare.invoke([prompt, HumanMessage("When?")]).text == "From memory: The train leaves at nine."
    assert bare.invoke([HumanMessage("Hello.")]).text == "I don't know that yet."
