"""Agent cards: parsing both A2A shapes, identity, trust, bindings, `brain.for_agent` and the `cards` commands."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey
from typer.testing import CliRunner

from astrocyte import AccessDenied, AgentMemory, Astrocyte, ConfigError, ProviderUnavailable, ValidationError
from astrocyte.cards import (
    CardResolver,
    check_signatures,
    fetch_card,
    fingerprint,
    identify,
    load_bindings,
    load_card,
    parse_card,
    public_keys,
    sign_card,
)
from astrocyte.cli.app import app
from astrocyte.cli.cards import cards_app

FIXTURES = Path(__file__).parent / "fixtures" / "cards"
AGENT_CARDS = Path(__file__).parents[1] / "agent_cards"
SHIPPED_AGENTS = {
    "langgraph-assistant",
    "crewai-researcher",
    "crewai-writer",
    "llamaindex-librarian",
    "autogen-assistant",
    "demo",
}


def card(name: str = "Support Bot", provider: str | None = "https://acme.example", **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": name,
        "description": f"{name}, for tests.",
        "supportedInterfaces": [
            {"url": "https://agents.host.example/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
        ],
        "version": "1.0.0",
        "capabilities": {},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [{"id": "answer", "name": "Answer", "description": "Answers.", "tags": ["support"]}],
    }
    if provider is not None:
        document["provider"] = {"organization": "ACME", "url": provider}
    return document | fields


def resolver(*bindings: dict[str, Any], **top: Any) -> CardResolver:
    return CardResolver.load({"bindings": list(bindings), **top})


def catch_all(**fields: Any) -> dict[str, Any]:
    return {"name": "everyone", "trust": "asserted", **fields}


@pytest.fixture
def signing_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "acme-2025"})


def signed_resolver(key: ECKey, **top: Any) -> CardResolver:
    return resolver(
        {"name": "acme", "match": {"identity": "acme.example/*"}, "trust": "signed", "keys": ["acme"]},
        keys={"acme": {"jwk": key.as_dict(private=False)}},
        **top,
    )


@pytest.fixture
def guarded() -> Iterator[Astrocyte]:
    with Astrocyte({"store": {"kind": "memory"}, "access": {"enabled": True}}) as brain:
        yield brain


# Parsing


def test_a2a_v1_card_parses_with_its_interfaces_provider_and_skills() -> None:
    parsed = load_card(FIXTURES / "v1_support_bot.json")
    assert parsed.shape == "1.0"
    assert parsed.name == "Support Bot (EU)" and parsed.version == "2.3.1"
    assert parsed.provider is not None and parsed.provider.organization == "ACME Corp"
    assert [interface.binding for interface in parsed.interfaces] == ["JSONRPC", "HTTP+JSON"]
    assert [skill.id for skill in parsed.skills] == ["triage", "refunds"]
    assert parsed.raw["x-team"] == "care"


def test_a2a_v03_card_parses_with_its_main_url_first() -> None:
    parsed = load_card(FIXTURES / "v03_travel_agent.json")
    assert parsed.shape == "0.3"
    assert parsed.spec.protocol_version == "0.3.0"
    assert parsed.interfaces == (
        ("https://travel.example.org/a2a", "JSONRPC"),
        ("https://travel.example.org/grpc", "GRPC"),
    )
    assert str(identify(parsed)) == "travel.example.org/travel-agent"


def without(key: str) -> dict[str, Any]:
    document = card()
    del document[key]
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (without("name"), "name: Field required"),
        (card(supportedInterfaces=[{"url": "https://a.example"}]), "supportedInterfaces.0.protocolBinding: Field"),
        (card(supportedInterfaces=[]), "supportedInterfaces: Tuple should have at least 1 item"),
        (card(skills=[{"id": "x", "name": "X", "description": "x"}]), "skills.0.tags: Field required"),
        (card() | {"provider": {"organization": "ACME"}}, "provider.url: Field required"),
        (without("supportedInterfaces"), "supportedInterfaces: required"),
        ({**without("supportedInterfaces"), "url": 7}, "not a valid A2A v0.3 agent card\n  url: Input should be"),
    ],
)
def test_a_malformed_card_fails_naming_the_field(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match="agent card") as caught:
        parse_card(document)
    assert message in str(caught.value)


def test_a_card_file_that_is_not_a_card_object_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValidationError, match="not valid JSON"):
        load_card(tmp_path / "broken.json")
    with pytest.raises(ValidationError, match="must be a JSON object, got list"):
        load_card(tmp_path / "list.json")
    with pytest.raises(ValidationError, match="no such file"):
        load_card(tmp_path / "missing.json")


# Identity and fingerprint


def test_identity_is_the_provider_domain_and_the_normalised_name() -> None:
    assert str(identify(load_card(FIXTURES / "v1_support_bot.json"))) == "acme.example/support-bot-eu"
    assert str(identify(parse_card(card("Réponse Bot!", provider=None)))) == "agents.host.example/reponse-bot"
    with pytest.raises(ValidationError, match="name: '!!!' has no letters or digits"):
        identify(parse_card(card("!!!")))


def test_fingerprint_covers_the_content_not_its_layout_or_signatures(signing_key: ECKey) -> None:
    document = card()
    reordered = json.loads(json.dumps(dict(reversed(list(document.items()))), indent=4))
    assert fingerprint(parse_card(document)) == fingerprint(parse_card(reordered))
    assert fingerprint(parse_card(document)) == fingerprint(parse_card(sign_card(document, signing_key)))
    assert fingerprint(parse_card(document)) != fingerprint(parse_card(card(description="Changed.")))
    assert fingerprint(parse_card(document)).startswith("sha256:")


def test_the_same_card_always_resolves_to_the_same_principal_and_bank(tmp_path: Path) -> None:
    (tmp_path / "card.json").write_text(json.dumps(card()))
    cards = resolver(catch_all())
    first = cards.resolve_card(load_card(tmp_path / "card.json"), environment="prod", tenant="acme")
    again = cards.resolve_card(parse_card(card()), environment="prod", tenant="acme")
    assert (first.principal, first.bank_id) == (again.principal, again.bank_id)
    assert first.principal == "agent:acme.example/support-bot"
    assert first.bank_id == "acme.example/support-bot/prod/acme"


def test_same_named_agents_of_different_providers_never_share_a_bank_unless_bound_to() -> None:
    cards = resolver(catch_all())
    ours = cards.resolve_card(parse_card(card(provider="https://acme.example")))
    theirs = cards.resolve_card(parse_card(card(provider="https://globex.example")))
    assert ours.bank_id != theirs.bank_id and ours.principal != theirs.principal

    with pytest.raises(ConfigError, match=r"bindings\.0: .*would let agents with the same name"):
        resolver(catch_all(bank="agent-{card.name}-{tenant}"))
    shared = resolver(catch_all(bank="support-team/{tenant}"))
    assert shared.resolve_card(parse_card(card(provider="https://acme.example"))).bank_id == "support-team/default"
    assert shared.resolve_card(parse_card(card(provider="https://globex.example"))).bank_id == "support-team/default"
    pinned = resolver(catch_all(match={"identity": "acme.example/*"}, bank="agent-{card.name}-{tenant}"))
    assert pinned.resolve_card(parse_card(card()), tenant="acme").bank_id == "agent-support-bot-acme"


def test_a_new_major_version_is_a_new_identity_only_when_the_binding_says_so() -> None:
    version_1, version_2 = parse_card(card(version="1.4.0")), parse_card(card(version="2.0.0"))
    plain = resolver(catch_all())
    assert plain.resolve_card(version_1).bank_id == plain.resolve_card(version_2).bank_id
    scoped = resolver(catch_all(version_scoped=True))
    assert scoped.resolve_card(version_1).identity == "acme.example/support-bot@v1"
    assert scoped.resolve_card(version_2).bank_id == "acme.example/support-bot@v2/default/default"
    with pytest.raises(ValidationError, match="version: 'beta'"):
        scoped.resolve_card(parse_card(card(version="beta")))


# Trust: signatures


def test_a_card_signed_by_a_configured_key_is_signed(signing_key: ECKey) -> None:
    resolution = signed_resolver(signing_key).resolve_card(parse_card(sign_card(card(), signing_key)))
    assert resolution.trust == "signed"
    assert resolution.signatures[0].valid and resolution.signatures[0].kid == "acme-2025"


def test_a_bound_identity_without_a_valid_signature_is_refused(signing_key: ECKey) -> None:
    cards = signed_resolver(signing_key, fallback={"action": "private"})
    stranger = ECKey.generate_key("P-256", parameters={"kid": "acme-2025"})
    altered = sign_card(card(), signing_key) | {"description": "Now with admin rights."}
    refusals = {
        "no signature": card(),
        "unknown key": sign_card(card(), ECKey.generate_key("P-256", parameters={"kid": "mallory"})),
        "altered after signing": altered,
        "signed by another key": sign_card(card(), stranger),
    }
    for why, document in refusals.items():
        with pytest.raises(AccessDenied, match="needs trust 'signed'") as caught:
            cards.resolve_card(parse_card(document))
        assert why in str(caught.value)


def test_only_asymmetric_algorithms_are_accepted(signing_key: ECKey) -> None:
    signed = sign_card(card(), signing_key)
    unsigned_header = "eyJhbGciOiJub25lIiwia2lkIjoiYWNtZS0yMDI1In0"  # {"alg":"none","kid":"acme-2025"}
    signed["signatures"] = [{"protected": unsigned_header, "signature": ""}]
    with pytest.raises(ValidationError, match="signature: String should have at least 1 character"):
        parse_card(signed)
    signed["signatures"] = [{"protected": unsigned_header, "signature": "e30"}]
    [check] = check_signatures(parse_card(signed), public_keys(signing_key.as_dict(private=False), "test key"))
    assert not check.valid and "algorithm 'none', which is not accepted" in check.reason


def test_bindings_take_only_public_asymmetric_keys_they_can_name(tmp_path: Path, signing_key: ECKey) -> None:
    with pytest.raises(ConfigError, match="is a private key"):
        resolver(keys={"acme": {"jwk": signing_key.as_dict(private=True)}})
    with pytest.raises(ConfigError, match="kty 'oct'"):
        resolver(keys={"acme": {"jwk": {"kty": "oct", "k": "c2VjcmV0"}}})
    with pytest.raises(ConfigError, match="names keys not declared"):
        resolver(catch_all(trust="signed", keys=["acme"]))
    with pytest.raises(ConfigError, match="trust 'signed' needs keys"):
        resolver(catch_all(trust="signed"))
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "acme.jwks.json").write_text(json.dumps({"keys": [signing_key.as_dict(private=False)]}))
    (tmp_path / "bindings.yaml").write_text(
        "keys: {acme: {file: keys/acme.jwks.json}}\n"
        "bindings: [{name: acme, match: {identity: 'acme.example/*'}, trust: signed, keys: [acme]}]\n"
    )
    from_file = CardResolver.load(tmp_path / "bindings.yaml")
    assert from_file.resolve_card(parse_card(sign_card(card(), signing_key))).trust == "signed"


# Trust: fetched over TLS


def serve(cards: dict[str, dict[str, Any]], seen: list[str] | None = None) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(str(request.url))
        if str(request.url) == "https://agents.acme.example/moved":
            return httpx.Response(302, headers={"location": "https://elsewhere.example/card.json"})
        if str(request.url) == "https://agents.acme.example/slow":
            raise httpx.ReadTimeout("slow", request=request)
        if str(request.url) == "https://agents.acme.example/garbage":
            return httpx.Response(200, text="<html>")
        found = cards.get(str(request.url))
        return httpx.Response(200, json=found) if found else httpx.Response(404)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


WELL_KNOWN = "https://agents.acme.example/.well-known/agent-card.json"


async def test_a_card_fetched_over_https_from_its_own_domain_is_tls() -> None:
    seen: list[str] = []
    http = serve({WELL_KNOWN: card()}, seen)
    cards = CardResolver.load({"bindings": [catch_all(trust="tls")]}, http=http)
    resolution = await cards.resolve("https://agents.acme.example", tenant="acme")
    assert seen == [WELL_KNOWN]
    assert resolution.trust == "tls" and resolution.identity == "acme.example/support-bot"


async def test_plain_http_or_another_domain_is_only_asserted() -> None:
    evil = "https://evil.example/.well-known/agent-card.json"
    http = serve({"http://agents.acme.example/.well-known/agent-card.json": card(), evil: card()})
    cards = CardResolver.load({"bindings": [catch_all(trust="tls")]}, http=http)
    for url in ("http://agents.acme.example/", "https://evil.example"):
        with pytest.raises(AccessDenied, match="needs trust 'tls' but the card is only 'asserted'"):
            await cards.resolve(url)


async def test_fetching_fails_clearly() -> None:
    http = serve({})
    with pytest.raises(ProviderUnavailable, match="HTTP 404"):
        await fetch_card("https://agents.acme.example/missing.json", client=http)
    with pytest.raises(ProviderUnavailable, match=r"redirects to https://elsewhere\.example"):
        await fetch_card("https://agents.acme.example/moved", client=http)
    with pytest.raises(ProviderUnavailable, match=r"no answer within 2\.5 s"):
        await fetch_card("https://agents.acme.example/slow", client=http, timeout=2.5)
    with pytest.raises(ValidationError, match="not valid JSON"):
        await fetch_card("https://agents.acme.example/garbage", client=http)
    with pytest.raises(ValidationError, match="carries credentials"):
        await fetch_card("https://user:secret@agents.acme.example/", client=http)


# Bindings


def test_bindings_match_on_identity_provider_skills_tags_environment_and_tenant() -> None:
    cards = resolver(
        {
            "name": "eu-prod",
            "match": {"identity": "acme.example/*", "environment": "prod", "tenant": "eu-*"},
            "trust": "asserted",
        },
        {"name": "by-provider", "match": {"provider": "acme*", "skills": ["refunds"]}, "trust": "asserted"},
        {"name": "by-tag", "match": {"identity": "acme.example/*", "tags": ["billing", "sales"]}, "trust": "asserted"},
        catch_all(),
    )
    triage = parse_card(card(skills=[{"id": "triage", "name": "T", "description": "T", "tags": ["support"]}]))
    refunds = parse_card(card(skills=[{"id": "refunds", "name": "R", "description": "R", "tags": ["billing"]}]))
    assert cards.resolve_card(triage, environment="prod", tenant="eu-west").binding == "eu-prod"
    assert cards.resolve_card(triage, environment="prod", tenant="us-east").binding == "everyone"
    assert cards.resolve_card(refunds, environment="dev").binding == "by-provider"
    assert cards.resolve_card(parse_card(card(skills=refunds.raw["skills"], provider=None))).binding == "everyone"
    tagged = parse_card(card(skills=[{"id": "quote", "name": "Q", "description": "Q", "tags": ["sales"]}]))
    assert cards.resolve_card(tagged).binding == "by-tag"


def test_an_unmatched_card_is_denied_or_given_a_private_bank_only() -> None:
    with pytest.raises(AccessDenied, match=r"matches no binding .* and the fallback is deny"):
        resolver().resolve_card(parse_card(card()))
    private = resolver(fallback={"action": "private"}).resolve_card(parse_card(card()), tenant="acme")
    assert private.binding is None
    assert private.principal == "agent:unbound/acme.example/support-bot"
    assert private.bank_id == "unbound/acme.example/support-bot/default/acme"
    assert [grant.banks for grant in private.grants] == [(private.bank_id,)]
    with pytest.raises(ConfigError, match=r"fallback\.bank: .*must contain \{card.identity\}"):
        resolver(fallback={"action": "private", "bank": "unbound/{card.name}"})


def test_bindings_files_are_checked_when_loaded(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"bindings\.0\.bank: .*unknown placeholder \{card\.owner\}"):
        resolver(catch_all(bank="{card.owner}/notes"))
    with pytest.raises(ConfigError, match=r"bindings\.0\.trust: Input should be 'asserted', 'tls' or 'signed'"):
        resolver(catch_all(trust="trusted"))
    with pytest.raises(ConfigError, match="used twice"):
        resolver(catch_all(), catch_all())
    with pytest.raises(ConfigError, match="no such bindings file"):
        load_bindings(tmp_path / "missing.yaml")
    with pytest.raises(ValidationError, match="tenant: 'acme/eu' is not valid"):
        resolver(catch_all()).resolve_card(parse_card(card()), tenant="acme/eu")


def test_environment_and_tenant_come_from_the_host_or_the_bindings_defaults() -> None:
    cards = resolver(catch_all(), defaults={"environment": "staging", "tenant": "internal"})
    defaulted = cards.resolve_card(parse_card(card()))
    assert (defaulted.environment, defaulted.tenant) == ("staging", "internal")
    assert defaulted.context.model_dump() == {
        "principal": "agent:acme.example/support-bot",
        "on_behalf_of": None,
        "tenant": "internal",
        "environment": "staging",
    }
    assert cards.resolve_card(parse_card(card()), environment="prod", tenant="acme").bank_id.endswith("/prod/acme")


# Use: brain.for_agent


TEAM = {
    "bindings": [
        {
            "name": "researcher",
            "match": {"identity": "acme.example/researcher"},
            "trust": "asserted",
            "write": ["team/{tenant}"],
            "read": ["team/{tenant}"],
        },
        {
            "name": "writer",
            "match": {"identity": "acme.example/writer"},
            "trust": "asserted",
            "read": ["team/{tenant}"],
        },
        {"name": "intern", "match": {"identity": "acme.example/intern"}, "trust": "asserted"},
    ]
}


async def test_a_resolved_handle_cannot_read_another_cards_bank_without_a_grant(guarded: Astrocyte) -> None:
    bindings = CardResolver.load(TEAM)
    researcher = await guarded.for_agent(card("Researcher"), tenant="acme", bindings=bindings)
    writer = await guarded.for_agent(card("Writer"), tenant="acme", bindings=bindings)
    intern = await guarded.for_agent(card("Intern"), tenant="acme", bindings=bindings)
    assert isinstance(researcher, AgentMemory) and researcher.context == researcher.resolution.context

    await researcher.retain("Private hunch: the survey will be late.")
    await guarded.retain("Finding: churn is highest in week two.", "team/acme", context=researcher.context)
    assert (await researcher.recall("survey")).hits
    assert (await writer.recall("churn")).texts == ["Finding: churn is highest in week two."]
    with pytest.raises(AccessDenied):
        await writer.recall("survey", banks=[researcher.bank_id])
    with pytest.raises(AccessDenied):
        await intern.recall("churn", banks=["team/acme"])
    with pytest.raises(AccessDenied):
        await guarded.retain("Finding: made up.", "team/acme", context=writer.context)
    with pytest.raises(AccessDenied):
        await guarded.forget(researcher.bank_id, all=True, context=intern.context)


async def test_environment_and_tenant_separate_banks(guarded: Astrocyte) -> None:
    bindings = CardResolver.load(TEAM)
    acme = await guarded.for_agent(card("Writer"), environment="prod", tenant="acme", bindings=bindings)
    globex = await guarded.for_agent(card("Writer"), environment="prod", tenant="globex", bindings=bindings)
    staging = await guarded.for_agent(card("Writer"), environment="staging", tenant="acme", bindings=bindings)
    assert len({acme.bank_id, globex.bank_id, staging.bank_id}) == 3
    await acme.retain("Acme renews in March.")
    assert not (await globex.recall("renews")).hits
    assert not (await staging.recall("renews")).hits
    with pytest.raises(AccessDenied):
        await globex.recall("renews", banks=[acme.bank_id])
    with pytest.raises(AccessDenied):
        await staging.recall("renews", banks=[acme.bank_id])


async def test_a_principal_per_environment_keeps_one_agents_environments_apart(guarded: Astrocyte) -> None:
    bindings = resolver(catch_all(principal="agent:{environment}/{card.identity}"))
    prod = await guarded.for_agent(card(), environment="prod", bindings=bindings)
    dev = await guarded.for_agent(card(), environment="dev", bindings=bindings)
    assert prod.context.principal == "agent:prod/acme.example/support-bot"
    await prod.retain("Production incident on Monday.")
    with pytest.raises(AccessDenied):
        await dev.recall("incident", banks=[prod.bank_id])


def test_read_globs_are_granted_but_not_recalled_by_default() -> None:
    resolution = resolver(
        catch_all(read=["kb/{tenant}", "archive-*"], grants=[{"banks": ["audit"], "permissions": ["admin"]}])
    ).resolve_card(parse_card(card()), tenant="acme")
    assert resolution.read_banks == (resolution.bank_id, "kb/acme")
    assert [(grant.banks, grant.permissions) for grant in resolution.grants[1:]] == [
        (("kb/acme", "archive-*"), ("read",)),
        (("audit",), ("admin",)),
    ]
    assert {grant.tenant for grant in resolution.grants} == {"acme"}


def test_with_access_off_for_agent_still_chooses_the_bank_and_carries_the_principal() -> None:
    with Astrocyte({"store": {"kind": "memory"}}) as brain:
        memory = brain.sync.for_agent(card("Writer"), tenant="acme", bindings=CardResolver.load(TEAM))
        result = memory.sync.retain("Draft is due Friday.")
        assert result.bank_id == "acme.example/writer/default/acme"
        assert brain.sync.get(result.bank_id, result.memory_ids[0]).source == "agent:acme.example/writer"


def test_mip_hints_travel_as_metadata_for_routing_rules(tmp_path: Path) -> None:
    (tmp_path / "mip.yaml").write_text(
        "version: 1\nrules:\n"
        "  - {name: crew, match: {all: [{metadata.crew: research}]}, action: {bank: 'crew-notes'}}\n"
    )
    bindings = resolver(catch_all(mip={"crew": "research"}))
    with Astrocyte({"store": {"kind": "memory"}, "mip": {"rules": str(tmp_path / "mip.yaml")}}) as brain:
        memory = brain.sync.for_agent(card(), bindings=bindings)
        assert memory.sync.retain("Survey closes Friday.").bank_id == "crew-notes"
        [stored] = memory.sync.retain_many([{"content": "Own note.", "metadata": {"crew": "solo"}}])
        assert stored.bank_id == memory.bank_id


def test_resolutions_and_refusals_are_audited_with_the_fingerprint(guarded: Astrocyte) -> None:
    guarded.sync.for_agent(card("Writer"), bindings=CardResolver.load(TEAM))
    with pytest.raises(AccessDenied):
        guarded.sync.for_agent(card("Stranger"), bindings=CardResolver.load(TEAM))
    resolved, refused = guarded.audit.entries()[-2:]
    assert resolved["event"] == "agent_card_resolved"
    assert resolved["fingerprint"] == fingerprint(parse_card(card("Writer")))
    assert refused["event"] == "agent_card_refused" and "acme.example/stranger" in refused["reason"]


# agent_cards/


def test_every_shipped_card_is_a_v1_card_that_resolves_through_the_shipped_bindings() -> None:
    cards = CardResolver.load(AGENT_CARDS / "bindings.yaml")
    banks = {}
    for path in sorted(AGENT_CARDS.glob("*.json")):
        parsed = load_card(path)
        resolution = cards.resolve_card(parsed, environment="dev", tenant="acme")
        assert parsed.shape == "1.0" and resolution.binding == path.stem
        banks[str(identify(parsed))] = resolution.bank_id
    assert {identity.rsplit("/", 1)[1] for identity in banks} >= SHIPPED_AGENTS
    assert len(set(banks.values())) == len(banks)


def test_every_tutorial_agent_has_a_card() -> None:
    days = sorted(Path("tutorials").glob("day-*"))
    assert days
    for day in days:
        assert list(AGENT_CARDS.glob(f"{day.name[:6]}-*.json")), f"no card in agent_cards/ for {day.name}"


# CLI


def test_cards_resolve_prints_the_resolution_and_refuses_with_exit_1(tmp_path: Path) -> None:
    runner = CliRunner()
    shipped = AGENT_CARDS / "crewai-writer.json"
    result = runner.invoke(
        cards_app, ["resolve", str(shipped), "--bindings", str(AGENT_CARDS / "bindings.yaml"), "--tenant", "acme"]
    )
    assert result.exit_code == 0, result.output
    for text in (
        "astrocyte.example/crewai-writer",
        "asserted",
        "agent:astrocyte.example/crewai-writer",
        "crew-research/dev/acme",
    ):
        assert text in result.output
    (tmp_path / "stranger.json").write_text(json.dumps(card("Stranger")))
    refused = runner.invoke(
        cards_app, ["resolve", str(tmp_path / "stranger.json"), "--bindings", str(AGENT_CARDS / "bindings.yaml")]
    )
    assert refused.exit_code == 1 and "AccessDenied" in refused.output
    (tmp_path / "astrocyte.yaml").write_text(f"cards: {{bindings: {AGENT_CARDS.resolve() / 'bindings.yaml'}}}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = ["--config", str(tmp_path / "astrocyte.yaml")]
    with contextlib.chdir(elsewhere):
        by_config = runner.invoke(app, [*config, "cards", "resolve", str(shipped.resolve()), "--tenant", "acme"])
    assert by_config.exit_code == 0 and "crew-research/dev/acme" in by_config.output, by_config.output


def test_cards_verify_checks_the_signature(tmp_path: Path, signing_key: ECKey) -> None:
    runner = CliRunner()
    (tmp_path / "keys.json").write_text(json.dumps({"keys": [signing_key.as_dict(private=False)]}))
    (tmp_path / "signed.json").write_text(json.dumps(sign_card(card(), signing_key)))
    (tmp_path / "altered.json").write_text(json.dumps(sign_card(card(), signing_key) | {"version": "9.0.0"}))
    unsigned = runner.invoke(
        cards_app, ["verify", str(AGENT_CARDS / "demo.json"), "--keys", str(tmp_path / "keys.json")]
    )
    assert unsigned.exit_code == 1 and "no signature" in unsigned.output
    good = runner.invoke(cards_app, ["verify", str(tmp_path / "signed.json"), "--keys", str(tmp_path / "keys.json")])
    assert good.exit_code == 0 and "valid" in good.output and "acme-2025" in good.output
    bad = runner.invoke(cards_app, ["verify", str(tmp_path / "altered.json"), "--keys", str(tmp_path / "keys.json")])
    assert bad.exit_code == 1 and "altered after signing" in bad.output
    (tmp_path / "bindings.yaml").write_text(
        f"keys: {{acme: {{file: {tmp_path / 'keys.json'}}}}}\n"
        "bindings: [{name: acme, match: {identity: 'acme.example/*'}, trust: signed, keys: [acme]}]\n"
    )
    by_binding = runner.invoke(
        cards_app, ["verify", str(tmp_path / "signed.json"), "--bindings", str(tmp_path / "bindings.yaml")]
    )
    assert by_binding.exit_code == 0, by_binding.output
    (tmp_path / "astrocyte.yaml").write_text("cards: {bindings: bindings.yaml}\n")
    by_config = runner.invoke(
        app, ["--config", str(tmp_path / "astrocyte.yaml"), "cards", "verify", str(tmp_path / "signed.json")]
    )
    assert by_config.exit_code == 0 and "valid" in by_config.output, by_config.output


def test_adapters_take_a_card_in_place_of_a_bank(tmp_path: Path) -> None:
    from astrocyte.adapters import bind_memory

    with Astrocyte({"store": {"kind": "memory"}}) as brain:
        handle = bind_memory(brain, card=Path("agent_cards/llamaindex-librarian.json"), environment="prod", tenant="t1")
        assert handle.bank_id == "astrocyte.example/llamaindex-librarian/prod/t1"
        assert handle.context.principal == "agent:astrocyte.example/llamaindex-librarian"
        assert handle.banks == (handle.bank_id, "library/prod/t1")
        assert bind_memory(handle) is handle
        with pytest.raises(ValidationError, match="card's binding names the bank"):
            bind_memory(brain, bank_id="x", card=Path("agent_cards/demo.json"))
        with pytest.raises(ValidationError, match="already carries its banks"):
            bind_memory(handle, card=Path("agent_cards/demo.json"))
