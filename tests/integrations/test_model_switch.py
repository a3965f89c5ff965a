"""ASTROCYTE_LLM_MODEL switches each adapter from its offline stand-in to a LiteLLM-backed model.

No test reaches a provider: litellm answers through its own `mock_response` path, and `Script` stands in front of
litellm.completion / litellm.acompletion to give each call its next reply (a tool call, then an answer) while
recording the OpenAI-format request the adapter sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import litellm
import pydantic
import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import TextMessage, ToolCallExecutionEvent, ToolCallRequestEvent
from autogen_core.models import ChatCompletionClient, CreateResult, ModelInfo, SystemMessage, UserMessage
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableBinding
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool
from llama_index.llms.litellm import LiteLLM

from astrocyte import Astrocyte, ConfigError, ProviderUnavailable
from astrocyte.adapters import MODEL_ENV, model_from_env
from astrocyte_autogen import (
    AstrocyteMemory,
    LiteLLMChatCompletionClient,
    OfflineChatCompletionClient,
    model_client_from_env,
)
from astrocyte_crewai import OfflineLLM
from astrocyte_crewai import llm_from_env as crewai_llm_from_env
from astrocyte_langgraph import (
    AstrocyteStore,
    LiteLLMChatModel,
    OfflineChatModel,
    chat_model_from_env,
    create_memory_tools,
)
from astrocyte_llamaindex import llm_from_env, offline_llm

MODEL = "openai/gpt-4o-mini"
ANN = {"configurable": {"user_id": "ann"}}


def answer(text: str) -> dict[str, Any]:
    return {"mock_response": text}


def tool_call(name: str, args: dict[str, Any] | str, call_id: str) -> dict[str, Any]:
    function = {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}
    return {"mock_response": "", "mock_tool_calls": [{"id": call_id, "type": "function", "function": function}]}


class Script:
    """Answers the litellm calls in order with the replies given, recording each request."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.replies: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        completion, acompletion = litellm.completion, litellm.acompletion

        def scripted(**request: Any) -> Any:
            self.requests.append(request)
            return completion(**request, **self.replies.pop(0))

        async def ascripted(**request: Any) -> Any:
            self.requests.append(request)
            return await acompletion(**request, **self.replies.pop(0))

        monkeypatch.setattr(litellm, "completion", scripted)
        monkeypatch.setattr(litellm, "acompletion", ascripted)

    def reply(self, *replies: dict[str, Any]) -> Script:
        self.replies.extend(replies)
        return self


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Iterator[Script]:
    scripted = Script(monkeypatch)
    yield scripted
    assert not scripted.replies, "a scripted reply was never asked for"


def order_status(order: str) -> str:
    """Where an order is now."""
    return f"Order {order} left the warehouse and arrives tomorrow."


def test_the_variable_picks_the_litellm_model_and_its_absence_the_offline_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASTROCYTE_LLM_MODEL", raising=False)
    assert isinstance(chat_model_from_env(), OfflineChatModel)
    assert isinstance(llm_from_env(), MockFunctionCallingLLM)
    assert isinstance(model_client_from_env(), OfflineChatCompletionClient)
    mine, own_llm, own_client = OfflineChatModel(), offline_llm(), OfflineChatCompletionClient()
    assert chat_model_from_env(mine) is mine and llm_from_env(own_llm) is own_llm
    assert model_client_from_env(own_client) is own_client
    monkeypatch.setenv("ASTROCYTE_LLM_MODEL", "")
    assert isinstance(chat_model_from_env(), OfflineChatModel)
    with pytest.raises(pydantic.ValidationError, match="model"):
        LiteLLMChatModel(model="")
    with pytest.raises(pydantic.ValidationError, match="max_tokens"):
        LiteLLMChatCompletionClient(MODEL, max_tokens=0)

    monkeypatch.setenv("ASTROCYTE_LLM_MODEL", MODEL)
    model, llm, client = chat_model_from_env(mine), llm_from_env(own_llm), model_client_from_env(own_client)
    assert isinstance(model, LiteLLMChatModel) and model.model == MODEL
    assert isinstance(llm, LiteLLM) and llm.model == MODEL and llm.temperature == 0.0
    assert isinstance(client, LiteLLMChatCompletionClient) and client.dump_component().config["model"] == MODEL


def test_every_adapter_reads_the_one_variable_the_door_names(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MODEL_ENV == "ASTROCYTE_LLM_MODEL"
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert model_from_env() is None and isinstance(crewai_llm_from_env(), OfflineLLM)
    mine = OfflineLLM()
    assert crewai_llm_from_env(mine) is mine
    monkeypatch.setenv(MODEL_ENV, "")
    assert model_from_env() is None
    monkeypatch.setenv(MODEL_ENV, "ollama/llama3.1")
    assert model_from_env() == "ollama/llama3.1"
    crewai_llm = crewai_llm_from_env(mine)
    assert not isinstance(crewai_llm, OfflineLLM) and crewai_llm.model == "llama3.1"
    assert chat_model_from_env().model == llm_from_env().model == "ollama/llama3.1"


def test_a_langgraph_agent_saves_a_memory_through_a_litellm_tool_call(memory_brain: Astrocyte, script: Script) -> None:
    script.reply(tool_call("save_memory", {"content": "Ann's favourite colour is teal."}, "call_1"), answer("Noted."))
    tools = create_memory_tools(("memories", "{user_id}"))
    model = chat_model_from_env(LiteLLMChatModel(model=MODEL)).bind_tools(tools)
    builder = StateGraph(MessagesState)
    builder.add_node("agent", lambda state: {"messages": [model.invoke(state["messages"])]})
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    graph = builder.compile(
        store=AstrocyteStore(memory_brain, namespace_to_bank="user-{1}", index={"fields": ["content"]})
    )

    result = graph.invoke({"messages": [("user", "Remember that my favourite colour is teal.")]}, ANN)

    assert [message.type for message in result["messages"]] == ["human", "ai", "tool", "ai"]
    assert result["messages"][1].tool_calls[0]["args"] == {"content": "Ann's favourite colour is teal."}
    assert result["messages"][-1].text == "Noted."
    assert [record.text for record in memory_brain.sync.list("user-ann")] == ["Ann's favourite colour is teal."]
    first, second = script.requests
    assert [tool["function"]["name"] for tool in first["tools"]] == [tool.name for tool in tools]
    assert first["messages"] == [{"role": "user", "content": "Remember that my favourite colour is teal."}]
    assert second["messages"][1]["tool_calls"][0]["function"]["name"] == "save_memory"
    assert second["messages"][2]["role"] == "tool" and second["messages"][2]["tool_call_id"] == "call_1"


async def test_the_langchain_model_sends_its_settings_and_reads_usage_and_bad_tool_calls(script: Script) -> None:
    script.reply(answer("Hello, Ann."), tool_call("search_memory", "{not json", "call_2"))
    model = LiteLLMChatModel(
        model=MODEL, temperature=0.3, max_tokens=64, api_base="http://llm:4000", model_kwargs={"timeout": 9}
    )

    reply = await model.ainvoke([HumanMessage("Hi")])
    broken = model.bind_tools(create_memory_tools(), tool_choice="any").invoke("What do you know?")

    assert reply.text == "Hello, Ann." and reply.usage_metadata and reply.usage_metadata["total_tokens"] > 0
    assert broken.tool_calls == [] and broken.invalid_tool_calls[0]["name"] == "search_memory"
    settings = {"temperature": 0.3, "max_tokens": 64, "api_base": "http://llm:4000", "timeout": 9}
    assert script.requests[0].items() >= settings.items()
    assert script.requests[1]["tool_choice"] == "required"
    named = model.bind_tools(create_memory_tools(), tool_choice="save_memory")
    assert isinstance(named, RunnableBinding)
    assert named.kwargs["tool_choice"] == {"type": "function", "function": {"name": "save_memory"}}


def test_a_provider_failure_is_provider_unavailable_in_langchain() -> None:
    failing = LiteLLMChatModel(model=MODEL, model_kwargs={"mock_response": "litellm.InternalServerError"})
    with pytest.raises(ProviderUnavailable, match=f"model '{MODEL}' is unavailable \\(InternalServerError"):
        failing.invoke("Hi")


async def test_an_autogen_agent_with_memory_calls_a_tool_through_litellm(
    memory_brain: Astrocyte, script: Script
) -> None:
    memory_brain.sync.retain("Ann's order number is A7.", bank_id="user-ann")
    script.reply(tool_call("order_status", {"order": "A7"}, "call_3"), answer("A7 arrives tomorrow."))
    client = model_client_from_env(LiteLLMChatCompletionClient(MODEL))
    memory = AstrocyteMemory(memory_brain, bank_id="user-ann")
    agent = AssistantAgent("helper", client, tools=[order_status], memory=[memory], reflect_on_tool_use=True)

    result = await agent.run(task="Where is my order?")

    [calls] = [event.content for event in result.messages if isinstance(event, ToolCallRequestEvent)]
    [executed] = [event.content for event in result.messages if isinstance(event, ToolCallExecutionEvent)]
    assert [(call.name, json.loads(call.arguments)) for call in calls] == [("order_status", {"order": "A7"})]
    assert executed[0].content == order_status("A7") and executed[0].call_id == "call_3"
    assert isinstance(result.messages[-1], TextMessage) and result.messages[-1].content == "A7 arrives tomorrow."
    first, second = script.requests
    system = " ".join(message["content"] for message in first["messages"] if message["role"] == "system")
    assert "Ann's order number is A7." in system
    assert first["tools"][0]["function"]["name"] == "order_status" and first["tool_choice"] == "auto"
    assistant, tool = second["messages"][-2:]
    assert assistant["tool_calls"] == [
        {"id": "call_3", "type": "function", "function": {"name": "order_status", "arguments": calls[0].arguments}}
    ]
    assert tool == {"role": "tool", "tool_call_id": "call_3", "content": order_status("A7")}
    assert client.total_usage().prompt_tokens > 0 and client.actual_usage().completion_tokens > 0


async def test_the_autogen_client_streams_sends_its_settings_and_is_a_component(script: Script) -> None:
    script.reply(answer("Hello, Ann."), answer('{"tea": "oolong"}'))
    client = LiteLLMChatCompletionClient(MODEL, temperature=0.2, max_tokens=32, api_base="http://llm:4000", timeout=9)
    question = [SystemMessage(content="Be brief."), UserMessage(content="Hi", source="ann")]

    chunks = [chunk async for chunk in client.create_stream(question)]
    structured = await client.create(question, json_output=True, extra_create_args={"seed": 7})

    assert chunks[0] == "Hello, Ann." and isinstance(chunks[-1], CreateResult) and chunks[-1].finish_reason == "stop"
    assert json.loads(str(structured.content)) == {"tea": "oolong"}
    plain, json_mode = script.requests
    assert plain["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert plain.items() >= {"temperature": 0.2, "max_tokens": 32, "api_base": "http://llm:4000", "timeout": 9}.items()
    assert "tools" not in plain and json_mode["response_format"] == {"type": "json_object"} and json_mode["seed"] == 7
    loaded = ChatCompletionClient.load_component(client.dump_component())
    assert isinstance(loaded, LiteLLMChatCompletionClient) and loaded.dump_component() == client.dump_component()
    assert client.model_info["function_calling"] and client.count_tokens(question) > 0
    assert 0 < client.remaining_tokens(question) < 1_000_000


def test_the_autogen_client_takes_model_info_for_models_litellm_does_not_know() -> None:
    info = ModelInfo(vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False)
    local = LiteLLMChatCompletionClient("openai/house-model", api_base="http://localhost:8000/v1", model_info=info)
    assert local.model_info == info and local.capabilities == info
    assert LiteLLMChatCompletionClient.load_component(local.dump_component()).model_info == info
    with pytest.raises(
        ConfigError, match="model: LiteLLM's model map gives no context window for 'openai/house-model'"
    ):
        local.remaining_tokens([UserMessage(content="Hi", source="ann")])


async def test_a_provider_failure_is_provider_unavailable_in_autogen() -> None:
    client = LiteLLMChatCompletionClient(MODEL)
    with pytest.raises(ProviderUnavailable, match=f"model '{MODEL}' is unavailable \\(InternalServerError"):
        await client.create(
            [UserMessage(content="Hi", source="ann")],
            extra_create_args={"mock_response": "litellm.InternalServerError"},
        )


async def test_llamaindex_litellm_completes_chats_and_runs_a_function_agent_tool(
    monkeypatch: pytest.MonkeyPatch, script: Script
) -> None:
    monkeypatch.setenv("ASTROCYTE_LLM_MODEL", MODEL)
    llm = llm_from_env()
    script.reply(
        answer("Hi, Ann."), tool_call("order_status", {"order": "A7"}, "call_4"), answer("A7 arrives tomorrow.")
    )
    reply = await llm.achat([ChatMessage(role="user", content="Hi")])
    assert reply.message.content == "Hi, Ann."

    agent = FunctionAgent(llm=llm, tools=[FunctionTool.from_defaults(order_status)], streaming=False)
    assert str(await agent.run("Where is order A7?")) == "A7 arrives tomorrow."
    chat, first, second = script.requests
    assert (chat["model"], chat["temperature"], chat["_skip_mcp_handler"]) == (MODEL, 0.0, True)
    assert chat["messages"] == [{"role": "user", "content": "Hi"}]
    assert first["tools"][0]["function"]["name"] == "order_status"
    assert second["messages"][-1]["role"] == "tool" and second["messages"][-1]["content"] == order_status("A7")


def test_a_provider_failure_in_llamaindex_is_litellms_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTROCYTE_LLM_MODEL", MODEL)
    llm = llm_from_env()
    llm.max_retries = 1
    with pytest.raises(litellm.RateLimitError):
        llm.complete("Hi", mock_response="litellm.RateLimitError")
