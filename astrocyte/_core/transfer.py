"""Moving a bank in and out as JSON Lines, one memory record a line.

    count = await export_bank(runtime, "people", "people.jsonl")
    count = await import_bank(runtime, "people.jsonl", bank_id="people-copy")

Export writes records as stored (no vectors, so a file outlives a change of embedder). Import reads and
checks the whole file before storing anything, re-embeds the texts with the configured embedder, keeps ids and
timestamps, and replaces a record that has the same id, or the same key, in the target bank.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import ValidationError as PydanticValidationError

from astrocyte import _inputs as inputs
from astrocyte._core.context import index_terms_of
from astrocyte._core.runtime import Runtime
from astrocyte.errors import ValidationError
from astrocyte.stores.base import RecordFilter, StoredRecord
from astrocyte.text import fingerprint
from astrocyte.types import MemoryRecord

Progress = Callable[[int, int], None]
_PAGE = 500
_EMBED_BATCH = 256


async def export_bank(runtime: Runtime, bank_id: str, path: str | Path, progress: Progress | None = None) -> int:
    def write() -> int:
        total = runtime.store.count(bank_id)
        written = 0
        with Path(path).open("w", encoding="utf-8") as out:
            while page := runtime.store.select(bank_id, RecordFilter(), offset=written, limit=_PAGE):
                out.writelines(record.model_dump_json() + "\n" for record in page)
                written += len(page)
                if progress:
                    progress(written, total)
        return written

    return await asyncio.to_thread(write)


async def import_bank(
    runtime: Runtime,
    path: str | Path,
    bank_id: str | None = None,
    progress: Progress | None = None,
    *,
    admit: Callable[[list[MemoryRecord]], list[MemoryRecord]] = list,
) -> int:
    """`admit` sees every record before any is stored; it may clean them, or raise to refuse the file."""
    records = admit(await asyncio.to_thread(_read, Path(path), bank_id))
    for start in range(0, len(records), _EMBED_BATCH):
        batch = records[start : start + _EMBED_BATCH]
        vectors = await runtime.embedder.embed([record.text for record in batch])
        await asyncio.to_thread(_store, runtime, batch, vectors)
        if progress:
            progress(start + len(batch), len(records))
    return len(records)


def _read(path: Path, bank_id: str | None) -> list[MemoryRecord]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file to import") from None
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = MemoryRecord.model_validate_json(line)
        except PydanticValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "line"
            raise ValidationError(
                f"{path}:{number}: {field}: {problem['msg']}; nothing was imported — fix or remove the line"
            ) from None
        if bank_id is None:
            inputs.bank_id(record.bank_id, f"{path}:{number}: bank_id")
        records.append(record.model_copy(update={"bank_id": bank_id}) if bank_id else record)
    return records


def _store(runtime: Runtime, batch: list[MemoryRecord], vectors: np.ndarray) -> None:
    with runtime.write_lock:
        by_bank: dict[str, set[str]] = {}
        for record in batch:
            if record.key is not None:
                by_bank.setdefault(record.bank_id, set()).add(record.key)
        existing = {
            (record.bank_id, record.key): record.id
            for bank, keys in by_bank.items()
            for record in runtime.store.select(bank, RecordFilter(keys=frozenset(keys)))
        }
        stored = {}
        for record, vector in zip(batch, vectors, strict=True):
            same_key = existing.get((record.bank_id, record.key)) if record.key is not None else None
            if same_key:
                record = record.model_copy(update={"id": same_key})
            terms, context = index_terms_of(
                runtime.config.pipeline.context,
                runtime.threads,
                record.bank_id,
                record.text,
                record.metadata,
                record.occurred_at,
            )
            stored[(record.bank_id, record.id)] = StoredRecord(
                record, vector, terms, context, fingerprint=fingerprint(record.text, record.metadata)
            )
        runtime.store.upsert(list(stored.values()))
