"""The policy layer as a user meets it: PII, access, MIP routing, limits, breaker, lifecycle, audit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from astrocyte import (
    AccessDenied,
    Astrocyte,
    Context,
    LegalHoldActive,
    MipRoutingError,
    PiiRejected,
    RateLimited,
)
from astrocyte._core.runtime import open_store
from astrocyte.config import load_config
from astrocyte.models.base import Embedder
from astrocyte.stores.base import MemoryStore
from astrocyte.testing import FakeClock, Faults, OfflineEmbedder

EMAIL = "dana.reyes@example.com"
CARD = "4111 1111 1111 1111"
API_KEY = "sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
SECRET_TEXT = f"Customer Dana wrote from {EMAIL}, paid with card {CARD} and pasted her key {API_KEY} by mistake."


def _brain(
    tmp_path: Path, *, faults: Faults | None = None, clock: FakeClock | None = None, **sections: Any
) -> Astrocyte:
    config = load_config({"data_dir": str(tmp_path / "data"), **sections})
    store = faults.wrap(open_store(config, OfflineEmbedder()), MemoryStore) if faults else None
    return Astrocyte(config, store=store, clock=clock)


def test_redacted_pii_leaves_no_trace_on_disk(tmp_path: Path) -> None:
    with _brain(tmp_path, profile="support", policy={"pii": {"enabled": True, "action": "redact"}}) as brain:
        result = brain.sync.retain(SECRET_TEXT, bank_id="support", metadata={"reply_to": EMAIL, "password": "hunter2"})
        hits = brain.sync.recall("What did Dana pay with?", bank_id="support").hits
        stored = brain.sync.list("support")
    text = " ".join(hit.text for hit in hits)
    assert "[REDACTED:EMAIL]" in text and "[REDACTED:CREDIT_CARD]" in text and "[REDACTED:SECRET]" in text
    assert stored[0].metadata == {"reply_to": "[REDACTED:EMAIL]"}
    assert any("password" in warning for warning in result.warnings)
    assert any("redacted email" in warning for warning in result.warnings)
    needles = [EMAIL, CARD, CARD.replace(" ", ""), API_KEY, "hunter2", "dana.reyes"]
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for needle in needles:
                assert needle.encode() not in blob, f"{needle!r} found in {path}"


def test_reject_policy_stores_nothing(tmp_path: Path) -> None:
    with _brain(tmp_path, policy={"pii": {"enabled": True, "actions": {"credit_card": "reject"}}}) as brain:
        with pytest.raises(PiiRejected, match="credit_card") as caught:
            brain.sync.retain(f"Card on file: {CARD}", bank_id="billing")
        assert CARD not in str(caught.value)
        assert brain.sync.banks() == []
        assert brain.audit.entries()[-1]["event"] == "pii_rejected"


def test_output_scan_redacts_memories_stored_before_the_policy(tmp_path: Path) -> None:
    with _brain(tmp_path) as brain:
        brain.sync.retain(f"Reach Dana at {EMAIL}.", bank_id="crm")
    with _brain(tmp_path, policy={"pii": {"scan_output": True}}) as brain:
        assert brain.sync.recall("Dana", bank_id="crm").hits[0].text == "Reach Dana at [REDACTED:EMAIL]."
        assert EMAIL not in brain.sync.reflect("How do I reach Dana?", bank_id="crm").answer
        assert brain.sync.list("crm")[0].text == "Reach Dana at [REDACTED:EMAIL]."


ACCESS = {
    "access": {
        "enabled": True,
        "grants": [
            {"principal": "user:*", "banks": ["user-{principal_id}"], "permissions": ["read", "write", "forget"]},
            {"principal": "agent:assistant", "banks": ["user-*", "team"], "permissions": ["read", "write"]},
            {"principal": "service:ops", "banks": ["*"], "permissions": ["admin"]},
        ],
    },
    "agents": {"triage": {"banks": ["team"], "permissions": ["read"]}},
}
ANN, BOB = Context(principal="user:ann"), Context(principal="user:bob")


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Astrocyte]:
    with _brain(tmp_path, **ACCESS) as brain:
        brain.sync.retain("Ann's locker code is 4512.", bank_id="user-ann", context=ANN)
        brain.sync.retain("Bob prefers tea.", bank_id="user-bob", context=BOB)
        brain.sync.retain("Team lunch is Friday.", bank_id="team", context=Context(principal="agent:assistant"))
        yield brain


def test_a_principal_cannot_touch_another_bank_without_a_grant(guarded: Astrocyte, tmp_path: Path) -> None:
    attempts = [
        lambda: guarded.sync.recall("locker", bank_id="user-ann", context=BOB),
        lambda: guarded.sync.reflect("locker code?", bank_id="user-ann", context=BOB),
        lambda: guarded.sync.list("user-ann", context=BOB),
        lambda: guarded.sync.get("user-ann", key="x", context=BOB),
        lambda: guarded.sync.export_bank("user-ann", tmp_path / "out.jsonl", context=BOB),
        lambda: guarded.sync.forget("user-ann", all=True, context=BOB),
        lambda: guarded.sync.retain("Injected.", bank_id="user-ann", context=BOB),
        lambda: guarded.sync.recall("locker", banks=["user-bob", "user-ann"], context=BOB),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDenied, match="user:bob may not"):
            attempt()
    assert not (tmp_path / "out.jsonl").exists()
    assert guarded.sync.recall("locker", bank_id="user-ann", context=ANN).hits[0].text.startswith("Ann's locker")
    assert [bank.bank_id for bank in guarded.sync.banks(context=BOB)] == ["user-bob"]
    denied = [entry for entry in guarded.audit.entries() if entry["event"] == "access_denied"]
    assert len(denied) == len(attempts)


def test_access_is_denied_by_default_without_a_principal(guarded: Astrocyte) -> None:
    with pytest.raises(AccessDenied, match="needs a principal"):
        guarded.sync.recall("anything", bank_id="team")


def test_on_behalf_of_intersects_permissions(guarded: Astrocyte) -> None:
    for_ann = Context(principal="agent:assistant", on_behalf_of="user:ann")
    assert guarded.sync.recall("locker", bank_id="user-ann", context=for_ann).hits
    with pytest.raises(AccessDenied, match=r"user:ann may not read bank 'user-bob'"):
        guarded.sync.recall("tea", bank_id="user-bob", context=for_ann)
    with pytest.raises(AccessDenied, match="agent:assistant may not forget"):
        guarded.sync.forget("user-ann", all=True, context=for_ann)


def test_agents_block_and_admin(guarded: Astrocyte) -> None:
    triage = Context(principal="agent:triage")
    assert guarded.sync.recall("lunch", bank_id="team", context=triage).hits
    with pytest.raises(AccessDenied, match="agent:triage may not write"):
        guarded.sync.retain("x", bank_id="team", context=triage)
    ops = Context(principal="service:ops")
    assert guarded.sync.forget("user-bob", all=True, context=ops).deleted == 1


MIP_RULES = """
version: 1
default_bank: general
banks:
  - {id: general, description: Anything else}
  - {id: compliance, description: Writes that carried personal data}
  - {id: "user-{metadata.user_id}", description: One user's memory}
rules:
  - name: pii-lock
    priority: 100
    override: true
    match: {all: [{signals.has_pii: true}]}
    action: {bank: compliance, tags: [pii], retain_policy: redact}
  - name: per-user
    priority: 10
    match: {all: [{metadata.user_id: {present: true}}]}
    action: {bank: "user-{metadata.user_id}", tags: [personal]}
  - name: no-spam
    priority: 50
    match: {all: [{content: {regex: "(?i)buy now"}}]}
    action: {retain_policy: reject}
"""


def test_mip_routes_retains_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(MIP_RULES)
    (tmp_path / "astrocyte.yaml").write_text(f"data_dir: {tmp_path / 'data'}\nmip:\n  rules: rules.yaml\n")
    with Astrocyte.from_config(tmp_path / "astrocyte.yaml") as brain:
        personal = brain.sync.retain("Likes hiking.", metadata={"user_id": "u7"}, tags=["hobby"])
        assert personal.bank_id == "user-u7"
        assert brain.sync.get("user-u7", memory_id=personal.memory_ids[0]).tags == ("hobby", "personal")
        assert brain.sync.retain("Office closes at six.").bank_id == "general"
        locked = brain.sync.retain(f"Mail {EMAIL} the invoice.", bank_id="general", metadata={"user_id": "u7"})
        assert locked.bank_id == "compliance"
        assert brain.sync.list("compliance")[0].text == "Mail [REDACTED:EMAIL] the invoice."
        with pytest.raises(MipRoutingError, match="no-spam"):
            brain.sync.retain("BUY NOW cheap watches", bank_id="general")
        routed = [entry for entry in brain.audit.entries() if entry["event"] == "mip_routed"]
        assert [entry["rule"] for entry in routed] == ["per-user", None, "pii-lock", "no-spam"]


def test_rate_limit_raises_with_retry_after(tmp_path: Path) -> None:
    limits = {"rate_limits": {"per_principal": {"per_second": 1.0, "burst": 2}}}
    with _brain(tmp_path, policy=limits) as brain:
        who = Context(principal="agent:chatty")
        brain.sync.retain("Quarterly numbers", bank_id="b", context=who)
        brain.sync.recall("quarterly", bank_id="b", context=who)
        with pytest.raises(RateLimited) as caught:
            brain.sync.recall("quarterly", bank_id="b", context=who)
        assert 0 < caught.value.retry_after <= 1.0
        assert brain.sync.recall("quarterly", bank_id="b", context=Context(principal="agent:quiet")).hits


def test_daily_quota(tmp_path: Path) -> None:
    with _brain(tmp_path, policy={"quotas": {"per_bank_daily": 3}}) as brain:
        brain.sync.retain_many(["a1", "b2", "c3"], "small")
        with pytest.raises(RateLimited, match="per_bank_daily") as caught:
            brain.sync.retain("d4", bank_id="small")
        assert caught.value.retry_after > 0
        assert len(brain.sync.list("small")) == 3
        brain.sync.retain("elsewhere", bank_id="other")


DISK_ERROR = sqlite3.OperationalError("disk I/O error")


def test_breaker_opens_degrades_queues_and_replays(tmp_path: Path) -> None:
    breaker = {"failure_threshold": 2, "reset_timeout_s": 30, "degraded_recall": "lexical"}
    faults, clock = Faults(), FakeClock()
    with _brain(tmp_path, faults=faults, clock=clock, policy={"breaker": breaker}) as brain:
        brain.sync.retain("The backup runs at midnight.", bank_id="ops")
        with faults.failing("upsert", "ids", "search_vectors", error=DISK_ERROR):
            queued = [brain.sync.retain(f"Incident {n}: disk {n} failed.", bank_id="ops") for n in range(4)]
            assert all(result.queued and result.memory_ids == () for result in queued)
            assert brain.breakers["store"].state == "open"
            degraded = brain.sync.recall("backup", bank_id="ops")
            assert degraded.trace.degraded and degraded.hits == ()
            assert brain.queued_writes == 4
        clock.advance(seconds=31)
        recovered = brain.sync.recall("incident disk failed", bank_id="ops", max_results=10)
        assert brain.breakers["store"].state == "closed"
        assert recovered.trace.degraded is None
        assert brain.queued_writes == 0
        texts = {record.text for record in brain.sync.list("ops")}
        assert texts == {"The backup runs at midnight."} | {f"Incident {n}: disk {n} failed." for n in range(4)}
        events = [entry["event"] for entry in brain.audit.entries()]
        assert "retain_queued" in events and "retain_replayed" in events


def test_queued_writes_survive_a_restart(tmp_path: Path) -> None:
    faults = Faults()
    with _brain(tmp_path, faults=faults) as brain, faults.failing("upsert", error=DISK_ERROR):
        assert brain.sync.retain("Kept through the outage.", bank_id="ops").queued
    with _brain(tmp_path) as brain:
        brain.sync.retain("After restart.", bank_id="ops")
        assert {record.text for record in brain.sync.list("ops")} == {"Kept through the outage.", "After restart."}


def test_lexical_degraded_mode_when_the_embedder_fails(tmp_path: Path) -> None:
    faults = Faults()
    config = {"data_dir": str(tmp_path / "data")}
    with Astrocyte(config, embedder=faults.wrap(OfflineEmbedder(), Embedder)) as brain:
        brain.sync.retain("The deploy key rotates monthly.", bank_id="ops")
        with faults.failing("embed", error=ConnectionError("embedding service down")):
            result = brain.sync.recall("deploy key", bank_id="ops")
        assert result.trace.degraded.startswith("lexical only")
        assert result.hits[0].text == "The deploy key rotates monthly."
        assert "semantic" not in result.trace.strategies


def test_degraded_error_mode_raises(tmp_path: Path) -> None:
    from astrocyte import ProviderUnavailable

    faults = Faults()
    policy = {"breaker": {"degraded_recall": "error", "degraded_retain": "error"}}
    with _brain(tmp_path, faults=faults, policy=policy) as brain, faults.failing("upsert", error=DISK_ERROR):
        with pytest.raises(ProviderUnavailable, match="could not take this write"):
            brain.sync.retain("x", bank_id="ops")
        refused = pytest.raises(ProviderUnavailable, match="degraded_recall is error")
        with faults.failing("search_keywords", error=DISK_ERROR), refused:
            brain.sync.recall("x", bank_id="ops")


def test_bad_input_never_trips_the_breaker(tmp_path: Path) -> None:
    from astrocyte import ValidationError

    with _brain(tmp_path, policy={"breaker": {"failure_threshold": 1}}) as brain:
        for _ in range(3):
            with pytest.raises(ValidationError):
                brain.sync.recall("q", bank_id="b", filter={"x": {"$bad": 1}})
        assert brain.breakers["store"].state == "closed"


def test_legal_hold_refuses_forget_and_ttl(tmp_path: Path) -> None:
    lifecycle = {
        "legal_holds": ["case-*"],
        "ttl": [{"banks": "*", "days": 30}, {"banks": "chat", "tags": ["ephemeral"], "days": 1}],
    }
    clock = FakeClock(datetime.now(UTC) - timedelta(days=40))
    with _brain(tmp_path, clock=clock, lifecycle=lifecycle) as brain:
        brain.sync.retain("Deposition scheduled.", bank_id="case-17")
        brain.sync.retain("Old chat line.", bank_id="chat")
        clock.advance(days=38)
        brain.sync.retain("Temporary note.", bank_id="chat", tags=["ephemeral"])
        brain.sync.retain("Durable note.", bank_id="chat")
        clock.advance(days=2)
        with pytest.raises(LegalHoldActive, match="case-17"):
            brain.sync.forget("case-17", all=True)
        report = brain.sync.run_lifecycle()
        assert report.expired == {"chat": 2}
        assert report.held == ("case-17",)
        assert [record.text for record in brain.sync.list("chat")] == ["Durable note."]
        assert len(brain.sync.list("case-17")) == 1
        events = [entry["event"] for entry in brain.audit.entries()]
        assert "legal_hold_refused" in events and "ttl_expired" in events


def test_ttl_runs_on_open(tmp_path: Path) -> None:
    with _brain(tmp_path, clock=FakeClock(datetime.now(UTC) - timedelta(days=10))) as brain:
        brain.sync.retain("Stale.", bank_id="chat")
    with _brain(tmp_path, lifecycle={"ttl": [{"banks": "chat", "days": 7}]}) as brain:
        assert brain.sync.list("chat") == []


def test_forget_is_audited_without_content(tmp_path: Path) -> None:
    with _brain(tmp_path) as brain:
        brain.sync.retain("Something private about Erin.", bank_id="notes", tags=["t"])
        brain.sync.forget("notes", tags=["t"], context=Context(principal="user:erin"))
    lines = (tmp_path / "data" / "audit.jsonl").read_text()
    assert '"event": "forget"' in lines and '"principal": "user:erin"' in lines
    assert "Erin." not in lines


def test_a_rule_sets_how_the_bank_it_routes_to_is_searched(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        """
version: 1
default_bank: general
banks: [{id: general}, {id: "logs-{metadata.service}"}]
rules:
  - name: logs
    priority: 10
    match: {all: [{metadata.service: {present: true}}]}
    action:
      bank: "logs-{metadata.service}"
      pipeline: {recall: {weights: {semantic: 0.0, entity: 0.0}, rerank: {enabled: false}}}
"""
    )
    with _brain(tmp_path, mip={"rules": str(tmp_path / "rules.yaml")}) as brain:
        assert brain.mip.rules.recall_for("logs-billing") == {
            "weights": {"semantic": 0.0, "entity": 0.0},
            "rerank": {"enabled": False},
        }
        assert brain.mip.rules.recall_for("general") == {}
        brain.sync.retain("Timeout talking to the card processor.", metadata={"service": "billing"})
        brain.sync.retain("Timeout talking to the card processor.")
        keyword_only = brain.sync.recall("processor timeout", bank_id="logs-billing")
        assert set(keyword_only.trace.strategies) == {"keyword"}
        assert "semantic" in brain.sync.recall("processor timeout", bank_id="general").trace.strategies


def test_an_invalid_recall_override_names_the_rule_and_field(tmp_path: Path) -> None:
    from astrocyte import ConfigError
    from astrocyte.mip import load_rules

    rules = {
        "version": 1,
        "default_bank": "general",
        "banks": [{"id": "general"}],
        "rules": [{"name": "bad", "match": {}, "action": {"bank": "general", "pipeline": {"recall": {"rrf_k": 0}}}}],
    }
    with pytest.raises(ConfigError, match=r"rule 'bad'.*rrf_k"):
        load_rules(rules)


def test_a_known_agents_default_bank_is_where_it_writes_and_reads_when_it_names_none(tmp_path: Path) -> None:
    from astrocyte import ValidationError

    agents = {"support-bot": {"banks": ["kb"], "permissions": ["read", "write"], "default_bank": "tickets"}}
    bot = Context(principal="agent:support-bot")
    with _brain(tmp_path, access={"enabled": True}, agents=agents) as brain:
        assert brain.sync.retain("The printer on floor 3 is jammed.", context=bot).bank_id == "tickets"
        assert [hit.bank_id for hit in brain.sync.recall("printer jammed", context=bot).hits] == ["tickets"]
        assert brain.sync.reflect("Which printer is jammed?", context=bot).citations
        with pytest.raises(ValidationError, match="bank_id: required"):
            brain.sync.retain("Nobody's default.", context=Context(principal="agent:other"))
