"""The facade: `Astrocyte`, async first, with `brain.sync` as its synchronous twin.

from astrocyte import Astrocyte

with Astrocyte() as brain:                       # embedded default under ./.astrocyte, no server, no key
    brain.sync.retain("Alice lives in Paris.", bank_id="people", tags=["home"])
    hits = brain.sync.recall("Where does Alice live?", bank_id="people").hits
    print(brain.sync.reflect("Where does Alice live?", bank_id="people").answer)
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider
from pydantic import ValidationError as PydanticValidationError

from astrocyte import _inputs as inputs
from astrocyte._core.forget import forget, select_for_forget
from astrocyte._core.recall import recall
from astrocyte._core.reflect import reflect
from astrocyte._core.retain import make_request, retain_batch
from astrocyte._core.runtime import build_runtime
from astrocyte._core.transfer import Progress, export_bank, import_bank
from astrocyte._requests import RecallRequest, RecordFilter, RetainRequest
from astrocyte.cards import CardResolver, CardSource
from astrocyte.config import AstrocyteConfig, load_config
from astrocyte.errors import AccessDenied, ProviderUnavailable, ValidationError
from astrocyte.hooks import Hook, HookCall, Hooks
from astrocyte.mip import MipRouter
from astrocyte.models.base import ChatModel, Embedder
from astrocyte.policy.breaker import CircuitBreaker, is_backend_failure
from astrocyte.policy.lifecycle import LifecycleReport, expire
from astrocyte.scoped import AgentMemory, ScopedMemory
from astrocyte.stores.base import MemoryStore
from astrocyte.sync import LoopThread, SyncTwin, blocking
from astrocyte.telemetry import Telemetry
from astrocyte.types import (
    BankInfo,
    Context,
    ForgetResult,
    MemoryRecord,
    RecallResult,
    RecallStrategy,
    RecallTrace,
    ReflectResult,
    RetainResult,
)

_STRATEGIES: tuple[str, ...] = ("parallel", "cascade", "first_match")
log = logging.getLogger(__name__)


class Astrocyte:
    """Long-term memory over named banks: retain, recall, reflect, forget — through one policy gate."""

    def __init__(
        self,
        config: AstrocyteConfig | str | Path | Mapping[str, Any] | None = None,
        *,
        data_dir: str | Path | None = None,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        store: MemoryStore | None = None,
        embedder: Embedder | None = None,
        llm: ChatModel | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Open the memory `config` describes (a file, a dict, an AstrocyteConfig; default: embedded).

        `store`, `embedder` and `llm` replace the configured backends with objects of your own (they still run
        behind the circuit breakers and the policy gate); `clock` (returning an aware datetime) replaces the
        wall clock for everything time-dependent: TTL expiry, breakers, rate limits, quotas, MIP rule windows and
        relative dates."""
        resolved = config if isinstance(config, AstrocyteConfig) else load_config(_as_source(config))
        if data_dir is not None:
            resolved = resolved.model_copy(update={"data_dir": Path(data_dir)})
        self._telemetry = Telemetry(tracer_provider, meter_provider)
        self._runtime = build_runtime(
            resolved, telemetry=self._telemetry, store=store, embedder=embedder, llm=llm, clock=clock
        )
        self.audit = self._runtime.audit
        self._gate = self._runtime.gate
        self._resilience = self._runtime.resilience
        self._hooks = Hooks()
        self._loop = LoopThread()
        self.sync = SyncAstrocyte(self, self._loop)
        if resolved.lifecycle.run_on_open and resolved.lifecycle.ttl:
            try:
                self.sync.run_lifecycle()
            except BaseException:
                self.close()
                raise

    @classmethod
    def from_config(cls, path: str | Path) -> Astrocyte:
        return cls(Path(path))

    @property
    def config(self) -> AstrocyteConfig:
        return self._runtime.config

    @property
    def breakers(self) -> dict[str, CircuitBreaker]:
        """The circuit breakers by name (`store`, `embedder`, `llm`), for inspection."""
        return self._resilience.breakers

    @property
    def queued_writes(self) -> int:
        """Writes acknowledged as queued while the store was down, not yet replayed into it."""
        return len(self._resilience.outbox)

    @property
    def mip(self) -> MipRouter | None:
        """The Memory Intent Protocol router, when `mip.rules` is configured."""
        return self._gate.router

    async def retain(
        self,
        content: str,
        bank_id: str | None = None,
        *,
        key: str | None = None,
        value: Any = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        occurred_at: Any = None,
        source: str | None = None,
        content_type: str = "text",
        context: Context | None = None,
    ) -> RetainResult:
        """Remember `content` in `bank_id` (or where MIP routes it). With `key`, replace what that key held."""
        item = {
            "content": content,
            "key": key,
            "value": value,
            "metadata": metadata,
            "tags": tags,
            "occurred_at": occurred_at,
            "source": source,
            "content_type": content_type,
        }
        [result] = await self.retain_many([item], bank_id, context=context)
        return result

    async def retain_many(
        self, items: Sequence[str | Mapping[str, Any]], bank_id: str | None = None, *, context: Context | None = None
    ) -> list[RetainResult]:
        """Retain several memories in one batch (one embedding call, one transaction).

        Each item is a string or a mapping of `retain`'s keyword arguments plus `content` (and optionally its
        own `bank_id`). Every item is checked and admitted by the policy before any is stored.
        """
        context = _context(context)
        if isinstance(items, str) or not isinstance(items, Sequence):
            raise ValidationError("items: must be a list of strings or of mappings with 'content'")
        with self._telemetry.operation("retain", principal=_principal(context), items=len(items)) as span:
            drafts = []
            for item in items:
                fields = dict(item) if isinstance(item, Mapping) else {"content": item}
                content, bank = fields.pop("content", None), fields.pop("bank_id", bank_id)
                bank = bank if bank is not None else self._gate.access.default_bank(context)
                if fields.get("source") is None and context is not None:
                    fields["source"] = context.principal
                drafts.append(make_request(self._runtime, content, bank, **fields))
            requests, warnings = await self._gate.admit_retain(drafts, context)
            span.set_attribute("astrocyte.banks", sorted({request.bank_id or "" for request in requests}))
            results = await self._store_or_queue(requests)
            results = [
                result.model_copy(update={"warnings": notes + result.warnings}) if notes else result
                for result, notes in zip(results, warnings, strict=True)
            ]
        for result in results:
            await self._hooks.emit(HookCall("on_retain", (result.bank_id,), result, context))
        return results

    async def recall(
        self,
        query: str,
        bank_id: str | None = None,
        *,
        banks: Sequence[str] | None = None,
        strategy: RecallStrategy = "parallel",
        max_results: int = 10,
        max_tokens: int | None = None,
        tags: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
        time_range: tuple[Any, Any] | None = None,
        as_of: Any = None,
        context: Context | None = None,
    ) -> RecallResult:
        """The memories most relevant to `query`, best first, with scores in [0, 1] and a trace."""
        context = _context(context)
        request = self._recall_request(
            query, bank_id, banks, strategy, max_results, max_tokens, tags, filter, time_range, as_of, context
        )
        with self._telemetry.operation(
            "recall", banks=",".join(request.banks), principal=_principal(context), strategy=request.strategy
        ) as span:
            self._gate.admit_read(request.banks, context, "recall")
            await self._replay_queued()
            result = self._gate.scrub_recall(await self._recall_or_degrade(request))
            span.set_attributes(
                {"astrocyte.hits": len(result.hits)}
                | {f"astrocyte.candidates.{name}": count for name, count in result.trace.strategies.items()}
            )
        await self._hooks.emit(HookCall("on_recall", tuple(request.banks), result, context))
        return result

    async def reflect(
        self,
        query: str,
        bank_id: str | None = None,
        *,
        banks: Sequence[str] | None = None,
        max_tokens: int | None = None,
        tags: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
        context: Context | None = None,
    ) -> ReflectResult:
        """An answer to `query` from memory, citing the memories it uses; `max_tokens` bounds the answer."""
        context = _context(context)
        if max_tokens is not None:
            inputs.positive_int(max_tokens, "max_tokens", maximum=100_000)
        request = self._recall_request(query, bank_id, banks, "parallel", 10, None, tags, filter, None, None, context)
        with self._telemetry.operation("reflect", banks=",".join(request.banks), principal=_principal(context)) as span:
            self._gate.admit_read(request.banks, context, "reflect")
            result = self._gate.scrub_reflect(await reflect(self._runtime, request, max_tokens))
            span.set_attributes({"astrocyte.hits": len(result.hits), "astrocyte.mode": result.mode})
        await self._hooks.emit(HookCall("on_reflect", tuple(request.banks), result, context))
        return result

    async def forget(
        self,
        bank_id: str,
        *,
        memory_ids: Sequence[str] | None = None,
        keys: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        before: Any = None,
        all: bool = False,
        context: Context | None = None,
    ) -> ForgetResult:
        """Delete the memories of `bank_id` matching every selector given, or all of them with `all=True`."""
        context = _context(context)
        bank = inputs.bank_id(bank_id)
        where = select_for_forget(memory_ids, keys, tags, before, all)
        with self._telemetry.operation("forget", banks=bank, principal=_principal(context)) as span:
            self._gate.admit_forget(bank, context)
            result = await forget(self._runtime, bank, where)
            span.set_attribute("astrocyte.deleted", result.deleted)
        self.audit.record(
            "forget",
            bank_id=bank,
            principal=_principal(context),
            deleted=result.deleted,
            selectors=sorted(name for name, given in _selectors(memory_ids, keys, tags, before, all) if given),
        )
        await self._hooks.emit(HookCall("on_forget", (bank,), result, context))
        return result

    async def get(
        self, bank_id: str, memory_id: str | None = None, key: str | None = None, *, context: Context | None = None
    ) -> MemoryRecord | None:
        """One memory by id or by key, or None."""
        bank = inputs.bank_id(bank_id)
        if (memory_id is None) == (key is None):
            raise ValidationError("get: pass exactly one of memory_id or key")
        self._gate.admit_read([bank], _context(context), "get")
        if memory_id is not None:
            where = RecordFilter(ids=inputs.ids([memory_id], "memory_id"))
        else:
            where = RecordFilter(keys=frozenset({inputs.key(key) or ""}))
        found = self._gate.scrub_records(await asyncio.to_thread(self._runtime.store.select, bank, where, limit=1))
        return found[0] if found else None

    async def list(
        self,
        bank_id: str,
        offset: int = 0,
        limit: int = 100,
        filter: Mapping[str, Any] | None = None,
        *,
        context: Context | None = None,
    ) -> builtins.list[MemoryRecord]:
        """Memories of a bank, oldest retained first, optionally filtered on metadata."""
        bank = inputs.bank_id(bank_id)
        if not isinstance(offset, int) or offset < 0:
            raise ValidationError(f"offset: must be a whole number >= 0, got {offset!r}")
        inputs.positive_int(limit, "limit")
        where = inputs.record_filter(filter)
        self._gate.admit_read([bank], _context(context), "list")
        records = await asyncio.to_thread(self._runtime.store.select, bank, where, offset=offset, limit=limit)
        return self._gate.scrub_records(records)

    async def banks(self, *, context: Context | None = None) -> builtins.list[BankInfo]:
        """Banks holding memories (only those the caller may read, when access control is on)."""
        found = await asyncio.to_thread(self._runtime.store.banks)
        readable = set(self._gate.access.readable(_context(context), [bank.bank_id for bank in found]))
        return [bank for bank in found if bank.bank_id in readable]

    async def export_bank(
        self, bank_id: str, path: str | Path, progress: Progress | None = None, *, context: Context | None = None
    ) -> int:
        """Write every memory of the bank to `path` as JSON Lines; returns how many."""
        bank = inputs.bank_id(bank_id)
        self._gate.admit_read([bank], _context(context), "export")
        return await export_bank(self._runtime, bank, path, progress)

    async def import_bank(
        self,
        path: str | Path,
        bank_id: str | None = None,
        progress: Progress | None = None,
        *,
        context: Context | None = None,
    ) -> int:
        """Load a JSON Lines export (into `bank_id` if given, else each record's own bank); returns how many.

        Imported memories pass the PII barrier like any write, so an export made before a policy was switched
        on is cleaned on the way in."""
        target = inputs.bank_id(bank_id) if bank_id is not None else None
        context = _context(context)
        return await import_bank(
            self._runtime, path, target, progress, admit=lambda records: self._gate.admit_import(records, context)
        )

    async def run_lifecycle(self) -> LifecycleReport:
        """Expire memories past their TTL (banks under legal hold are kept); also runs on open."""
        runtime = self._runtime
        return await expire(runtime.store, runtime.write_lock, self.config.lifecycle, self.audit, runtime.clock())

    def scoped(
        self, bank_id: str, *, context: Context | None = None, banks: Sequence[str] | None = None
    ) -> ScopedMemory:
        """This memory bound to one bank (writes) and caller; recall reads `banks` (default: that bank)."""
        return ScopedMemory(
            self,
            inputs.bank_id(bank_id),
            context=_context(context),
            banks=inputs.bank_ids(None, banks) if banks is not None else None,
        )

    async def for_agent(
        self,
        card: CardSource,
        *,
        environment: str | None = None,
        tenant: str | None = None,
        bindings: str | Path | CardResolver | None = None,
    ) -> AgentMemory:
        """Memory for the agent an A2A card describes: the principal, default bank and grants its binding gives.

        `card` is an AgentCard, a card dict, a JSON file or the agent's URL; `bindings` a bindings file (default:
        `cards.bindings` in the config) or a CardResolver. From then on the access policy honours the binding's
        grants. Raises AccessDenied when the card's trust is below its binding's, or no binding matches and the
        fallback is deny."""
        cards = self.config.cards
        resolver = (
            bindings
            if isinstance(bindings, CardResolver)
            else CardResolver.load(bindings or cards.bindings, timeout=cards.fetch_timeout_s)
        )
        try:
            resolution = await resolver.resolve(card, environment=environment, tenant=tenant)
        except AccessDenied as exc:
            self.audit.record("agent_card_refused", reason=str(exc))
            raise
        self._gate.access.add_grants(resolution.grants)
        self.audit.record(
            "agent_card_resolved",
            **resolution.model_dump(include={"identity", "binding", "trust", "fingerprint", "principal", "bank_id"}),
        )
        return AgentMemory(self, resolution)

    def register_hook(self, event: str, hook: Hook) -> None:
        self._hooks.register(event, hook)

    def close(self) -> None:
        """Release the data directory and stop the sync loop. Idempotent."""
        self._loop.close()
        self._runtime.close()

    def __enter__(self) -> Astrocyte:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Astrocyte:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    async def _store_or_queue(self, requests: builtins.list[RetainRequest]) -> builtins.list[RetainResult]:
        await self._replay_queued()
        try:
            return await retain_batch(self._runtime, requests)
        except Exception as exc:
            if not is_backend_failure(exc):
                raise
            if self.config.policy.breaker.degraded_retain == "queue":
                return self._resilience.queue(requests, exc)
            raise ProviderUnavailable(f"the store could not take this write: {exc}") from exc

    async def _replay_queued(self) -> None:
        if len(self._resilience.outbox):
            try:
                await self._resilience.replay(lambda batch: retain_batch(self._runtime, batch))
            except Exception as exc:
                if not is_backend_failure(exc):
                    raise

    async def _recall_or_degrade(self, request: RecallRequest) -> RecallResult:
        try:
            return await recall(self._runtime, request)
        except Exception as exc:
            if not is_backend_failure(exc):
                raise
            mode = self.config.policy.breaker.degraded_recall
            if mode == "error":
                raise ProviderUnavailable(f"recall failed and policy.breaker.degraded_recall is error: {exc}") from exc
            reason = f"{type(exc).__name__}: {exc}"
            if mode == "lexical":
                try:
                    lexical = await recall(self._runtime, dataclasses.replace(request, lexical_only=True))
                except Exception as again:
                    if not is_backend_failure(again):
                        raise
                else:
                    return _degraded(lexical, f"lexical only ({reason})")
            empty = RecallTrace(
                banks=tuple(request.banks), strategy=request.strategy, strategies={}, fused_candidates=0, returned=0
            )
            return _degraded(RecallResult(query=request.query, hits=(), trace=empty), f"empty ({reason})")

    def _recall_request(
        self,
        query: object,
        bank_id: object,
        banks: object,
        strategy: object,
        max_results: object,
        max_tokens: object,
        tags: object,
        filter: object,
        time_range: object,
        as_of: object,
        context: Context | None,
    ) -> RecallRequest:
        if strategy not in _STRATEGIES:
            raise ValidationError(f"strategy: {strategy!r} is not a strategy; use one of {', '.join(_STRATEGIES)}")
        return RecallRequest(
            query=inputs.query(query),
            banks=inputs.bank_ids(
                bank_id if bank_id is not None or banks is not None else self._gate.access.default_bank(context), banks
            ),
            strategy=strategy,  # type: ignore[arg-type]
            max_results=inputs.positive_int(max_results, "max_results", maximum=1000),
            max_tokens=None if max_tokens is None else inputs.positive_int(max_tokens, "max_tokens", maximum=10**6),
            where=inputs.record_filter(
                filter,
                tags_all=inputs.tags(tags, self._runtime.config.limits),
                time_range=time_range,
                as_of=as_of,
            ),
        )


class SyncAstrocyte(SyncTwin[Astrocyte]):
    """`brain.sync`: every async method of Astrocyte, blocking until done. Same arguments, same results."""

    retain = blocking(Astrocyte.retain)
    retain_many = blocking(Astrocyte.retain_many)
    recall = blocking(Astrocyte.recall)
    reflect = blocking(Astrocyte.reflect)
    forget = blocking(Astrocyte.forget)
    get = blocking(Astrocyte.get)
    list = blocking(Astrocyte.list)
    banks = blocking(Astrocyte.banks)
    export_bank = blocking(Astrocyte.export_bank)
    import_bank = blocking(Astrocyte.import_bank)
    run_lifecycle = blocking(Astrocyte.run_lifecycle)
    for_agent = blocking(Astrocyte.for_agent)


def _as_source(config: str | Path | Mapping[str, Any] | None) -> str | Path | dict[str, Any] | None:
    return dict(config) if isinstance(config, Mapping) else config


def _context(value: object) -> Context | None:
    if value is None or isinstance(value, Context):
        return value
    if isinstance(value, Mapping):
        try:
            return Context.model_validate(dict(value))
        except PydanticValidationError as exc:
            raise ValidationError(f"context: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    raise ValidationError(f"context: must be a Context (or a mapping of its fields), got {type(value).__name__}")


def _principal(context: Context | None) -> str | None:
    return context.principal if context else None


def _selectors(*given: object) -> list[tuple[str, bool]]:
    names = ("memory_ids", "keys", "tags", "before", "all")
    return [(name, bool(value)) for name, value in zip(names, given, strict=True)]


def _degraded(result: RecallResult, why: str) -> RecallResult:
    log.warning("recall degraded: %s", why)
    return result.model_copy(update={"trace": result.trace.model_copy(update={"degraded": why})})
