"""What the LangGraph adapters hold: the core brain, the caller's context, and the banks a ScopedMemory allows.

    bound = Bound(brain.scoped("user-ann", context=Context(principal="user:ann")), None)
    bound = Bound(brain, None, card="agent_cards/langgraph-assistant.json")      # resolved by brain.for_agent
    await bound.retain_many([{"content": "Ann likes tea.", "bank_id": "user-ann"}])
    bound.run(bound.brain.recall("tea", bank_id="user-ann", context=bound.context))   # the blocking edge

An A2A agent `card` is resolved once, through `brain.for_agent(card, environment=, tenant=)`, into the
ScopedMemory its binding gives (principal, default bank, readable banks, grants). Writes through a ScopedMemory
go through its own `retain_many`, so what it adds (an agent card's MIP hints) reaches the policy layer; reads
and forgets call the brain with the scoped context.
"""

from __future__ import annotations

import builtins
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from astrocyte import Astrocyte, Context, RetainResult, ScopedMemory, ValidationError
from astrocyte.adapters import CardSource

T = TypeVar("T")


class Bound:
    def __init__(
        self,
        memory: Astrocyte | ScopedMemory,
        context: Context | None,
        *,
        card: CardSource | None = None,
        environment: str | None = None,
        tenant: str | None = None,
    ) -> None:
        if card is not None:
            if not isinstance(memory, Astrocyte) or context is not None:
                raise ValidationError("card: pass it with an Astrocyte and no context; the card's binding names both")
            memory = memory.sync.for_agent(card, environment=environment, tenant=tenant)
        if isinstance(memory, ScopedMemory):
            if context is not None:
                raise ValidationError(
                    "context: a ScopedMemory already carries its caller; pass context to brain.scoped(...) instead"
                )
            self.scoped: ScopedMemory | None = memory
            self.brain: Astrocyte = memory.brain
            self.context = memory.context
        elif isinstance(memory, Astrocyte):
            self.scoped = None
            self.brain = memory
            self.context = context
        else:
            raise ValidationError(f"memory: must be an Astrocyte or a ScopedMemory, got {type(memory).__name__}")

    @property
    def routed(self) -> bool:
        """Whether the Memory Intent Protocol may move a write to another bank than the one asked for."""
        return self.brain.mip is not None

    async def retain_many(self, items: Sequence[Mapping[str, Any]]) -> builtins.list[RetainResult]:
        if self.scoped is not None:
            return await self.scoped.retain_many(items)
        return await self.brain.retain_many(items, context=self.context)

    async def readable_banks(self, *, scoped: bool = True) -> builtins.list[str]:
        """Where reads look: a ScopedMemory's banks (unless `scoped` is False, e.g. when a custom mapping may
        write elsewhere), else every bank holding memories that the caller may read."""
        if scoped and self.scoped is not None:
            return list(self.scoped.banks)
        return [bank.bank_id for bank in await self.brain.banks(context=self.context)]

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the brain's own loop thread: the sync edge, safe inside a running event loop."""
        return self.brain.sync.run(coroutine)
