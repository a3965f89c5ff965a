"""`OfflineLLM`: a deterministic stand-in for an agent's model, so examples and tutorials run with no key.

    from astrocyte_crewai import OfflineLLM

    agent = Agent(role="Researcher", goal="...", backstory="...", llm=OfflineLLM())

It is not a language model and does not reason or call tools. It answers every call in CrewAI's final-answer
format by quoting, through `astrocyte.testing.quote_answer`: given the memories CrewAI put in the prompt, it
quotes the sentences of those memories that share the most words with the current task, citing them `[n]`;
given no memories, it quotes the task's own most telling sentences. Same prompt, same answer, on every machine. Swap in
`crewai.LLM(model=...)` for real answers.
"""

from __future__ import annotations

import re
from typing import Any

from crewai.llms.base_llm import BaseLLM
from pydantic import BaseModel

from astrocyte.adapters import model_from_env
from astrocyte.testing import quote_answer

_TASK = re.compile(
    r"Current Task:\s*(.*?)(?:\n\nThis is the expected criteria|\n\n# Memories from past conversations|\n\nBegin!|\Z)",
    re.DOTALL,
)
_MEMORIES = re.compile(r"Relevant memories:\n(.*?)(?:\n\nIMPORTANT:|\Z)", re.DOTALL)
_ENTRY = re.compile(r"^- \(score=[-\d.]+\) ", re.MULTILINE)
_MEMORY_DETAIL = re.compile(r"^  \S[^:\n]*: .*$", re.MULTILINE)


class OfflineLLM(BaseLLM):
    """Answers by quoting the prompt's memories (or the task), deterministically and offline."""

    def __init__(self, **fields: Any) -> None:
        fields.setdefault("model", "astrocyte-offline")
        super().__init__(**fields)

    def call(
        self,
        messages: str | list[Any],
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> str:
        return _final_answer(messages)

    async def acall(
        self,
        messages: str | list[Any],
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> str:
        return _final_answer(messages)

    def get_input_tokens_count(self, messages: str | list[Any], *args: Any, **kwargs: Any) -> int:
        """Four characters a token: OfflineLLM has no tokenizer, and says so here rather than in a warning."""
        text = messages if isinstance(messages, str) else "".join(map(_content_text, messages))
        return (len(text) + 3) // 4


def _final_answer(messages: str | list[Any]) -> str:
    prompt = _last_user_text(messages)
    task_match = _TASK.search(prompt)
    task = task_match.group(1).strip() if task_match else prompt
    memories = _memories(prompt)
    answer = quote_answer(task, memories) if memories else quote_answer(task, [task], cite=False)
    return f"Thought: I now know the final answer\nFinal Answer: {answer}"


def _memories(prompt: str) -> list[str]:
    block = _MEMORIES.search(prompt)
    if block is None:
        return []
    entries = _ENTRY.split(block.group(1))[1:]
    return [" ".join(_MEMORY_DETAIL.sub("", entry).split()) for entry in entries]


def _last_user_text(messages: str | list[Any]) -> str:
    if isinstance(messages, str):
        return messages
    users = [message for message in messages if message.get("role") == "user"]
    return _content_text(users[-1]) if users else ""


def _content_text(message: dict[str, Any]) -> str:
    """A message's text, whether its content is a string or a list of parts (multimodal messages)."""
    content = message.get("content")
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, dict)]
        return " ".join(part for part in parts if isinstance(part, str))
    return "" if content is None else str(content)


def llm_from_env(offline: BaseLLM | None = None) -> BaseLLM:
    """`crewai.LLM(model=$ASTROCYTE_LLM_MODEL)` (any LiteLLM model name) when that variable is set, else the
    given offline model or `OfflineLLM()`: the switch every example and tutorial uses."""
    model = model_from_env()
    if model:
        from crewai import LLM

        return LLM(model=model)
    return offline or OfflineLLM()
