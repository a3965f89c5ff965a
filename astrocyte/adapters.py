"""The door framework adapters use: everything an integration needs from the core beyond `astrocyte` itself.

    from astrocyte.adapters import bind, bind_memory, chat_turn, hit_metadata, iter_records, model_from_env

    memory = bind_memory(brain, bank_id="acme")                       # a ScopedMemory on one bank
    memory = bind_memory(brain, card="agent_cards/crewai-researcher.json", environment="dev")  # via the card
    memory = bind_memory(brain.scoped("acme", context=ctx))           # already bound: used as it is
    binding = bind(brain, context=ctx)                                # no bank: each call names its own
    await memory.retain_many([chat_turn("I moved to Lyon.", speaker="ann", thread="t1", role="user")])
    metadata = hit_metadata(hit)                                      # what a framework shows of a recalled memory
    records = [record async for record in iter_records(brain, "acme", {"kind": "note"})]
    model = model_from_env()                                          # a LiteLLM model name, or None: offline

Integrations import only `astrocyte`, `astrocyte.adapters` and `astrocyte.testing`; `.importlinter` holds
them to it. What is here is kept stable for them; the rest of the core may move.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

from astrocyte._core.reflect import NOTHING_FOUND
from astrocyte.api import Astrocyte, _context
from astrocyte.cards import CardSource
from astrocyte.config import ContextConfig as _ContextConfig
from astrocyte.errors import ValidationError
from astrocyte.models.litellm_models import call_litellm, import_litellm, provider_errors
from astrocyte.scoped import ScopedMemory
from astrocyte.types import Context, MemoryRecord, RecallHit, RetainResult

__all__ = [
    "BOOKKEEPING_PREFIXES",
    "HIT_FIELDS",
    "LITELLM_PLAIN_TOOLS",
    "MODEL_ENV",
    "NOTHING_FOUND",
    "Binding",
    "CardSource",
    "bind",
    "bind_memory",
    "call_litellm",
    "chat_turn",
    "hit_metadata",
    "import_litellm",
    "is_bookkeeping",
    "iter_records",
    "model_from_env",
    "provider_errors",
]

T = TypeVar("T")

MODEL_ENV = "ASTROCYTE_LLM_MODEL"
"""The environment variable naming the LiteLLM model (`openai/gpt-4o-mini`, ...) adapters use; unset: offline."""

LITELLM_PLAIN_TOOLS: Mapping[str, Any] = MappingProxyType({"_skip_mcp_handler": True})
"""Keywords for a litellm request that offers tools. litellm checks tools for its MCP gateway by importing its
proxy, which fails unless mcp>=2 is installed; a framework's tools are plain functions, so the check is skipped."""

BOOKKEEPING_PREFIXES = ("langgraph_", "crewai_", "llamaindex_", "autogen_")
"""Metadata keys an adapter stores for itself (LangGraph store digests, stamps and TTL, CrewAI scopes...) start
with its prefix here: they stay in the store for that adapter, MIP rules and provenance, never in front of a model
(see `hit_metadata`)."""

HIT_FIELDS = ("memory_id", "bank_id", "key", "score", "tags", "source", "occurred_at")
"""The fields `hit_metadata` adds to a memory's own metadata (see there for what each is)."""

_PAGE = 1000
_DEFAULT_KEYS = _ContextConfig()


@dataclass(frozen=True)
class Binding:
    """What an adapter holds: the brain, the caller, and the ScopedMemory when a bank was named.

    `scoped` is None for an Astrocyte given with no bank (a LangGraph store that maps namespaces to banks, a
    checkpointer whose writes MIP routes); such an adapter names the bank of each call itself."""

    brain: Astrocyte
    context: Context | None
    scoped: ScopedMemory | None

    @property
    def memory(self) -> ScopedMemory:
        """The ScopedMemory; a ValidationError when no bank was named."""
        if self.scoped is None:
            raise ValidationError("bank_id: required with an Astrocyte; name the bank, pass `banks`, or pass a `card`")
        return self.scoped

    @property
    def routed(self) -> bool:
        """Whether the Memory Intent Protocol may move a write to another bank than the one asked for."""
        return self.brain.mip is not None

    async def retain_many(self, items: Sequence[Mapping[str, Any]]) -> list[RetainResult]:
        """Through the ScopedMemory when there is one, so what it adds (an agent card's MIP hints) reaches the
        policy layer; else through the brain as the caller."""
        if self.scoped is not None:
            return await self.scoped.retain_many(items)
        return await self.brain.retain_many(items, context=self.context)

    async def readable_banks(self, *, scoped: bool = True) -> list[str]:
        """Where reads look: the ScopedMemory's banks (unless `scoped` is False, e.g. when a custom mapping may
        write elsewhere), else every bank holding memories that the caller may read."""
        if scoped and self.scoped is not None:
            return list(self.scoped.banks)
        return [bank.bank_id for bank in await self.brain.banks(context=self.context)]

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the brain's own loop thread: the sync edge, safe inside a running event loop."""
        return self.brain.sync.run(coroutine)


def bind(
    memory: Astrocyte | ScopedMemory,
    bank_id: str | None = None,
    banks: Sequence[str] | None = None,
    context: Context | Mapping[str, Any] | None = None,
    *,
    card: CardSource | None = None,
    environment: str | None = None,
    tenant: str | None = None,
    default_bank: str | None = None,
) -> Binding:
    """What a framework adapter is handed, made into one Binding.

    A ScopedMemory (or an agent card's resolved handle) is used as it is. An Astrocyte plus an A2A `card` is
    resolved through `brain.for_agent(card, environment=, tenant=)`; an Astrocyte plus `bank_id` (default: the
    first of `banks`, else `default_bank`) is bound with `brain.scoped(...)`; an Astrocyte with none of them is
    the brain and `context` alone."""
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
        return Binding(memory.brain, memory.context, memory)
    if not isinstance(memory, Astrocyte):
        raise ValidationError(f"memory: must be an Astrocyte or a ScopedMemory, got {type(memory).__name__}")
    if card is not None:
        if bank_id is not None or banks is not None or context is not None:
            raise ValidationError("card: the card's binding names the bank and the caller; drop bank_id/banks/context")
        return bind(memory.sync.for_agent(card, environment=environment, tenant=tenant))
    bank = bank_id or (banks[0] if banks else None) or default_bank
    if bank is None:
        return Binding(memory, _context(context), None)
    return bind(memory.scoped(bank, context=context, banks=banks))


def bind_memory(
    memory: Astrocyte | ScopedMemory,
    bank_id: str | None = None,
    banks: Sequence[str] | None = None,
    context: Context | Mapping[str, Any] | None = None,
    **options: Any,
) -> ScopedMemory:
    """`bind(...)` (the same arguments: `card`, `environment`, `tenant`, `default_bank`) for an adapter that needs
    a bank: the ScopedMemory, or a ValidationError naming `bank_id`."""
    return bind(memory, bank_id, banks, context, **options).memory


def hit_metadata(
    found: RecallHit | MemoryRecord, *, fields: Collection[str] = HIT_FIELDS, bookkeeping: bool = True
) -> dict[str, Any]:
    """What a framework shows as a memory's metadata: its own metadata, then the `fields` (default: all of them):

    - `memory_id`: the memory's id (what `forget(memory_ids=...)` and `brain.get` take);
    - `bank_id`: the bank it is in;
    - `key`: its upsert key, or None;
    - `score`: its recall score in [0, 1] (a hit only; a record has none);
    - `tags`: its tags, as a list;
    - `source`: who or what wrote it (a principal, `langgraph:checkpoint`...), or None;
    - `occurred_at`: when it happened, ISO 8601 with its offset.

    These win over own metadata of the same name. A framework whose own type has a place for one of these (a
    LangChain Document's `id`, a CrewAI record's `source`) fills that place too, or leaves the field out here.

    Adapter bookkeeping (keys `is_bookkeeping` tells apart) says which adapter wrote a memory and where (a CrewAI
    scope, a LangGraph namespace), so it is kept, but never for a model to read: pass `bookkeeping=False` for
    metadata a framework puts in front of its model (CrewAI's record metadata), or hide those keys from the model
    the framework's own way (LlamaIndex's `excluded_llm_metadata_keys`)."""
    record = found.record if isinstance(found, RecallHit) else found
    about: dict[str, Any] = {
        "memory_id": record.id,
        "bank_id": record.bank_id,
        "key": record.key,
        "tags": list(record.tags),
        "source": record.source,
        "occurred_at": record.occurred_at.isoformat(),
    }
    if isinstance(found, RecallHit):
        about["score"] = found.score
    own = {name: value for name, value in record.metadata.items() if bookkeeping or not is_bookkeeping(name)}
    return own | {name: about[name] for name in HIT_FIELDS if name in fields and name in about}


def is_bookkeeping(name: str) -> bool:
    """Whether a metadata key is an adapter's own bookkeeping (it starts with one of `BOOKKEEPING_PREFIXES`)."""
    return name.startswith(BOOKKEEPING_PREFIXES)


async def iter_records(
    brain: Astrocyte,
    bank_id: str,
    filter: Mapping[str, Any] | None = None,
    *,
    context: Context | None = None,
    limit: int | None = None,
    page: int = _PAGE,
) -> AsyncIterator[MemoryRecord]:
    """Every memory of `bank_id` matching the metadata `filter` (or the first `limit`), oldest retained first,
    fetched `page` at a time through `brain.list` as the caller `context`."""
    size = min(page, limit) if limit else page
    seen = 0
    while True:
        batch = await brain.list(bank_id, seen, size, filter, context=context)
        for record in batch if limit is None else batch[: limit - seen]:
            yield record
        seen += len(batch)
        if len(batch) < size or (limit is not None and seen >= limit):
            return


def chat_turn(
    text: str,
    *,
    speaker: str | None,
    thread: str | None = None,
    role: str | None = None,
    occurred_at: datetime | str | None = None,
    brain: Astrocyte | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A `retain_many` item for one turn of a conversation, in the metadata the core's conversation context reads.

    `speaker` (who said it; None for a summary of many) goes under the first of the `pipeline.context.speaker_keys`
    of `brain`'s config, so the name is indexed with the turn's words; `thread` (the conversation) under the first
    of its `thread_keys`, so the turns before it in the thread are indexed as its context; `role` (user,
    assistant, ...) under `role`. Without `brain`, or where it names no keys, the core's defaults: `speaker` and
    `session`. `fields` are any other item fields (`key`, `tags`, `source`, `bank_id`...); their `metadata` is
    kept beside these."""
    metadata = dict(fields.pop("metadata", None) or {})
    keys = brain.config.pipeline.context if brain is not None else _DEFAULT_KEYS
    said = (
        ("role", role),
        ((keys.speaker_keys or _DEFAULT_KEYS.speaker_keys)[0], speaker),
        ((keys.thread_keys or _DEFAULT_KEYS.thread_keys)[0], thread),
    )
    metadata |= {name: value for name, value in said if value is not None}
    item = {"content": text, **fields, "metadata": metadata}
    if occurred_at is not None:
        item["occurred_at"] = occurred_at
    return item


def model_from_env() -> str | None:
    """The LiteLLM model name `ASTROCYTE_LLM_MODEL` gives, or None (unset or empty): use the offline stand-in."""
    return os.environ.get(MODEL_ENV) or None
