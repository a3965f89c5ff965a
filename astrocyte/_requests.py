"""The requests the layers pass down: a checked write, a checked recall, and the filter on records both use.

    RetainRequest(content="Alice lives in Paris.", bank_id="people", tags=("home",))
    RecallRequest("Where does Alice live?", banks=["people"], where=RecordFilter(tags_all=frozenset({"home"})))

A leaf: the policy gate, MIP, the pipeline and the stores all speak these types, and none of them owns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple, get_args

from astrocyte.config import ChunkingConfig, DedupConfig
from astrocyte.types import Metadata, MetadataValue, RecallStrategy

FilterOp = Literal["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"]
FILTER_OPS: tuple[str, ...] = get_args(FilterOp)


class Condition(NamedTuple):
    """`metadata[key] <op> value`. Ordering ops match only numbers against numbers or strings against strings;
    `$ne` and `$nin` also match records that lack the key."""

    key: str
    op: FilterOp
    value: MetadataValue | tuple[MetadataValue, ...]


@dataclass(frozen=True)
class RecordFilter:
    """A conjunction of restrictions on records; the empty filter matches everything."""

    metadata: tuple[Condition, ...] = ()
    tags_all: frozenset[str] = frozenset()
    occurred_from: datetime | None = None
    occurred_until: datetime | None = None
    retained_until: datetime | None = None
    """`as_of`: only records retained at or before this instant."""
    keys: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    fingerprints: frozenset[str] = frozenset()
    """Only records whose `StoredRecord.fingerprint` is one of these."""

    @property
    def is_empty(self) -> bool:
        return self == RecordFilter()


@dataclass(frozen=True, slots=True)
class RetainRequest:
    """One checked write. `bank_id` is None until routing (MIP) names the bank; `chunking` and `dedup`
    replace the configured stages for this write when a routing rule says so."""

    content: str
    bank_id: str | None
    key: str | None = None
    value: Any = None
    metadata: Metadata | None = None
    tags: tuple[str, ...] = ()
    occurred_at: datetime | None = None
    source: str | None = None
    content_type: str = "text"
    chunking: ChunkingConfig | None = None
    dedup: DedupConfig | None = None


@dataclass(frozen=True)
class RecallRequest:
    query: str
    banks: Sequence[str]
    strategy: RecallStrategy = "parallel"
    max_results: int = 10
    max_tokens: int | None = None
    where: RecordFilter = field(default_factory=RecordFilter)
    lexical_only: bool = False
    """Skip embedding and the semantic strategy (the degraded mode when the embedder or vectors are down)."""
