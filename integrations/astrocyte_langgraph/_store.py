"""`AstrocyteStore`: a LangGraph `BaseStore` whose items live in Astrocyte banks, under its policy layer.

    from astrocyte import Astrocyte
    from astrocyte_langgraph import AstrocyteStore

    brain = Astrocyte({"data_dir": ".astrocyte"})
    store = AstrocyteStore(brain, namespace_to_bank="user-{1}")       # ("memories", "ann") -> bank user-ann
    store.put(("memories", "ann"), "colour", {"content": "Ann's favourite colour is teal."})
    store.get(("memories", "ann"), "colour").value                   # {'content': "Ann's favourite colour is teal."}
    store.search(("memories",), query="favourite colour")[0].score   # hybrid recall, in [0, 1]
    graph = builder.compile(store=store)                             # runtime.store, get_store(), InjectedStore

How items map onto memories:
- Bank: `namespace_to_bank` (a callable, or a `str.format` template where `{0}`, `{1}`… are labels and
  `{namespace}` is all of them joined by `/`), sanitised into a valid bank id. Default: the labels joined by
  `/` (`("memories", "ann")` -> `memories/ann`). With a ScopedMemory, or an A2A agent `card` (resolved by
  `brain.for_agent(card, environment=, tenant=)`), every namespace goes to its bank and reads use its banks.
  With `mip.rules` configured, the Memory Intent Protocol sees each write (metadata `langgraph_namespace`
  names it) and may route it elsewhere; reads then look in every readable bank.
- Key: the namespace and key as compact JSON become the memory key, so a put is a keyed upsert (stored whole,
  never deduplicated) and the mapping may be lossy. Together they may take at most 512 characters.
- Value: stored and returned as given (after the PII policy, which may redact strings in it). Namespace labels
  and keys are identifiers, kept verbatim like bank ids: put personal data in values, not in keys.
- Text: what recall indexes comes from the `index` fields (default `$`, the whole value as JSON) or
  `put(index=[...])`, cut to `limits.max_content_chars`; `index=False` stores the memory key as text and keeps
  the item out of query searches (it still lists, gets and filters).
- Metadata: `langgraph_store`, `langgraph_namespace` (the labels joined by `/`, for MIP rules), opaque digests
  of the item and of each namespace prefix, depth, ordering, timestamps, `langgraph_indexed` and TTL fields;
  one key per label, so a namespace may be about 50 labels deep under the default `limits.max_metadata_keys`
  (64). Reads push the namespace prefix down to the core as exact metadata filters; LangGraph's value `filter`
  is then applied here, exactly as LangGraph's own stores do, since value fields may be nested and the core
  filters only flat metadata.
- Access: every call carries `context` (or the ScopedMemory's), so grants apply per bank. A get or put in a
  bank the caller may not read raises AccessDenied (a put reads the item's earlier version); searches and
  listings look only in banks the caller may read. Deleting needs `forget`.

Searches without a query list items in LangGraph's InMemoryStore order: namespaces by when they (last) got
their first item, then items by when they were first put. With a query, items come ranked by the core's
hybrid recall with their score; the window of ranked candidates widens until `offset + limit` of them pass
the filter, up to the core's 1000 results. `created_at` is the first put, `updated_at` the last.

TTL (`ttl=` minutes, or `TTLConfig.default_ttl`) is kept in metadata: expired items are never returned and
are deleted as reads find them, or by `sweep_ttl()` / `start_ttl_sweeper()`. Reads refresh the expiry by
re-writing it through the core (a keyed upsert, counted against rate limits and quotas). Sync calls run on
the brain's own loop thread (safe inside a running loop); async calls await the core directly.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    get_text_at_path,
    tokenize_path,
)

from astrocyte import Astrocyte, AstrocyteError, Context, MemoryRecord, ReflectResult, ScopedMemory, ValidationError
from astrocyte.adapters import NOTHING_FOUND, CardSource, bind, iter_records
from astrocyte_langgraph._filters import check_filter, matches, namespace_matches
from astrocyte_langgraph._namespaces import (
    Namespace,
    NamespaceToBank,
    bank_template,
    constant_bank,
    default_bank,
    item_key,
    locator,
    parse_item_key,
    sanitise_bank_id,
)

log = logging.getLogger(__name__)

SOURCE = "langgraph:store"
STORE, ITEM, DEPTH, ORDER = "langgraph_store", "langgraph_item", "langgraph_depth", "langgraph_order"
INDEXED, NAMESPACE = "langgraph_indexed", "langgraph_namespace"
EXPIRES, TTL_MINUTES = "langgraph_expires_us", "langgraph_ttl_min"
CREATED, UPDATED = "langgraph_created_us", "langgraph_updated_us"
_MAX_RANKED = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TTL_KEYS = frozenset({"refresh_on_read", "default_ttl", "sweep_interval_minutes", "omit_expired"})


class AstrocyteStore(BaseStore):
    """LangGraph's long-term memory store, kept in Astrocyte banks (see the module docstring for the mapping).

    `clock` gives the time in seconds since the epoch (default `time.time`). TTL expiry and its refresh on reads,
    items' `created_at` and `updated_at`, and the order of namespaces come from it, so a test can advance a
    fake clock instead of sleeping; the TTL sweeper's interval is real time."""

    supports_ttl = True

    def __init__(
        self,
        memory: Astrocyte | ScopedMemory,
        *,
        namespace_to_bank: str | NamespaceToBank | None = None,
        context: Context | None = None,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
        card: CardSource | None = None,
        environment: str | None = None,
        tenant: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._clock = clock or time.time
        self._bound = bind(memory, context=context, card=card, environment=environment, tenant=tenant)
        scoped = self._bound.scoped
        if namespace_to_bank is None:
            self._to_bank = constant_bank(scoped.bank_id) if scoped is not None else default_bank
        elif isinstance(namespace_to_bank, str):
            self._to_bank = bank_template(namespace_to_bank)
        elif callable(namespace_to_bank):
            self._to_bank = lambda namespace: sanitise_bank_id(namespace_to_bank(namespace))
        else:
            raise ValidationError("namespace_to_bank: pass a callable (namespace -> bank id) or a template string")
        self._reads_scoped_banks = scoped is not None and namespace_to_bank is None
        self._spread = self._bound.routed or (scoped is not None and len(set(scoped.banks)) > 1)
        self.index_config: IndexConfig = {"fields": _index_fields(index)}
        self._fields = [(path, path if path == "$" else tokenize_path(path)) for path in self.index_config["fields"]]
        self.ttl_config: TTLConfig | None = _ttl_config(ttl)
        self._order = _OrderClock(self._clock)
        self._sweeper: tuple[threading.Thread, threading.Event] | None = None

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return self._bound.run(self.abatch(ops))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Reads see the store as it was before the batch; then its puts apply, the last one per item winning."""
        results: list[Result] = []
        puts: dict[tuple[Namespace, str], PutOp] = {}
        for op in ops:
            if isinstance(op, GetOp):
                results.append(await self._get(op))
            elif isinstance(op, SearchOp):
                results.append(await self._search(op))
            elif isinstance(op, ListNamespacesOp):
                results.append(await self._list_namespaces(op))
            elif isinstance(op, PutOp):
                puts[(op.namespace, op.key)] = op
                results.append(None)
            else:
                raise ValueError(f"Unknown operation type: {type(op)}")
        if puts:
            await self._write(list(puts.values()))
        return results

    def reflect(self, namespace_prefix: Namespace, query: str, *, max_tokens: int | None = None) -> ReflectResult:
        """An answer from the indexed items under `namespace_prefix`, citing them (the core's reflect)."""
        return self._bound.run(self.areflect(namespace_prefix, query, max_tokens=max_tokens))

    async def areflect(
        self, namespace_prefix: Namespace, query: str, *, max_tokens: int | None = None
    ) -> ReflectResult:
        banks = await self._read_banks()
        if not banks:
            return ReflectResult(query=query, answer=NOTHING_FOUND, mode="extractive", citations=(), hits=())
        return await self._bound.brain.reflect(
            query,
            banks=banks,
            filter=_where(namespace_prefix, indexed=True),
            max_tokens=max_tokens,
            context=self._bound.context,
        )

    def sweep_ttl(self) -> int:
        """Delete every expired item now; returns how many."""
        return self._bound.run(self.asweep_ttl())

    async def asweep_ttl(self) -> int:
        expired = []
        for bank in await self._read_banks():
            expired += await self._select(bank, {STORE: True, EXPIRES: {"$lt": self._now_us()}})
        await self._drop(expired)
        return len(expired)

    def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> concurrent.futures.Future[None]:
        """Sweep expired items every `sweep_interval_minutes` (default: the TTL config's) in a daemon thread.

        The returned future completes when `stop_ttl_sweeper()` (or `close()`) stops it."""
        interval = sweep_interval_minutes or (self.ttl_config or {}).get("sweep_interval_minutes")
        if not interval:
            raise ValidationError("sweep_interval_minutes: pass it, or set ttl={'sweep_interval_minutes': ...}")
        if self._sweeper is not None:
            raise ValidationError("the TTL sweeper is already running; stop_ttl_sweeper() first")
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        stop = threading.Event()

        def sweep_until_stopped() -> None:
            while not stop.wait(interval * 60):
                try:
                    swept = self.sweep_ttl()
                except Exception:
                    log.exception("TTL sweep failed; retrying in %s minutes", interval)
                else:
                    log.debug("TTL sweep deleted %d expired items", swept)
            done.set_result(None)

        thread = threading.Thread(target=sweep_until_stopped, name="astrocyte-langgraph-ttl", daemon=True)
        self._sweeper = (thread, stop)
        thread.start()
        return done

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper; True once its thread has ended (also when none was running)."""
        if self._sweeper is None:
            return True
        thread, stop = self._sweeper
        stop.set()
        thread.join(timeout)
        if not thread.is_alive():
            self._sweeper = None
        return not thread.is_alive()

    def close(self) -> None:
        """Stop the TTL sweeper. The brain stays open: it belongs to the caller."""
        self.stop_ttl_sweeper()

    async def _get(self, op: GetOp) -> Item | None:
        record = await self._locate(op.namespace, op.key)
        if record is None:
            return None
        now = self._now_us()
        if _expired(record, now):
            await self._drop([record])
            return None
        if op.refresh_ttl:
            await self._refresh([record], now)
        return _item(record, Item)

    async def _search(self, op: SearchOp) -> list[SearchItem]:
        check_filter(op.filter)
        banks = await self._read_banks()
        if not banks:
            return []
        now = self._now_us()
        if op.query:
            found = await self._ranked(op, banks, now)
        else:
            records = [record for record in await self._live(op.namespace_prefix, banks, now) if _passes(record, op)]
            records.sort(key=_insertion_order)
            found = [(record, None) for record in records[op.offset : op.offset + op.limit]]
        if op.refresh_ttl:
            await self._refresh([record for record, _ in found], now)
        return [_item(record, SearchItem, score) for record, score in found]

    async def _ranked(self, op: SearchOp, banks: list[str], now: int) -> list[tuple[MemoryRecord, float]]:
        wanted = op.offset + op.limit
        window = min(_MAX_RANKED, max(wanted, 1))
        while True:
            result = await self._bound.brain.recall(
                op.query or "",
                banks=banks,
                max_results=window,
                filter=_where(op.namespace_prefix, indexed=True),
                context=self._bound.context,
            )
            expired = [hit.record for hit in result.hits if _expired(hit.record, now)]
            live = [hit for hit in result.hits if not _expired(hit.record, now)]
            kept = _unique([(hit.record, hit.score) for hit in live if _passes(hit.record, op)])
            if len(kept) >= wanted or len(result.hits) < window or window == _MAX_RANKED:
                break
            window = min(_MAX_RANKED, window * 4)
        await self._drop(expired)
        return kept[op.offset : op.offset + op.limit]

    async def _list_namespaces(self, op: ListNamespacesOp) -> list[Namespace]:
        namespaces = set()
        for record in await self._live((), await self._read_banks(), self._now_us()):
            namespace, _ = parse_item_key(record.key) or ((), "")
            if all(namespace_matches(namespace, condition) for condition in op.match_conditions or ()):
                namespaces.add(namespace if op.max_depth is None else namespace[: op.max_depth])
        return sorted(namespaces)[op.offset : op.offset + op.limit]

    async def _write(self, ops: list[PutOp]) -> None:
        brain, context = self._bound.brain, self._bound.context
        now = self._now_us()
        forgets: dict[str, list[str]] = defaultdict(list)
        items: list[dict[str, Any]] = []
        was_in: dict[str, str] = {}
        orders: dict[Namespace, int] = {}
        for op in ops:
            key = item_key(op.namespace, op.key)
            if op.value is None:
                if not self._spread:
                    forgets[self._to_bank(op.namespace)].append(key)
                elif existing := await self._locate(op.namespace, op.key):
                    forgets[existing.bank_id].append(key)
                continue
            existing = await self._locate(op.namespace, op.key)
            created = now
            if existing is not None:
                was_in[key] = existing.bank_id
                order = int(existing.metadata.get(ORDER) or 0)
                created = int(existing.metadata.get(CREATED) or _micros(existing.retained_at))
            else:
                order = orders.get(op.namespace) or await self._namespace_order(op.namespace)
            orders.setdefault(op.namespace, order)
            items.append(self._memory_of(op, key, order, created, now))
        results = await self._bound.retain_many(items) if items else []
        for item, result in zip(items, results, strict=True):
            if was_in.get(item["key"], result.bank_id) != result.bank_id:
                forgets[was_in[item["key"]]].append(item["key"])
        for bank, keys in forgets.items():
            await brain.forget(bank, keys=keys, context=context)

    def _memory_of(self, op: PutOp, key: str, order: int, created: int, now: int) -> dict[str, Any]:
        namespace = op.namespace
        text = self._indexed_text(op)
        metadata: dict[str, Any] = {
            STORE: True,
            ITEM: locator(namespace, op.key),
            DEPTH: len(namespace),
            ORDER: order,
            INDEXED: text is not None,
            NAMESPACE: "/".join(namespace),
            CREATED: created,
            UPDATED: now,
        }
        metadata.update({_prefix_field(depth): locator(namespace[:depth]) for depth in range(1, len(namespace) + 1)})
        if op.ttl is not None:
            metadata[TTL_MINUTES] = float(op.ttl)
            metadata[EXPIRES] = now + _minutes_us(op.ttl)
        return {
            "content": text or key,
            "bank_id": self._to_bank(namespace),
            "key": key,
            "value": dict(op.value or {}),
            "metadata": metadata,
            "source": SOURCE,
        }

    def _indexed_text(self, op: PutOp) -> str | None:
        if op.index is False:
            return None
        paths = self._fields if op.index is None else [(path, tokenize_path(path)) for path in op.index]
        texts = [text for _, path in paths for text in get_text_at_path(op.value, path)]
        joined = "\n".join(text for text in texts if text.strip())
        return joined[: self._bound.brain.config.limits.max_content_chars] or None

    async def _locate(self, namespace: Namespace, key: str) -> MemoryRecord | None:
        bank = self._to_bank(namespace)
        found = await self._bound.brain.get(bank, key=item_key(namespace, key), context=self._bound.context)
        if found is not None or not self._spread:
            return found
        for other in await self._read_banks():
            if other != bank and (hits := await self._select(other, {ITEM: locator(namespace, key)}, limit=1)):
                return hits[0]
        return None

    async def _namespace_order(self, namespace: Namespace) -> int:
        """The ordering stamp of a namespace: that of an item it holds, or a new one when it holds none."""
        where = {**_where(namespace), DEPTH: len(namespace)}
        banks = await self._read_banks() if self._spread else [self._to_bank(namespace)]
        for bank in banks:
            if held := await self._select(bank, where, limit=1):
                return int(held[0].metadata.get(ORDER) or 0)
        return self._order.next()

    async def _live(self, prefix: Namespace, banks: list[str], now: int) -> list[MemoryRecord]:
        records = _unique([(record, None) for bank in banks for record in await self._select(bank, _where(prefix))])
        expired = [record for record, _ in records if _expired(record, now)]
        await self._drop(expired)
        return [record for record, _ in records if not _expired(record, now)]

    async def _select(self, bank: str, where: Mapping[str, Any], limit: int | None = None) -> list[MemoryRecord]:
        """Every record of `bank` matching the metadata filter `where` (or the first `limit`), oldest first."""
        records = iter_records(self._bound.brain, bank, where, context=self._bound.context, limit=limit)
        return [record async for record in records]

    async def _read_banks(self) -> list[str]:
        return await self._bound.readable_banks(scoped=self._reads_scoped_banks)

    async def _refresh(self, records: list[MemoryRecord], now: int) -> None:
        renewed = [
            {
                "content": record.text,
                "bank_id": record.bank_id,
                "key": record.key,
                "value": record.value,
                "metadata": {
                    **record.metadata,
                    EXPIRES: now + _minutes_us(float(record.metadata[TTL_MINUTES] or 0)),
                    UPDATED: record.metadata.get(UPDATED) or _micros(record.updated_at),
                },
                "tags": list(record.tags),
                "occurred_at": record.occurred_at,
                "source": record.source,
                "content_type": record.content_type,
            }
            for record in records
            if record.metadata.get(TTL_MINUTES) is not None
        ]
        if renewed:
            await self._bound.retain_many(renewed)

    def _now_us(self) -> int:
        return round(self._clock() * 1_000_000)

    async def _drop(self, records: list[MemoryRecord]) -> None:
        """Delete expired items, best effort: a reader without `forget` on the bank just skips them."""
        by_bank: dict[str, list[str]] = defaultdict(list)
        for record in records:
            by_bank[record.bank_id].append(record.key or "")
        for bank, keys in by_bank.items():
            try:
                await self._bound.brain.forget(bank, keys=keys, context=self._bound.context)
            except AstrocyteError as exc:
                log.debug("expired items in %s left for a sweep: %s", bank, exc)


class _OrderClock:
    """Strictly increasing nanosecond stamps from `clock` (seconds), so namespaces created in one batch keep
    their order."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(round(self._clock() * 1_000_000_000), self._last + 1)
            return self._last


def _index_fields(index: IndexConfig | None) -> list[str]:
    if index is None:
        return ["$"]
    borrowed = sorted({"embed", "dims"} & set(index))
    if borrowed:
        raise ValidationError(
            f"index.{borrowed[0]}: Astrocyte embeds with its own embedder (the `embedder` config section); "
            "pass only index={'fields': [...]}"
        )
    unknown = sorted(set(index) - {"fields"})
    if unknown:
        raise ValidationError(f"index.{unknown[0]}: unknown field; AstrocyteStore reads only index['fields']")
    return list(index.get("fields") or ["$"])


def _ttl_config(ttl: TTLConfig | None) -> TTLConfig | None:
    if ttl is None:
        return None
    unknown = sorted(set(ttl) - _TTL_KEYS)
    if unknown:
        raise ValidationError(f"ttl.{unknown[0]}: unknown field; use {', '.join(sorted(_TTL_KEYS))}")
    if ttl.get("omit_expired") is False:
        raise ValidationError("ttl.omit_expired: AstrocyteStore always omits expired items; leave it out or True")
    return ttl


def _where(prefix: Namespace, *, indexed: bool = False) -> dict[str, Any]:
    where: dict[str, Any] = {STORE: True}
    if prefix:
        where[_prefix_field(len(prefix))] = locator(prefix)
    if indexed:
        where[INDEXED] = True
    return where


def _prefix_field(depth: int) -> str:
    return f"langgraph_ns{depth}"


def _passes(record: MemoryRecord, op: SearchOp) -> bool:
    return parse_item_key(record.key) is not None and matches(_value(record), op.filter)


def _unique(found: list[tuple[MemoryRecord, Any]]) -> list[tuple[MemoryRecord, Any]]:
    """One hit per item, the first seen (an item found in several readable banks, e.g. after a re-route)."""
    seen: set[str | None] = set()
    kept = []
    for record, score in found:
        if record.key not in seen:
            seen.add(record.key)
            kept.append((record, score))
    return kept


def _insertion_order(record: MemoryRecord) -> tuple[int, datetime, str]:
    return int(record.metadata.get(ORDER) or 0), record.retained_at, record.id


def _item(record: MemoryRecord, kind: type[Item], score: float | None = None) -> Any:
    namespace, key = parse_item_key(record.key) or ((), "")
    created, updated = record.metadata.get(CREATED), record.metadata.get(UPDATED)
    fields = {
        "namespace": namespace,
        "key": key,
        "value": _value(record),
        "created_at": _from_micros(int(created)) if created is not None else record.retained_at,
        "updated_at": _from_micros(int(updated)) if updated is not None else record.updated_at,
    }
    return SearchItem(**fields, score=score) if kind is SearchItem else Item(**fields)


def _value(record: MemoryRecord) -> dict[str, Any]:
    return record.value if isinstance(record.value, dict) else {}


def _expired(record: MemoryRecord, now: int) -> bool:
    expires = record.metadata.get(EXPIRES)
    return expires is not None and int(expires) <= now


def _minutes_us(minutes: float) -> int:
    return int(minutes * 60_000_000)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)
