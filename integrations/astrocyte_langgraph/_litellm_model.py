"""`LiteLLMChatModel`: a LangChain chat model over any provider LiteLLM supports, with tool calling.

    from astrocyte_langgraph import chat_model_from_env, create_memory_tools

    model = chat_model_from_env().bind_tools(create_memory_tools())    # offline unless ASTROCYTE_LLM_MODEL is set
    model = LiteLLMChatModel(model="ollama/llama3.1", api_base="http://localhost:11434").bind_tools(tools)
    model.invoke("Remember that my favourite colour is teal.").tool_calls

Requests go to `litellm.completion` / `litellm.acompletion` in OpenAI format: messages through LangChain's
`convert_to_openai_messages`, bound tools through `convert_to_openai_tool`. The reply's OpenAI tool calls become
the AIMessage's `tool_calls` (arguments that are not valid JSON become `invalid_tool_calls`), with token usage in
`usage_metadata`. `model_kwargs` holds any other litellm keyword (`api_key`, `timeout`, `num_retries`,
`mock_response`, ...). A provider failure is raised as astrocyte's `ProviderUnavailable`, naming the model, the
cause and what to check. Replies are not streamed: `stream` yields the whole reply as one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, InvalidToolCall, ToolCall, convert_to_openai_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from astrocyte.adapters import LITELLM_PLAIN_TOOLS, model_from_env, provider_errors
from astrocyte_langgraph._offline_model import OfflineChatModel

_TOOL_CHOICES = {"auto", "none", "required"}


class LiteLLMChatModel(BaseChatModel):
    """A chat model behind litellm; `temperature` and `max_tokens` apply to every call."""

    model: str = Field(min_length=1)
    """Any LiteLLM model name, such as "openai/gpt-4o-mini" or "anthropic/claude-sonnet-4-5"."""
    temperature: float = 0.0
    max_tokens: int | None = Field(default=None, gt=0)
    """The most tokens a reply may have; None leaves it to the provider."""
    api_base: str | None = None
    """Where the model is served, for local or OpenAI-compatible servers."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Any other keyword for litellm.completion, passed unchanged."""

    @property
    def _llm_type(self) -> str:
        return "litellm"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer `tools` on every call; `tool_choice` is "auto", "none", "required" / "any", or a tool's name."""
        if tool_choice is not None:
            kwargs["tool_choice"] = _openai_tool_choice(tool_choice)
        return self.bind(tools=[convert_to_openai_tool(tool) for tool in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        with provider_errors(self.model, request) as litellm:
            response = litellm.completion(model=self.model, **request)
        return _chat_result(response)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        with provider_errors(self.model, request) as litellm:
            response = await litellm.acompletion(model=self.model, **request)
        return _chat_result(response)

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        optional = {"max_tokens": self.max_tokens, "api_base": self.api_base, "stop": stop}
        request = {
            "messages": convert_to_openai_messages(messages),
            "temperature": self.temperature,
            **{name: value for name, value in optional.items() if value},
            **self.model_kwargs,
            **kwargs,
        }
        return request | LITELLM_PLAIN_TOOLS if request.get("tools") else request


def chat_model_from_env(offline: BaseChatModel | None = None) -> BaseChatModel:
    """`LiteLLMChatModel` for the model ASTROCYTE_LLM_MODEL names; without it `offline`, or `OfflineChatModel()`."""
    model = model_from_env()
    if model:
        return LiteLLMChatModel(model=model)
    return offline if offline is not None else OfflineChatModel()


def _openai_tool_choice(choice: str | dict[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, dict) or choice in _TOOL_CHOICES:
        return choice
    if choice == "any":
        return "required"
    return {"type": "function", "function": {"name": choice}}


def _chat_result(response: Any) -> ChatResult:
    choice = response.choices[0]
    tool_calls, invalid_tool_calls = _parse_tool_calls([call.model_dump() for call in choice.message.tool_calls or []])
    message = AIMessage(
        content=choice.message.content or "",
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_tool_calls,
        usage_metadata=_usage(response),
        response_metadata={"model_name": response.model, "finish_reason": choice.finish_reason},
        id=response.id,
    )
    generation = ChatGeneration(message=message, generation_info={"finish_reason": choice.finish_reason})
    return ChatResult(generations=[generation], llm_output={"model_name": response.model})


def _parse_tool_calls(raw_calls: list[dict[str, Any]]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    parsed: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        try:
            call = parse_tool_call(raw)
        except OutputParserException as exc:
            invalid.append(make_invalid_tool_call(raw, str(exc)))
        else:
            if call is not None:
                parsed.append(ToolCall(name=call["name"], args=call["args"], id=call["id"], type="tool_call"))
    return parsed, invalid


def _usage(response: Any) -> UsageMetadata | None:
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    return UsageMetadata(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
        total_tokens=usage.total_tokens or 0,
    )
