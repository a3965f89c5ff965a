"""Forget: delete memories of one bank chosen by id, key, tag and time, or all of them.

    await forget(runtime, "people", select_for_forget(keys=["alice-home"]))

Selectors combine with AND, so adding one never deletes more. `all=True` stands alone.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from astrocyte import _inputs as inputs
from astrocyte._core.runtime import Runtime
from astrocyte._requests import RecordFilter
from astrocyte.errors import ValidationError
from astrocyte.types import ForgetResult


def select_for_forget(
    memory_ids: object = None,
    keys: object = None,
    tags: object = None,
    before: object = None,
    all: bool = False,
) -> RecordFilter:
    """The records a forget call names; the empty filter (all=True) names the whole bank."""
    ids, key_set = inputs.ids(memory_ids, "memory_ids"), inputs.ids(keys, "keys")
    tag_set = inputs.ids(tags, "tags")
    cutoff: datetime | None = inputs.timestamp(before, "before")
    chosen = bool(ids or key_set or tag_set or cutoff)
    if all and chosen:
        raise ValidationError("all=True forgets the whole bank; do not combine it with other selectors")
    if not all and not chosen:
        raise ValidationError("forget: say what to forget: memory_ids, keys, tags, before, or all=True")
    return RecordFilter(
        ids=ids,
        keys=key_set,
        tags_all=tag_set,
        occurred_until=cutoff - timedelta(microseconds=1) if cutoff else None,
    )


async def forget(runtime: Runtime, bank_id: str, where: RecordFilter) -> ForgetResult:
    def delete() -> list[str]:
        with runtime.write_lock:
            return runtime.store.delete(bank_id, list(runtime.store.ids(bank_id, where)))

    return ForgetResult(bank_id=bank_id, deleted_ids=tuple(await asyncio.to_thread(delete)))
