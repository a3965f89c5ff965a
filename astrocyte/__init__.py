"""Astrocyte: governed long-term memory for AI agents.

from astrocyte import Astrocyte

brain = Astrocyte()
brain.sync.retain("Alice lives in Paris.", bank_id="people")
print(brain.sync.recall("Where does Alice live?", bank_id="people").hits[0].record.text)
"""

from astrocyte.api import Astrocyte, SyncAstrocyte
from astrocyte.cards import CardResolver
from astrocyte.config import AstrocyteConfig, load_config
from astrocyte.errors import (
    AccessDenied,
    AstrocyteError,
    CircuitOpen,
    ConfigError,
    DataDirLocked,
    LegalHoldActive,
    MipRoutingError,
    PiiRejected,
    ProviderUnavailable,
    RateLimited,
    ValidationError,
)
from astrocyte.hooks import HookCall
from astrocyte.scoped import AgentMemory, ScopedMemory
from astrocyte.types import (
    BankInfo,
    Context,
    ForgetResult,
    MemoryRecord,
    RecallHit,
    RecallResult,
    RecallTrace,
    ReflectResult,
    RetainResult,
)

__all__ = [
    "AccessDenied",
    "AgentMemory",
    "Astrocyte",
    "AstrocyteConfig",
    "AstrocyteError",
    "BankInfo",
    "CardResolver",
    "CircuitOpen",
    "ConfigError",
    "Context",
    "DataDirLocked",
    "ForgetResult",
    "HookCall",
    "LegalHoldActive",
    "MemoryRecord",
    "MipRoutingError",
    "PiiRejected",
    "ProviderUnavailable",
    "RateLimited",
    "RecallHit",
    "RecallResult",
    "RecallTrace",
    "ReflectResult",
    "RetainResult",
    "ScopedMemory",
    "SyncAstrocyte",
    "ValidationError",
    "load_config",
]
