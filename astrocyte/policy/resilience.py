"""Circuit breakers around the store and the models, and the durable outbox that keeps writes while the
store is down.

    policy:
      breaker: {failure_threshold: 5, reset_timeout_s: 30, degraded_recall: lexical, degraded_retain: queue}

    resilience = Resilience(config.policy.breaker, RetainOutbox(path), threading.Lock(), telemetry=t, audit=a)
    store = guard(store, resilience.breakers["store"], MemoryStore)     # fails fast while the breaker is open

Three breakers: `store`, `embedder` and `llm` (see `policy/breaker.py` for what counts as a failure);
`_core/runtime.py` puts each backend behind its own (`policy/guard.py`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from astrocyte._requests import RetainRequest
from astrocyte.config import BreakerConfig, ChunkingConfig, DedupConfig
from astrocyte.policy.audit import AuditLog
from astrocyte.policy.breaker import CircuitBreaker
from astrocyte.policy.outbox import RetainOutbox
from astrocyte.telemetry import Telemetry
from astrocyte.types import RetainResult

_REPLAY_BATCH = 100


class Resilience:
    def __init__(
        self,
        config: BreakerConfig,
        outbox: RetainOutbox,
        replaying: threading.Lock,
        *,
        telemetry: Telemetry,
        audit: AuditLog,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self._replaying = replaying
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
        """Retain queued writes, oldest first, while the store takes them; return how many were replayed.

        Another user of the same outbox already replaying it is left to finish (0 is returned)."""
        if not self._replaying.acquire(blocking=False):
            return 0
        replayed = 0
        try:
            while self.breakers["store"].state != "open" and (batch := self.outbox.pending(_REPLAY_BATCH)):
                await retain([_from_payload(payload) for _, payload in batch])
                self.outbox.ack([entry_id for entry_id, _ in batch])
                replayed += len(batch)
        finally:
            self._replaying.release()
        if replayed:
            self._audit.record("retain_replayed", count=replayed)
        return replayed

    def _changed(self, name: str, old: str, new: str, telemetry: Telemetry) -> None:
        telemetry.breaker_changed(name, old, new)
        self._audit.record("breaker", breaker=name, old=old, new=new)


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
