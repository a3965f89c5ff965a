"""`AstrocyteCheckpointer`: any LangGraph checkpointer, plus long-term memory of what each thread says.

    from langgraph.checkpoint.memory import InMemorySaver
    from astrocyte_langgraph import AstrocyteCheckpointer

    saver = AstrocyteCheckpointer(InMemorySaver(), brain, bank_id="user-{user_id}")
    graph = builder.compile(checkpointer=saver)
    graph.invoke({"messages": [("user", "I moved to Lyon.")]}, {"configurable": {"thread_id": "t1", "user_id": "ann"}})
    brain.sync.recall("Lyon", bank_id="user-ann").texts     # ['I moved to Lyon.', ...]

Persistence is the wrapped saver's: every method, sync and async, is delegated to it (InMemorySaver, SqliteSaver,
PostgresSaver…). A saver with only sync methods (SqliteSaver) also works under `ainvoke`: its sync methods run in
a worker thread. After the wrapped `put` succeeds, the messages of the thread's `messages` channel that this
process has not retained yet are retained: by default the human and AI messages with text, one memory each,
keyed by thread and message id (so a restart re-retains a thread's history as upserts, never duplicates). Pass
`message_filter` to choose messages, or `summarise` to store one summary of each batch of new messages instead.

Each memory is a chat turn (`astrocyte.adapters.chat_turn`) with metadata `thread_id` and `session` (the thread),
`speaker` (the message's name, else the user for a human message, else its type; none for a summary), `user_id`
(from `configurable[user_id_key]`), `role` (`summary` for summaries), `message_id` and `checkpoint_ns`, the tag
`thread:<id>`, and source `langgraph:checkpoint`, so recall knows who said it and the turns before it. The bank
is `bank_id`: a `str.format` template over the run's configurable values (sanitised into a bank id), a callable
of the config, or None to let the Memory Intent Protocol route it (a ScopedMemory, or an agent `card` resolved
by `brain.for_agent`, writes to its own bank).

Retention never breaks a graph run. Failures are logged and counted in `stats`: a policy refusal (PII reject,
access, MIP reject) is not retried; any other failure leaves the messages new, so the next checkpoint retries
them; when the store is down the core keeps the write in its durable outbox (`stats.queued`).
`delete_thread` also forgets the thread's memories when `forget_on_delete=True`.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from astrocyte import (
    AccessDenied,
    Astrocyte,
    Context,
    MipRoutingError,
    PiiRejected,
    RetainResult,
    ScopedMemory,
    ValidationError,
)
from astrocyte.adapters import CardSource, bind, chat_turn
from astrocyte_langgraph._namespaces import sanitise_bank_id

log = logging.getLogger(__name__)

SOURCE = "langgraph:checkpoint"
MessageFilter = Callable[[BaseMessage], bool]
Summariser = Callable[[list[BaseMessage]], str | None]
BankChoice = str | Callable[[RunnableConfig], str | None] | None
_REFUSALS = (PiiRejected, AccessDenied, MipRoutingError, ValidationError)
_REMEMBERED_THREADS = 1024
_MAX_KEY_CHARS = 512
T = TypeVar("T")


@dataclass
class RetentionStats:
    """What the hooks did since the checkpointer was made."""

    retained: int = 0
    """Memories stored."""
    queued: int = 0
    """Memories the core kept in its durable outbox because the store was unavailable (stored on recovery)."""
    refused: int = 0
    """Messages (or summaries) the policy refused; logged, not retried."""
    failed: int = 0
    """Retention attempts that failed otherwise; logged, and retried with the next checkpoint of the thread."""


def human_and_ai(message: BaseMessage) -> bool:
    """The default message filter: human and AI messages that carry text (not bare tool calls)."""
    return isinstance(message, HumanMessage | AIMessage) and bool(str(message.text).strip())


@dataclass(frozen=True)
class _NewMessages:
    thread_id: str
    config: RunnableConfig
    checkpoint: Checkpoint
    ids: tuple[str, ...]
    """Every new message id, kept or not, to mark as seen once retained."""
    kept: tuple[BaseMessage, ...]


class AstrocyteCheckpointer(BaseCheckpointSaver):
    def __init__(
        self,
        inner: BaseCheckpointSaver,
        memory: Astrocyte | ScopedMemory,
        *,
        bank_id: BankChoice = None,
        context: Context | None = None,
        messages_key: str = "messages",
        user_id_key: str = "user_id",
        message_filter: MessageFilter = human_and_ai,
        summarise: Summariser | None = None,
        forget_on_delete: bool = False,
        card: CardSource | None = None,
        environment: str | None = None,
        tenant: str | None = None,
    ) -> None:
        if not isinstance(inner, BaseCheckpointSaver):
            raise ValidationError(f"inner: must be a LangGraph checkpointer, got {type(inner).__name__}")
        self._inner = inner
        self._bound = bind(memory, context=context, card=card, environment=environment, tenant=tenant)
        if bank_id is None and self._bound.scoped is None and not self._bound.routed:
            raise ValidationError(
                "bank_id: name the bank for retained messages (a template like 'user-{user_id}' or a callable), "
                "or configure mip.rules so the Memory Intent Protocol routes them"
            )
        self._bank_id = bank_id
        self._messages_key = messages_key
        self._user_id_key = user_id_key
        self._message_filter = message_filter
        self._summarise = summarise
        self._forget_on_delete = forget_on_delete
        self._seen: OrderedDict[str, set[str]] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = RetentionStats()

    @property
    def inner(self) -> BaseCheckpointSaver:
        """The wrapped checkpointer, for what is specific to it (`setup()`, connections…)."""
        return self._inner

    @property
    def serde(self) -> SerializerProtocol:  # type: ignore[override]
        return self._inner.serde

    @serde.setter
    def serde(self, value: SerializerProtocol) -> None:
        self._inner.serde = value

    @property
    def config_specs(self) -> list:
        return self._inner.config_specs

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self._inner.get_next_version(current, channel)

    def with_allowlist(self, extra_allowlist: Collection[tuple[str, ...]]) -> AstrocyteCheckpointer:
        inner = self._inner.with_allowlist(extra_allowlist)
        if inner is self._inner:
            return self
        clone = copy.copy(self)
        clone._inner = inner
        return clone

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._inner.get_tuple(config)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        return self._inner.list(config, filter=filter, before=before, limit=limit)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        stored = self._inner.put(config, checkpoint, metadata, new_versions)
        if self._messages_key in new_versions:
            self._remember_blocking(config, checkpoint)
        return stored

    def put_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        self._inner.put_writes(config, writes, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        self._inner.delete_thread(thread_id)
        if self._forget_on_delete:
            self._bound.run(self._forget_thread(thread_id))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        self._inner.delete_for_runs(run_ids)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._inner.copy_thread(source_thread_id, target_thread_id)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self._inner.prune(thread_ids, strategy=strategy)

    def get_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Mapping[str, Any]:
        return self._inner.get_delta_channel_history(config=config, channels=channels)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await _async_or_thread(self._inner.aget_tuple, self._inner.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        options = {"filter": filter, "before": before, "limit": limit}
        listed = False
        try:
            async for found in self._inner.alist(config, **options):
                listed = True
                yield found
        except NotImplementedError:
            if listed:
                raise
            for found in await asyncio.to_thread(lambda: [*self._inner.list(config, **options)]):
                yield found

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        stored = await _async_or_thread(self._inner.aput, self._inner.put, config, checkpoint, metadata, new_versions)
        if self._messages_key in new_versions:
            await self._remember(config, checkpoint)
        return stored

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await _async_or_thread(self._inner.aput_writes, self._inner.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await _async_or_thread(self._inner.adelete_thread, self._inner.delete_thread, thread_id)
        if self._forget_on_delete:
            await self._forget_thread(thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await _async_or_thread(self._inner.adelete_for_runs, self._inner.delete_for_runs, run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await _async_or_thread(self._inner.acopy_thread, self._inner.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        try:
            await self._inner.aprune(thread_ids, strategy=strategy)
        except NotImplementedError:
            await asyncio.to_thread(self._inner.prune, thread_ids, strategy=strategy)

    async def aget_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Mapping[str, Any]:
        try:
            return await self._inner.aget_delta_channel_history(config=config, channels=channels)
        except NotImplementedError:
            return await asyncio.to_thread(self._inner.get_delta_channel_history, config=config, channels=channels)

    async def _remember(self, config: RunnableConfig, checkpoint: Checkpoint) -> None:
        """Retain the thread's new messages; never raises (see the module docstring)."""
        try:
            new = self._new_messages(config, checkpoint)
            if new is not None:
                await self._retain_and_mark(new)
        except Exception:
            self.stats.failed += 1
            log.warning("could not retain a checkpoint's messages; the next checkpoint retries", exc_info=True)

    async def _retain_and_mark(self, new: _NewMessages) -> None:
        try:
            if new.kept:
                await self._retain(new)
        except _REFUSALS as exc:
            self.stats.refused += 1
            log.warning("long-term memory refused a checkpoint's messages: %s", exc)
        self._mark_seen(new.thread_id, new.ids)

    def _remember_blocking(self, config: RunnableConfig, checkpoint: Checkpoint) -> None:
        try:
            self._bound.run(self._remember(config, checkpoint))
        except Exception:
            self.stats.failed += 1
            log.warning("could not reach long-term memory from put(); the next checkpoint retries", exc_info=True)

    def _new_messages(self, config: RunnableConfig, checkpoint: Checkpoint) -> _NewMessages | None:
        thread_id = config.get("configurable", {}).get("thread_id")
        messages = checkpoint.get("channel_values", {}).get(self._messages_key)
        if thread_id is None or not isinstance(messages, list):
            return None
        with self._lock:
            seen = self._seen.get(str(thread_id), set())
        fresh = [message for message in messages if isinstance(message, BaseMessage)]
        fresh = [message for message in fresh if _message_id(message) not in seen]
        if not fresh:
            return None
        return _NewMessages(
            thread_id=str(thread_id),
            config=config,
            checkpoint=checkpoint,
            ids=tuple(_message_id(message) for message in fresh),
            kept=tuple(message for message in fresh if self._message_filter(message)),
        )

    async def _retain(self, new: _NewMessages) -> None:
        if self._summarise is not None:
            summary = await asyncio.to_thread(self._summarise, list(new.kept))
            items = [self._memory(new, summary, new.kept, "summary")] if summary and summary.strip() else []
        else:
            items = [self._memory(new, str(message.text), (message,), message.type) for message in new.kept]
        if not items:
            return
        try:
            self._count(await self._bound.retain_many(items))
        except _REFUSALS:
            if len(items) == 1:
                raise
            await self._retain_one_by_one(items)

    async def _retain_one_by_one(self, items: list[dict[str, Any]]) -> None:
        """A batch is refused whole when one item is; store the others and count the refused ones."""
        for item in items:
            try:
                self._count(await self._bound.retain_many([item]))
            except _REFUSALS as exc:
                self.stats.refused += 1
                log.warning("long-term memory refused message %s: %s", item["metadata"]["message_id"], exc)

    def _memory(self, new: _NewMessages, text: str, messages: Sequence[BaseMessage], role: str) -> dict[str, Any]:
        configurable = new.config.get("configurable", {})
        message_id = ",".join(_message_id(message) for message in messages)
        metadata: dict[str, Any] = {
            "thread_id": new.thread_id,
            "message_id": message_id,
            "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        }
        user_id = configurable.get(self._user_id_key)
        if user_id is not None:
            metadata["user_id"] = str(user_id)
        bank = self._bank_for(new.config)
        return chat_turn(
            text,
            speaker=None if role == "summary" else _speaker(messages[0], metadata.get("user_id")),
            thread=new.thread_id,
            role=role,
            occurred_at=new.checkpoint.get("ts"),
            brain=self._bound.brain,
            key=_memory_key(new.thread_id, message_id),
            metadata=metadata,
            tags=[f"thread:{new.thread_id}"],
            source=SOURCE,
            **({"bank_id": bank} if bank is not None else {}),
        )

    def _bank_for(self, config: RunnableConfig) -> str | None:
        if callable(self._bank_id):
            chosen = self._bank_id(config)
            return sanitise_bank_id(chosen) if chosen is not None else None
        if self._bank_id is None:
            return None
        values = {name: str(value) for name, value in config.get("configurable", {}).items()}
        try:
            return sanitise_bank_id(self._bank_id.format_map(values))
        except KeyError as exc:
            raise ValidationError(
                f"bank_id: the template {self._bank_id!r} needs configurable[{exc}] in the run's config"
            ) from None

    def _count(self, results: Sequence[RetainResult]) -> None:
        self.stats.retained += sum(1 for result in results if not result.queued)
        self.stats.queued += sum(1 for result in results if result.queued)

    def _mark_seen(self, thread_id: str, ids: Sequence[str]) -> None:
        with self._lock:
            self._seen.setdefault(thread_id, set()).update(ids)
            self._seen.move_to_end(thread_id)
            while len(self._seen) > _REMEMBERED_THREADS:
                self._seen.popitem(last=False)

    async def _forget_thread(self, thread_id: str) -> None:
        with self._lock:
            self._seen.pop(thread_id, None)
        brain, context = self._bound.brain, self._bound.context
        banks = await self._bound.readable_banks(scoped=self._bank_id is None)
        for bank in banks:
            if await brain.list(bank, 0, 1, {"thread_id": thread_id}, context=context):
                await brain.forget(bank, tags=[f"thread:{thread_id}"], context=context)


async def _async_or_thread(asynchronous: Callable[..., Any], synchronous: Callable[..., T], *args: Any) -> T:
    """The inner saver's async method, or its sync twin in a worker thread when it has none (SqliteSaver)."""
    try:
        return await asynchronous(*args)
    except NotImplementedError:
        return await asyncio.to_thread(synchronous, *args)


def _message_id(message: BaseMessage) -> str:
    if message.id:
        return str(message.id)
    return "sha256:" + hashlib.sha256(f"{message.type}\n{message.text}".encode()).hexdigest()[:32]


def _speaker(message: BaseMessage, user_id: str | None) -> str:
    if message.name:
        return message.name
    return user_id if user_id is not None and isinstance(message, HumanMessage) else message.type


def _memory_key(thread_id: str, message_id: str) -> str:
    key = f"langgraph:{thread_id}:{message_id}"
    if len(key) <= _MAX_KEY_CHARS:
        return key
    return "langgraph:sha256:" + hashlib.sha256(key.encode()).hexdigest()
