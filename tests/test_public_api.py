"""The public face is pinned: what `astrocyte`, `astrocyte.adapters` and `astrocyte.testing` export, and nothing
public lying in them unexported. Changing a name here is changing the API."""

from __future__ import annotations

import importlib
import types

import pytest

import astrocyte

PUBLIC = {
    "astrocyte": [
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
    ],
    "astrocyte.adapters": [
        "BOOKKEEPING_PREFIXES",
        "HIT_FIELDS",
        "LITELLM_PLAIN_TOOLS",
        "MODEL_ENV",
        "NOTHING_FOUND",
        "Binding",
        "CardSource",
        "bind",
        "bind_memory",
        "call_litellm",
        "chat_turn",
        "hit_metadata",
        "import_litellm",
        "is_bookkeeping",
        "iter_records",
        "model_from_env",
        "provider_errors",
    ],
    "astrocyte.testing": [
        "NO_ANSWER",
        "FakeClock",
        "Faults",
        "OfflineEmbedder",
        "OfflineModel",
        "Quote",
        "best_sentences",
        "quote_answer",
    ],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_the_exported_names_are_pinned(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(PUBLIC[module_name])
    for name in module.__all__:
        assert getattr(module, name) is not None


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_every_public_name_in_a_door_is_exported(module_name: str) -> None:
    module = importlib.import_module(module_name)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, type | types.FunctionType)
        and value.__module__.startswith("astrocyte")
        and (module is astrocyte or name not in astrocyte.__all__)
    }
    assert public <= set(module.__all__), (
        f"public but not in {module_name}.__all__: {sorted(public - set(module.__all__))}"
    )


def test_exported_classes_and_functions_come_from_the_core() -> None:
    for name in astrocyte.__all__:
        value = getattr(astrocyte, name)
        if isinstance(value, type | types.FunctionType):
            assert value.__module__.startswith("astrocyte."), name
