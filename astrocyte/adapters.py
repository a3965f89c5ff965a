"""The door framework adapters use: everything an integration needs from the core beyond `astrocyte` itself.

    from astrocyte.adapters import bind_memory

    memory = bind_memory(brain, bank_id="acme")                       # a ScopedMemory on one bank
    memory = bind_memory(brain, card="agent_cards/crewai-researcher.json", environment="dev")  # via the card
    memory = bind_memory(brain.scoped("acme", context=ctx))           # already bound: used as it is

Integrations import only `astrocyte`, `astrocyte.adapters` and `astrocyte.testing`; `.importlinter` holds
them to it. What is here is kept stable for them; the rest of the core may move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from astrocyte._core.reflect import NOTHING_FOUND
from astrocyte.api import Astrocyte
from astrocyte.cards import CardSource
from astrocyte.errors import ValidationError
from astrocyte.models.base import Message
from astrocyte.models.litellm_models import call_litellm, import_litellm, provider_errors
from astrocyte.scoped import ScopedMemory
from astrocyte.types import Context

__all__ = [
    "NOTHING_FOUND",
    "CardSource",
    "Message",
    "bind_memory",
    "call_litellm",
    "import_litellm",
    "provider_errors",
]


def bind_memory(
    memory: Astrocyte | ScopedMemory,
    bank_id: str | None = None,
    banks: Sequence[str] | None = None,
    context: Context | Mapping[str, Any] | None = None,
    *,
    card: CardSource | None = None,
    environment: str | None = None,
    tenant: str | None = None,
) -> ScopedMemory:
    """What a framework adapter is handed, made into one ScopedMemory.

    A ScopedMemory (or an agent card's resolved handle) is used as it is. An Astrocyte plus an A2A `card` is
    resolved through `brain.for_agent(card, environment=, tenant=)`; an Astrocyte plus `bank_id` (default: the
    first of `banks`) is bound with `brain.scoped(...)`."""
    if isinstance(memory, ScopedMemory):
        given = [
            name
            for name, value in (("bank_id", bank_id), ("banks", banks), ("context", context), ("card", card))
            if value is not None
        ]
        if given:
            raise ValidationError(
                f"{', '.join(given)}: a ScopedMemory already carries its banks and caller; "
                "pass them to brain.scoped(...) or brain.for_agent(...) instead"
            )
        return memory
    if not isinstance(memory, Astrocyte):
        raise ValidationError(f"memory: must be an Astrocyte or a ScopedMemory, got {type(memory).__name__}")
    if card is not None:
        if bank_id is not None or banks is not None or context is not None:
            raise ValidationError("card: the card's binding names the bank and the caller; drop bank_id/banks/context")
        return memory.sync.for_agent(card, environment=environment, tenant=tenant)
    bank = bank_id or (banks[0] if banks else None)
    if bank is None:
        raise ValidationError("bank_id: required with an Astrocyte; name the bank, pass `banks`, or pass a `card`")
    return memory.scoped(bank, context=context, banks=banks)
