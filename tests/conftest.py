from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from astrocyte import Astrocyte

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.pop("ASTROCYTE_LLM_MODEL", None)

PEOPLE = [
    "Alice Moreau lives in Lyon and works as a pastry chef.",
    "Bob Okafor lives in Berlin; he plays the cello in a string quartet.",
    "Carol Tanaka is a marine biologist who studies octopus behaviour in Okinawa.",
]


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is None:
        _create_crewais_encryption_key()
    else:
        # crewai keeps state between runs (the latest kickoff's task outputs, one SQLite file) under
        # ~/.local/share/<the current directory's name>; each worker gets its own, so crews running on two
        # workers at once do not share it.
        os.environ.setdefault("CREWAI_STORAGE_DIR", f"astrocyte-tests-{worker}")


def _create_crewais_encryption_key() -> None:
    """Importing crewai creates its key file under ~/.local/share/crewai/credentials when there is none. xdist
    workers importing it at once race for it: one creates the file, another reads it before the key is
    written and raises "Failed to create or read encryption key". The controller makes it before they start."""
    if importlib.util.find_spec("crewai_core") is None:
        return
    from crewai_core.token_manager import TokenManager

    TokenManager()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "memory"


@pytest.fixture
def brain(data_dir: Path) -> Iterator[Astrocyte]:
    with Astrocyte(data_dir=data_dir) as instance:
        yield instance


@pytest.fixture
def memory_brain() -> Iterator[Astrocyte]:
    with Astrocyte({"store": {"kind": "memory"}}) as instance:
        yield instance
