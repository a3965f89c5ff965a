"""AstrocyteMemory against the real AutoGen: content types, update_context, auto-retain, policy, AssistantAgent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import MemoryQueryEvent
from autogen_core import CancellationToken, Image
from autogen_core.memory import MemoryContent, MemoryMimeType
from autogen_core.model_context import UnboundedChatCompletionContext
from autogen_core.models import AssistantMessage, SystemMessage, UserMessage
from autogen_ext.models.replay import ReplayChatCompletionClient
from PIL import Image as PILImage

from astrocyte import AccessDenied, Astrocyte, Context, ValidationError
from astrocyte_autogen import AstrocyteMemory, OfflineChatCompletionClient

PIXEL = Image(PILImage.new("RGB", (1, 1)))


def text(content: str, **metadata: Any) -> MemoryContent:
    return MemoryContent(content=content, mime_type=MemoryMimeType.TEXT, metadata=metadata or None)


async def test_text_markdown_and_json_round_trip(brain: Astrocyte) -> None:
    memory = AstrocyteMemory(brain, bank_id="user-ann")
    await memory.add(text("Ann's favourite tea is oolong.", topic="tea"))
    await memory.add(MemoryContent(content="# Trips\nAnn flies to **Osaka** in May.", mime_type="text/markdown"))
    await memory.add(MemoryContent(content={"seat": "window", "meal": "vegetarian"}, mime_type=MemoryMimeType.JSON))
    await memory.add(MemoryContent(content='{"allergy": "peanuts"}', mime_type="application/json"))

    [tea] = (await memory.query("Which tea does Ann like?", max_results=1)).results
    assert (tea.content, tea.mime_type) == ("Ann's favourite tea is oolong.", MemoryMimeType.TEXT)
    assert tea.metadata is not None and tea.metadata["topic"] == "tea" and tea.metadata["bank_id"] == "user-ann"
    record = await brain.get("user-ann", tea.metadata["memory_id"])
    assert record is not None and tea.metadata["occurred_at"] == record.occurred_at.isoformat()
    assert 0 < tea.metadata["score"] <= 1

    [trip] = (await memory.query(text("When does Ann fly to Osaka?"), max_results=1)).results
    assert trip.mime_type == MemoryMimeType.MARKDOWN and "**Osaka**" in str(trip.content)
    [seat] = (await memory.query("window seat", max_results=1)).results
    assert (seat.content, seat.mime_type) == ({"seat": "window", "meal": "vegetarian"}, MemoryMimeType.JSON)
    [allergy] = (await memory.query("peanuts allergy", max_results=1)).results
    assert allergy.content == {"allergy": "peanuts"}
    assert len((await memory.query("Ann")).results) == 4  # max_results defaults to 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (MemoryContent(content=PIXEL, mime_type=MemoryMimeType.IMAGE), "'image/\\*' is not supported"),
        (MemoryContent(content=b"\x00", mime_type=MemoryMimeType.BINARY), "'application/octet-stream' is not"),
        (MemoryContent(content="a,b", mime_type="text/csv"), "use one of text/plain, text/markdown, application/json"),
        (MemoryContent(content=b"bytes", mime_type=MemoryMimeType.TEXT), "content must be a string, got bytes"),
        (MemoryContent(content="{oops", mime_type=MemoryMimeType.JSON), "not valid JSON"),
        (MemoryContent(content=b"{}", mime_type=MemoryMimeType.JSON), "must be a dict or a JSON string, got bytes"),
    ],
)
async def test_unsupported_content_is_a_clear_error(brain: Astrocyte, content: MemoryContent, message: str) -> None:
    memory = AstrocyteMemory(brain, bank_id="notes")
    with pytest.raises(ValidationError, match=message):
        await memory.add(content)
    with pytest.raises(ValidationError, match=message):
        await memory.query(content)
    assert await brain.banks() == []


async def test_update_context_adds_the_recalled_memories_as_a_system_message(brain: Astrocyte) -> None:
    brain.sync.retain_many(["Ann's favourite tea is oolong.", "Ann's cat is called Miso."], bank_id="user-ann")
    memory = AstrocyteMemory(brain, bank_id="user-ann", max_results=1)
    context = UnboundedChatCompletionContext()
    await context.add_message(UserMessage(content="What tea should I brew for Ann?", source="user"))
    result = await memory.update_context(context)
    assert [content.content for content in result.memories.results] == ["Ann's favourite tea is oolong."]
    *_, injected = await context.get_messages()
    assert injected == SystemMessage(content="Relevant memory content:\n1. Ann's favourite tea is oolong.")


async def test_update_context_without_a_text_message_recalls_nothing(brain: Astrocyte) -> None:
    brain.sync.retain("Ann's favourite tea is oolong.", bank_id="user-ann")
    memory = AstrocyteMemory(brain, bank_id="user-ann")
    context = UnboundedChatCompletionContext()
    assert (await memory.update_context(context)).memories.results == []
    await context.add_message(UserMessage(content=[PIXEL], source="user"))
    assert (await memory.update_context(context)).memories.results == []
    assert len(await context.get_messages()) == 1


async def test_auto_retain_keeps_the_exchange_once_and_after_the_recall(brain: Astrocyte) -> None:
    memory = AstrocyteMemory(brain, bank_id="user-ann", auto_retain=True)
    context = UnboundedChatCompletionContext()
    await context.add_message(UserMessage(content="My favourite tea is oolong.", source="user"))
    assert (await memory.update_context(context)).memories.results == []  # not recalled by itself
    await context.add_message(AssistantMessage(content="Noted, oolong it is.", source="helper"))
    await context.add_message(UserMessage(content="Which tea do I like?", source="user"))
    recalled = (await memory.update_context(context)).memories.results
    assert recalled and recalled[0].content == "user: My favourite tea is oolong."
    await context.add_message(AssistantMessage(content="You like oolong.", source="helper"))
    await memory.close()
    records = await brain.list("user-ann")
    assert [record.text for record in records] == [
        "user: My favourite tea is oolong.",
        "helper: Noted, oolong it is.",
        "user: Which tea do I like?",
        "helper: You like oolong.",
    ]
    assert records[1].metadata == {"role": "assistant", "speaker": "helper"}


async def test_a_thread_groups_the_retained_turns_into_one_conversation(brain: Astrocyte) -> None:
    memory = AstrocyteMemory(brain, bank_id="user-ann", auto_retain=True, thread="ann-chat")
    context = UnboundedChatCompletionContext()
    await context.add_message(UserMessage(content="How was the hike at Eagle Ridge?", source="tom"))
    await context.add_message(AssistantMessage(content="We made it to the top!", source="maya"))
    await memory.update_context(context)
    records = await brain.list("user-ann")
    assert records[1].metadata == {"role": "assistant", "speaker": "maya", "session": "ann-chat"}
    hits = (await brain.recall("What did Maya say about Eagle Ridge?", bank_id="user-ann", max_results=1)).hits
    assert hits[0].text == "maya: We made it to the top!"
    await memory.close()


async def test_without_auto_retain_nothing_is_retained(brain: Astrocyte) -> None:
    memory = AstrocyteMemory(brain, bank_id="user-ann")
    context = UnboundedChatCompletionContext()
    await context.add_message(UserMessage(content="My favourite tea is oolong.", source="user"))
    await memory.update_context(context)
    await memory.close()
    assert await brain.banks() == []


async def test_clear_forgets_only_the_memory_bank(brain: Astrocyte) -> None:
    brain.sync.retain("Team lunch is on Friday.", bank_id="team")
    memory = AstrocyteMemory(brain, bank_id="user-ann", banks=["user-ann", "team"])
    await memory.add(text("Ann's favourite tea is oolong."))
    assert len((await memory.query("tea lunch")).results) == 2
    await memory.clear()
    assert [content.content for content in (await memory.query("tea lunch")).results] == ["Team lunch is on Friday."]


async def test_a_cancelled_token_cancels_the_call(brain: Astrocyte) -> None:
    memory = AstrocyteMemory(brain, bank_id="notes")
    await memory.add(text("Kept."), CancellationToken())
    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await memory.add(text("Dropped."), token)
    with pytest.raises(asyncio.CancelledError):
        await memory.query("Kept", token)
    assert [record.text for record in await brain.list("notes")] == ["Kept."]


ACCESS = {
    "enabled": True,
    "grants": [
        {"principal": "user:*", "banks": ["user-{principal_id}"], "permissions": ["read", "write", "forget"]},
        {"principal": "agent:assistant", "banks": ["user-*"], "permissions": ["read", "write"]},
    ],
}


async def test_access_control_and_pii_policy_apply(tmp_path: Path) -> None:
    config = {"data_dir": str(tmp_path / "data"), "access": ACCESS, "policy": {"pii": {"enabled": True}}}
    async with Astrocyte(config) as brain:
        for_ann = AstrocyteMemory(
            brain, bank_id="user-ann", context=Context(principal="agent:assistant", on_behalf_of="user:ann")
        )
        await for_ann.add(text("Ann's phone is +44 20 7946 0958."))
        [phone] = (await for_ann.query("Ann's phone")).results
        assert phone.content == "Ann's phone is [REDACTED:PHONE]."
        with pytest.raises(AccessDenied, match="agent:assistant may not forget"):
            await for_ann.clear()
        as_bob = AstrocyteMemory(brain, bank_id="user-ann", context=Context(principal="user:bob"))
        context = UnboundedChatCompletionContext()
        await context.add_message(UserMessage(content="What is Ann's phone?", source="user"))
        with pytest.raises(AccessDenied, match="user:bob may not read bank 'user-ann'"):
            await as_bob.update_context(context)
        with pytest.raises(AccessDenied, match="user:bob may not write bank 'user-ann'"):
            await as_bob.add(text("Injected."))
        bob_for_ann = AstrocyteMemory(brain, bank_id="user-bob", context=for_ann.memory.context)
        with pytest.raises(AccessDenied, match="user:ann may not read bank 'user-bob'"):
            await bob_for_ann.query("anything")
        await AstrocyteMemory(brain, bank_id="user-ann", context=Context(principal="user:ann")).clear()
        assert await brain.list("user-ann", context=Context(principal="user:ann")) == []


async def test_an_assistant_agent_gets_the_memories_in_its_model_context(brain: Astrocyte) -> None:
    brain.sync.retain("Ann's favourite tea is oolong.", bank_id="user-ann")
    memory = AstrocyteMemory(brain, bank_id="user-ann", max_results=1)
    agent = AssistantAgent("helper", model_client=OfflineChatCompletionClient(), memory=[memory])
    result = await agent.run(task="Which tea does Ann like?")
    event = next(message for message in result.messages if isinstance(message, MemoryQueryEvent))
    assert event.content[0].content == "Ann's favourite tea is oolong."
    assert result.messages[-1].to_text() == "Ann's favourite tea is oolong. [1]"


WRITER = """
import asyncio, json, sys
from autogen_agentchat.agents import AssistantAgent
from autogen_ext.models.replay import ReplayChatCompletionClient
from astrocyte_autogen import AstrocyteMemory, AstrocyteMemoryConfig

async def main(data_dir, *said):
    memory = AstrocyteMemory.from_config(AstrocyteMemoryConfig(data_dir=data_dir, bank_id="user-ann", auto_retain=True))
    agent = AssistantAgent("scribe", model_client=ReplayChatCompletionClient(["Noted."] * len(said)), memory=[memory])
    for text in said:
        await agent.run(task=text)
    await memory.close()
    print(memory.dump_component().model_dump_json())

asyncio.run(main(*sys.argv[1:]))
"""


async def test_an_agent_in_a_new_process_recalls_what_another_agent_retained(data_dir: Path) -> None:
    said = ["My favourite tea is oolong.", "My cat is called Miso."]
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(data_dir), *said], capture_output=True, text=True, timeout=120
    )
    assert writer.returncode == 0, writer.stderr
    component = json.loads(writer.stdout)

    memory = AstrocyteMemory.load_component(component)
    assert memory.dump_component().model_dump() == component
    client = ReplayChatCompletionClient(["You like oolong."])
    agent = AssistantAgent("helper", model_client=client, memory=[memory])
    result = await agent.run(task="Which tea do I like?")
    await memory.close()

    *_, question, recalled = client.create_calls[0]["messages"]
    assert question == UserMessage(content="Which tea do I like?", source="user")
    assert isinstance(recalled, SystemMessage) and recalled.content.startswith("Relevant memory content:\n")
    assert "1. user: My favourite tea is oolong." in recalled.content
    assert "scribe: Noted." in recalled.content
    assert result.messages[-1].to_text() == "You like oolong."


async def test_the_memory_takes_an_agent_card_in_place_of_a_bank() -> None:
    with Astrocyte({"store": {"kind": "memory"}}) as brain:
        memory = AstrocyteMemory(brain, card=Path("agent_cards/autogen-assistant.json"))
        await memory.add(MemoryContent(content="Standup moved to 9:45.", mime_type=MemoryMimeType.TEXT))
        result = await memory.query("When is standup?")
        assert result.results[0].content == "Standup moved to 9:45."
        assert memory.memory.bank_id == "astrocyte.example/autogen-assistant/dev/local"
        await memory.close()
