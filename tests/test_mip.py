"""The Memory Intent Protocol: the rules file, routing, signals and the `mip` commands."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from astrocyte import Astrocyte
from astrocyte.cli.mip import mip_app
from astrocyte.errors import ConfigError, MipRoutingError
from astrocyte.mip import (
    MipRouter,
    MipRules,
    RoutingDecision,
    Signals,
    WriteFacts,
    load_rules,
    principal_fields,
    rule_warnings,
)
from astrocyte.models.base import ChatModel, Message

FIXTURES = Path(__file__).parent / "fixtures" / "mip"
RULES = FIXTURES / "rules.yaml"
IN_2025 = datetime(2025, 6, 1, tzinfo=UTC)
IN_2031 = datetime(2031, 1, 1, tzinfo=UTC)
NOTE = "Remember that I prefer green tea over coffee in the morning."


class FixedReply(ChatModel):
    """A chat model that answers every prompt with the same reply (or raises the same error)."""

    name = "fixed"

    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.prompts: list[Sequence[Message]] = []

    async def complete(
        self, messages: Sequence[Message], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> str:
        self.prompts.append(messages)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def router(clock: datetime = IN_2025, **kwargs: Any) -> MipRouter:
    return MipRouter.from_file(RULES, clock=lambda: clock, **kwargs)


def rules(*rule_list: dict[str, Any], **top: Any) -> MipRules:
    return load_rules({"version": 1, "rules": list(rule_list), **top})


async def route(rule_set: MipRules, facts: WriteFacts, **kwargs: Any) -> RoutingDecision:
    return await MipRouter(rule_set, **kwargs).route(facts)


# Routing with the sample file


async def test_a_matching_rule_renders_its_bank_template_and_applies_its_preset_and_tags() -> None:
    decision = await router().route(WriteFacts(NOTE, metadata={"user_id": "42"}, tags=("diet", "personal")))
    assert (decision.bank_id, decision.via, decision.rule) == ("user-42", "rule", "user-notes")
    assert decision.tags == ("diet", "personal")
    assert decision.chunking == {"strategy": "dialogue"}
    assert decision.dedup == {}
    assert decision.retain_policy == "default"
    assert "rule 'user-notes' wins with the highest priority (10)" in decision.reasons


async def test_rule_tags_follow_the_callers_without_duplicates() -> None:
    decision = await router().route(WriteFacts(NOTE, metadata={"user_id": "42"}, tags=("diet",)))
    assert decision.tags == ("diet", "personal")


async def test_a_none_condition_excludes_the_rule() -> None:
    decision = await router().route(WriteFacts(NOTE, metadata={"user_id": "42"}, tags=("draft",)))
    assert (decision.bank_id, decision.rule) == ("general", "catch-all")


async def test_an_override_rule_beats_matching_rules_of_higher_priority() -> None:
    decision = await router(pii_detector=lambda text: "@" in text).route(
        WriteFacts("Mail ann@example.com", metadata={"user_id": "42"})
    )
    assert (decision.bank_id, decision.via, decision.rule) == ("compliance", "override", "pii-lock")
    assert decision.retain_policy == "redact"
    assert decision.tags == ("pii",)
    assert any("override rule 'pii-lock' wins" in reason and "user-notes" in reason for reason in decision.reasons)


async def test_a_shadow_rule_is_reported_and_logged_but_never_applied(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="astrocyte.mip"):
        decision = await router().route(WriteFacts("Standup moved to ten tomorrow", source="slack-bot"))
    assert decision.bank_id == "general"
    assert decision.rule == "catch-all"
    assert decision.shadow == (("try-new-routing", "slack"),)
    logged = " ".join(record.getMessage() for record in caplog.records if record.name == "astrocyte.mip")
    assert "try-new-routing" in logged and "slack" in logged
    assert "Standup" not in logged


async def test_a_reject_rule_gives_no_bank() -> None:
    decision = await router().route(WriteFacts("hi", metadata={"user_id": "42"}))
    assert (decision.bank_id, decision.retain_policy, decision.rule) == (None, "reject", "spam")


async def test_explicit_pipeline_settings_win_over_the_user_preset() -> None:
    decision = await router().route(WriteFacts("My order never arrived, please help.", source="zendesk"))
    assert (decision.bank_id, decision.rule) == ("support-tickets", "support")
    assert decision.chunking == {"strategy": "sentence", "max_chars": 400}


async def test_a_rule_outside_its_active_window_is_skipped() -> None:
    decision = await router(clock=IN_2031).route(WriteFacts(NOTE))
    assert (decision.bank_id, decision.via, decision.rule) == ("general", "default", None)
    assert "rule 'catch-all' skipped: outside its active window" in decision.reasons
    before = await router(clock=datetime(2023, 12, 31, 23, 59, tzinfo=UTC)).route(WriteFacts(NOTE))
    assert before.rule is None
    on_the_first_day = await router(clock=datetime(2024, 1, 1, tzinfo=UTC)).route(WriteFacts(NOTE))
    assert on_the_first_day.rule == "catch-all"


async def test_the_requested_bank_is_used_when_no_rule_matches() -> None:
    decision = await router(clock=IN_2031).route(WriteFacts(NOTE, requested_bank="scratch", tags=("t",)))
    assert (decision.bank_id, decision.via, decision.rule, decision.tags) == ("scratch", "requested", None, ("t",))


async def test_explain_lists_the_decision_and_its_reasons() -> None:
    decision = await router().route(WriteFacts(NOTE, source="slack", metadata={"user_id": "42"}))
    text = decision.explain()
    assert "bank: user-42" in text
    assert "chunking: strategy=dialogue" in text
    assert "shadow: try-new-routing -> slack" in text
    assert "rule 'user-notes' matched (priority 10, 3 conditions)" in text


# The LLM intent step


async def test_an_escalating_rule_lets_the_model_choose_a_declared_bank() -> None:
    model = FixedReply("support-tickets")
    content = "Refund request for order 66. " * 200
    decision = await router(llm=model).route(WriteFacts(content, content_type="email", tags=("inbox",)))
    assert (decision.bank_id, decision.via, decision.rule) == ("support-tickets", "escalation", "ask-the-model")
    assert decision.tags == ("inbox", "mail")
    system, user = model.prompts[0]
    assert "- support-tickets: Customer support conversations" in system.content
    assert "user-{metadata.user_id}" not in system.content
    assert "content_type: email" in user.content and "tags: inbox" in user.content
    assert user.content.endswith("content:\n" + content[:2000])


async def test_a_bank_named_inside_a_sentence_is_accepted() -> None:
    decision = await router(llm=FixedReply("I would file this under support-tickets.")).route(
        WriteFacts("Ticket 7", content_type="email")
    )
    assert decision.bank_id == "support-tickets"


@pytest.mark.parametrize("reply", ["slack", "user-42", "user-{metadata.user_id}", "general or compliance", ""])
async def test_an_answer_that_is_not_one_declared_bank_falls_back_to_the_default(reply: str) -> None:
    decision = await router(llm=FixedReply(reply)).route(WriteFacts("Ticket 7", content_type="email"))
    assert (decision.bank_id, decision.via, decision.rule) == ("general", "default", "ask-the-model")
    assert any("names no declared bank; using default_bank 'general'" in reason for reason in decision.reasons)


async def test_a_failing_model_falls_back_to_the_default() -> None:
    decision = await router(llm=FixedReply(RuntimeError("boom"))).route(WriteFacts("Ticket 7", content_type="email"))
    assert (decision.bank_id, decision.via) == ("general", "default")
    assert any("the model failed (RuntimeError)" in reason for reason in decision.reasons)


async def test_without_a_model_an_escalation_goes_to_the_default() -> None:
    decision = await router().route(WriteFacts("Ticket 7", content_type="email"))
    assert (decision.bank_id, decision.via) == ("general", "default")
    assert any("no LLM is configured" in reason for reason in decision.reasons)


async def test_an_unmatched_write_without_a_requested_bank_asks_the_model() -> None:
    decision = await router(clock=IN_2031, llm=FixedReply("compliance")).route(WriteFacts(NOTE))
    assert (decision.bank_id, decision.via, decision.rule) == ("compliance", "escalation", None)


async def test_with_no_default_bank_and_nothing_else_the_error_says_how_to_fix_it() -> None:
    with pytest.raises(MipRoutingError, match=r"declare default_bank .* or add a catch-all rule"):
        await route(
            rules({"name": "notes", "match": {"all": [{"source": "cli"}]}, "action": {"bank": "notes"}}),
            WriteFacts(NOTE),
        )


# Operators and match blocks


def single_rule(match: dict[str, Any]) -> MipRules:
    return rules(
        {"name": "probe", "match": match, "action": {"bank": "hit"}},
        banks=[{"id": "miss"}],
        default_bank="miss",
    )


FACTS = WriteFacts(
    "Where is order 66? See https://shop.example/o/66",
    content_type="note",
    source="slack-bot",
    tags=("orders", "urgent"),
    metadata={"n": 5, "ratio": 0.5, "flag": True, "code": "5", "empty": None},
    principal=principal_fields("agent:support-bot", tenant="acme"),
    requested_bank="inbox",
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"content_type": "note"}, True),
        ({"content_type": "text"}, False),
        ({"content_type": {"eq": "note"}}, True),
        ({"tags": "urgent"}, True),
        ({"tags": "spam"}, False),
        ({"metadata.flag": True}, True),
        ({"metadata.n": {"eq": 5.0}}, True),
        ({"metadata.flag": {"eq": 1}}, False),
        ({"content_type": {"in": ["text", "note"]}}, True),
        ({"content_type": {"in": ["text", "email"]}}, False),
        ({"tags": {"in": ["spam", "orders"]}}, True),
        ({"metadata.n": {"gt": 4}}, True),
        ({"metadata.n": {"gt": 5}}, False),
        ({"metadata.n": {"gte": 5}}, True),
        ({"metadata.ratio": {"lt": 1}}, True),
        ({"metadata.n": {"lte": 4.5}}, False),
        ({"source": {"gt": "m"}}, True),
        ({"metadata.code": {"gt": 4}}, False),
        ({"metadata.n": {"lt": "9"}}, False),
        ({"metadata.flag": {"gte": 0}}, False),
        ({"metadata.missing": {"lt": 10}}, False),
        ({"metadata.n": {"present": True}}, True),
        ({"metadata.empty": {"present": True}}, False),
        ({"metadata.missing": {"present": False}}, True),
        ({"metadata.missing": {"absent": True}}, True),
        ({"metadata.n": {"absent": True}}, False),
        ({"tags": {"present": True}}, True),
        ({"content": {"regex": r"\border \d+"}}, True),
        ({"content": {"regex": "^order"}}, False),
        ({"tags": {"regex": "^urg"}}, True),
        ({"metadata.n": {"regex": "5"}}, False),
        ({"source": {"regex": "^slack"}}, True),
        ({"bank": "inbox"}, True),
        ({"principal.kind": "agent"}, True),
        ({"principal.id": "agent:support-bot"}, True),
        ({"principal.name": "support-bot"}, True),
        ({"principal.tenant": {"in": ["acme", "globex"]}}, True),
        ({"principal.on_behalf_of": {"absent": True}}, True),
        ({"signals.has_url": True}, True),
        ({"signals.has_question": True}, True),
        ({"signals.word_count": {"gte": 6}}, True),
        ({"signals.word_count": {"gt": 6}}, False),
        ({"signals.language": "en"}, False),
    ],
)
async def test_each_operator(condition: dict[str, Any], expected: bool) -> None:
    decision = await route(single_rule({"all": [condition]}), FACTS)
    assert (decision.bank_id == "hit") is expected


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"all": [{"content_type": "note"}, {"tags": "urgent"}]}, True),
        ({"all": [{"content_type": "note"}, {"tags": "spam"}]}, False),
        ({"any": [{"content_type": "text"}, {"tags": "urgent"}]}, True),
        ({"any": [{"content_type": "text"}, {"tags": "spam"}]}, False),
        ({"all": [{"content_type": "note"}], "any": []}, True),
        ({"none": [{"content_type": "text"}, {"tags": "spam"}]}, True),
        ({"none": [{"content_type": "text"}, {"tags": "urgent"}]}, False),
        (
            {"all": [{"content_type": "note"}], "any": [{"source": "cli"}, {"bank": "inbox"}], "none": [{"tags": "x"}]},
            True,
        ),
        ({}, True),
    ],
)
async def test_match_blocks(match: dict[str, Any], expected: bool) -> None:
    decision = await route(single_rule(match), FACTS)
    assert (decision.bank_id == "hit") is expected


# Templates


def template_rules(bank: str) -> MipRules:
    return rules({"name": "personal", "action": {"bank": bank}})


async def test_templates_fill_from_metadata_principal_source_and_content_type() -> None:
    facts = WriteFacts(NOTE, source="cli", metadata={"user_id": 7}, principal=principal_fields("user:ann"))
    decision = await route(template_rules("{principal.name}-{metadata.user_id}-{source}-{content_type}"), facts)
    assert decision.bank_id == "ann-7-cli-text"


async def test_a_missing_placeholder_value_names_the_rule_and_placeholder() -> None:
    with pytest.raises(MipRoutingError, match=r"rule 'personal': .*\{metadata\.user_id\}.*no metadata\.user_id"):
        await route(template_rules("user-{metadata.user_id}"), WriteFacts(NOTE))


async def test_a_value_that_makes_an_invalid_bank_id_names_the_rule_and_placeholder() -> None:
    with pytest.raises(MipRoutingError, match=r"rule 'personal': .*'user-a b'.*\{metadata\.user_id\}"):
        await route(template_rules("user-{metadata.user_id}"), WriteFacts(NOTE, metadata={"user_id": "a b"}))


# Ties


def tied_rules(tie_breaker: str) -> MipRules:
    return rules(
        {"name": "catch-all", "priority": 5, "action": {"bank": "everything"}},
        {"name": "one-condition", "priority": 5, "match": {"all": [{"content_type": "note"}]}, "action": {"bank": "a"}},
        {
            "name": "two-conditions",
            "priority": 5,
            "match": {"all": [{"content_type": "note"}, {"tags": "urgent"}]},
            "action": {"bank": "b"},
        },
        tie_breaker=tie_breaker,
    )


async def test_tie_breaker_first_takes_the_earliest_rule() -> None:
    decision = await route(tied_rules("first"), FACTS)
    assert decision.rule == "one-condition"


async def test_tie_breaker_most_specific_takes_the_rule_with_most_conditions() -> None:
    decision = await route(tied_rules("most_specific"), FACTS)
    assert decision.rule == "two-conditions"
    assert any("most_specific" in reason for reason in decision.reasons)


async def test_tie_breaker_error_names_the_tied_rules() -> None:
    with pytest.raises(MipRoutingError, match=r"'one-condition', 'two-conditions' .* priority 5"):
        await route(tied_rules("error"), FACTS)


@pytest.mark.parametrize("tie_breaker", ["first", "error", "most_specific"])
async def test_a_rule_with_conditions_beats_a_catch_all_of_equal_priority(tie_breaker: str) -> None:
    rule_set = rules(
        {"name": "catch-all", "priority": 5, "action": {"bank": "everything"}},
        {"name": "notes", "priority": 5, "match": {"all": [{"content_type": "note"}]}, "action": {"bank": "notes"}},
        tie_breaker=tie_breaker,
    )
    decision = await route(rule_set, FACTS)
    assert (decision.bank_id, decision.rule) == ("notes", "notes")


# Presets


@pytest.mark.parametrize(
    ("preset", "chunking", "dedup"),
    [
        ("conversational", {"strategy": "dialogue"}, {}),
        ("document", {"strategy": "paragraph", "max_chars": 1600}, {}),
        ("code", {"strategy": "paragraph", "max_chars": 2000}, {"threshold": 0.99}),
        ("evidence_strict", {"strategy": "sentence"}, {"enabled": False}),
    ],
)
async def test_builtin_presets(preset: str, chunking: dict[str, Any], dedup: dict[str, Any]) -> None:
    decision = await route(rules({"name": "r", "action": {"bank": "b", "preset": preset}}), WriteFacts(NOTE))
    assert (decision.chunking, decision.dedup, decision.retain_policy) == (chunking, dedup, "default")


async def test_explicit_pipeline_fields_win_over_the_preset_field_by_field() -> None:
    action = {"bank": "b", "preset": "code", "pipeline": {"chunking": {"max_chars": 900}, "dedup": {"threshold": 0.9}}}
    decision = await route(rules({"name": "r", "action": action}), WriteFacts(NOTE))
    assert decision.chunking == {"strategy": "paragraph", "max_chars": 900}
    assert decision.dedup == {"threshold": 0.9}


# Load errors


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            "bad_operator.yaml",
            "rule 'user-notes': match.all[0].metadata.user_id: unknown operator 'exists'; use one of eq, in,",
        ),
        ("bad_regex.yaml", "rule 'slack': match.any[1].source.regex: invalid regular expression 'slack(('"),
        ("unknown_field.yaml", "rule 'by-author': match.none[0].author: unknown field; use one of content_type"),
        ("unknown_preset.yaml", "rule 'code-snippets': action.preset: unknown preset 'source-code'"),
        ("undeclared_default.yaml", "default_bank: 'inbox' is not a declared bank"),
        ("duplicate_names.yaml", "rule 'notes': name: another rule has this name"),
        ("no_destination.yaml", "rule 'tag-only': action: needs a bank, retain_policy: reject, or escalate: true"),
        ("bad_pipeline.yaml", "rule 'big-chunks': action.pipeline.chunking.strategy: Input should be"),
    ],
)
def test_load_errors_name_the_file_the_rule_and_the_field(file: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_rules(FIXTURES / file)
    assert str(caught.value).startswith(f"{FIXTURES / file}: ")
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"name": "r", "match": {"all": [{"signals.mood": "happy"}]}, "action": {"bank": "b"}},
            "unknown signal 'mood'",
        ),
        (
            {"name": "r", "match": {"all": [{"principal.role": "x"}]}, "action": {"bank": "b"}},
            "unknown principal field",
        ),
        ({"name": "r", "match": {"all": [{"tags": ["a", "b"]}]}, "action": {"bank": "b"}}, "for a list of values"),
        ({"name": "r", "match": {"all": [{"source": None}]}, "action": {"bank": "b"}}, "write {absent: true}"),
        ({"name": "r", "match": {"all": [{"n": 1, "m": 2}]}, "action": {"bank": "b"}}, "one condition per field"),
        ({"name": "r", "match": {"all": [{"metadata.n": {"gt": 1, "lt": 3}}]}, "action": {"bank": "b"}}, "exactly one"),
        (
            {"name": "r", "match": {"all": [{"metadata.n": {"present": "yes"}}]}, "action": {"bank": "b"}},
            "true or false",
        ),
        (
            {"name": "r", "match": {"all": [{"metadata.n": {"gt": True}}]}, "action": {"bank": "b"}},
            "a number or a string",
        ),
        ({"name": "r", "match": {"every": []}, "action": {"bank": "b"}}, "match.every: unknown field"),
        ({"name": "r", "action": {"bank": "u-{metadata}"}}, "unknown placeholder {metadata}"),
        ({"name": "r", "action": {"bank": "not a bank"}}, "action.bank: 'not a bank' is not a valid bank id"),
        ({"name": "r", "action": {"bank": "b", "escalate": True}}, "contradict each other"),
        ({"name": "r", "action": {"bank": "b", "pipeline": {"dedup": {"ratio": 1}}}}, "dedup.ratio: unknown field"),
    ],
)
def test_malformed_rules_are_load_errors(rule: dict[str, Any], expected: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MIP rules: rule 'r': ") as caught:
        rules(rule)
    assert expected in str(caught.value)


def test_files_that_are_not_rules_are_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such MIP rules file"):
        load_rules(tmp_path / "missing.yaml")
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_rules(listing)
    with pytest.raises(ConfigError, match=r"presets\.code: is the name of a built-in preset"):
        load_rules({"version": 1, "presets": {"code": {}}})


# Warnings


def test_warnings_for_undeclared_banks_duplicate_rules_and_rules_never_active() -> None:
    rule_set = rules(
        {"name": "a", "priority": 3, "match": {"all": [{"source": "x"}, {"tags": "y"}]}, "action": {"bank": "b"}},
        {"name": "b", "priority": 3, "match": {"all": [{"tags": "y"}, {"source": "x"}]}, "action": {"bank": "b"}},
        {
            "name": "c",
            "priority": 3,
            "shadow": True,
            "match": {"all": [{"source": "x"}, {"tags": "y"}]},
            "action": {"bank": "b"},
        },
        {"name": "backwards", "active_from": "2025-01-01", "active_until": "2024-01-01", "action": {"bank": "b"}},
        {"name": "expired", "active_until": "2020-01-01", "action": {"bank": "user-{metadata.id}"}},
        banks=[{"id": "b"}],
    )
    undeclared = rules({"name": "r", "action": {"bank": "nowhere"}})
    assert rule_warnings(rule_set, now=IN_2025) == [
        "rule 'backwards' can never be active: active_until is not after active_from",
        "rule 'expired' can never be active again: its window ended 2020-01-01 00:00:00+00:00",
        "rules 'a' and 'b' have the same priority (3), match and active window, so only one of them can ever win",
    ]
    assert rule_warnings(undeclared) == ["rule 'r': bank 'nowhere' is not declared under banks"]


# Signals


def test_signals() -> None:
    text = "How do I reset my password?\nSee https://example.com/help for the steps."
    signals = Signals(text)
    assert signals["word_count"] == 11
    assert signals["char_count"] == len(text)
    assert signals["line_count"] == 2
    assert signals["has_question"] is True
    assert signals["has_url"] is True
    assert signals["has_code"] is False
    assert signals["has_pii"] is False
    assert signals["language"] == "en"
    assert set(dict(signals)) == set(signals)


@pytest.mark.parametrize(
    ("text", "question"),
    [("Is this done?", True), ("what changed in the release", True), ("The release is done.", False)],
)
def test_has_question(text: str, question: bool) -> None:
    assert Signals(text)["has_question"] is question


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Run this:\n```\nls -la\n```", True),
        ("def total(items):\n    return sum(items)", True),
        ("const limit = compute(3);", True),
        ("import numpy as np", True),
        ("We met at the cafe; it was fine.", False),
    ],
)
def test_has_code(text: str, code: bool) -> None:
    assert Signals(text)["has_code"] is code


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The meeting was moved to Thursday because the room is not free.", "en"),
        ("La réunion est déplacée à jeudi car la salle n'est pas libre.", "unknown"),
        ("ok thanks", "unknown"),
    ],
)
def test_language_is_a_stopword_heuristic(text: str, language: str) -> None:
    assert Signals(text)["language"] == language


async def test_the_pii_detector_runs_only_when_a_rule_reads_has_pii_and_only_once() -> None:
    calls: list[str] = []

    def detector(text: str) -> bool:
        calls.append(text)
        return True

    signals = Signals("Call 555-0100", pii_detector=detector)
    assert calls == []
    assert signals["has_pii"] is True and signals["has_pii"] is True
    assert len(calls) == 1
    await route(template_rules("notes"), WriteFacts(NOTE), pii_detector=detector)
    assert len(calls) == 1


def test_principal_fields_split_kind_and_name() -> None:
    assert principal_fields("agent:support-bot", on_behalf_of="user:ann") == {
        "id": "agent:support-bot",
        "kind": "agent",
        "name": "support-bot",
        "tenant": None,
        "environment": None,
        "on_behalf_of": "user:ann",
    }
    assert principal_fields(None)["id"] is None


# Command line


def test_lint_reports_counts_and_warnings() -> None:
    result = CliRunner().invoke(mip_app, ["lint", str(RULES)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "7 rules, 4 banks" in result.output
    assert "warning: rule 'try-new-routing': bank 'slack' is not declared under banks" in result.output


def test_lint_exits_1_with_the_load_error_and_no_traceback() -> None:
    result = CliRunner().invoke(mip_app, ["lint", str(FIXTURES / "bad_operator.yaml")])
    assert result.exit_code == 1
    assert "match.all[0].metadata.user_id: unknown operator 'exists'" in result.output
    assert "Traceback" not in result.output


def test_explain_prints_the_bank_and_the_reasons() -> None:
    arguments = ["explain", str(RULES), "--content", NOTE, "--metadata", "user_id=42", "--tag", "diet"]
    result = CliRunner().invoke(mip_app, [*arguments, "--source", "slack", "--principal", "agent:x"])
    assert result.exit_code == 0, result.output
    assert "user-42" in result.output
    assert "diet, personal" in result.output
    assert "strategy=dialogue" in result.output
    assert "try-new-routing -> slack" in result.output
    assert "reasons" in result.output
    assert "rule 'user-notes' wins with the highest priority (10)" in result.output


def test_explain_uses_the_requested_bank_and_reports_routing_errors(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nrules:\n  - {name: cli, match: {all: [{source: cli}]}, action: {bank: 'u-{metadata.id}'}}\n"
    )
    requested = CliRunner().invoke(mip_app, ["explain", str(path), "--content", NOTE, "--bank", "scratch"])
    assert requested.exit_code == 0, requested.output
    assert "scratch" in requested.output and "requested" in requested.output
    failed = CliRunner().invoke(mip_app, ["explain", str(path), "--content", NOTE, "--source", "cli"])
    assert failed.exit_code == 1
    assert "MipRoutingError" in failed.output and "{metadata.id}" in failed.output


def test_the_intent_step_sits_behind_the_llm_breaker_so_a_dead_model_is_not_called_again() -> None:
    model = FixedReply(ConnectionError("model down"))
    config = {
        "store": {"kind": "memory"},
        "mip": {"rules": str(RULES)},
        "policy": {"breaker": {"failure_threshold": 2}},
    }
    with Astrocyte(config, llm=model) as brain:
        results = [brain.sync.retain(f"Ticket {n}", content_type="email") for n in range(5)]
        assert {result.bank_id for result in results} == {"general"}
        assert len(model.prompts) == 2
        assert brain.breakers["llm"].state == "open"
