"""Command-line state and parsing shared by the `astrocyte` commands: the global `--config` / `--data-dir`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from astrocyte.config import AstrocyteConfig, load_config
from astrocyte.types import Metadata

GLOBAL: dict[str, Path | None] = {"config": None, "data_dir": None}
"""What the global options said (set by the `astrocyte` callback before any command runs)."""


def global_config() -> AstrocyteConfig:
    """The config the global `--config` names (or the default), with `--data-dir` applied."""
    config = load_config(GLOBAL["config"])
    data_dir = GLOBAL["data_dir"]
    return config.model_copy(update={"data_dir": data_dir}) if data_dir is not None else config


def parse_metadata(pairs: list[str], option: str) -> Metadata:
    """`key=value` pairs; values that read as JSON scalars (42, true, null) keep their type."""
    metadata: Metadata = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{option} {pair!r}: write key=value")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        metadata[name] = value if isinstance(value, str | int | float | bool) or value is None else raw
    return metadata
