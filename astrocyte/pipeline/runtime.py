"""What the pipeline stages run against: the config, the store and the models, built once from config.

runtime = open_runtime(load_config("astrocyte.yaml"))
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from astrocyte.config import AstrocyteConfig, EmbedderConfig, LLMConfig, RecallConfig, deep_merge
from astrocyte.models.base import ChatModel, Embedder
from astrocyte.pipeline.context import Threads
from astrocyte.stores.base import MemoryStore
from astrocyte.telemetry import Telemetry


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: AstrocyteConfig
    store: MemoryStore
    embedder: Embedder
    llm: ChatModel | None
    clock: Callable[[], datetime] = field(default=_utc_now)
    telemetry: Telemetry = field(default_factory=Telemetry)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    """Serialises read-then-write steps (key upserts, dedup) so concurrent writers cannot both insert."""
    threads: Threads = field(default_factory=Threads)
    """The latest memories of each conversation thread, indexed as context of the next (`pipeline.context`)."""
    searches: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="astrocyte-search")
    )
    """Runs a recall's vector search alongside its keyword and entity searches."""
    bank_recall: Callable[[str], dict[str, Any]] = field(default=lambda bank_id: {})
    """Partial recall settings for one bank (from the MIP rule that routes writes to it)."""

    def recall_config(self, bank_id: str) -> RecallConfig:
        """The recall settings for `bank_id`: the configured ones, with the bank's own laid over them."""
        overrides = self.bank_recall(bank_id)
        if not overrides:
            return self.config.pipeline.recall
        return RecallConfig.model_validate(deep_merge(self.config.pipeline.recall.model_dump(), overrides))

    @property
    def entity_llm(self) -> ChatModel | None:
        """The model that names entities: a real LLM under `auto`, always under `llm`, never otherwise."""
        mode = self.config.pipeline.entities.mode
        if mode == "llm" or (mode == "auto" and self.config.llm.provider == "litellm"):
            return self.llm
        return None


def open_runtime(config: AstrocyteConfig, telemetry: Telemetry) -> Runtime:
    embedder = build_embedder(config.embedder)
    return Runtime(
        config=config,
        store=_open_store(config, embedder),
        embedder=embedder,
        llm=build_llm(config.llm),
        telemetry=telemetry,
    )


def build_embedder(config: EmbedderConfig) -> Embedder:
    if config.provider == "litellm":
        from astrocyte.models.litellm_models import LiteLLMEmbedder

        return LiteLLMEmbedder(config.model or "", dimensions=config.dimensions, api_base=config.api_base)
    if config.provider == "sentence-transformers":
        from astrocyte.models.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(config.model or "")
    from astrocyte.models.offline_embedder import OfflineEmbedder

    return OfflineEmbedder(dimensions=config.dimensions or 384)


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
    return None


def _open_store(config: AstrocyteConfig, embedder: Embedder) -> MemoryStore:
    if config.store.kind == "memory":
        from astrocyte.stores.memory import InMemoryStore

        return InMemoryStore()
    from astrocyte.stores.embedded import EmbeddedStore

    return EmbeddedStore(
        config.data_dir,
        embedder_identity=embedder.identity,
        dimensions=embedder.dimensions,
        lock_timeout=config.store.lock_timeout_s,
        vector_batch=config.store.vector_batch,
        exact_search_bank_mb=config.store.exact_search_bank_mb,
        exact_search_total_mb=config.store.exact_search_total_mb,
        vector_process=config.store.vector_process,
    )
