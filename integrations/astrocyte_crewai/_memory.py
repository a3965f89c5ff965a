"""`AstrocyteMemory`: CrewAI's unified `Memory`, kept in Astrocyte and governed by its policy layer.

    from astrocyte import Astrocyte
    from astrocyte_crewai import AstrocyteMemory

    brain = Astrocyte()                                    # or Astrocyte.from_config("astrocyte.yaml")
    memory = AstrocyteMemory(brain)                        # or AstrocyteMemory(brain.scoped("team", context=...))
    researcher = Agent(role="Researcher", goal="...", backstory="...", memory=memory.for_agent("Researcher"))
    crew = Crew(agents=[researcher], tasks=[...], memory=memory)
    crew.kickoff()                                         # kickoff_async() and await akickoff() work the same

How CrewAI maps onto Astrocyte:

- Scopes are banks (see `_scopes`): the root scope `/` is the root bank (`crewai`, or the ScopedMemory's bank),
  `/a/b` is `crewai/a/b` by default; `scope_to_bank` takes another template or a callable. Reading a scope
  covers the banks below it, as CrewAI reads sub-scopes. MIP rules still route and tag every write.
- Agent roles are principals: `agent:<role slug>` by default (`role_to_principal` changes it; returning None
  keeps the caller). CrewAI names the agent when it saves a task result; such memories, with no scope given,
  go to the role's own scope `/agent/<role slug>` (CrewAI's convention), so each agent has a bank of its own.
  CrewAI does not name the agent when it recalls, so give each agent `memory.for_agent(role)` for its reads
  and memory tools to run as that agent too. A memory bound to a principal, such as the ScopedMemory of an
  agent card (`brain.sync.for_agent(card)`), keeps that principal and bank whatever role CrewAI names: a
  role is a claim, the card's binding is not.
- Categories are tags; importance, CrewAI's `source` and `private` are metadata (see `_records`).
- `recall` is Astrocyte's hybrid recall (semantic, BM25 and entity search, fused and reranked); `depth` has
  no effect and no LLM is called. Scores are Astrocyte's, in [0, 1].
- `remember` and `remember_many` retain at once (no background thread) and take the given scope, categories
  and importance as they are; nothing is inferred by an LLM. Astrocyte chunks and de-duplicates.
- `extract_memories` asks `llm` with CrewAI's own extraction prompt. With the default `OfflineLLM`, which
  cannot extract, the content (CrewAI's task, agent and result) is kept whole as one memory.
- `forget`, `reset`, `update`, `list_records`, `info`, `tree` and friends are CrewAI's own methods over
  `AstrocyteStorage`, so they go through Astrocyte's forget / list / get and its policy.

Memory calls block on Astrocyte's own event-loop thread, so they are safe from kickoff's thread, from
kickoff_async's worker thread and from inside akickoff's running loop. They emit CrewAI's memory save and
query events, so its console and tracing show them.

CrewAI copies agents through `model_dump` (kickoff_for_each, train, test): an agent's AstrocyteMemory comes
back as CrewAI's stock `Memory` over the same AstrocyteStorage, so it stays stored and governed by Astrocyte,
as the same caller, but runs CrewAI's own pipeline. A crew's memory is handed over as it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from crewai.events.event_bus import crewai_event_bus
from crewai.events.types.memory_events import (
    MemoryQueryCompletedEvent,
    MemoryQueryFailedEvent,
    MemoryQueryStartedEvent,
    MemorySaveCompletedEvent,
    MemorySaveFailedEvent,
    MemorySaveStartedEvent,
)
from crewai.llms.base_llm import BaseLLM
from crewai.memory.analyze import extract_memories_from_content
from crewai.memory.types import MemoryMatch, MemoryRecord
from crewai.memory.unified_memory import Memory
from crewai.memory.utils import join_scope_paths
from pydantic import Field, PlainValidator, model_validator

from astrocyte import Astrocyte, Context, ScopedMemory
from astrocyte.adapters import bind_memory
from astrocyte_crewai._offline_llm import OfflineLLM
from astrocyte_crewai._records import to_crewai
from astrocyte_crewai._scopes import (
    DEFAULT_BANK,
    DEFAULT_TEMPLATE,
    RoleToPrincipal,
    ScopeToBank,
    agent_scope,
    role_principal,
)
from astrocyte_crewai._storage import AstrocyteStorage

_EVENT_SOURCE = "astrocyte_memory"


def _any(value: Any) -> Any:
    return value


class AstrocyteMemory(Memory):
    """A `crewai.memory.Memory` that `Crew(memory=...)` and `Agent(memory=...)` accept; Astrocyte holds it."""

    astrocyte: Astrocyte | ScopedMemory = Field(
        exclude=True, description="Where memories live: a brain (root bank 'crewai') or a ScopedMemory."
    )
    scope_to_bank: ScopeToBank = Field(
        default=DEFAULT_TEMPLATE, exclude=True, description="Bank of each non-root scope: template or callable."
    )
    role_to_principal: RoleToPrincipal = Field(
        default=role_principal, exclude=True, description="Principal of an agent role; None keeps the caller's."
    )
    agent_role: str | None = Field(
        default=None, description="The agent this memory acts as (see for_agent); None for a crew-wide memory."
    )
    llm: Annotated[BaseLLM | str, PlainValidator(_any)] = Field(
        default_factory=OfflineLLM, description="The model extract_memories asks (an LLM or a model name)."
    )

    def __init__(self, memory: Astrocyte | ScopedMemory, /, **options: Any) -> None:
        super().__init__(astrocyte=memory, **options)

    @model_validator(mode="before")
    @classmethod
    def _storage_is_astrocyte(cls, data: Any) -> Any:
        if isinstance(data, dict) and (given := sorted({"storage", "embedder"} & data.keys())):
            raise ValueError(
                f"{', '.join(given)}: AstrocyteMemory stores and embeds through Astrocyte; to keep CrewAI's "
                "own pipeline over Astrocyte, use Memory(storage=AstrocyteStorage(...)) instead"
            )
        return data

    def model_post_init(self, context: Any) -> None:
        self.storage = self._storage_as(self.agent_role)
        self.embedder = self.storage.embedder
        super().model_post_init(context)

    def for_agent(self, role: str) -> AstrocyteMemory:
        """This memory acting as the agent with `role`: same banks and options; the role is the principal, unless
        the memory is bound to one (see the module notes)."""
        options = {name: getattr(self, name) for name in self.model_fields_set - {"storage", "embedder", "agent_role"}}
        return type(self)(options.pop("astrocyte"), agent_role=role, **options)

    def remember(
        self,
        content: str,
        scope: str | None = None,
        categories: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        importance: float | None = None,
        source: str | None = None,
        private: bool = False,
        agent_role: str | None = None,
        root_scope: str | None = None,
    ) -> MemoryRecord | None:
        records = self.remember_many(
            [content], scope, categories, metadata, importance, source, private, agent_role, root_scope
        )
        return records[0] if records else None

    def remember_many(
        self,
        contents: list[str],
        scope: str | None = None,
        categories: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        importance: float | None = None,
        source: str | None = None,
        private: bool = False,
        agent_role: str | None = None,
        root_scope: str | None = None,
    ) -> list[MemoryRecord]:
        if not contents or self.read_only:
            return []
        role = agent_role or self.agent_role
        if scope is None and root_scope is None and role and self._principal_of(role):
            scope = agent_scope(role)
        storage = self._storage if role == self.agent_role else self._storage_as(role)
        with _reporting_save(self, contents, metadata, role):
            return storage.retain(
                contents,
                scope=join_scope_paths(root_scope if root_scope is not None else self.root_scope, scope),
                importance=self.default_importance if importance is None else importance,
                categories=categories,
                metadata=metadata,
                source=source,
                private=private,
                speaker=role,
            )

    def recall(
        self,
        query: str,
        scope: str | None = None,
        categories: list[str] | None = None,
        limit: int = 10,
        depth: Literal["shallow", "deep"] = "deep",
        source: str | None = None,
        include_private: bool = False,
    ) -> list[MemoryMatch]:
        with _reporting_query(self, query, limit) as matches:
            hits = self._storage.recall(
                query,
                join_scope_paths(self.root_scope, scope),
                categories,
                limit=limit,
                source=source,
                include_private=include_private,
            )
            matches += [
                MemoryMatch(
                    record=to_crewai(hit.record, self.default_importance),
                    score=hit.score,
                    match_reasons=sorted(hit.strategies),
                )
                for hit in hits
            ]
        return matches

    def extract_memories(self, content: str) -> list[str]:
        if isinstance(self.llm, OfflineLLM):
            return [content.strip()] if content.strip() else []
        return extract_memories_from_content(content, self._llm)

    def _storage_as(self, role: str | None) -> AstrocyteStorage:
        return AstrocyteStorage(self._caller(role), scope_to_bank=self.scope_to_bank)

    def _caller(self, role: str | None) -> ScopedMemory:
        base = bind_memory(self.astrocyte, default_bank=DEFAULT_BANK)
        principal = self._principal_of(role)
        if principal is None:
            return base
        context = (base.context or Context()).model_copy(update={"principal": principal})
        return ScopedMemory(base.brain, base.bank_id, context=context, banks=base.banks)

    def _principal_of(self, role: str | None) -> str | None:
        """The principal `role` acts as; None when there is no role or the memory is bound to a principal."""
        bound = isinstance(self.astrocyte, ScopedMemory) and self.astrocyte.context and self.astrocyte.context.principal
        return self.role_to_principal(role) if role and not bound else None


@contextmanager
def _reporting_save(
    memory: Memory, contents: list[str], metadata: dict[str, Any] | None, agent_role: str | None
) -> Iterator[None]:
    """CrewAI's memory-save events around a write, so its console and tracing show it."""
    value = contents[0] if len(contents) == 1 else f"{len(contents)} memories"
    fields = {"value": value, "metadata": metadata, "agent_role": agent_role, "source_type": _EVENT_SOURCE}
    crewai_event_bus.emit(memory, MemorySaveStartedEvent(**fields))
    start = time.perf_counter()
    try:
        yield
    except Exception as exc:
        crewai_event_bus.emit(memory, MemorySaveFailedEvent(**fields, error=str(exc)))
        raise
    crewai_event_bus.emit(memory, MemorySaveCompletedEvent(**fields, save_time_ms=_ms_since(start)))


@contextmanager
def _reporting_query(memory: Memory, query: str, limit: int) -> Iterator[list[MemoryMatch]]:
    """CrewAI's memory-query events around a recall; the body fills the list of matches it yields."""
    fields = {"query": query, "limit": limit, "source_type": _EVENT_SOURCE}
    crewai_event_bus.emit(memory, MemoryQueryStartedEvent(**fields))
    start = time.perf_counter()
    matches: list[MemoryMatch] = []
    try:
        yield matches
    except Exception as exc:
        crewai_event_bus.emit(memory, MemoryQueryFailedEvent(**fields, error=str(exc)))
        raise
    crewai_event_bus.emit(memory, MemoryQueryCompletedEvent(**fields, results=matches, query_time_ms=_ms_since(start)))


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000
