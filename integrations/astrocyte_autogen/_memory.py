"""`AstrocyteMemory`: AutoGen memory kept in Astrocyte, for `AssistantAgent(memory=[...])`.

    from autogen_agentchat.agents import AssistantAgent
    from astrocyte import Astrocyte, Context
    from astrocyte_autogen import AstrocyteMemory

    brain = Astrocyte()
    memory = AstrocyteMemory(brain, bank_id="user-ann", context=Context(principal="user:ann"), auto_retain=True)
    agent = AssistantAgent("assistant", model_client=model_client, memory=[memory])
    await agent.run(task="Which tea do I like?")
    await memory.close()

    component = memory.dump_component()                  # says how to open the brain again, not the live object
    same = AstrocyteMemory.load_component(component)     # in this process it shares the open brain

Before each model call the agent calls `update_context`: the memory recalls with the last message as the query
and adds the memories as one SystemMessage ("Relevant memory content:" and a numbered list). With
`auto_retain`, the user and assistant messages it sees there are retained too (`"<source>: <text>"`, after the
recall, so a message never recalls itself), and `close` retains those added since. Each is a chat turn
(`astrocyte.adapters.chat_turn`): the message's source is its speaker, so recall knows who said it, and with
`thread` (the conversation's id) recall also indexes each turn with the turns before it. Every call carries the memory's
context, so access control, PII and the rest of the policy apply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Self, TypeVar

from autogen_core import CancellationToken, Component
from autogen_core.memory import Memory, MemoryContent, MemoryQueryResult, UpdateContextResult
from autogen_core.model_context import ChatCompletionContext
from autogen_core.models import AssistantMessage, LLMMessage, SystemMessage, UserMessage

from astrocyte import Astrocyte, AstrocyteConfig, Context, RecallResult, ScopedMemory
from astrocyte.adapters import CardSource, bind_memory, chat_turn
from astrocyte_autogen import _shared
from astrocyte_autogen._config import AstrocyteMemoryConfig
from astrocyte_autogen._content import memory_content, retain_item

T = TypeVar("T")
Turn = tuple[str, str, str]


class AstrocyteMemory(Memory, Component[AstrocyteMemoryConfig]):
    """AutoGen memory over an Astrocyte bank: recall into the model context, retain what the agent is told."""

    component_type = "memory"
    component_config_schema = AstrocyteMemoryConfig
    component_provider_override = "astrocyte_autogen.AstrocyteMemory"

    def __init__(
        self,
        memory: Astrocyte | ScopedMemory,
        *,
        bank_id: str | None = None,
        banks: Sequence[str] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        card: CardSource | None = None,
        max_results: int = 5,
        auto_retain: bool = False,
        thread: str | None = None,
    ) -> None:
        self._memory = bind_memory(memory, bank_id, banks, context, card=card)
        self.max_results = max_results
        self.auto_retain = auto_retain
        self.thread = thread
        """The conversation auto-retained turns belong to; None: they are not grouped into one."""
        self._opener: dict[str, Any] = {"astrocyte": _inline(self._memory.brain.config)}
        self._retained: set[Turn] = set()
        self._model_context: ChatCompletionContext | None = None
        self._closed = False
        _shared.adopt(self._memory.brain)

    @classmethod
    def from_config(cls, config: AstrocyteMemoryConfig) -> Self:
        """Open the brain the config describes (or share the one open on its data_dir) and bind to it."""
        brain = _shared.acquire(config.astrocyte_config())
        try:
            memory = cls(
                brain,
                bank_id=config.bank_id,
                banks=config.banks,
                context=config.context(),
                max_results=config.max_results,
                auto_retain=config.auto_retain,
                thread=config.thread,
            )
        finally:
            _shared.release(brain)  # the new memory holds its own claim; this drops the one taken to open it
        memory._opener = config.model_dump(include={"config_path", "astrocyte", "data_dir"})
        return memory

    @property
    def memory(self) -> ScopedMemory:
        """The bank and caller this memory acts as."""
        return self._memory

    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        messages = await model_context.get_messages()
        query = _text(messages[-1]) if messages else ""
        hits = (await self._recall(query)).hits if query.strip() else ()
        if hits:
            lines = [f"{number}. {hit.text}" for number, hit in enumerate(hits, 1)]
            await model_context.add_message(SystemMessage(content="Relevant memory content:\n" + "\n".join(lines)))
        if self.auto_retain:
            self._model_context = model_context
            await self._retain_turns(messages)
        return UpdateContextResult(memories=MemoryQueryResult(results=[memory_content(hit) for hit in hits]))

    async def query(
        self,
        query: str | MemoryContent,
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """Recall for `query`; keyword arguments are recall options (max_results, tags, filter, strategy...)."""
        text = query if isinstance(query, str) else retain_item(query)["content"]
        result = await _cancellable(self._recall(text, **kwargs), cancellation_token)
        return MemoryQueryResult(results=[memory_content(hit) for hit in result.hits])

    async def add(self, content: MemoryContent, cancellation_token: CancellationToken | None = None) -> None:
        """Retain text, markdown or JSON content (its metadata too) in `bank_id`."""
        item = retain_item(content)
        await _cancellable(self._memory.retain(item.pop("content"), **item), cancellation_token)

    async def clear(self) -> None:
        """Forget every memory of `bank_id` (the caller needs the forget permission on it)."""
        await self._memory.forget(all=True)

    async def close(self) -> None:
        """Retain what auto-retain has not seen yet, then let go of the brain (closed if opened from config)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._model_context is not None:
                await self._retain_turns(await self._model_context.get_messages())
        finally:
            _shared.release(self._memory.brain)

    def _to_config(self) -> AstrocyteMemoryConfig:
        memory, context = self._memory, self._memory.context or Context()
        return AstrocyteMemoryConfig(
            **self._opener,
            bank_id=memory.bank_id,
            banks=None if memory.banks == (memory.bank_id,) else memory.banks,
            principal=context.principal,
            on_behalf_of=context.on_behalf_of,
            tenant=context.tenant,
            environment=context.environment,
            max_results=self.max_results,
            auto_retain=self.auto_retain,
            thread=self.thread,
        )

    @classmethod
    def _from_config(cls, config: AstrocyteMemoryConfig) -> Self:
        return cls.from_config(config)

    async def _recall(self, query: str, **options: Any) -> RecallResult:
        options.setdefault("max_results", self.max_results)
        return await self._memory.recall(query, **options)

    async def _retain_turns(self, messages: Sequence[LLMMessage]) -> None:
        fresh = [turn for turn in dict.fromkeys(map(_turn, messages)) if turn and turn not in self._retained]
        if fresh:
            brain = self._memory.brain
            await self._memory.retain_many(
                [
                    chat_turn(f"{speaker}: {text}", speaker=speaker, thread=self.thread, role=role, brain=brain)
                    for role, speaker, text in fresh
                ]
            )
            self._retained.update(fresh)


def _turn(message: LLMMessage) -> Turn | None:
    if isinstance(message, UserMessage):
        role = "user"
    elif isinstance(message, AssistantMessage):
        role = "assistant"
    else:
        return None
    text = _text(message)
    return (role, message.source, text) if text.strip() else None


def _text(message: LLMMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "\n".join(part for part in content if isinstance(part, str))


def _inline(config: AstrocyteConfig) -> dict[str, Any]:
    """A live brain's config as the inline mapping that reopens it (with an absolute data_dir)."""
    resolved = config.model_copy(update={"data_dir": config.data_dir.expanduser().resolve()})
    return resolved.model_dump(mode="json", exclude_defaults=True)


async def _cancellable(coroutine: Coroutine[Any, Any, T], token: CancellationToken | None) -> T:
    if token is None:
        return await coroutine
    task = asyncio.ensure_future(coroutine)
    token.link_future(task)
    return await task
