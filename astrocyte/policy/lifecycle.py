"""Lifecycle: legal holds that block forgetting, and TTL rules that expire old memories.

    lifecycle:
      legal_holds: ["litigation-*"]
      ttl:
        - {banks: "chat-*", days: 30}
        - {banks: "*", tags: [ephemeral], days: 1}

    report = await brain.run_lifecycle()      # also run on open, and by `astrocyte lifecycle run`

A memory expires when it was retained more than `days` ago. Banks under legal hold are never expired, and
forget there raises LegalHoldActive. Every expiry and refusal is written to the audit log.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict

from astrocyte._requests import RecordFilter
from astrocyte.config import LifecycleConfig
from astrocyte.errors import LegalHoldActive
from astrocyte.policy.audit import AuditLog
from astrocyte.stores.base import MemoryStore


class LifecycleReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    expired: dict[str, int]
    """Memories deleted per bank."""
    held: tuple[str, ...]
    """Banks a TTL rule matched but a legal hold protected."""


def on_hold(config: LifecycleConfig, bank_id: str) -> bool:
    return any(fnmatchcase(bank_id, pattern) for pattern in config.legal_holds)


def refuse_if_on_hold(config: LifecycleConfig, bank_id: str, audit: AuditLog, principal: str | None) -> None:
    if on_hold(config, bank_id):
        audit.record("legal_hold_refused", bank_id=bank_id, principal=principal)
        raise LegalHoldActive(
            f"bank {bank_id!r} is under legal hold, so nothing in it can be forgotten; lift the hold by "
            "removing it from lifecycle.legal_holds"
        )


async def expire(
    store: MemoryStore, write_lock: threading.Lock, config: LifecycleConfig, audit: AuditLog, now: datetime
) -> LifecycleReport:
    def run() -> LifecycleReport:
        expired: dict[str, int] = {}
        held: list[str] = []
        for bank in store.banks():
            for rule in (rule for rule in config.ttl if fnmatchcase(bank.bank_id, rule.banks)):
                if on_hold(config, bank.bank_id):
                    held.append(bank.bank_id)
                    break
                where = RecordFilter(tags_all=frozenset(rule.tags), retained_until=now - timedelta(days=rule.days))
                with write_lock:
                    deleted = store.delete(bank.bank_id, list(store.ids(bank.bank_id, where)))
                if deleted:
                    expired[bank.bank_id] = expired.get(bank.bank_id, 0) + len(deleted)
                    audit.record("ttl_expired", bank_id=bank.bank_id, deleted=len(deleted), days=rule.days)
        return LifecycleReport(expired=expired, held=tuple(dict.fromkeys(held)))

    return await asyncio.to_thread(run)
