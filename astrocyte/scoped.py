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
from astrocyte.types import Context, ForgetResult, MemoryRecord, RecallResult, ReflectResult, RetainResult

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
        self.sync = SyncScopedMemory(self)

    async def retain(self, content: str, **options: Any) -> RetainResult:
        return await self.brain.retain(content, self.bank_id, context=self.context, **options)

    async def retain_many(self, items: Sequence[str | Mapping[str, Any]]) -> builtins.list[RetainResult]:
        return await self.brain.retain_many(items, self.bank_id, context=self.context)

    async def recall(self, query: str, **options: Any) -> RecallResult:
        options.setdefault("banks", list(self.banks))
        return await self.brain.recall(query, context=self.context, **options)

    async def reflect(self, query: str, **options: Any) -> ReflectResult:
        options.setdefault("banks", list(self.banks))
        return await self.brain.reflect(query, context=self.context, **options)

    async def forget(self, **selectors: Any) -> ForgetResult:
        return await self.brain.forget(self.bank_id, context=self.context, **selectors)

    async def get(self, memory_id: str | None = None, key: str | None = None) -> MemoryRecord | None:
        return await self.brain.get(self.bank_id, memory_id, key, context=self.context)

    async def list(
        self, offset: int = 0, limit: int = 100, filter: Mapping[str, Any] | None = None
    ) -> builtins.list[MemoryRecord]:
        return await self.brain.list(self.bank_id, offset, limit, filter, context=self.context)


class SyncScopedMemory:
    """`scoped.sync`: the same calls, blocking, run on the brain's own loop thread."""

    def __init__(self, scoped: ScopedMemory) -> None:
        self._scoped = scoped

    def retain(self, content: str, **options: Any) -> RetainResult:
        return self._run(self._scoped.retain(content, **options))

    def retain_many(self, items: Sequence[str | Mapping[str, Any]]) -> builtins.list[RetainResult]:
        return self._run(self._scoped.retain_many(items))

    def recall(self, query: str, **options: Any) -> RecallResult:
        return self._run(self._scoped.recall(query, **options))

    def reflect(self, query: str, **options: Any) -> ReflectResult:
        return self._run(self._scoped.reflect(query, **options))

    def forget(self, **selectors: Any) -> ForgetResult:
        return self._run(self._scoped.forget(**selectors))

    def get(self, memory_id: str | None = None, key: str | None = None) -> MemoryRecord | None:
        return self._run(self._scoped.get(memory_id, key))

    def list(
        self, offset: int = 0, limit: int = 100, filter: Mapping[str, Any] | None = None
    ) -> builtins.list[MemoryRecord]:
        return self._run(self._scoped.list(offset, limit, filter))

    def _run(self, coroutine: Any) -> Any:
        return self._scoped.brain.sync.run(coroutine)


class AgentMemory(ScopedMemory):
    def __init__(self, brain: Astrocyte, resolution: Resolution) -> None:
        super().__init__(brain, resolution.bank_id, context=resolution.context, banks=resolution.read_banks)
        self.resolution = resolution

    async def retain(self, content: str, **options: Any) -> RetainResult:
        options["metadata"] = self._with_hints(options.get("metadata"))
        return await super().retain(content, **options)

    async def retain_many(self, items: Sequence[str | Mapping[str, Any]]) -> builtins.list[RetainResult]:
        hinted = [
            {**item, "metadata": self._with_hints(item.get("metadata"))}
            if isinstance(item, Mapping)
            else {"content": item, "metadata": self._with_hints(None)}
            for item in items
        ]
        return await super().retain_many(hinted)

    def _with_hints(self, metadata: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        if not self.resolution.mip:
            return metadata
        return {**self.resolution.mip, **(metadata or {})}
