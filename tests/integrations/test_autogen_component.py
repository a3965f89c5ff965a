"""AstrocyteMemory as an AutoGen component: config round trips, opening from config, one brain per data_dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pydantic
import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_core.memory import Memory, MemoryContent, MemoryMimeType
from autogen_core.models import ChatCompletionClient, CreateResult, SystemMessage, UserMessage

from astrocyte import AccessDenied, Astrocyte, ConfigError, Context
from astrocyte.models.offline_model import NO_ANSWER
from astrocyte_autogen import AstrocyteMemory, AstrocyteMemoryConfig, OfflineChatCompletionClient

TEA = MemoryContent(content="Ann's favourite tea is oolong.", mime_type=MemoryMimeType.TEXT)
GRANTS = {
    "enabled": True,
    "grants": [
        {"principal": "agent:assistant", "banks": ["user-*", "team"], "tenant": "acme"},
        {"principal": "user:*", "banks": ["user-{principal_id}", "team"]},
    ],
}


async def test_the_config_round_trips_and_the_loaded_memory_shares_the_brain(data_dir: Path) -> None:
    config = AstrocyteMemoryConfig(
        astrocyte={"access": GRANTS},
        data_dir=str(data_dir),
        bank_id="user-ann",
        banks=("user-ann", "team"),
        principal="agent:assistant",
        on_behalf_of="user:ann",
        tenant="acme",
        environment="prod",
        max_results=3,
        auto_retain=True,
        thread="ann-chat",
    )
    memory = AstrocyteMemory.from_config(config)
    component = memory.dump_component()
    assert component.provider == "astrocyte_autogen.AstrocyteMemory" and component.component_type == "memory"
    loaded = Memory.load_component(component)
    assert isinstance(loaded, AstrocyteMemory)
    assert loaded.dump_component() == component and AstrocyteMemoryConfig.model_validate(component.config) == config
    assert loaded.memory.brain is memory.memory.brain
    assert loaded.memory.context == Context(
        principal="agent:assistant", on_behalf_of="user:ann", tenant="acme", environment="prod"
    )
    assert (loaded.memory.banks, loaded.max_results, loaded.auto_retain) == (("user-ann", "team"), 3, True)
    assert loaded.thread == "ann-chat"

    await memory.add(TEA)
    assert (await loaded.query("Which tea?")).results[0].content == TEA.content
    await memory.close()
    assert (await loaded.query("Which tea?")).results  # the brain stays open while a user is left
    await loaded.close()
    await loaded.close()
    with Astrocyte(data_dir=data_dir) as reopened:  # the last close released the data directory
        assert reopened.sync.list("user-ann")[0].text == TEA.content


async def test_the_tenant_in_the_config_reaches_the_access_policy(data_dir: Path) -> None:
    base = {"astrocyte": {"access": GRANTS}, "data_dir": str(data_dir), "bank_id": "team"}
    acme = AstrocyteMemory.from_config(AstrocyteMemoryConfig(**base, principal="agent:assistant", tenant="acme"))
    other = AstrocyteMemory.from_config(AstrocyteMemoryConfig(**base, principal="agent:assistant", tenant="globex"))
    await acme.add(TEA)
    with pytest.raises(AccessDenied, match="agent:assistant may not read bank 'team'"):
        await other.query("tea")
    await other.close()
    await acme.close()


async def test_a_live_brain_dumps_an_inline_config_that_reopens_it(tmp_path: Path, data_dir: Path) -> None:
    brain = Astrocyte({"data_dir": str(data_dir), "access": {"enabled": True, "grants": GRANTS["grants"]}})
    memory = AstrocyteMemory(brain, bank_id="team", context=Context(principal="agent:assistant", tenant="acme"))
    await memory.add(TEA)
    config = AstrocyteMemoryConfig.model_validate(memory.dump_component().config)
    assert config.astrocyte is not None and config.astrocyte["data_dir"] == str(data_dir.resolve())
    assert config.astrocyte["access"]["grants"][0]["tenant"] == "acme" and config.data_dir is None

    loaded = AstrocyteMemory.load_component(memory.dump_component())
    assert loaded.memory.brain is brain
    await loaded.close()
    await memory.close()
    assert brain.sync.recall("tea", bank_id="team", context=memory.memory.context).hits  # still the user's to close
    brain.close()

    script = (
        "import sys, asyncio, json; from astrocyte_autogen import AstrocyteMemory\n"
        "memory = AstrocyteMemory.load_component(json.loads(sys.argv[1]))\n"
        "print(asyncio.run(memory.query('Which tea?')).results[0].content); asyncio.run(memory.close())"
    )
    elsewhere = subprocess.run(
        [sys.executable, "-c", script, memory.dump_component().model_dump_json()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert elsewhere.stdout.strip() == TEA.content


async def test_an_assistant_agent_config_carries_the_memory(data_dir: Path) -> None:
    memory = AstrocyteMemory.from_config(AstrocyteMemoryConfig(data_dir=str(data_dir), bank_id="user-ann"))
    await memory.add(TEA)
    agent = AssistantAgent("helper", model_client=OfflineChatCompletionClient(), memory=[memory])
    again = AssistantAgent.load_component(agent.dump_component())
    result = await again.run(task="Which tea does Ann like?")
    assert result.messages[-1].to_text() == "Ann's favourite tea is oolong. [1]"
    await memory.close()


async def test_a_config_file_and_an_in_memory_store(tmp_path: Path) -> None:
    config_file = tmp_path / "astrocyte.yaml"
    config_file.write_text(f"data_dir: {tmp_path / 'data'}\nstore:\n  kind: memory\n", encoding="utf-8")
    config = AstrocyteMemoryConfig(config_path=str(config_file), bank_id="notes")
    first, second = AstrocyteMemory.from_config(config), AstrocyteMemory.from_config(config)
    assert first.memory.brain.config.store.kind == "memory"
    assert first.memory.brain is not second.memory.brain  # an in-memory store is never shared
    await first.add(TEA)
    assert (await second.query("tea")).results == []
    await first.close()
    await second.close()
    assert not (tmp_path / "data").exists()


async def test_a_second_config_for_an_open_data_dir_must_match(data_dir: Path) -> None:
    memory = AstrocyteMemory.from_config(AstrocyteMemoryConfig(data_dir=str(data_dir), bank_id="notes"))
    with pytest.raises(ConfigError, match="already open in this process with another configuration"):
        AstrocyteMemory.from_config(
            AstrocyteMemoryConfig(astrocyte={"policy": {"pii": {"enabled": True}}}, data_dir=str(data_dir), bank_id="x")
        )
    same_place = AstrocyteMemory.from_config(AstrocyteMemoryConfig(data_dir=str(data_dir), bank_id="other"))
    assert same_place.memory.brain is memory.memory.brain
    await same_place.close()
    await memory.close()


def test_invalid_configs_name_the_field() -> None:
    with pytest.raises(pydantic.ValidationError, match="give config_path or astrocyte"):
        AstrocyteMemoryConfig(config_path="a.yaml", astrocyte={}, bank_id="notes")
    with pytest.raises(pydantic.ValidationError, match="principal\n  String should match pattern"):
        AstrocyteMemoryConfig(bank_id="notes", principal="ann")
    with pytest.raises(pydantic.ValidationError, match="max_results"):
        AstrocyteMemoryConfig(bank_id="notes", max_results=0)
    with pytest.raises(pydantic.ValidationError, match="bank"):
        AstrocyteMemoryConfig(bank="notes")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="no such config file"):
        AstrocyteMemory.from_config(AstrocyteMemoryConfig(config_path="/nowhere/astrocyte.yaml", bank_id="notes"))


async def test_the_offline_client_quotes_memories_streams_and_is_a_component() -> None:
    client = OfflineChatCompletionClient()
    question = UserMessage(content="Which tea do I like?", source="user")
    memories = SystemMessage(content="Relevant memory content:\n1. Ann's cat is Miso.\n2. Ann likes oolong tea.")
    assert (await client.create([question])).content == NO_ANSWER
    chunks = [chunk async for chunk in client.create_stream([SystemMessage(content="Be brief."), question, memories])]
    assert chunks[0] == "Ann likes oolong tea. [2]"
    assert isinstance(chunks[-1], CreateResult) and chunks[-1].content == chunks[0]
    assert client.total_usage().prompt_tokens == client.count_tokens([question]) + client.count_tokens(
        [SystemMessage(content="Be brief."), question, memories]
    )
    loaded = ChatCompletionClient.load_component(client.dump_component())
    assert isinstance(loaded, OfflineChatCompletionClient)
    assert loaded.dump_component().provider == "astrocyte_autogen.OfflineChatCompletionClient"
