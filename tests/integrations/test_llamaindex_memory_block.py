"""AstrocyteMemoryBlock inside LlamaIndex's Memory and a FunctionAgent: recall on read, retain on flush, policy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.memory import Memory

from astrocyte import AccessDenied, Astrocyte, Context
from astrocyte_llamaindex import AstrocyteMemoryBlock, quote_best_line

TURNS = [
    ("My favourite tea is oolong.", "Noted: oolong."),
    ("My cat is called Miso.", "Noted: Miso."),
    ("I work as a nurse in Leeds.", "Noted: nurse."),
]


def _messages(turns: Sequence[tuple[str, str]]) -> list[ChatMessage]:
    return [
        ChatMessage(role=role, content=text)
        for user, assistant in turns
        for role, text in (("user", user), ("assistant", assistant))
    ]


async def test_messages_flushed_from_short_term_memory_are_retained(brain: Astrocyte) -> None:
    block = AstrocyteMemoryBlock(brain, bank_id="user-ann")
    memory = Memory.from_defaults(session_id="monday", token_limit=30, memory_blocks=[block])
    for message in _messages(TURNS):
        await memory.aput(message)
    records = await brain.list("user-ann")
    texts = [record.text for record in records]
    assert texts[:4] == [
        "user: My favourite tea is oolong.",
        "assistant: Noted: oolong.",
        "user: My cat is called Miso.",
        "assistant: Noted: Miso.",
    ]
    assert "assistant: Noted: nurse." not in texts  # the latest turn is still in short-term memory
    assert records[0].metadata == {"role": "user", "speaker": "user", "session": "monday", "session_id": "monday"}


async def test_retain_roles_choose_which_messages_are_kept(brain: Astrocyte) -> None:
    block = AstrocyteMemoryBlock(brain, bank_id="user-ann", retain_roles=("user",))
    await block.aput([*_messages(TURNS[:1]), ChatMessage(role="tool", content="42"), ChatMessage(role="user")])
    assert [record.text for record in await brain.list("user-ann")] == ["user: My favourite tea is oolong."]


async def test_reading_memory_recalls_into_the_system_message(brain: Astrocyte) -> None:
    brain.sync.retain_many([f"user: {user}" for user, _ in TURNS], bank_id="user-ann")
    block = AstrocyteMemoryBlock(brain, bank_id="user-ann", max_results=1)
    memory = Memory.from_defaults(session_id="tuesday", memory_blocks=[block])
    await memory.aput(ChatMessage(role="user", content="Which tea do I like?"))
    system, question = await memory.aget()
    assert system.role == MessageRole.SYSTEM and question.content == "Which tea do I like?"
    assert "<long_term_memory>\n- user: My favourite tea is oolong.\n</long_term_memory>" in (system.content or "")


async def test_the_query_is_the_latest_dialogue_messages(brain: Astrocyte) -> None:
    brain.sync.retain_many(["Miso the cat likes tuna.", "The weather in Leeds is rainy."], bank_id="notes")
    conversation = [
        ChatMessage(role="user", content="What is the weather like in Leeds today?"),
        ChatMessage(role="assistant", content="Leeds is grey; the weather is rainy."),
        ChatMessage(role="user", content="And what does Miso eat?"),
        ChatMessage(role="tool", content="weather weather weather"),
    ]
    latest = AstrocyteMemoryBlock(brain, bank_id="notes", max_results=1)
    assert await latest.aget(conversation) == "- Miso the cat likes tuna."
    window = AstrocyteMemoryBlock(brain, bank_id="notes", query_window=3, max_results=1)
    assert await window.aget(conversation) == "- The weather in Leeds is rainy."
    assert await latest.aget([]) == "" and await latest.aget([ChatMessage(role="user", content="  ")]) == ""


async def test_pii_policy_applies_to_what_the_block_retains(tmp_path: Path) -> None:
    config = {"data_dir": str(tmp_path / "data"), "policy": {"pii": {"enabled": True, "action": "redact"}}}
    async with Astrocyte(config) as brain:
        block = AstrocyteMemoryBlock(brain, bank_id="user-ann")
        await block.aput([ChatMessage(role="user", content="Mail me at ann.lee@example.com please.")])
        assert [record.text for record in await brain.list("user-ann")] == ["user: Mail me at [REDACTED:EMAIL] please."]


async def test_access_control_applies_to_the_block(tmp_path: Path) -> None:
    grants = [{"principal": "agent:reader", "banks": ["team"], "permissions": ["read"]}]
    config = {"data_dir": str(tmp_path / "data"), "access": {"enabled": True, "grants": grants}}
    async with Astrocyte(config) as brain:
        reader = AstrocyteMemoryBlock(brain, bank_id="team", context=Context(principal="agent:reader"))
        memory = Memory.from_defaults(token_limit=30, memory_blocks=[reader])
        with pytest.raises(AccessDenied, match="agent:reader may not write bank 'team'"):
            await memory.aput_messages(_messages(TURNS))
        stranger = AstrocyteMemoryBlock(brain, bank_id="team", context=Context(principal="agent:stranger"))
        with pytest.raises(AccessDenied, match="agent:stranger may not read bank 'team'"):
            await stranger.aget([ChatMessage(role="user", content="Anything about the team?")])


WRITER = """
import asyncio, json, sys
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.memory import Memory
from astrocyte import Astrocyte
from astrocyte_llamaindex import AstrocyteMemoryBlock, offline_llm

async def main(data_dir, *said):
    async with Astrocyte(data_dir=data_dir) as brain:
        block = AstrocyteMemoryBlock(brain, bank_id="user-ann", retain_roles=("user",))
        memory = Memory.from_defaults(session_id="monday", token_limit=30, memory_blocks=[block])
        for text in said:
            await FunctionAgent(llm=offline_llm()).run(text, memory=memory)
        print(json.dumps([record.text for record in await brain.list("user-ann")]))

asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_function_agent_recalls_what_another_process_retained(data_dir: Path) -> None:
    said = [user for user, _ in TURNS]
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(data_dir), *said], capture_output=True, text=True, timeout=120
    )
    assert writer.returncode == 0, writer.stderr
    assert "user: My favourite tea is oolong." in json.loads(writer.stdout)

    seen: list[list[ChatMessage]] = []

    def record_and_answer(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        seen.append(list(messages))
        return quote_best_line(messages, **kwargs)

    async with Astrocyte(data_dir=data_dir) as brain:
        block = AstrocyteMemoryBlock(brain, bank_id="user-ann", max_results=2)
        memory = Memory.from_defaults(session_id="tuesday", memory_blocks=[block])
        agent = FunctionAgent(llm=MockFunctionCallingLLM(response_generator=record_and_answer))
        response = await agent.run("Which tea do I like?", memory=memory)

    [model_input] = seen
    assert [message.role for message in model_input] == [MessageRole.SYSTEM, MessageRole.USER]
    assert "- user: My favourite tea is oolong." in (model_input[0].content or "")
    assert str(response) == "user: My favourite tea is oolong."
