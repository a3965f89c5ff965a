"""Resolving a card: identity, trust, and the principal, banks and grants its binding maps it to.

    resolver = CardResolver.load("agent_cards/bindings.yaml")
    resolution = await resolver.resolve("https://agents.acme.example", environment="prod", tenant="acme")
    resolution.principal, resolution.bank_id, resolution.grants, resolution.trust

Trust is `signed` when a signature verifies against a key of the matched binding, else `tls` when the card
was fetched over https from the identity's own domain (or a subdomain of it), else `asserted`. A card whose
trust is below its binding's `trust` is refused with AccessDenied — it does not fall through to another
binding — and so is a card no binding matches when the fallback is `deny`.

The same card, environment and tenant always resolve to the same principal and banks. Every grant carries
the tenant and the environment, so it holds only for calls made for that tenant in that environment: one
agent resolved in prod cannot reach the banks its dev binding granted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from astrocyte import _inputs as inputs
from astrocyte.cards.bindings import (
    DEFAULT_BINDINGS,
    LABEL,
    TRUST_LEVELS,
    Binding,
    Bindings,
    MipHint,
    Trust,
    load_bindings,
    placeholders,
    render,
)
from astrocyte.cards.identity import Identity, fingerprint, identify, major_version
from astrocyte.cards.loading import DEFAULT_TIMEOUT_S, CardSource, read_card
from astrocyte.cards.models import AgentCard
from astrocyte.cards.signatures import SignatureCheck, check_signatures
from astrocyte.config import Grant
from astrocyte.errors import AccessDenied, ConfigError, ValidationError
from astrocyte.types import Context

UNBOUND = "unbound"


class Resolution(BaseModel):
    """What a card resolves to. `binding` is None for a card given a private bank by the fallback."""

    model_config = ConfigDict(frozen=True)

    identity: str
    name: str
    binding: str | None
    trust: Trust
    fingerprint: str
    principal: str
    environment: str
    tenant: str
    bank_id: str
    """The default bank: writes go here; the principal may read, write and forget it."""
    read_banks: tuple[str, ...]
    """What recall and reflect read by default: the default bank and the binding's `read` banks (not globs)."""
    grants: tuple[Grant, ...]
    mip: dict[str, MipHint] = Field(default_factory=dict)
    signatures: tuple[SignatureCheck, ...] = ()

    @property
    def context(self) -> Context:
        return Context(principal=self.principal, tenant=self.tenant, environment=self.environment)


class CardResolver:
    def __init__(
        self, bindings: Bindings, *, http: httpx.AsyncClient | None = None, timeout: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.bindings = bindings
        self._http = http
        self._timeout = timeout

    @classmethod
    def load(
        cls,
        path: str | Path | Mapping[str, object] = DEFAULT_BINDINGS,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> CardResolver:
        return cls(load_bindings(path), http=http, timeout=timeout)

    async def resolve(
        self, card: CardSource, *, environment: str | None = None, tenant: str | None = None
    ) -> Resolution:
        """Load (or fetch) the card, then `resolve_card` it."""
        loaded = await read_card(card, client=self._http, timeout=self._timeout)
        return self.resolve_card(loaded, environment=environment, tenant=tenant)

    def resolve_card(self, card: AgentCard, *, environment: str | None = None, tenant: str | None = None) -> Resolution:
        """Resolve a card already loaded (no I/O); environment and tenant default to the bindings' defaults."""
        environment = _label(environment, self.bindings.defaults.environment, "environment")
        tenant = _label(tenant, self.bindings.defaults.tenant, "tenant")
        base = identify(card)
        binding = self.bindings.match(card, base, environment=environment, tenant=tenant)
        if binding is None:
            return self._fallback(card, base, environment, tenant)
        identity = identify(card, version_scoped=True) if binding.version_scoped else base
        checks = check_signatures(card, self.bindings.keys_for(binding))
        trust = _trust(card, identity, checks)
        if TRUST_LEVELS.index(trust) < TRUST_LEVELS.index(binding.trust):
            raise AccessDenied(
                f"agent card {identity} ({card.origin}): binding {binding.name!r} needs trust {binding.trust!r} but "
                f"the card is only {trust!r}: {_why(checks)}"
            )
        return self._bound(card, identity, binding, trust, checks, environment, tenant)

    def _bound(
        self,
        card: AgentCard,
        identity: Identity,
        binding: Binding,
        trust: Trust,
        checks: tuple[SignatureCheck, ...],
        environment: str,
        tenant: str,
    ) -> Resolution:
        where = f"{self.bindings.origin}: binding {binding.name!r}"
        values = _values(card, identity, environment, tenant, binding.templates())
        principal = _principal(render(binding.principal, values), f"{where}: principal")
        bank_id = _bank(render(binding.bank, values), f"{where}: bank")
        reads = tuple(_pattern(render(template, values), f"{where}: read") for template in binding.read)
        writes = tuple(_pattern(render(template, values), f"{where}: write") for template in binding.write)
        scope = {"principal": principal, "tenant": tenant, "environment": environment}
        grants = [_own_bank(principal, bank_id, tenant, environment)]
        if reads:
            grants.append(Grant(banks=reads, permissions=("read",), **scope))
        if writes:
            grants.append(Grant(banks=writes, permissions=("write",), **scope))
        for spec in binding.grants:
            banks = tuple(_pattern(render(template, values), f"{where}: grants") for template in spec.banks)
            grants.append(Grant(banks=banks, permissions=spec.permissions, **scope))
        return Resolution(
            identity=str(identity),
            name=card.name,
            binding=binding.name,
            trust=trust,
            fingerprint=fingerprint(card),
            principal=principal,
            environment=environment,
            tenant=tenant,
            bank_id=bank_id,
            read_banks=tuple(dict.fromkeys((bank_id, *(bank for bank in reads if not _is_glob(bank))))),
            grants=tuple(grants),
            mip=dict(binding.mip),
            signatures=checks,
        )

    def _fallback(self, card: AgentCard, identity: Identity, environment: str, tenant: str) -> Resolution:
        fallback = self.bindings.fallback
        if fallback.action == "deny":
            raise AccessDenied(
                f"agent card {identity} ({card.origin}) matches no binding in {self.bindings.origin} for environment "
                f"{environment!r} and tenant {tenant!r}, and the fallback is deny; add a binding for it"
            )
        values = _values(card, identity, environment, tenant, (fallback.bank,))
        bank_id = _bank(render(fallback.bank, values), f"{self.bindings.origin}: fallback.bank")
        principal = _principal(f"agent:{UNBOUND}/{identity}", "the fallback principal")
        return Resolution(
            identity=str(identity),
            name=card.name,
            binding=None,
            trust=_trust(card, identity, ()),
            fingerprint=fingerprint(card),
            principal=principal,
            environment=environment,
            tenant=tenant,
            bank_id=bank_id,
            read_banks=(bank_id,),
            grants=(_own_bank(principal, bank_id, tenant, environment),),
            signatures=check_signatures(card, None),
        )


def _trust(card: AgentCard, identity: Identity, checks: tuple[SignatureCheck, ...]) -> Trust:
    if any(check.valid for check in checks):
        return "signed"
    if card.fetched_from is not None:
        parts = urlsplit(card.fetched_from)
        host = (parts.hostname or "").removeprefix("www.")
        if parts.scheme == "https" and (host == identity.authority or host.endswith(f".{identity.authority}")):
            return "tls"
    return "asserted"


def _why(checks: tuple[SignatureCheck, ...]) -> str:
    if not checks:
        return "it carries no signature"
    return "; ".join(f"signature {index + 1} {check.reason}" for index, check in enumerate(checks))


def _values(
    card: AgentCard, identity: Identity, environment: str, tenant: str, templates: tuple[str, ...]
) -> dict[str, str]:
    values = {
        "card.identity": str(identity),
        "card.authority": identity.authority,
        "card.name": identity.name,
        "environment": environment,
        "tenant": tenant,
    }
    if any("card.major" in placeholders(template) for template in templates):
        values["card.major"] = str(major_version(card))
    return values


def _label(value: str | None, default: str, argument: str) -> str:
    chosen = default if value is None else value
    if not isinstance(chosen, str) or not LABEL.fullmatch(chosen):
        raise ValidationError(
            f"{argument}: {chosen!r} is not valid; use 1-64 letters, digits and '._-', starting with a letter or digit"
        )
    return chosen


def _bank(value: str, where: str) -> str:
    try:
        return inputs.bank_id(value, where)
    except ValidationError as exc:
        raise ConfigError(str(exc)) from None


def _pattern(value: str, where: str) -> str:
    return value if _is_glob(value) else _bank(value, where)


def _is_glob(value: str) -> bool:
    return any(char in value for char in "*?[")


def _principal(value: str, where: str) -> str:
    try:
        Context(principal=value)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a principal (agent:…, user:… or service:…, no spaces)") from None
    return value


def _own_bank(principal: str, bank_id: str, tenant: str, environment: str) -> Grant:
    return Grant(
        principal=principal,
        banks=(bank_id,),
        permissions=("read", "write", "forget"),
        tenant=tenant,
        environment=environment,
    )
