"""`astrocyte cards`: what an A2A agent card resolves to, and whether its signature holds.

astrocyte cards resolve agent_cards/crewai-researcher.json --env prod --tenant acme
astrocyte cards resolve https://agents.acme.example --bindings agent_cards/bindings.yaml
astrocyte cards verify signed-card.json --keys acme.jwks.json
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from joserfc.jwk import KeySet
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from astrocyte.cards import (
    AgentCard,
    CardResolver,
    Resolution,
    check_signatures,
    fingerprint,
    identify,
    public_keys,
    read_card,
)
from astrocyte.cli.options import global_config
from astrocyte.errors import AstrocyteError, ConfigError

cards_app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="A2A agent cards: resolve them to memory, verify signatures."
)
console = Console(soft_wrap=True)
T = TypeVar("T")

CardArgument = Annotated[str, typer.Argument(help="A card JSON file or the agent's http(s) URL.")]
BindingsOption = Annotated[
    Path | None, typer.Option("--bindings", help="The bindings file (default: cards.bindings of --config).")
]
EnvOption = Annotated[str | None, typer.Option("--env", help="Environment (default: the bindings' default).")]
TenantOption = Annotated[str | None, typer.Option("--tenant", help="Tenant (default: the bindings' default).")]


@cards_app.command()
def resolve(
    card: CardArgument,
    env: EnvOption = None,
    tenant: TenantOption = None,
    bindings: BindingsOption = None,
) -> None:
    """Print CARD's identity, trust, principal, banks and grants (exit 1 if it is refused)."""
    resolution = _or_exit(lambda: asyncio.run(_resolver(bindings).resolve(card, environment=env, tenant=tenant)))
    console.print(_resolution_table(resolution))


@cards_app.command()
def verify(
    card: CardArgument,
    keys: Annotated[Path | None, typer.Option("--keys", help="A JWK or JWKS file of trusted public keys.")] = None,
    env: EnvOption = None,
    tenant: TenantOption = None,
    bindings: BindingsOption = None,
) -> None:
    """Check CARD's signatures against --keys, or else the keys of the binding it matches (exit 1 if none holds)."""
    loaded = _or_exit(lambda: asyncio.run(read_card(card)))
    console.print(f"{escape(str(_or_exit(lambda: identify(loaded))))}  {fingerprint(loaded)}")
    if not loaded.signatures:
        console.print("[red]the card has no signature[/red]")
        raise typer.Exit(1)
    checks = check_signatures(loaded, _or_exit(lambda: _keys(loaded, keys, bindings, env, tenant)))
    for number, check in enumerate(checks, start=1):
        verdict = "[green]valid[/green]" if check.valid else "[red]invalid[/red]"
        console.print(f"  {verdict} signature {number} ({check.alg}, kid {check.kid}) {escape(check.reason)}")
    if not any(check.valid for check in checks):
        console.print("[red]not signed by a trusted key[/red]")
        raise typer.Exit(1)


def _resolver(bindings: Path | None) -> CardResolver:
    cards = global_config().cards
    return CardResolver.load(bindings or cards.bindings, timeout=cards.fetch_timeout_s)


def _keys(card: AgentCard, keys: Path | None, bindings: Path | None, env: str | None, tenant: str | None) -> KeySet:
    if keys is not None:
        try:
            document = json.loads(keys.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--keys {keys}: not a readable JSON JWK or JWKS: {exc}") from None
        return public_keys(document, f"--keys {keys}")
    path = bindings or global_config().cards.bindings
    loaded = _resolver(path).bindings
    binding = loaded.match(
        card,
        identify(card),
        environment=env or loaded.defaults.environment,
        tenant=tenant or loaded.defaults.tenant,
    )
    key_set = loaded.keys_for(binding) if binding is not None else None
    if key_set is None:
        raise ConfigError(f"no keys to verify with: the card matches no binding with keys in {path}; pass --keys")
    return key_set


def _or_exit(action: Callable[[], T]) -> T:
    try:
        return action()
    except AstrocyteError as exc:
        console.print(f"[red]{type(exc).__name__}:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None


def _resolution_table(resolution: Resolution) -> Table:
    table = Table(title=f"agent card: {escape(resolution.name)}", title_justify="left", show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    rows = {
        "identity": resolution.identity,
        "fingerprint": resolution.fingerprint,
        "trust": resolution.trust,
        "binding": resolution.binding or "(fallback: private bank)",
        "principal": resolution.principal,
        "environment": resolution.environment,
        "tenant": resolution.tenant,
        "default bank": resolution.bank_id,
        "recall reads": ", ".join(resolution.read_banks),
        "grants": "\n".join(f"{', '.join(grant.permissions)}: {', '.join(grant.banks)}" for grant in resolution.grants),
    }
    if resolution.mip:
        rows["mip hints"] = ", ".join(f"{key}={value}" for key, value in resolution.mip.items())
    for label, value in rows.items():
        table.add_row(label, escape(value))
    return table
