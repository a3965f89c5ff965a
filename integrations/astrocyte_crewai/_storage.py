"""CrewAI's `StorageBackend` over Astrocyte, for crews that keep CrewAI's own memory pipeline.

    from crewai.memory import Memory
    from astrocyte_crewai import AstrocyteStorage

    storage = AstrocyteStorage(brain)                     # or a ScopedMemory: its bank, its caller
    memory = Memory(storage=storage, embedder=storage.embedder, llm=my_llm)
    crew = Crew(agents=[...], tasks=[...], memory=memory)

CrewAI still analyses, consolidates and plans recall with its LLM; every record it saves, searches, updates or
deletes goes through Astrocyte's retain / recall / forget as the ScopedMemory's caller (an agent card's
principal, say), so access control, PII, quotas, MIP routing, audit and TTL apply. Records are stored whole
(no chunking) under CrewAI's ids as keys, in the bank of their scope (see `_scopes`); reading a scope covers
the banks below it.

CrewAI hands `search` a query vector, not the query: `storage.embedder` is the embedding callable CrewAI must
use, so the storage can tell which text a vector came from and run Astrocyte's hybrid recall on that text.
It wraps the embedder you pass (any CrewAI embedding callable) or, by default, Astrocyte's offline embedder;
those vectors only serve CrewAI's own in-batch de-duplication. Astrocyte embeds what it stores itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from crewai.memory.types import MemoryRecord as CrewRecord
from crewai.memory.types import ScopeInfo
from crewai.memory.utils import normalize_scope_path

from astrocyte import Astrocyte, MemoryRecord, RecallHit, RetainResult, ScopedMemory
from astrocyte.adapters import bind_memory, iter_records
from astrocyte.testing import OfflineEmbedder
from astrocyte_crewai._records import in_categories, retain_item, to_crewai, visible
from astrocyte_crewai._scopes import DEFAULT_BANK, DEFAULT_TEMPLATE, ScopeBanks, ScopeToBank

Embed = Callable[[list[str]], Any]
_OVERSAMPLE = 2


class TextKeepingEmbedder:
    """A CrewAI embedding callable that remembers which text each of its recent vectors came from."""

    def __init__(self, embed: Embed, capacity: int = 4096) -> None:
        self._embed = embed
        self._capacity = capacity
        self._texts: OrderedDict[tuple[float, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> list[list[float]]:
        vectors = [[float(x) for x in (row.tolist() if hasattr(row, "tolist") else row)] for row in self._embed(texts)]
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._texts[tuple(vector)] = text
                self._texts.move_to_end(tuple(vector))
            while len(self._texts) > self._capacity:
                self._texts.popitem(last=False)
        return vectors

    def text_of(self, vector: Sequence[float]) -> str:
        with self._lock:
            text = self._texts.get(tuple(float(x) for x in vector))
        if text is None:
            raise LookupError(
                "AstrocyteStorage.search got a vector its embedder did not make, so it cannot tell the query; "
                "build the memory with Memory(storage=storage, embedder=storage.embedder)"
            )
        return text


class AstrocyteStorage:
    """A `crewai.memory.storage.backend.StorageBackend` whose records live in Astrocyte banks."""

    def __init__(
        self,
        memory: Astrocyte | ScopedMemory,
        *,
        scope_to_bank: ScopeToBank = DEFAULT_TEMPLATE,
        embedder: Embed | None = None,
    ) -> None:
        self.scoped = bind_memory(memory, default_bank=DEFAULT_BANK)
        self.banks = ScopeBanks(self.scoped.bank_id, scope_to_bank, self.scoped.banks)
        offline = OfflineEmbedder()
        self.embedder = TextKeepingEmbedder(embedder or (lambda texts: self._sync.run(offline.embed(texts))))

    def save(self, records: list[CrewRecord]) -> None:
        items = [
            retain_item(
                record.content,
                scope=record.scope,
                importance=record.importance,
                categories=record.categories,
                metadata=record.metadata,
                source=record.source,
                private=record.private,
                key=record.id,
                created_at=record.created_at,
            )
            | {"bank_id": self.banks.bank(record.scope)}
            for record in records
        ]
        if items:
            self.scoped.sync.retain_many(items)

    def search(
        self,
        query_embedding: list[float],
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        metadata_filter: dict[str, Any] | None = None,
        limit: int = 10,
        min_score: float = 0.0,
    ) -> list[tuple[CrewRecord, float]]:
        hits = self.recall(self.embedder.text_of(query_embedding), scope_prefix, categories, metadata_filter, limit)
        return [(to_crewai(hit.record), hit.score) for hit in hits if hit.score >= min_score]

    def delete(
        self,
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        record_ids: list[str] | None = None,
        older_than: datetime | None = None,
        metadata_filter: dict[str, Any] | None = None,
    ) -> int:
        deleted: set[str] = set()
        for bank in self.banks.covering(scope_prefix, self._readable(), reads=False):
            deleted |= self._forget(bank, categories, record_ids, older_than, metadata_filter)
        return len(deleted)

    def update(self, record: CrewRecord) -> None:
        previous = self._find(record.id)
        self.save([record])
        if previous is not None and (previous.key, previous.bank_id) != (record.id, self.banks.bank(record.scope)):
            self._sync.forget(previous.bank_id, memory_ids=[previous.id], context=self.scoped.context)

    def get_record(self, record_id: str) -> CrewRecord | None:
        found = self._find(record_id)
        return to_crewai(found) if found is not None else None

    def list_records(self, scope_prefix: str | None = None, limit: int = 200, offset: int = 0) -> list[CrewRecord]:
        records = sorted(self._records(scope_prefix), key=lambda record: record.occurred_at, reverse=True)
        return [to_crewai(record) for record in records[offset : offset + limit]]

    def get_scope_info(self, scope: str) -> ScopeInfo:
        path = normalize_scope_path(scope)
        records = [to_crewai(record) for record in self._records(path)]
        times = [record.created_at for record in records]
        return ScopeInfo(
            path=path,
            record_count=len(records),
            categories=sorted({category for record in records for category in record.categories}),
            oldest_record=min(times, default=None),
            newest_record=max(times, default=None),
            child_scopes=_children(path, [record.scope for record in records]),
        )

    def list_scopes(self, parent: str = "/") -> list[str]:
        path = normalize_scope_path(parent)
        return _children(path, [to_crewai(record).scope for record in self._records(path)])

    def list_categories(self, scope_prefix: str | None = None) -> dict[str, int]:
        return dict(Counter(tag for record in self._records(scope_prefix) for tag in record.tags))

    def count(self, scope_prefix: str | None = None) -> int:
        found = {bank.bank_id: bank.memories for bank in self._sync.banks(context=self.scoped.context)}
        return sum(found.get(bank, 0) for bank in self.banks.covering(scope_prefix, found))

    def reset(self, scope_prefix: str | None = None) -> None:
        for bank in self.banks.covering(scope_prefix, self._readable(), reads=False):
            self._sync.forget(bank, all=True, context=self.scoped.context)

    async def asave(self, records: list[CrewRecord]) -> None:
        await asyncio.to_thread(self.save, records)

    async def asearch(
        self,
        query_embedding: list[float],
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        metadata_filter: dict[str, Any] | None = None,
        limit: int = 10,
        min_score: float = 0.0,
    ) -> list[tuple[CrewRecord, float]]:
        return await asyncio.to_thread(
            self.search, query_embedding, scope_prefix, categories, metadata_filter, limit, min_score
        )

    async def adelete(
        self,
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        record_ids: list[str] | None = None,
        older_than: datetime | None = None,
        metadata_filter: dict[str, Any] | None = None,
    ) -> int:
        return await asyncio.to_thread(self.delete, scope_prefix, categories, record_ids, older_than, metadata_filter)

    def recall(
        self,
        query: str,
        scope: str | None = None,
        categories: Sequence[str] | None = None,
        metadata_filter: dict[str, Any] | None = None,
        limit: int = 10,
        *,
        source: str | None = None,
        include_private: bool = True,
    ) -> list[RecallHit]:
        """Astrocyte's hybrid recall over the banks of `scope`, best first, filtered the way CrewAI filters."""
        result = self._sync.recall(
            query,
            banks=self.banks.covering(scope, self._readable()),
            max_results=min(limit * _OVERSAMPLE, 1000),
            filter=metadata_filter or None,
            context=self.scoped.context,
        )
        return [
            hit
            for hit in result.hits
            if in_categories(hit.record, categories) and visible(hit.record, source, include_private)
        ][:limit]

    def retain(
        self,
        contents: Sequence[str],
        *,
        scope: str,
        importance: float,
        categories: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
        source: str | None = None,
        private: bool = False,
        speaker: str | None = None,
    ) -> list[CrewRecord]:
        """Remember new texts in the bank of `scope`, with no key: Astrocyte chunks and de-duplicates them. With
        `speaker` (the agent role that said them), each is a chat turn of that speaker."""
        fields = {"categories": categories, "metadata": metadata, "source": source, "private": private}
        fields |= {"speaker": speaker, "brain": self.scoped.brain}
        bank = {"bank_id": self.banks.bank(scope)}
        items = [retain_item(content, scope=scope, importance=importance, **fields) | bank for content in contents]
        results = self.scoped.sync.retain_many(items)
        return [
            CrewRecord(
                id=_stored_id(result),
                content=content,
                scope=scope,
                categories=list(categories or []),
                metadata=dict(metadata or {}),
                importance=importance,
                source=source,
                private=private,
            )
            for content, result in zip(contents, results, strict=True)
        ]

    @property
    def _sync(self) -> Any:
        return self.scoped.brain.sync

    def _readable(self) -> list[str]:
        return [bank.bank_id for bank in self._sync.banks(context=self.scoped.context)]

    def _records(self, scope: str | None) -> list[MemoryRecord]:
        records: list[MemoryRecord] = []
        for bank in self.banks.covering(scope, self._readable()):
            records += self._bank_records(bank)
        return records

    def _bank_records(self, bank: str, where: dict[str, Any] | None = None) -> list[MemoryRecord]:
        return self._sync.run(_listed(iter_records(self.scoped.brain, bank, where, context=self.scoped.context)))

    def _find(self, record_id: str) -> MemoryRecord | None:
        for bank in self.banks.covering("/", self._readable()):
            found = self._sync.get(bank, key=record_id, context=self.scoped.context) or self._sync.get(
                bank, record_id, context=self.scoped.context
            )
            if found is not None:
                return found
        return None

    def _forget(
        self,
        bank: str,
        categories: list[str] | None,
        record_ids: list[str] | None,
        older_than: datetime | None,
        metadata_filter: dict[str, Any] | None,
    ) -> set[str]:
        if metadata_filter:
            chosen = [
                record.id
                for record in self._bank_records(bank, metadata_filter)
                if not record_ids or (record.key or record.id) in record_ids
            ]
            if not chosen:
                return set()
            selections: list[dict[str, Any]] = [{"memory_ids": chosen}]
        elif record_ids:
            selections = [{"memory_ids": record_ids}, {"keys": record_ids}]
        else:
            selections = [{}]
        by_tag: list[dict[str, Any]] = [{"tags": [category]} for category in categories or ()] or [{}]
        deleted: set[str] = set()
        for selection in selections:
            for tag in by_tag:
                selectors = selection | tag | ({"before": older_than} if older_than else {})
                result = self._sync.forget(bank, **selectors, all=not selectors, context=self.scoped.context)
                deleted.update(result.deleted_ids)
        return deleted


async def _listed(records: AsyncIterator[MemoryRecord]) -> list[MemoryRecord]:
    return [record async for record in records]


def _stored_id(result: RetainResult) -> str:
    """The id the write got, or the memory it duplicated; a write queued while the store is down has none yet."""
    stored = result.memory_ids or result.deduplicated_ids
    return stored[0] if stored else str(uuid4())


def _children(path: str, scopes: Sequence[str]) -> list[str]:
    prefix = path.rstrip("/") + "/"
    below = [scope[len(prefix) :] for scope in scopes if scope.startswith(prefix) and len(scope) > len(prefix)]
    return sorted({prefix + rest.split("/")[0] for rest in below})
