"""What the pipeline stages run against, built once and never changed: the config, the guarded store and
models, the policy gate, the breakers, the clock, and the storage shared with other Astrocyte objects on the
same data directory (`_core.storage`).

    runtime = build_runtime(load_config("astrocyte.yaml"), telemetry=Telemetry())
    runtime = build_runtime(config, telemetry=t, store=my_store, embedder=my_embedder, llm=my_model, clock=clock)

The order matters and lives only here: the backends are built (or handed in), then each is put behind its
circuit breaker, and only then are the policy gate and MIP made, from the guarded chat model, so that MIP's
intent step fails fast while the `llm` breaker is open like every other model call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from astrocyte import plugins
from astrocyte._core.context import Threads
from astrocyte._core.storage import Storage, open_storage
from astrocyte.config import AstrocyteConfig, EmbedderConfig, LLMConfig, RecallConfig, deep_merge
from astrocyte.models.base import ChatModel, Embedder
from astrocyte.policy.audit import AuditLog
from astrocyte.policy.gate import PolicyGate
from astrocyte.policy.guard import guard
from astrocyte.policy.resilience import Resilience
from astrocyte.stores.base import MemoryStore
from astrocyte.telemetry import Telemetry

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    config: AstrocyteConfig
    store: MemoryStore
    embedder: Embedder
    llm: ChatModel | None
    gate: PolicyGate
    resilience: Resilience
    audit: AuditLog
    telemetry: Telemetry
    storage: Storage
    clock: Clock = utc_now
    searches: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="astrocyte-search")
    )
    """Runs a recall's vector search alongside its keyword and entity searches."""
    _bank_recall: dict[str, RecallConfig] = field(default_factory=dict, init=False, repr=False)

    def recall_config(self, bank_id: str) -> RecallConfig:
        """The recall settings for `bank_id`: the configured ones, with the bank's own (from the MIP rule that
        routes writes to it) laid over them."""
        if bank_id not in self._bank_recall:
            overrides = self.gate.router.rules.recall_for(bank_id) if self.gate.router is not None else {}
            base = self.config.pipeline.recall
            self._bank_recall[bank_id] = (
                RecallConfig.model_validate(deep_merge(base.model_dump(), overrides)) if overrides else base
            )
        return self._bank_recall[bank_id]

    @property
    def entity_llm(self) -> ChatModel | None:
        """The model that names entities: a real LLM under `auto`, always under `llm`, never otherwise."""
        mode = self.config.pipeline.entities.mode
        if mode == "llm" or (mode == "auto" and self.config.llm.provider not in ("none", "offline")):
            return self.llm
        return None

    @property
    def write_lock(self) -> threading.Lock:
        return self.storage.write_lock

    @property
    def threads(self) -> Threads:
        return self.storage.threads

    def close(self) -> None:
        self.searches.shutdown(wait=True)
        self.storage.release()


def build_runtime(
    config: AstrocyteConfig,
    *,
    telemetry: Telemetry,
    store: MemoryStore | None = None,
    embedder: Embedder | None = None,
    llm: ChatModel | None = None,
    clock: Clock | None = None,
) -> Runtime:
    """The runtime for `config`; a store, embedder, chat model or clock handed in replaces the configured one."""
    persistent = config.store.kind == "embedded"
    now = clock or utc_now
    audit = AuditLog(config.data_dir / "audit.jsonl" if persistent else None, enabled=config.lifecycle.audit)
    embedder = embedder or build_embedder(config.embedder)
    storage = open_storage(config, embedder, lambda: open_store(config, embedder), store)
    try:
        resilience = Resilience(
            config.policy.breaker,
            storage.outbox,
            storage.replaying,
            telemetry=telemetry,
            audit=audit,
            clock=(lambda: now().timestamp()) if clock else None,
        )
        store = storage.store
        llm = llm if llm is not None else build_llm(config.llm)
        if config.policy.breaker.enabled:
            store = guard(store, resilience.breakers["store"], MemoryStore)
            embedder = guard(embedder, resilience.breakers["embedder"], Embedder)
            llm = guard(llm, resilience.breakers["llm"], ChatModel) if llm is not None else None
        gate = PolicyGate(config, llm=llm, audit=audit, telemetry=telemetry, clock=clock)
        return Runtime(
            config=config,
            store=store,
            embedder=embedder,
            llm=llm,
            gate=gate,
            resilience=resilience,
            audit=audit,
            telemetry=telemetry,
            storage=storage,
            clock=now,
        )
    except BaseException:
        storage.release()
        raise


def build_embedder(config: EmbedderConfig) -> Embedder:
    if config.provider == "litellm":
        from astrocyte.models.litellm_models import LiteLLMEmbedder

        return LiteLLMEmbedder(config.model or "", dimensions=config.dimensions, api_base=config.api_base)
    if config.provider == "sentence-transformers":
        from astrocyte.models.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(config.model or "")
    if config.provider == "offline":
        from astrocyte.models.offline_embedder import OfflineEmbedder

        return OfflineEmbedder(dimensions=config.dimensions or 384)
    return plugins.build_plugin(plugins.EMBEDDERS, config.provider, "embedder.provider", config.options, Embedder)


def build_llm(config: LLMConfig) -> ChatModel | None:
    if config.provider == "litellm":
        from astrocyte.models.litellm_models import LiteLLMChatModel

        return LiteLLMChatModel(
            config.model or "",
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            api_base=config.api_base,
        )
    if config.provider == "offline":
        from astrocyte.models.offline_model import OfflineModel

        return OfflineModel()
    if config.provider == "none":
        return None
    return plugins.build_plugin(plugins.LLMS, config.provider, "llm.provider", config.options, ChatModel)


def open_store(config: AstrocyteConfig, embedder: Embedder) -> MemoryStore:
    if config.store.kind == "memory":
        from astrocyte.stores.memory import InMemoryStore

        return InMemoryStore()
    if config.store.kind == "embedded":
        from astrocyte.stores.embedded import EmbeddedStore

        return EmbeddedStore.from_config(
            config.data_dir, config.store, embedder_identity=embedder.identity, dimensions=embedder.dimensions
        )
    return plugins.build_plugin(plugins.STORES, config.store.kind, "store.kind", config.store.options, MemoryStore)
