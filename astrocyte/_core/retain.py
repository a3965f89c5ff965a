"""The retain stages: chunk -> entities -> embed -> dedup / key upsert -> store.

    [result] = await retain_batch(runtime, [RetainRequest(content="Alice lives in Paris.", bank_id="people")])

Requests arrive validated (see `make_request`). Content with a `key` is stored whole as one record, so the key
names exactly one memory; retaining the same key again replaces it in place (same id, new text and value).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from astrocyte import _inputs as inputs
from astrocyte._core.chunking import chunk_text
from astrocyte._core.context import index_terms_of
from astrocyte._core.entities import extract_entities
from astrocyte._core.runtime import Runtime
from astrocyte._requests import RecordFilter, RetainRequest
from astrocyte.config import DedupConfig
from astrocyte.errors import ValidationError
from astrocyte.stores.base import StoredRecord, VectorQuery
from astrocyte.text import fingerprint
from astrocyte.types import MemoryRecord, RetainResult

_ID_CLOCK = itertools.count()
_NEAREST_FOR_DEDUP = 3
"""With vector dedup, how many nearest memories are checked for one with the same metadata."""
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|me|my|mine|we|our|us)\b", re.IGNORECASE)


def new_memory_id() -> str:
    """32 hex digits that sort in creation order within a process (time, then a counter, then randomness),
    so records retained together list in the order they were cut."""
    return f"{time.time_ns():016x}{next(_ID_CLOCK) % 0xFFFF:04x}{secrets.token_hex(6)}"


def make_request(runtime: Runtime, content: object, bank_id: object, **fields: Any) -> RetainRequest:
    """A checked request; a bank of None is left for routing to fill in."""
    limits = runtime.config.limits
    return RetainRequest(
        content=inputs.content(content, limits),
        bank_id=inputs.bank_id(bank_id) if bank_id is not None else None,
        key=inputs.key(fields.get("key")),
        value=inputs.json_value(fields.get("value")),
        metadata=inputs.metadata(fields.get("metadata"), limits),
        tags=inputs.tags(fields.get("tags"), limits),
        occurred_at=inputs.timestamp(fields.get("occurred_at"), "occurred_at"),
        source=inputs.optional_text(fields.get("source"), "source"),
        content_type=inputs.optional_text(fields.get("content_type"), "content_type") or "text",
    )


@dataclass(frozen=True, slots=True)
class _Chunk:
    request: int
    text: str
    index: int


async def retain_batch(runtime: Runtime, requests: Sequence[RetainRequest]) -> list[RetainResult]:
    if any(request.bank_id is None for request in requests):
        raise ValidationError("bank_id: required; name the bank, or configure mip.rules to route writes")
    chunks = [
        _Chunk(number, text, index)
        for number, request in enumerate(requests)
        for index, text in enumerate(_chunks_of(runtime, request))
    ]
    texts = [chunk.text for chunk in chunks]
    with runtime.telemetry.stage("entities", chunks=len(texts)):
        if runtime.config.pipeline.entities.mode == "off":
            entities: list[tuple[str, ...]] = [()] * len(texts)
        else:
            entities = await extract_entities(texts, runtime.entity_llm)
    with runtime.telemetry.stage("embed", chunks=len(texts)):
        vectors = await runtime.embedder.embed(texts)
    with runtime.telemetry.stage("store", chunks=len(texts)):
        return await asyncio.to_thread(_store, runtime, requests, chunks, entities, vectors)


def _chunks_of(runtime: Runtime, request: RetainRequest) -> list[str]:
    if request.key is not None:
        return [request.content.strip()]
    return chunk_text(request.content, request.chunking or runtime.config.pipeline.chunking)


def _store(
    runtime: Runtime,
    requests: Sequence[RetainRequest],
    chunks: list[_Chunk],
    entities: list[tuple[str, ...]],
    vectors: np.ndarray,
) -> list[RetainResult]:
    now = runtime.clock()
    # (request, memory id) pairs rather than a list per request: tuples of atoms, which the garbage collector
    # stops tracking, so a large batch does not bring about more full collections.
    kept: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str]] = []
    with runtime.write_lock:
        previous = _keyed_memories(runtime, requests)
        key_ids = {(request.bank_id, request.key): new_memory_id() for request in requests if request.key}
        key_ids.update({slot: record.id for slot, record in previous.items()})
        ids = [
            key_ids[(request.bank_id, request.key)] if (request := requests[chunk.request]).key else new_memory_id()
            for chunk in chunks
        ]
        documents = [new_memory_id() for _ in requests]
        prints = [fingerprint(chunk.text, requests[chunk.request].metadata or {}) for chunk in chunks]
        duplicate_of = _duplicates(runtime, requests, chunks, vectors, ids, prints)
        records: dict[str, StoredRecord] = {}
        context = runtime.config.pipeline.context
        for position, chunk in enumerate(chunks):
            request = requests[chunk.request]
            occurred_at = request.occurred_at or now
            terms, context_terms = index_terms_of(
                context, runtime.threads, request.bank_id, chunk.text, request.metadata or {}, occurred_at
            )
            if position in duplicate_of:
                duplicates.append((chunk.request, duplicate_of[position]))
                continue
            earlier = previous.get((request.bank_id, request.key)) if request.key else None
            record = MemoryRecord(
                id=ids[position],
                bank_id=request.bank_id,
                text=chunk.text,
                key=request.key,
                value=request.value,
                metadata=request.metadata or {},
                tags=request.tags,
                occurred_at=occurred_at,
                retained_at=earlier.retained_at if earlier else now,
                updated_at=now,
                fact_type="experience" if _FIRST_PERSON.search(chunk.text) else "world",
                entities=entities[position],
                source=request.source,
                content_type=request.content_type,
                document_id=earlier.document_id if earlier else documents[chunk.request],
                chunk_index=chunk.index,
            )
            records[record.id] = StoredRecord(
                record, vectors[position], terms, context_terms, fingerprint=prints[position]
            )
            kept.append((chunk.request, record.id))
        runtime.store.upsert(list(records.values()))
    kept_by, duplicates_by = _by_request(kept), _by_request(duplicates)
    return [
        RetainResult(
            bank_id=request.bank_id,
            memory_ids=tuple(kept_by[number]),
            deduplicated_ids=tuple(dict.fromkeys(duplicates_by[number])),
            replaced_ids=(previous[(request.bank_id, request.key)].id,)
            if request.key and (request.bank_id, request.key) in previous
            else (),
        )
        for number, request in enumerate(requests)
    ]


def _by_request(pairs: list[tuple[int, str]]) -> defaultdict[int, list[str]]:
    grouped: defaultdict[int, list[str]] = defaultdict(list)
    for number, memory_id in pairs:
        grouped[number].append(memory_id)
    return grouped


def _keyed_memories(runtime: Runtime, requests: Sequence[RetainRequest]) -> dict[tuple[str, str], MemoryRecord]:
    """The stored memory for each (bank, key) this batch upserts; a key holds one memory."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for request in requests:
        if request.key is not None:
            wanted[request.bank_id].add(request.key)
    return {
        (record.bank_id, record.key or ""): record
        for bank_id, keys in wanted.items()
        for record in runtime.store.select(bank_id, RecordFilter(keys=frozenset(keys)))
    }


def _duplicates(
    runtime: Runtime,
    requests: Sequence[RetainRequest],
    chunks: list[_Chunk],
    vectors: np.ndarray,
    ids: list[str],
    prints: list[str],
) -> dict[int, str]:
    """Chunk position -> id of the memory it repeats: a stored one with the same words and metadata (or, with
    `dedup.match: vector`, the same metadata and a vector within the threshold), or an earlier chunk of this
    batch with the same words and metadata."""
    by_bank: dict[str, list[int]] = defaultdict(list)
    for position, chunk in enumerate(chunks):
        request = requests[chunk.request]
        if request.key is None and _dedup(runtime, request).enabled:
            by_bank[request.bank_id].append(position)
    found: dict[int, str] = {}
    for bank_id, positions in by_bank.items():
        found |= _stored_repeats(runtime, bank_id, requests, chunks, vectors, positions, prints)
        first_in_batch: dict[str, int] = {}
        for position in positions:
            if position in found:
                continue
            if prints[position] in first_in_batch:
                found[position] = ids[first_in_batch[prints[position]]]
            else:
                first_in_batch[prints[position]] = position
    return found


def _stored_repeats(
    runtime: Runtime,
    bank_id: str,
    requests: Sequence[RetainRequest],
    chunks: list[_Chunk],
    vectors: np.ndarray,
    positions: list[int],
    prints: list[str],
) -> dict[int, str]:
    """Chunk position -> a stored memory it repeats. `match: text` searches only the memories with the same
    fingerprint (usually none, found by an index lookup); `match: vector` the nearest, within the threshold
    and with the same metadata."""
    settings = {position: _dedup(runtime, requests[chunks[position].request]) for position in positions}
    found: dict[int, str] = {}
    by_text = [position for position in positions if settings[position].match == "text"]
    if by_text:
        where = RecordFilter(fingerprints=frozenset(prints[position] for position in by_text))
        oldest_last = reversed(runtime.store.ids(bank_id, where).items())
        stored = {found_print: memory_id for memory_id, found_print in oldest_last}
        found |= {position: stored[prints[position]] for position in by_text if prints[position] in stored}
    by_vector = [position for position in positions if settings[position].match == "vector"]
    if by_vector:
        nearest = runtime.store.search_vectors(bank_id, VectorQuery(vectors[by_vector], _NEAREST_FOR_DEDUP))
        close = {
            position: [hit.id for hit in hits if hit.score >= settings[position].threshold]
            for position, hits in zip(by_vector, nearest, strict=True)
        }
        wanted = list(dict.fromkeys(memory_id for ids in close.values() for memory_id in ids))
        records = {record.id: record for record in runtime.store.get(bank_id, wanted)} if wanted else {}
        for position, ids in close.items():
            metadata = requests[chunks[position].request].metadata or {}
            repeated = [
                memory_id for memory_id in ids if memory_id in records and records[memory_id].metadata == metadata
            ]
            if repeated:
                found[position] = repeated[0]
    return found


def _dedup(runtime: Runtime, request: RetainRequest) -> DedupConfig:
    return request.dedup or runtime.config.pipeline.dedup
