"""Circuit breakers around the store and the models, and the durable outbox that keeps writes while the
store is down.

    policy:
      breaker: {failure_threshold: 5, reset_timeout_s: 30, degraded_recall: lexical, degraded_retain: queue}

    resilience = Resilience(config.policy.breaker, runtime, outbox_path, telemetry=t, audit=a)
    # runtime.store, runtime.embedder and runtime.llm now fail fast with CircuitOpen while their breaker is open

Three breakers: `store`, `embedder` and `llm` (see `policy/breaker.py` for what counts as a failure).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from astrocyte.config import BreakerConfig, ChunkingConfig, DedupConfig
from astrocyte.models.base import ChatModel, Embedder, Message
from astrocyte.pipeline.retain import RetainRequest
from astrocyte.pipeline.runtime import Runtime
from astrocyte.policy.audit import AuditLog
from astrocyte.policy.breaker import CircuitBreaker
from astrocyte.policy.outbox import RetainOutbox
from astrocyte.stores.base import MemoryStore, RecordFilter, Scored, StoredRecord
from astrocyte.telemetry import Telemetry
from astrocyte.types import BankInfo, MemoryRecord, RetainResult

_REPLAY_BATCH = 100


class Resilience:
    def __init__(
        self,
        config: BreakerConfig,
        runtime: Runtime,
        outbox_path: Path | None,
        *,
        telemetry: Telemetry,
        audit: AuditLog,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.config = config
        self.outbox = RetainOutbox(outbox_path)
        self._audit = audit
        self.breakers = {
            name: CircuitBreaker(
                name,
                failure_threshold=config.failure_threshold,
                reset_timeout_s=config.reset_timeout_s,
                on_change=lambda old, new, name=name: self._changed(name, old, new, telemetry),
                **({"clock": clock} if clock else {}),
            )
            for name in ("store", "embedder", "llm")
        }
        if config.enabled:
            runtime.store = GuardedStore(runtime.store, self.breakers["store"])
            runtime.embedder = GuardedEmbedder(runtime.embedder, self.breakers["embedder"])
            if runtime.llm is not None:
                runtime.llm = GuardedChatModel(runtime.llm, self.breakers["llm"])

    def queue(self, requests: Sequence[RetainRequest], cause: BaseException) -> list[RetainResult]:
        """Keep already-checked writes durably until the store is back; they are acknowledged as queued."""
        for request in requests:
            self.outbox.put(_to_payload(request))
        self._audit.record("retain_queued", count=len(requests), cause=type(cause).__name__)
        note = f"queued: the store is unavailable ({type(cause).__name__}); this write is kept and replayed"
        return [
            RetainResult(bank_id=request.bank_id or "", memory_ids=(), queued=True, warnings=(note,))
            for request in requests
        ]

    async def replay(self, retain: Callable[[list[RetainRequest]], Awaitable[Any]]) -> int:
        """Retain queued writes, oldest first, while the store takes them; return how many were replayed."""
        replayed = 0
        while self.breakers["store"].state != "open" and (batch := self.outbox.pending(_REPLAY_BATCH)):
            await retain([_from_payload(payload) for _, payload in batch])
            self.outbox.ack([entry_id for entry_id, _ in batch])
            replayed += len(batch)
        if replayed:
            self._audit.record("retain_replayed", count=replayed)
        return replayed

    def close(self) -> None:
        self.outbox.close()

    def _changed(self, name: str, old: str, new: str, telemetry: Telemetry) -> None:
        telemetry.breaker_changed(name, old, new)
        self._audit.record("breaker", breaker=name, old=old, new=new)


class GuardedStore(MemoryStore):
    def __init__(self, inner: MemoryStore, breaker: CircuitBreaker) -> None:
        self.inner = inner
        self._breaker = breaker

    def upsert(self, records: Sequence[StoredRecord]) -> None:
        self._breaker.run(lambda: self.inner.upsert(records))

    def get(self, bank_id: str, ids: Sequence[str]) -> list[MemoryRecord]:
        return self._breaker.run(lambda: self.inner.get(bank_id, ids))

    def select(
        self, bank_id: str, where: RecordFilter, *, offset: int = 0, limit: int | None = None
    ) -> list[MemoryRecord]:
        return self._breaker.run(lambda: self.inner.select(bank_id, where, offset=offset, limit=limit))

    def count(self, bank_id: str, where: RecordFilter | None = None) -> int:
        return self._breaker.run(lambda: self.inner.count(bank_id, where))

    def delete(self, bank_id: str, ids: Sequence[str]) -> list[str]:
        return self._breaker.run(lambda: self.inner.delete(bank_id, ids))

    def search_vectors(self, bank_id: str, vectors: np.ndarray, k: int, where: RecordFilter) -> list[list[Scored]]:
        return self._breaker.run(lambda: self.inner.search_vectors(bank_id, vectors, k, where))

    def search_keywords(
        self,
        bank_id: str,
        terms: Sequence[str],
        k: int,
        where: RecordFilter,
        *,
        context_weight: float = 1.0,
        max_term_rows: int | None = None,
    ) -> list[Scored]:
        return self._breaker.run(
            lambda: self.inner.search_keywords(
                bank_id, terms, k, where, context_weight=context_weight, max_term_rows=max_term_rows
            )
        )

    def search_entities(self, bank_id: str, entities: Sequence[str], k: int, where: RecordFilter) -> list[Scored]:
        return self._breaker.run(lambda: self.inner.search_entities(bank_id, entities, k, where))

    def banks(self) -> list[BankInfo]:
        return self._breaker.run(self.inner.banks)

    def close(self) -> None:
        self.inner.close()


class GuardedEmbedder(Embedder):
    def __init__(self, inner: Embedder, breaker: CircuitBreaker) -> None:
        self.inner = inner
        self.dimensions = inner.dimensions
        self._breaker = breaker

    @property
    def identity(self) -> str:
        return self.inner.identity

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return await self._breaker.call(lambda: self.inner.embed(texts))


class GuardedChatModel(ChatModel):
    def __init__(self, inner: ChatModel, breaker: CircuitBreaker) -> None:
        self.inner = inner
        self.name = inner.name
        self._breaker = breaker

    async def complete(
        self, messages: Sequence[Message], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> str:
        return await self._breaker.call(
            lambda: self.inner.complete(messages, max_tokens=max_tokens, temperature=temperature)
        )


def _to_payload(request: RetainRequest) -> dict[str, Any]:
    payload = {field.name: getattr(request, field.name) for field in dataclasses.fields(request)}
    payload["occurred_at"] = request.occurred_at.isoformat() if request.occurred_at else None
    payload["tags"] = list(request.tags)
    payload["chunking"] = request.chunking.model_dump() if request.chunking else None
    payload["dedup"] = request.dedup.model_dump() if request.dedup else None
    return payload


def _from_payload(payload: dict[str, Any]) -> RetainRequest:
    fields = dict(payload)
    occurred, chunking, dedup = fields.pop("occurred_at"), fields.pop("chunking"), fields.pop("dedup")
    return RetainRequest(
        **{**fields, "tags": tuple(fields["tags"])},
        occurred_at=datetime.fromisoformat(occurred) if occurred else None,
        chunking=ChunkingConfig(**chunking) if chunking else None,
        dedup=DedupConfig(**dedup) if dedup else None,
    )
