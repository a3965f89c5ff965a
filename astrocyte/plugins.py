"""Plug-ins by name: a store, an embedder or a chat model of your own, named in config.

    embedder: {provider: "my_package.vectors:MyEmbedder", options: {size: 256}}
    llm: {provider: my-llm}                    # an entry point in the group `astrocyte.llms`
    store: {kind: "my_package.store:MyStore", options: {url: "..."}}

A name is either `package.module:Class` or the name of an entry point in `astrocyte.embedders`,
`astrocyte.llms` or `astrocyte.stores` (declare one in your package's pyproject.toml under
`[project.entry-points."astrocyte.embedders"]`). The class is called with the section's `options` as keyword
arguments and must return an `Embedder`, a `ChatModel` or a `MemoryStore` (see `astrocyte.models.base` and
`astrocyte.stores.base`).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from astrocyte.errors import ConfigError

EMBEDDERS = "astrocyte.embedders"
LLMS = "astrocyte.llms"
STORES = "astrocyte.stores"


def is_plugin_name(group: str, name: str) -> bool:
    """Whether `name` names a plug-in of `group`: `module:Class` form, or an installed entry point."""
    return _is_import_path(name) or bool(entry_points(group=group, name=name))


def installed(group: str) -> list[str]:
    return sorted(entry.name for entry in entry_points(group=group))


def build_plugin(group: str, name: str, field: str, options: dict[str, Any], interface: type) -> Any:
    """An instance of the plug-in `name`, made with `options`; ConfigError naming `field` when it cannot be."""
    factory = _load(group, name, field)
    try:
        instance = factory(**options)
    except TypeError as exc:
        raise ConfigError(f"{field}: {name!r} does not take these options ({exc}); fix {field}'s options") from exc
    if not isinstance(instance, interface):
        raise ConfigError(
            f"{field}: {name!r} made a {type(instance).__name__}, not a {interface.__name__}; "
            f"subclass {interface.__module__}.{interface.__name__}"
        )
    return instance


def _load(group: str, name: str, field: str) -> Any:
    if _is_import_path(name):
        module_name, _, attribute = name.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(
                f"{field}: cannot load {name!r} ({exc}); name an importable 'package.module:Class'"
            ) from exc
    found = entry_points(group=group, name=name)
    if not found:
        raise ConfigError(f"{field}: no plug-in {name!r} in the entry point group {group!r}")
    return next(iter(found)).load()


def _is_import_path(name: str) -> bool:
    module_name, colon, attribute = name.partition(":")
    return bool(colon) and all(part.isidentifier() for part in module_name.split(".")) and attribute.isidentifier()
