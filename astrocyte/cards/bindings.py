"""The bindings file: which agent cards map to which principal, banks and grants, and at what trust.

    bindings = load_bindings("agent_cards/bindings.yaml")
    binding = bindings.match(card, identify(card), environment="prod", tenant="acme")   # or None

```yaml
defaults: {environment: dev, tenant: local}   # when the host application passes none
keys:                                          # public keys that may sign cards: jwk, jwks, or a file of either
  acme: {file: keys/acme.jwks.json}            # (relative to this file)
bindings:                                      # the first binding whose match holds is the card's
  - name: acme-support
    match:                                     # every key given must hold; a list means any of its items
      identity: "acme.example/*"               # globs on the identity (see astrocyte.cards.identity)
      provider: "ACME*"                        # globs on provider.organization, case-insensitive
      skills: [triage]                         # skill ids
      tags: [support]                          # skill tags
      environment: [prod, staging]             # globs on the environment the host application passes
      tenant: "*"                              # globs on the tenant
    trust: signed                              # the minimum: asserted < tls < signed
    keys: [acme]                               # whose signatures make a card `signed`
    version_scoped: false                      # true: each major version of the card is its own identity
    principal: "agent:{card.identity}"         # the default
    bank: "{card.identity}/{environment}/{tenant}"   # the default bank (read, write, forget); the default
    read: ["kb/{tenant}"]                      # banks it reads (recall reads them by default unless globs)
    write: ["tickets/{environment}/{tenant}"]  # banks it may write
    grants: [{banks: ["audit-*"], permissions: [read]}]
    mip: {team: support}                       # metadata on every write through the handle, for MIP rules
fallback:                                      # for cards no binding matches
  action: deny                                 # or private: a bank of its own under unbound/, nothing else
```

Templates take `{card.identity}`, `{card.authority}`, `{card.name}`, `{card.major}`, `{environment}` and
`{tenant}`. Matches read what the card claims, so a binding that gives more than a bank of the card's own
should ask for `trust: signed`. A binding that may match cards of several providers cannot name its
principal or bank after `{card.name}` alone: that would let same-named agents of different providers share.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, Literal

from joserfc.jwk import KeySet
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from astrocyte.cards.identity import Identity
from astrocyte.cards.models import AgentCard
from astrocyte.cards.signatures import public_keys
from astrocyte.config import DEFAULT_BINDINGS, Permission, read_yaml_mapping
from astrocyte.errors import ConfigError

Trust = Literal["asserted", "tls", "signed"]
TRUST_LEVELS: tuple[Trust, ...] = ("asserted", "tls", "signed")
PLACEHOLDERS: tuple[str, ...] = ("card.identity", "card.authority", "card.name", "card.major", "environment", "tenant")
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""What an environment or tenant may be: they become parts of bank ids."""

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_GLOB = re.compile(r"[*?\[]")
_PRINCIPAL_KINDS = ("agent:", "user:", "service:")
MipHint = str | int | float | bool


def _listed(value: object) -> object:
    return (value,) if isinstance(value, str) else value


Patterns = Annotated[tuple[str, ...], BeforeValidator(_listed)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeySource(_Model):
    """Exactly one of: a public JWK, a JWKS, or a file holding either."""

    jwk: dict[str, Any] | None = None
    jwks: dict[str, Any] | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> KeySource:
        if sum(source is not None for source in (self.jwk, self.jwks, self.file)) != 1:
            raise ValueError("give exactly one of jwk, jwks or file")
        return self


class Match(_Model):
    identity: Patterns = ()
    provider: Patterns = ()
    skills: Patterns = ()
    tags: Patterns = ()
    environment: Patterns = ()
    tenant: Patterns = ()

    def accepts(self, card: AgentCard, identity: Identity, environment: str, tenant: str) -> bool:
        organization = card.provider.organization.casefold() if card.provider else None
        skill_ids = {skill.id for skill in card.skills}
        skill_tags = {tag for skill in card.skills for tag in skill.tags}
        return (
            _any_glob(str(identity), self.identity)
            and (not self.provider or (organization is not None and _any_glob(organization, self.provider, fold=True)))
            and (not self.skills or bool(skill_ids.intersection(self.skills)))
            and (not self.tags or bool(skill_tags.intersection(self.tags)))
            and _any_glob(environment, self.environment)
            and _any_glob(tenant, self.tenant)
        )

    def pins_authority(self) -> bool:
        """True when every card it can match comes from one named provider domain."""
        return bool(self.identity) and not any(_GLOB.search(pattern.partition("/")[0]) for pattern in self.identity)


class GrantSpec(_Model):
    banks: Patterns = Field(min_length=1)
    """Bank templates, globs allowed."""
    permissions: tuple[Permission, ...] = ("read",)

    @field_validator("banks")
    @classmethod
    def _known_placeholders(cls, templates: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(checked_template(template) for template in templates)


class Binding(_Model):
    name: str = Field(min_length=1)
    match: Match = Match()
    trust: Trust
    """The least trust a card needs to take this binding; below it the card is refused, not passed on."""
    keys: tuple[str, ...] = ()
    version_scoped: bool = False
    principal: str = "agent:{card.identity}"
    bank: str = "{card.identity}/{environment}/{tenant}"
    read: Patterns = ()
    write: Patterns = ()
    grants: tuple[GrantSpec, ...] = ()
    mip: dict[str, MipHint] = Field(default_factory=dict)

    @field_validator("principal", "bank")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        return checked_template(template)

    @field_validator("read", "write")
    @classmethod
    def _known_placeholders_in_lists(cls, templates: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(checked_template(template) for template in templates)

    @model_validator(mode="after")
    def _coherent(self) -> Binding:
        if not self.principal.startswith(_PRINCIPAL_KINDS):
            raise ValueError(f"principal: {self.principal!r} must start with agent:, user: or service:")
        if self.trust == "signed" and not self.keys:
            raise ValueError("trust 'signed' needs keys: name the keys that may sign these cards")
        if not self.match.pins_authority():
            for field in ("principal", "bank"):
                used = placeholders(getattr(self, field))
                if {"card.name", "card.major"} & used and not {"card.identity", "card.authority"} & used:
                    raise ValueError(
                        f"{field}: {getattr(self, field)!r} would let agents with the same name from different "
                        "providers share it; add {card.authority}, use {card.identity}, or match one provider "
                        "domain in match.identity"
                    )
        return self

    def templates(self) -> tuple[str, ...]:
        granted = (template for grant in self.grants for template in grant.banks)
        return (self.principal, self.bank, *self.read, *self.write, *granted)


class Fallback(_Model):
    action: Literal["deny", "private"] = "deny"
    """For a card no binding matches: refuse it, or give it a private bank and no access to any other."""
    bank: str = "unbound/{card.identity}/{environment}/{tenant}"

    @field_validator("bank")
    @classmethod
    def _names_the_card(cls, template: str) -> str:
        if "card.identity" not in placeholders(checked_template(template)):
            raise ValueError(f"{template!r} must contain {{card.identity}}, or unbound agents would share it")
        return template


class Defaults(_Model):
    environment: str = "default"
    tenant: str = "default"

    @field_validator("environment", "tenant")
    @classmethod
    def _label(cls, value: str) -> str:
        if not LABEL.fullmatch(value):
            raise ValueError(f"{value!r}: use 1-64 letters, digits and '._-', starting with a letter or digit")
        return value


class BindingsFile(_Model):
    defaults: Defaults = Defaults()
    keys: dict[str, KeySource] = Field(default_factory=dict)
    bindings: tuple[Binding, ...] = ()
    fallback: Fallback = Fallback()

    @model_validator(mode="after")
    def _references(self) -> BindingsFile:
        seen: set[str] = set()
        for binding in self.bindings:
            if binding.name in seen:
                raise ValueError(f"bindings: the name {binding.name!r} is used twice")
            seen.add(binding.name)
            unknown = [name for name in binding.keys if name not in self.keys]
            if unknown:
                raise ValueError(f"bindings: {binding.name!r} names keys not declared under keys: {', '.join(unknown)}")
        return self


@dataclass(frozen=True)
class Bindings:
    """A loaded bindings file: its rules in order, the fallback, the defaults and the keys."""

    rules: tuple[Binding, ...]
    fallback: Fallback
    defaults: Defaults
    keys: Mapping[str, KeySet]
    origin: str

    def match(self, card: AgentCard, identity: Identity, *, environment: str, tenant: str) -> Binding | None:
        return next((rule for rule in self.rules if rule.match.accepts(card, identity, environment, tenant)), None)

    def keys_for(self, binding: Binding) -> KeySet | None:
        if not binding.keys:
            return None
        return KeySet([key for name in binding.keys for key in self.keys[name].keys])


def load_bindings(source: str | Path | Mapping[str, Any] = DEFAULT_BINDINGS) -> Bindings:
    """Read and check a bindings file (or dict); key files are read relative to the file's folder."""
    if isinstance(source, Mapping):
        raw, origin, folder = dict(source), "bindings dict", Path.cwd()
    else:
        path = Path(source)
        raw, origin, folder = read_yaml_mapping(path, "bindings file"), str(path), path.parent
    try:
        parsed = BindingsFile.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
    keys = {name: _key_set(name, source, folder, origin) for name, source in parsed.keys.items()}
    return Bindings(parsed.bindings, parsed.fallback, parsed.defaults, keys, origin)


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def checked_template(template: str) -> str:
    unknown = sorted(placeholders(template) - set(PLACEHOLDERS))
    if unknown:
        allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise ValueError(f"{template!r}: unknown placeholder {{{unknown[0]}}}; use {allowed}")
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        raise ValueError(f"{template!r}: unbalanced brace")
    return template


def render(template: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda found: values[found.group(1)], template)


def _any_glob(value: str, patterns: tuple[str, ...], *, fold: bool = False) -> bool:
    if not patterns:
        return True
    return any(fnmatchcase(value, pattern.casefold() if fold else pattern) for pattern in patterns)


def _key_set(name: str, source: KeySource, folder: Path, origin: str) -> KeySet:
    where = f"{origin}: keys.{name}"
    if source.file is None:
        return public_keys(source.jwk or source.jwks or {}, where)
    path = source.file if source.file.is_absolute() else folder / source.file
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: {path}: no such key file") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: {path}: not a JSON JWK or JWKS: {exc}") from None
    if not isinstance(document, Mapping):
        raise ConfigError(f"{where}: {path}: not a JSON JWK or JWKS object")
    return public_keys(document, where)


def _describe(exc: PydanticValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid bindings"]
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)
