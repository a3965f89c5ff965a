"""`AstrocyteMemoryConfig`: everything needed to open an AstrocyteMemory again, in another process if need be.

    config = AstrocyteMemoryConfig(data_dir="/srv/memory", bank_id="user-ann", principal="user:ann")
    memory = AstrocyteMemory.from_config(config)

A live `Astrocyte` cannot be written into a component config, so the config says how to open one: a YAML file
(`config_path`), an inline Astrocyte config (`astrocyte`), or neither (the embedded default), with `data_dir`
overriding the data directory of either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from astrocyte import AstrocyteConfig, Context, load_config


class AstrocyteMemoryConfig(BaseModel):
    """How to open the brain, which bank and caller to act as, and how to recall."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bank_id: str
    """The bank written by `add` and auto-retain, and emptied by `clear`."""
    banks: tuple[str, ...] | None = None
    """The banks recalled from; by default just `bank_id`."""
    config_path: str | None = None
    """An Astrocyte YAML config file."""
    astrocyte: dict[str, Any] | None = None
    """An inline Astrocyte config, the same mapping as the YAML file holds."""
    data_dir: str | None = None
    """Overrides the data directory of the Astrocyte config."""
    principal: str | None = None
    """The caller (`agent:…`, `user:…`, `service:…`); with on_behalf_of, tenant and environment, its Context."""
    on_behalf_of: str | None = None
    tenant: str | None = None
    environment: str | None = None
    max_results: int = Field(default=5, ge=1)
    """How many memories `query` returns and `update_context` puts in front of the model."""
    auto_retain: bool = False
    """Retain the user and assistant messages that `update_context` sees (and, on `close`, those not yet seen)."""
    thread: str | None = None
    """The conversation auto-retained turns belong to, so recall indexes each with the turns before it; None:
    they are not grouped into one."""

    @model_validator(mode="after")
    def _one_source_and_a_valid_caller(self) -> AstrocyteMemoryConfig:
        if self.config_path is not None and self.astrocyte is not None:
            raise ValueError("give config_path or astrocyte (an inline config), not both")
        self.context()
        return self

    def astrocyte_config(self) -> AstrocyteConfig:
        """The validated Astrocyte config this describes."""
        config = load_config(Path(self.config_path) if self.config_path is not None else self.astrocyte)
        return config if self.data_dir is None else config.model_copy(update={"data_dir": Path(self.data_dir)})

    def context(self) -> Context | None:
        fields = {
            "principal": self.principal,
            "on_behalf_of": self.on_behalf_of,
            "tenant": self.tenant,
            "environment": self.environment,
        }
        return Context(**fields) if any(value is not None for value in fields.values()) else None
