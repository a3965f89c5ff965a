"""Memory bound to one bank and one caller: what an agent, a framework adapter or a resolved agent card holds.

    notes = brain.scoped("user-ann", context=Context(principal="agent:assistant", on_behalf_of="user:ann"))
    await notes.retain("Ann prefers window seats.")
    hits = (await notes.recall("seat preference")).hits
    notes.sync.retain("Ann is vegetarian.")             # the blocking twin, safe from any thread

Writes go to `bank_id`; recall and reflect read `banks` (by default just `bank_id`). Every call carries
`context`, so the policy layer sees who is asking.

`AgentMemory` is the ScopedMemory an agent card resolves to (what `brain.for_agent(card)` returns): it carries
the card's context (bound principal, tenant, environment) and adds the binding's MIP hints to every write's
metadata (the caller's own metadata wins), so Memory Intent Protocol rules can route on them.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from astrocyte.cards.resolver import Resolution
from astrocyte.sync import SyncTwin, blocking
from astrocyte.types import (
    Context,
    ForgetResult,
    MemoryRecord,
    RecallResult,
    RecallStrategy,
    ReflectResult,
    RetainResult,
)

if TYPE_CHECKING:
    from astrocyte.api import Astrocyte


class ScopedMemory:
    def __init__(
        self,
        brain: Astrocyte,
        bank_id: str,
        *,
        context: Context | None = None,
        banks: Sequence[str] | None = None,
    ) -> None:
        self.brain = brain
        self.bank_id = bank_id
        self.context = context
        self.banks = tuple(banks) if banks else (bank_id,)
        self.sync = SyncScopedMemory(self, brain.sync)
        self._hints: Mapping[str, Any] = {}

    async def retain(
        self,
        content: str,
        *,
        key: str | None = None,
        value: Any = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        occurred_at: Any = None,
        source: str | None = None,
        content_type: str = "text",
    ) -> RetainResult:
        """Remember `content` in this handle's bank. With `key`, replace what that key held."""
        return await self.brain.retain(
            content,
            self.bank_id,
            key=key,
            value=value,
            metadata=self._hinted(metadata),
            tags=tags,
            occurred_at=occurred_at,
            source=source,
            content_type=content_type,
            context=self.context,
        )

    async def retain_many(self, items: Sequence[str | Mapping[str, Any]]) -> builtins.list[RetainResult]:
        """Retain several memories in this handle's bank in one batch; items as for `Astrocyte.retain_many`."""
        if self._hints:
            items = [
                {**item, "metadata": self._hinted(item.get("metadata"))}
                if isinstance(item, Mapping)
                else {"content": item, "metadata": self._hinted(None)}
                for item in items
            ]
        return await self.brain.retain_many(items, self.bank_id, context=self.context)

    async def recall(
        self,
        query: str,
        *,
        banks: Sequence[str] | None = None,
        strategy: RecallStrategy = "parallel",
        max_results: int = 10,
        max_tokens: int | None = None,
        tags: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
        time_range: tuple[Any, Any] | None = None,
        as_of: Any = None,
    ) -> RecallResult:
        """The memories most relevant to `query` in `banks` (default: this handle's banks), best first."""
        return await self.brain.recall(
            query,
            banks=self._reading(banks),
            strategy=strategy,
            max_results=max_results,
            max_tokens=max_tokens,
            tags=tags,
            filter=filter,
            time_range=time_range,
            as_of=as_of,
            context=self.context,
        )

    async def reflect(
        self,
        query: str,
        *,
        banks: Sequence[str] | None = None,
        max_tokens: int | None = None,
        tags: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> ReflectResult:
        """An answer to `query` from `banks` (default: this handle's banks), citing the memories it uses."""
        return await self.brain.reflect(
            query, banks=self._reading(banks), max_tokens=max_tokens, tags=tags, filter=filter, context=self.context
        )

    async def forget(
        self,
        *,
        memory_ids: Sequence[str] | None = None,
        keys: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        before: Any = None,
        all: bool = False,
    ) -> ForgetResult:
        """Delete the memories of this handle's bank matching every selector given, or all with `all=True`."""
        return await self.brain.forget(
            self.bank_id, memory_ids=memory_ids, keys=keys, tags=tags, before=before, all=all, context=self.context
        )

    async def get(self, memory_id: str | None = None, key: str | None = None) -> MemoryRecord | None:
        """One memory of this handle's bank by id or by key, or None."""
        return await self.brain.get(self.bank_id, memory_id, key, context=self.context)

    async def list(
        self, offset: int = 0, limit: int = 100, filter: Mapping[str, Any] | None = None
    ) -> builtins.list[MemoryRecord]:
        """Memories of this handle's bank, oldest retained first, optionally filtered on metadata."""
        return await self.brain.list(self.bank_id, offset, limit, filter, context=self.context)

    def _reading(self, banks: Sequence[str] | None) -> Sequence[str]:
        return builtins.list(self.banks) if banks is None else banks

    def _hinted(self, metadata: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        return {**self._hints, **(metadata or {})} if self._hints else metadata


class SyncScopedMemory(SyncTwin[ScopedMemory]):
    """`scoped.sync`: the same calls, blocking, run on the brain's own loop thread."""

    retain = blocking(ScopedMemory.retain)
    retain_many = blocking(ScopedMemory.retain_many)
    recall = blocking(ScopedMemory.recall)
    reflect = blocking(ScopedMemory.reflect)
    forget = blocking(ScopedMemory.forget)
    get = blocking(ScopedMemory.get)
    list = blocking(ScopedMemory.list)


class AgentMemory(ScopedMemory):
    def __init__(self, brain: Astrocyte, resolution: Resolution) -> None:
        super().__init__(brain, resolution.bank_id, context=resolution.context, banks=resolution.read_banks)
        self.resolution = resolution
        self._hints = resolution.mip
