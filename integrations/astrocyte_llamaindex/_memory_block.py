"""`AstrocyteMemoryBlock`: long-term memory for LlamaIndex's `Memory`, kept in Astrocyte.

    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.memory import Memory
    from astrocyte import Astrocyte, Context
    from astrocyte_llamaindex import AstrocyteMemoryBlock

    brain = Astrocyte()
    block = AstrocyteMemoryBlock(brain, bank_id="user-ann", context=Context(principal="user:ann"))
    memory = Memory.from_defaults(session_id="ann", token_limit=4000, memory_blocks=[block])
    response = await FunctionAgent(llm=llm).run("Which tea do I like?", memory=memory)

On every read (`Memory.aget`) the block recalls with the text of the latest messages as the query, and `Memory`
puts the memories, one `- ` line each, into the system message. Messages that `Memory` flushes out of its
short-term queue are retained, one memory per message (`"<role>: <text>"`), so later sessions, processes and
other frameworks can recall them. Each is a chat turn (`astrocyte.adapters.chat_turn`): the role is its `role` and
its speaker, and the `Memory`'s session is its thread (and `session_id`), so recall knows who said it and the turns
before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import Field
from llama_index.core.memory import BaseMemoryBlock

from astrocyte import Astrocyte, Context, ScopedMemory
from astrocyte.adapters import CardSource, bind_memory, chat_turn


class AstrocyteMemoryBlock(BaseMemoryBlock[str]):
    """Recall relevant long-term memories into the prompt; retain messages flushed from short-term memory."""

    name: str = Field(default="long_term_memory", description="The block's name; the tag around its content.")
    memory: ScopedMemory = Field(exclude=True, description="The bank and caller this block reads and writes.")
    max_results: int = Field(default=5, ge=1, description="How many memories to put in the prompt.")
    query_window: int = Field(
        default=1, ge=1, description="How many of the latest user and assistant messages form the recall query."
    )
    retain_roles: tuple[str, ...] = Field(
        default=("user", "assistant"), description="Roles of the flushed messages worth retaining."
    )

    def __init__(
        self,
        memory: Astrocyte | ScopedMemory,
        *,
        bank_id: str | None = None,
        banks: Sequence[str] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        card: CardSource | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(memory=bind_memory(memory, bank_id, banks, context, card=card), **fields)

    async def _aget(self, messages: list[ChatMessage] | None = None, **block_kwargs: Any) -> str:
        texts = [message.content for message in messages or [] if _is_dialogue(message) and message.content]
        query = "\n".join(texts[-self.query_window :])
        if not query.strip():
            return ""
        result = await self.memory.recall(query, max_results=self.max_results)
        return "\n".join(f"- {hit.text}" for hit in result.hits)

    async def _aput(self, messages: list[ChatMessage]) -> None:
        items = [
            chat_turn(f"{message.role.value}: {message.content}", **_turn(message), brain=self.memory.brain)
            for message in messages
            if message.role.value in self.retain_roles and message.content and message.content.strip()
        ]
        if items:
            await self.memory.retain_many(items)


def _is_dialogue(message: ChatMessage) -> bool:
    return message.role.value in ("user", "assistant")


def _turn(message: ChatMessage) -> dict[str, Any]:
    session_id = message.additional_kwargs.get("session_id")
    thread = str(session_id) if session_id else None
    role = message.role.value
    return {"speaker": role, "role": role, "thread": thread, "metadata": {"session_id": thread} if thread else None}
