"""`offline_llm()`: a deterministic stand-in for a chat model, for examples and tests that run offline.

    from astrocyte_llamaindex import offline_llm

    agent = FunctionAgent(llm=offline_llm())        # or any real LLM, e.g. llama_index.llms.litellm.LiteLLM

It is LlamaIndex's own `MockFunctionCallingLLM` with a response generator built on `astrocyte.testing`'s
`quote_answer`. It does not generate language and never calls tools: it answers with the one sentence of its
context (memory block lines, retrieved passages, earlier messages) that shares the most content words with the
question, the latest winning a tie, or says that nothing it was given answers it. The question is the
`Query:` / `Question:` line of the last user message when there is one (LlamaIndex's question-answering prompts
have it), else that whole message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms.mock import MockFunctionCallingLLM

from astrocyte.testing import quote_answer

_QUESTION_LINE = re.compile(r"^\s*(?:Query|Question):\s*(.+?)\s*$", re.MULTILINE)


def offline_llm() -> MockFunctionCallingLLM:
    """A function-calling LLM (as FunctionAgent requires); a chat model, so query engines' prompts reach it too."""
    return MockFunctionCallingLLM(response_generator=quote_best_line, is_chat_model=True)


def quote_best_line(messages: Sequence[ChatMessage], **_: Any) -> ChatMessage:
    """The sentence of `messages` that best answers the question of the last user message."""
    asked = next((message.content or "" for message in reversed(messages) if message.role == MessageRole.USER), "")
    questions = _QUESTION_LINE.findall(asked)
    question = questions[-1] if questions else asked
    latest_first = (
        line.strip().removeprefix("- ")
        for message in reversed(messages)
        for line in reversed((message.content or "").splitlines())
    )
    passages = [line for line in latest_first if line and question not in line]
    return ChatMessage(role=MessageRole.ASSISTANT, content=quote_answer(question, passages, limit=1, cite=False))
