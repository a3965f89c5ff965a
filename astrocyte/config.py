"""Configuration: one YAML file (or dict) validated into typed models, merged over a profile preset.

    config = load_config("astrocyte.yaml")          # or AstrocyteConfig() for the embedded default
    brain = Astrocyte(config)

Strings may use `${VAR}` and `${VAR:-default}`; an unset variable with no default is an error. With no `llm`
section, `ASTROCYTE_LLM_MODEL` (any LiteLLM model name) selects a LiteLLM chat model.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from astrocyte import plugins
from astrocyte.errors import ConfigError

Profile = Literal["minimal", "personal", "support", "coding", "research"]
PROFILES: tuple[str, ...] = Profile.__args__


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_plugin(section: str, field: str, name: str, built_in: tuple[str, ...], group: str, options: dict) -> None:
    if name in built_in:
        if options:
            raise ValueError(f"{section}.options is for plug-ins; {field} {name!r} is built in and takes none")
        return
    if not plugins.is_plugin_name(group, name):
        known = [*built_in, *plugins.installed(group)]
        raise ValueError(
            f"{section}.{field}: {name!r} is not one of {', '.join(known)}, nor a plug-in; name a class as "
            f"'package.module:Class' or an entry point in {group!r}"
        )


class StoreConfig(_Section):
    kind: str = "embedded"
    """`embedded`: chromadb + SQLite under data_dir; `memory`: nothing persisted (tests, experiments); or a
    plug-in (`package.module:Class` or an `astrocyte.stores` entry point, see `astrocyte.plugins`)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for a plug-in store's class."""
    lock_timeout_s: float = Field(default=0.0, ge=0)
    """How long to wait for another process to release data_dir before failing with DataDirLocked."""
    vector_batch: int = Field(default=2000, ge=1)
    """Embedded store: vector writes wait in SQLite's durable outbox until this many are pending (or a vector
    search or close comes), then go to Chroma in one call, because Chroma's cost per call is high. Larger calls
    are a little faster and use more memory (BENCHMARKS.md). 1 applies every write at once."""
    exact_search_bank_mb: float = Field(default=8.0, ge=0)
    """Embedded store: a bank whose vectors take at most this many MB (5,461 vectors of 384 dimensions) is also
    held in memory and searched exactly there, which is faster than Chroma's index up to about this size
    (BENCHMARKS.md). 0 searches every bank in Chroma."""
    exact_search_total_mb: float = Field(default=128.0, ge=0)
    """Embedded store: memory for all banks held for exact search; banks that do not fit are searched in Chroma."""
    vector_process: bool = True
    """Embedded store: run Chroma in one worker process shared by this process's stores, so that its inserts
    (which hold the GIL throughout) overlap the rest of the work: faster batched retain, at the cost of a second
    process, more memory and a slightly slower recall (BENCHMARKS.md). False keeps Chroma in this process."""

    @model_validator(mode="after")
    def _kind_known(self) -> StoreConfig:
        _check_plugin("store", "kind", self.kind, ("embedded", "memory"), plugins.STORES, self.options)
        return self


class EmbedderConfig(_Section):
    provider: str = "offline"
    """`offline`, `litellm`, `sentence-transformers`, or a plug-in (see `astrocyte.plugins`)."""
    model: str | None = None
    dimensions: int | None = Field(default=None, gt=0)
    api_base: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for a plug-in embedder's class."""

    @model_validator(mode="after")
    def _model_named_when_needed(self) -> EmbedderConfig:
        built_in = ("offline", "litellm", "sentence-transformers")
        _check_plugin("embedder", "provider", self.provider, built_in, plugins.EMBEDDERS, self.options)
        if self.provider in ("litellm", "sentence-transformers") and not self.model:
            raise ValueError(f"embedder.model is required when embedder.provider is {self.provider!r}")
        if self.provider == "litellm" and not self.dimensions:
            raise ValueError("embedder.dimensions is required with litellm (the size of the model's vectors)")
        return self


class LLMConfig(_Section):
    provider: str = "none"
    """`none`: reflect answers extractively; `offline`: the deterministic offline model; `litellm`: any model;
    or a plug-in (see `astrocyte.plugins`)."""
    model: str | None = None
    api_base: str | None = None
    temperature: float = Field(default=0.1, ge=0, le=2)
    max_tokens: int = Field(default=1024, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for a plug-in chat model's class."""

    @model_validator(mode="after")
    def _model_named_when_needed(self) -> LLMConfig:
        _check_plugin("llm", "provider", self.provider, ("none", "offline", "litellm"), plugins.LLMS, self.options)
        if self.provider == "litellm" and not self.model:
            raise ValueError("llm.model is required when llm.provider is 'litellm'")
        return self


class ChunkingConfig(_Section):
    strategy: Literal["sentence", "paragraph", "dialogue", "fixed"] = "sentence"
    max_chars: int = Field(default=1200, ge=50)
    overlap_chars: int = Field(default=100, ge=0)
    """Characters shared by neighbouring chunks of the `fixed` strategy."""


class EntitiesConfig(_Section):
    mode: Literal["auto", "heuristic", "llm", "off"] = "auto"
    """`auto`: the LLM when one is configured, offline heuristics otherwise."""


class DedupConfig(_Section):
    """A new chunk that repeats a stored memory of the same bank with the same metadata is not stored again.
    Memories with different metadata (another speaker, session or ticket) are different memories."""

    enabled: bool = True
    threshold: float = Field(default=0.97, gt=0, le=1)
    """With `match: vector`, the cosine similarity at or above which a new chunk repeats a stored one."""
    match: Literal["text", "vector"] = "text"
    """`text`: the same words (case and spacing aside), found by an index lookup; `vector`: the nearest stored
    vector within `threshold`, which also catches near-identical wording at the cost of a vector search per
    chunk."""


class FusionWeights(_Section):
    semantic: float = Field(default=0.6, ge=0)
    keyword: float = Field(default=1.0, ge=0)
    entity: float = Field(default=0.5, ge=0)


class RerankConfig(_Section):
    enabled: bool = True
    lexical_weight: float = Field(default=0.3, ge=0, le=1)
    """Share of the relevance score given to how many of the query's terms the memory contains; the rest is the
    fused rank score."""
    speaker_weight: float = Field(default=0.5, ge=0)
    """Weight of the cue that the memory was said by someone the query names (`context.speaker_keys`)."""
    time_weight: float = Field(default=0.3, ge=0)
    """Weight of the cue that the memory's dates fall in the time the query names, or, for a query asking
    'when', that the memory names a time at all."""


class RecallConfig(_Section):
    candidates: int = Field(default=40, ge=1)
    """Candidates each strategy contributes before fusion (at least max_results)."""
    rrf_k: int = Field(default=10, ge=1)
    weights: FusionWeights = FusionWeights()
    context_weight: float = Field(default=1.0, ge=0)
    """Weight in BM25 of a memory's context terms (preceding turns and dates: see `context`) relative to
    its own words; 0 searches its own words only."""
    query_dates: bool = True
    """Dates a query names ('in May 2023', 'last week') are searched as date terms too (see `context.dates`)."""
    max_term_rows: int | None = Field(default=1000, ge=1)
    """A query term held by more than this many memories of a bank is left out of its keyword search, unless it
    is the query's rarest: BM25 scores every memory holding any query term, so at scale such terms cost the most
    while ranking the least (the rerank still counts them). None keeps every term."""
    rerank: RerankConfig = RerankConfig()


class ContextConfig(_Section):
    """What a memory is indexed with besides its own words; built for conversation turns retained one by one."""

    speaker_keys: tuple[str, ...] = ("speaker",)
    """Metadata keys naming who said a memory (the first one present counts); the name is indexed with the
    memory's words, so 'Where did Maya go?' finds Maya's own 'I went to Lyon', and the rerank's speaker cue reads
    it. Empty: off."""
    thread_keys: tuple[str, ...] = ("session", "thread_id")
    """Metadata keys naming the conversation (session, thread) a memory belongs to; see `neighbours`."""
    neighbours: int = Field(default=2, ge=0, le=8)
    """How many preceding memories of the same thread are indexed as context of a memory ('How was the hike?'
    gives 'We made it to the top!' its topic). Earlier memories of a thread are known from the same batch or
    from earlier retains in this process."""
    dates: bool = True
    """Index the dates a memory names, relative ones ('last Friday') resolved against its occurred_at, and the
    day it occurred, as context terms."""


class ReflectConfig(_Section):
    max_results: int = Field(default=12, ge=1)
    max_tokens: int = Field(default=3000, ge=50)
    """Token budget of the memories put in front of the model."""


class PipelineConfig(_Section):
    chunking: ChunkingConfig = ChunkingConfig()
    context: ContextConfig = ContextConfig()
    entities: EntitiesConfig = EntitiesConfig()
    dedup: DedupConfig = DedupConfig()
    recall: RecallConfig = RecallConfig()
    reflect: ReflectConfig = ReflectConfig()


class LimitsConfig(_Section):
    max_content_chars: int = Field(default=50_000, gt=0)
    max_metadata_keys: int = Field(default=64, gt=0)
    max_tags: int = Field(default=32, gt=0)


PiiType = Literal["email", "phone", "credit_card", "ssn", "iban", "ip_address", "secret"]
PiiAction = Literal["redact", "reject", "warn", "allow"]
PII_TYPES: tuple[str, ...] = PiiType.__args__


class PiiConfig(_Section):
    enabled: bool = False
    action: PiiAction = "redact"
    """What to do with every detected type not named in `actions`."""
    actions: dict[PiiType, PiiAction] = Field(default_factory=dict)
    scan_output: bool = False
    """Also redact personal data in recall and reflect output (for memories stored before the policy)."""


class MetadataPolicyConfig(_Section):
    blocked_keys: tuple[str, ...] = (
        "password*",
        "passwd",
        "*secret*",
        "*token*",
        "api_key",
        "apikey",
        "authorization",
        "credential*",
        "private_key",
    )
    """Case-insensitive glob patterns of metadata keys that are dropped, with a warning, before storage."""
    max_value_chars: int = Field(default=1000, gt=0)
    """Longer string values are cut to this length, with a warning."""


class RateLimit(_Section):
    per_second: float = Field(gt=0)
    burst: int = Field(default=10, ge=1)


class RateLimitsConfig(_Section):
    per_bank: RateLimit | None = None
    per_principal: RateLimit | None = None


class QuotasConfig(_Section):
    """Retains allowed per UTC day; None is unlimited."""

    per_bank_daily: int | None = Field(default=None, gt=0)
    per_principal_daily: int | None = Field(default=None, gt=0)


class BreakerConfig(_Section):
    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1)
    reset_timeout_s: float = Field(default=30.0, gt=0)
    degraded_recall: Literal["empty", "lexical", "error"] = "lexical"
    """While the breaker is open: return no hits, keyword-only hits, or raise ProviderUnavailable."""
    degraded_retain: Literal["queue", "error"] = "queue"
    """While the breaker is open: queue writes in a durable outbox (replayed on recovery), or raise."""


class PolicyConfig(_Section):
    pii: PiiConfig = PiiConfig()
    metadata: MetadataPolicyConfig = MetadataPolicyConfig()
    rate_limits: RateLimitsConfig = RateLimitsConfig()
    quotas: QuotasConfig = QuotasConfig()
    breaker: BreakerConfig = BreakerConfig()


Permission = Literal["read", "write", "forget", "admin"]


class Grant(_Section):
    principal: str
    """A principal (`agent:support-bot`) or a glob (`user:*`)."""
    banks: tuple[str, ...]
    """Bank globs; `{principal_id}` stands for the principal without its kind (`user:ann` -> `ann`)."""
    permissions: tuple[Permission, ...] = ("read", "write")
    tenant: str | None = None
    """When set, the grant holds only for calls whose context carries this tenant; `{tenant}` in bank globs."""
    environment: str | None = None
    """When set, the grant holds only for calls whose context carries this environment."""


class AgentConfig(_Section):
    """An agent known by name: its principal is `agent:<name>`."""

    banks: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ("read", "write")
    default_bank: str | None = None
    """Where the agent's retains, recalls and reflects go when it names no bank (it is also granted)."""


class AccessConfig(_Section):
    enabled: bool = False
    """When on, every call needs a principal with a grant for the bank (default deny)."""
    grants: tuple[Grant, ...] = ()


class TtlRule(_Section):
    banks: str = "*"
    tags: tuple[str, ...] = ()
    """Only memories carrying all these tags; empty means every memory of the matching banks."""
    days: float = Field(gt=0)


class LifecycleConfig(_Section):
    legal_holds: tuple[str, ...] = ()
    """Bank globs under legal hold: forget is refused there, and TTL does not delete."""
    ttl: tuple[TtlRule, ...] = ()
    run_on_open: bool = True
    audit: bool = True
    """Append forgets and policy decisions to `data_dir/audit.jsonl`."""


class MipConfig(_Section):
    rules: Path | None = None
    """A Memory Intent Protocol YAML file; relative paths are taken from the config file's folder."""


DEFAULT_BINDINGS = Path("agent_cards") / "bindings.yaml"


class CardsConfig(_Section):
    bindings: Path = DEFAULT_BINDINGS
    """The agent-card bindings file; relative paths are taken from the config file's folder."""
    fetch_timeout_s: float = Field(default=10.0, gt=0)


class AstrocyteConfig(_Section):
    data_dir: Path = Path(".astrocyte")
    profile: Profile | None = None
    store: StoreConfig = StoreConfig()
    embedder: EmbedderConfig = EmbedderConfig()
    llm: LLMConfig = LLMConfig()
    pipeline: PipelineConfig = PipelineConfig()
    limits: LimitsConfig = LimitsConfig()
    policy: PolicyConfig = PolicyConfig()
    access: AccessConfig = AccessConfig()
    agents: dict[str, AgentConfig] = Field(default_factory=dict)
    lifecycle: LifecycleConfig = LifecycleConfig()
    mip: MipConfig = MipConfig()
    cards: CardsConfig = CardsConfig()


def load_config(source: str | Path | dict[str, Any] | None = None) -> AstrocyteConfig:
    """Read a YAML file (or take a dict), apply its profile underneath, substitute `${ENV}`, validate."""
    raw, origin = _read(source)
    raw = _substitute_env(raw, path="")
    profile = raw.get("profile")
    if profile is not None:
        if profile not in PROFILES:
            raise ConfigError(f"{origin}: profile: {profile!r} is not a profile; choose one of {', '.join(PROFILES)}")
        raw = deep_merge(_profile_preset(profile), raw)
    if "llm" not in raw and os.environ.get("ASTROCYTE_LLM_MODEL"):
        raw["llm"] = {"provider": "litellm", "model": os.environ["ASTROCYTE_LLM_MODEL"]}
    try:
        config = AstrocyteConfig.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
    if isinstance(source, str | Path):
        folder = Path(source).parent
        rules, bindings = config.mip.rules, config.cards.bindings
        if rules is not None and not rules.is_absolute():
            config = config.model_copy(update={"mip": MipConfig(rules=folder / rules)})
        if "cards" in raw and not bindings.is_absolute():
            config = config.model_copy(
                update={"cards": config.cards.model_copy(update={"bindings": folder / bindings})}
            )
    return config


def _read(source: str | Path | dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    if source is None:
        return {}, "default config"
    if isinstance(source, dict):
        return dict(source), "config dict"
    return read_yaml_mapping(Path(source), "config file"), str(source)


def read_yaml_mapping(path: Path, kind: str) -> dict[str, Any]:
    """A YAML file whose top level is a mapping (an empty file is an empty mapping); ConfigError otherwise."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {kind}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(loaded).__name__}")
    return loaded


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _substitute_env(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        return {key: _substitute_env(item, f"{path}.{key}" if path else str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute_env(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, str):
        return _ENV_REF.sub(lambda match: _env_value(match, path), value)
    return value


def _env_value(match: re.Match[str], path: str) -> str:
    name, default = match.group(1), match.group(2)
    if name in os.environ:
        return os.environ[name]
    if default is not None:
        return default
    raise ConfigError(f"{path}: environment variable {name} is not set; set it or write ${{{name}:-default}}")


def _profile_preset(name: str) -> dict[str, Any]:
    text = resources.files("astrocyte.profiles").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: PydanticValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid configuration"]
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown field; {_allowed_fields(error['loc'])}"
        lines.append(f"  {field}: {message}")
    return "\n".join(lines)


def _allowed_fields(loc: tuple[int | str, ...]) -> str:
    model: type[BaseModel] = AstrocyteConfig
    for part in loc[:-1]:
        annotation = model.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "see the documented sections"
        model = annotation
    return "allowed: " + ", ".join(model.model_fields)
