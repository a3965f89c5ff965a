"""Moving memories between CrewAI's `MemoryRecord` and Astrocyte's without losing CrewAI's fields.

    item = retain_item("Alice lives in Lyon.", scope="/people", categories=["people"], importance=0.8)
    brain.sync.retain_many([item], "crewai/people")
    record = to_crewai(brain.sync.list("crewai/people")[0])      # scope '/people', categories ['people']

Categories are tags. Scope, importance, CrewAI's `source` and `private` ride in metadata under `crewai_*` keys
(adapter bookkeeping, see `astrocyte.adapters.BOOKKEEPING_PREFIXES`) beside the caller's scalar metadata;
metadata values that are not scalars (lists, dicts) go in the record's JSON `value`, since Astrocyte metadata is
flat. A record stored under a key (as `AstrocyteStorage` stores CrewAI's own ids) shows that key as its CrewAI
id. Times are handed to CrewAI as naive UTC, as it expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from crewai.memory.types import MemoryRecord as CrewRecord

from astrocyte import Astrocyte, MemoryRecord
from astrocyte.adapters import chat_turn, hit_metadata

SCOPE = "crewai_scope"
IMPORTANCE = "crewai_importance"
SOURCE = "crewai_source"
PRIVATE = "crewai_private"
_SCALARS = (str, int, float, bool, type(None))


def retain_item(
    content: str,
    *,
    scope: str,
    importance: float,
    categories: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    source: str | None = None,
    private: bool = False,
    key: str | None = None,
    created_at: datetime | None = None,
    speaker: str | None = None,
    brain: Astrocyte | None = None,
) -> dict[str, Any]:
    """One item for `brain.retain_many` carrying every CrewAI field of the memory; with `speaker` (the agent role
    that said it), a chat turn of that speaker in the metadata `brain`'s conversation context reads."""
    given = dict(metadata or {})
    flat = {name: value for name, value in given.items() if isinstance(value, _SCALARS)}
    nested = {name: value for name, value in given.items() if name not in flat}
    flat |= {SCOPE: scope, IMPORTANCE: importance, PRIVATE: private}
    if source is not None:
        flat[SOURCE] = source
    tags = [tag for tag in categories or () if tag.strip()]
    optional = {"value": {"metadata": nested} if nested else None, "key": key}
    given = {name: value for name, value in optional.items() if value is not None}
    return chat_turn(content, speaker=speaker, occurred_at=created_at, brain=brain, tags=tags, metadata=flat, **given)


def to_crewai(record: MemoryRecord, default_importance: float = 0.5) -> CrewRecord:
    """The CrewAI record of a memory. Its metadata, which CrewAI shows the model, is the memory's own without any
    adapter's bookkeeping; the fields `hit_metadata` adds have places of their own in a CrewAI record or none."""
    metadata = hit_metadata(record, fields=(), bookkeeping=False)
    scope, importance = record.metadata.get(SCOPE), record.metadata.get(IMPORTANCE)
    source, private = record.metadata.get(SOURCE), record.metadata.get(PRIVATE, False)
    if isinstance(record.value, dict) and isinstance(record.value.get("metadata"), dict):
        metadata |= record.value["metadata"]
    return CrewRecord(
        id=record.key or record.id,
        content=record.text,
        scope=scope if isinstance(scope, str) else "/",
        categories=list(record.tags),
        metadata=metadata,
        importance=_importance(importance, default_importance),
        created_at=_naive_utc(record.occurred_at),
        last_accessed=_naive_utc(record.updated_at),
        source=source if isinstance(source, str) else None,
        private=private is True,
    )


def in_categories(record: MemoryRecord, categories: Sequence[str] | None) -> bool:
    """CrewAI's category filter: no categories, or at least one of them among the record's tags."""
    return not categories or not set(categories).isdisjoint(record.tags)


def visible(record: MemoryRecord, source: str | None, include_private: bool) -> bool:
    """CrewAI's privacy rule: a private memory is seen only by its own source, or with include_private."""
    private = record.metadata.get(PRIVATE) is True
    return include_private or not private or (source is not None and record.metadata.get(SOURCE) == source)


def _importance(value: object, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0:
        return float(value)
    return default


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
