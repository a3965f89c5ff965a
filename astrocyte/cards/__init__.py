"""Agent cards: resolve an A2A card to a principal, its banks and its grants, through a bindings file.

    from astrocyte import Astrocyte

    with Astrocyte({"access": {"enabled": True}}) as brain:
        memory = brain.sync.for_agent("agent_cards/langgraph-assistant.json", environment="dev", tenant="acme")
        memory.sync.retain("The customer prefers email.")
        print(memory.resolution.identity, memory.resolution.trust, memory.bank_id)

    resolution = await CardResolver.load().resolve("https://agents.acme.example", tenant="acme")

Memory follows the card's identity (see `identity`) through the bindings (see `bindings`), never a principal
or bank the client claims. `for_agent` makes the brain's access policy honour the binding's grants; with
access control off it still picks the bank and carries the principal, tenant and environment on every call
(for MIP rules, audit and rate limits), but nothing is enforced.
"""

from astrocyte.cards.bindings import (
    DEFAULT_BINDINGS,
    TRUST_LEVELS,
    Binding,
    Bindings,
    Fallback,
    KeySource,
    Match,
    Trust,
    load_bindings,
)
from astrocyte.cards.identity import Identity, fingerprint, identify, normalise_name
from astrocyte.cards.loading import WELL_KNOWN_PATH, CardSource, card_url, fetch_card, load_card, read_card
from astrocyte.cards.models import (
    AgentCard,
    AgentCardSignature,
    AgentCardV03,
    AgentCardV1,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    Interface,
    LegacyInterface,
    parse_card,
)
from astrocyte.cards.resolver import CardResolver, Resolution
from astrocyte.cards.signatures import ALGORITHMS, SignatureCheck, check_signatures, public_keys, sign_card

__all__ = [
    "ALGORITHMS",
    "DEFAULT_BINDINGS",
    "TRUST_LEVELS",
    "WELL_KNOWN_PATH",
    "AgentCard",
    "AgentCardSignature",
    "AgentCardV03",
    "AgentCardV1",
    "AgentInterface",
    "AgentProvider",
    "AgentSkill",
    "Binding",
    "Bindings",
    "CardResolver",
    "CardSource",
    "Fallback",
    "Identity",
    "Interface",
    "KeySource",
    "LegacyInterface",
    "Match",
    "Resolution",
    "SignatureCheck",
    "Trust",
    "card_url",
    "check_signatures",
    "fetch_card",
    "fingerprint",
    "identify",
    "load_bindings",
    "load_card",
    "normalise_name",
    "parse_card",
    "public_keys",
    "read_card",
    "sign_card",
]
