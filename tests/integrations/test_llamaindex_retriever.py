"""AstrocyteRetriever against the real LlamaIndex: nodes, RetrieverQueryEngine, use as an agent tool, policy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, NodeWithScore
from llama_index.core.tools import RetrieverTool

from astrocyte import AccessDenied, Astrocyte, Context, ValidationError
from astrocyte_llamaindex import AstrocyteRetriever

FACTS = [
    ("Alice Moreau lives in Lyon and works as a pastry chef.", {"city": "Lyon"}, ["home"]),
    ("Bob Okafor lives in Berlin; he plays the cello in a string quartet.", {"city": "Berlin"}, ["home", "music"]),
    ("Carol Tanaka studies octopus behaviour in Okinawa.", {"city": "Okinawa"}, ["work"]),
]


@pytest.fixture
def people(brain: Astrocyte) -> Astrocyte:
    for text, metadata, tags in FACTS:
        brain.sync.retain(text, bank_id="people", metadata=metadata, tags=tags, source="hr")
    return brain


def test_retrieve_returns_scored_nodes_that_carry_the_memory(people: Astrocyte) -> None:
    nodes = AstrocyteRetriever(people, bank_id="people", max_results=2).retrieve("Where does Alice live?")
    assert len(nodes) == 2 and all(isinstance(node, NodeWithScore) for node in nodes)
    top = nodes[0]
    record = people.sync.get("people", top.node.node_id)
    assert record is not None and top.node.get_content() == record.text.strip() and "Alice" in record.text
    assert top.node.metadata == {
        "city": "Lyon",
        "memory_id": record.id,
        "bank_id": "people",
        "key": None,
        "score": top.score,
        "tags": ["home"],
        "source": "hr",
        "occurred_at": record.occurred_at.isoformat(),
    }
    assert 1 >= top.score >= nodes[1].score > 0
    shown_to_llm = top.node.get_content(metadata_mode=MetadataMode.LLM)
    assert "city: Lyon" in shown_to_llm and "occurred_at" in shown_to_llm and record.id not in shown_to_llm


async def test_aretrieve_gives_what_retrieve_gives(people: Astrocyte) -> None:
    retriever = AstrocyteRetriever(people, bank_id="people")
    sync_nodes = retriever.retrieve("Who plays the cello?")
    async_nodes = await retriever.aretrieve("Who plays the cello?")
    assert [node.node.node_id for node in async_nodes] == [node.node.node_id for node in sync_nodes]
    assert "cello" in async_nodes[0].node.get_content()


def test_tags_and_filter_narrow_what_is_recalled(people: Astrocyte) -> None:
    tagged = AstrocyteRetriever(people, bank_id="people", tags=["music"]).retrieve("Where does someone live?")
    assert [node.node.metadata["city"] for node in tagged] == ["Berlin"]
    filtered = AstrocyteRetriever(people, bank_id="people", filter={"city": "Okinawa"}).retrieve("who lives where")
    assert [node.node.metadata["city"] for node in filtered] == ["Okinawa"]


def test_a_scoped_memory_reads_its_banks(people: Astrocyte) -> None:
    people.sync.retain("The office in Lyon opens at nine.", bank_id="offices")
    scoped = people.scoped("people", banks=["people", "offices"])
    nodes = AstrocyteRetriever(scoped, max_results=10).retrieve("Lyon")
    assert {node.node.metadata["bank_id"] for node in nodes} == {"people", "offices"}
    only_offices = AstrocyteRetriever(people, banks=["offices"]).retrieve("Lyon")
    assert {node.node.metadata["bank_id"] for node in only_offices} == {"offices"}


def test_the_query_engine_answers_from_memory(people: Astrocyte) -> None:
    engine = RetrieverQueryEngine.from_args(AstrocyteRetriever(people, bank_id="people"), llm=MockLLM())
    response = engine.query("Where does Alice live?")
    prompt = str(response)  # MockLLM answers with the prompt it was given
    assert "Alice Moreau lives in Lyon" in prompt and "Query: Where does Alice live?" in prompt
    top = response.source_nodes[0]
    assert "Alice" in top.node.get_content() and top.node.metadata["memory_id"] not in prompt


async def test_the_retriever_serves_an_agent_as_a_tool(people: Astrocyte) -> None:
    tool = RetrieverTool.from_defaults(
        AstrocyteRetriever(people, bank_id="people", max_results=1),
        name="recall_people",
        description="Look up what we know about people.",
    )

    def call_the_tool_then_answer_with_it(messages: Sequence[ChatMessage], **_: Any) -> ChatMessage:
        results = [message for message in messages if message.role == MessageRole.TOOL]
        if results:
            return ChatMessage(role="assistant", content=f"From memory: {results[-1].content}")
        call = ToolCallBlock(tool_call_id="call-1", tool_name="recall_people", tool_kwargs={"input": "Alice home"})
        return ChatMessage(role="assistant", blocks=[call])

    llm = MockFunctionCallingLLM(response_generator=call_the_tool_then_answer_with_it)
    response = await FunctionAgent(llm=llm, tools=[tool]).run("Where does Alice live?")
    assert response.tool_calls[0].tool_name == "recall_people"
    assert "Alice Moreau lives in Lyon" in str(response)


def test_access_control_applies(tmp_path: Path) -> None:
    grants = [{"principal": "user:*", "banks": ["user-{principal_id}"], "permissions": ["read", "write"]}]
    with Astrocyte({"data_dir": str(tmp_path / "data"), "access": {"enabled": True, "grants": grants}}) as brain:
        ann = Context(principal="user:ann")
        brain.sync.retain("Ann's locker code is 4512.", bank_id="user-ann", context=ann)
        assert AstrocyteRetriever(brain, bank_id="user-ann", context=ann).retrieve("locker code")
        assert AstrocyteRetriever(brain, bank_id="user-ann", context={"principal": "user:ann"}).retrieve("locker")
        with pytest.raises(AccessDenied, match="user:bob may not read bank 'user-ann'"):
            AstrocyteRetriever(brain, bank_id="user-ann", context=Context(principal="user:bob")).retrieve("locker")
        with pytest.raises(AccessDenied, match="needs a principal"):
            AstrocyteRetriever(brain, bank_id="user-ann").retrieve("locker")


async def test_output_pii_policy_applies_to_retrieved_nodes(tmp_path: Path) -> None:
    with Astrocyte({"data_dir": str(tmp_path / "data")}) as brain:
        brain.sync.retain("Reach Dana at dana.reyes@example.com.", bank_id="crm")
    with Astrocyte({"data_dir": str(tmp_path / "data"), "policy": {"pii": {"scan_output": True}}}) as brain:
        nodes = await AstrocyteRetriever(brain, bank_id="crm").aretrieve("How do I reach Dana?")
    assert nodes[0].node.get_content() == "Reach Dana at [REDACTED:EMAIL]."


def test_misuse_is_a_clear_error(brain: Astrocyte) -> None:
    with pytest.raises(ValidationError, match="bank_id: required"):
        AstrocyteRetriever(brain)
    with pytest.raises(ValidationError, match="bank_id, context: a ScopedMemory already carries"):
        AstrocyteRetriever(brain.scoped("people"), bank_id="other", context=Context(principal="user:ann"))
    with pytest.raises(ValidationError, match="must be an Astrocyte or a ScopedMemory, got str"):
        AstrocyteRetriever("people")  # type: ignore[arg-type]


def test_the_retriever_takes_an_agent_card_in_place_of_a_bank() -> None:
    with Astrocyte({"store": {"kind": "memory"}}) as brain:
        retriever = AstrocyteRetriever(brain, card=Path("agent_cards/llamaindex-librarian.json"))
        retriever.memory.sync.retain("The archive closes at five on Fridays.")
        [node] = retriever.retrieve("When does the archive close?")
        assert node.node.metadata["bank_id"] == "astrocyte.example/llamaindex-librarian/dev/local"
