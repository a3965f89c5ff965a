"""`OfflineChatCompletionClient`: a deterministic stand-in for a model client, for examples and tests offline.

    from autogen_agentchat.agents import AssistantAgent
    from astrocyte_autogen import AstrocyteMemory, OfflineChatCompletionClient

    agent = AssistantAgent("assistant", model_client=OfflineChatCompletionClient(), memory=[memory])

It quotes with `astrocyte.testing.quote_answer` and does not generate language or call tools: the numbered
lines of the system messages (the "Relevant memory content" that AstrocyteMemory adds) are its passages, the last user
message is the question, and the answer quotes the passages that best match it, citing their numbers. With no
numbered passages it says that nothing it was given answers the question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from autogen_core import CancellationToken, Component
from autogen_core.models import (
    CreateResult,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel

from astrocyte.testing import NO_ANSWER, quote_answer
from astrocyte_autogen._client_base import WholeReplyClient

_NUMBERED = re.compile(r"^\s*\d+\.\s+(.+)$", re.MULTILINE)
_CONTEXT_TOKENS = 100_000


class OfflineChatCompletionClientConfig(BaseModel):
    """It has no settings."""


class OfflineChatCompletionClient(WholeReplyClient, Component[OfflineChatCompletionClientConfig]):
    """Answers by quoting the recalled memories that best match the question, offline and deterministically."""

    component_type = "model"
    component_config_schema = OfflineChatCompletionClientConfig
    component_provider_override = "astrocyte_autogen.OfflineChatCompletionClient"

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
        answer = _answer(messages)
        usage = RequestUsage(prompt_tokens=self.count_tokens(messages), completion_tokens=len(answer.split()))
        self._count(usage)
        return CreateResult(finish_reason="stop", content=answer, usage=usage, cached=False)

    async def close(self) -> None:
        """Nothing to release."""

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return sum(len(str(message.content).split()) for message in messages)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return max(0, _CONTEXT_TOKENS - self.count_tokens(messages))

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(
            vision=False,
            function_calling=False,
            json_output=False,
            family=ModelFamily.UNKNOWN,
            structured_output=False,
            multiple_system_messages=True,
        )

    def _to_config(self) -> OfflineChatCompletionClientConfig:
        return OfflineChatCompletionClientConfig()

    @classmethod
    def _from_config(cls, config: OfflineChatCompletionClientConfig) -> Self:
        return cls()


def _answer(messages: Sequence[LLMMessage]) -> str:
    passages = [
        text
        for message in messages
        if isinstance(message, SystemMessage)
        for text in _NUMBERED.findall(message.content)
    ]
    question = next((str(message.content) for message in reversed(messages) if isinstance(message, UserMessage)), "")
    return quote_answer(question, passages) if passages and question.strip() else NO_ANSWER
