"""`LiteLLMChatCompletionClient`: an AutoGen model client over any provider LiteLLM supports, with tool calling.

    from autogen_agentchat.agents import AssistantAgent
    from astrocyte_autogen import AstrocyteMemory, LiteLLMChatCompletionClient, model_client_from_env

    client = model_client_from_env()        # offline unless ASTROCYTE_LLM_MODEL is set
    client = LiteLLMChatCompletionClient("ollama/llama3.1", api_base="http://localhost:11434")
    agent = AssistantAgent("assistant", model_client=client, tools=[lookup_order], memory=[memory])

Requests go to `litellm.acompletion` in OpenAI format: system, user (text and images), assistant (text, or
FunctionCall content as `tool_calls`) and function-result messages (one `tool` message per result); tools as
OpenAI function tools. A reply with tool calls becomes a CreateResult whose content is the FunctionCalls (any
text beside them is its `thought`), else its text. `model_info` says what the model can do as LiteLLM's model
map knows it; pass one for models the map does not know. Any other keyword (`timeout`, `num_retries`, ...) goes
to litellm unchanged and into the component config as given, so provider keys belong in their environment
variables. A provider failure is raised as astrocyte's `ProviderUnavailable`. Replies are not streamed:
`create_stream` yields the whole reply text as one chunk, then the CreateResult.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from autogen_core import CancellationToken, Component, FunctionCall, Image
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FinishReasons,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel, Field

from astrocyte import ConfigError
from astrocyte.adapters import LITELLM_PLAIN_TOOLS, call_litellm, import_litellm, model_from_env
from astrocyte_autogen._client_base import WholeReplyClient
from astrocyte_autogen._offline import OfflineChatCompletionClient

_FINISH_REASONS: dict[str, FinishReasons] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "function_calls",
    "function_call": "function_calls",
}


class LiteLLMChatCompletionClientConfig(BaseModel):
    """What `LiteLLMChatCompletionClient` is built from; `dump_component` writes it, `load_component` reads it."""

    model: str = Field(min_length=1)
    temperature: float = 0.0
    max_tokens: int | None = Field(default=None, gt=0)
    api_base: str | None = None
    model_info: ModelInfo | None = None
    litellm_kwargs: dict[str, Any] = Field(default_factory=dict)


class LiteLLMChatCompletionClient(WholeReplyClient, Component[LiteLLMChatCompletionClientConfig]):
    """A model client behind litellm.acompletion; `temperature` and `max_tokens` apply to every call."""

    component_type = "model"
    component_config_schema = LiteLLMChatCompletionClientConfig
    component_provider_override = "astrocyte_autogen.LiteLLMChatCompletionClient"

    def __init__(
        self,
        model: str,
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        api_base: str | None = None,
        model_info: ModelInfo | None = None,
        **litellm_kwargs: Any,
    ) -> None:
        self._config = LiteLLMChatCompletionClientConfig(
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            api_base=api_base,
            model_info=model_info,
            litellm_kwargs=litellm_kwargs,
        )
        self._model_info = model_info
        super().__init__()

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        request = self._request(messages, tools, tool_choice, json_output, extra_create_args or {})
        call = asyncio.ensure_future(call_litellm("acompletion", self._config.model, **request))
        if cancellation_token is not None:
            cancellation_token.link_future(call)
        result = _create_result(await call)
        self._count(result.usage)
        return result

    async def close(self) -> None:
        """Nothing to release: litellm keeps its own connection pools."""

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        """The prompt's size by the model's tokenizer as LiteLLM knows it (a generic one for models it does not)."""
        return import_litellm().token_counter(
            model=self._config.model,
            messages=_openai_messages(messages),
            tools=[_openai_tool(tool) for tool in tools] or None,
        )

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return max(0, self._context_window() - self.count_tokens(messages, tools=tools))

    @property
    def model_info(self) -> ModelInfo:
        if self._model_info is None:
            self._model_info = _model_info_from_litellm(self._config.model)
        return self._model_info

    def _to_config(self) -> LiteLLMChatCompletionClientConfig:
        return self._config.model_copy()

    @classmethod
    def _from_config(cls, config: LiteLLMChatCompletionClientConfig) -> Self:
        return cls(
            config.model,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            api_base=config.api_base,
            model_info=config.model_info,
            **config.litellm_kwargs,
        )

    def _request(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Tool | ToolSchema],
        tool_choice: Tool | Literal["auto", "required", "none"],
        json_output: bool | type[BaseModel] | None,
        extra: Mapping[str, Any],
    ) -> dict[str, Any]:
        config = self._config
        optional = {"max_tokens": config.max_tokens, "api_base": config.api_base}
        request: dict[str, Any] = {
            "messages": _openai_messages(messages),
            "temperature": config.temperature,
            **{name: value for name, value in optional.items() if value},
        }
        if tools:
            request |= {
                "tools": [_openai_tool(tool) for tool in tools],
                "tool_choice": _openai_tool_choice(tool_choice),
            }
            request |= LITELLM_PLAIN_TOOLS
        if json_output is True:
            request["response_format"] = {"type": "json_object"}
        elif isinstance(json_output, type):
            request["response_format"] = json_output
        return request | config.litellm_kwargs | dict(extra)

    def _context_window(self) -> int:
        litellm = import_litellm()
        try:
            info = litellm.get_model_info(self._config.model)
        except Exception:
            info = {}
        window = info.get("max_input_tokens") or info.get("max_tokens")
        if not window:
            raise ConfigError(
                f"model: LiteLLM's model map gives no context window for {self._config.model!r}; "
                "give the agent a TokenLimitedChatCompletionContext with a token_limit"
            )
        return int(window)


def model_client_from_env(offline: ChatCompletionClient | None = None) -> ChatCompletionClient:
    """`LiteLLMChatCompletionClient` for ASTROCYTE_LLM_MODEL; without it `offline`, or an offline client."""
    model = model_from_env()
    if model:
        return LiteLLMChatCompletionClient(model)
    return offline if offline is not None else OfflineChatCompletionClient()


def _openai_messages(messages: Sequence[LLMMessage]) -> list[dict[str, Any]]:
    return [converted for message in messages for converted in _openai_message(message)]


def _openai_message(message: LLMMessage) -> list[dict[str, Any]]:
    if isinstance(message, SystemMessage):
        return [{"role": "system", "content": message.content}]
    if isinstance(message, UserMessage):
        return [{"role": "user", "content": _user_content(message.content)}]
    if isinstance(message, AssistantMessage):
        return [_assistant_message(message)]
    return [{"role": "tool", "tool_call_id": result.call_id, "content": result.content} for result in message.content]


def _user_content(content: str | list[str | Image]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    return [{"type": "text", "text": part} if isinstance(part, str) else part.to_openai_format() for part in content]


def _assistant_message(message: AssistantMessage) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "assistant", "content": message.content}
    calls = [
        {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
        for call in message.content
    ]
    return {"role": "assistant", "content": message.thought, "tool_calls": calls}


def _openai_tool(tool: Tool | ToolSchema) -> dict[str, Any]:
    schema = tool.schema if isinstance(tool, Tool) else tool
    function: dict[str, Any] = {
        "name": schema["name"],
        "description": schema.get("description", ""),
        "parameters": schema.get("parameters", {"type": "object", "properties": {}}),
    }
    if "strict" in schema:
        function["strict"] = schema["strict"]
    return {"type": "function", "function": function}


def _openai_tool_choice(choice: Tool | Literal["auto", "required", "none"]) -> str | dict[str, Any]:
    if isinstance(choice, Tool):
        return {"type": "function", "function": {"name": choice.schema["name"]}}
    return choice


def _create_result(response: Any) -> CreateResult:
    choice = response.choices[0]
    message = choice.message
    usage = getattr(response, "usage", None)
    request_usage = RequestUsage(
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
    )
    if message.tool_calls:
        calls = [
            FunctionCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in message.tool_calls
        ]
        return CreateResult(
            finish_reason="function_calls",
            content=calls,
            thought=message.content or None,
            usage=request_usage,
            cached=False,
        )
    return CreateResult(
        finish_reason=_FINISH_REASONS.get(choice.finish_reason or "", "unknown"),
        content=message.content or "",
        thought=getattr(message, "reasoning_content", None) or None,
        usage=request_usage,
        cached=False,
    )


def _model_info_from_litellm(model: str) -> ModelInfo:
    litellm = import_litellm()
    structured = litellm.supports_response_schema(model)
    return ModelInfo(
        vision=litellm.supports_vision(model),
        function_calling=litellm.supports_function_calling(model),
        json_output=structured,
        family=ModelFamily.UNKNOWN,
        structured_output=structured,
        multiple_system_messages=True,
    )
