"""Routing a write by the Memory Intent Protocol: the bank, tags, retain policy and pipeline settings it gets.

    router = MipRouter.from_file("mip.yaml", llm=chat_model)
    decision = await router.route(WriteFacts("Where is my refund?", source="zendesk", metadata={"user_id": "42"}))
    decision.bank_id, decision.via, decision.rule       # ('support-tickets', 'rule', 'support')
    print(decision.explain())

The order, always the same for the same write, rules and clock:
1. Rules outside their active window are skipped.
2. Matching shadow rules are recorded in the decision and logged (rule names and banks only), never applied.
3. A matching override rule wins over every other rule; otherwise the highest priority wins. Among equal
   priorities a rule with conditions beats a catch-all, then `tie_breaker` decides.
4. A winner with `escalate: true`, or a write that no rule matched and that names no bank, goes to the LLM intent
   step: the model may only answer with a declared bank without placeholders. With no model, a failing model or
   any other answer, the write goes to `default_bank`.
5. A write that no rule matched and that names a bank keeps that bank.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from astrocyte import _inputs as inputs
from astrocyte.errors import MipRoutingError, ValidationError
from astrocyte.mip.rules import (
    PLACEHOLDER,
    Condition,
    Match,
    MipRules,
    RetainPolicy,
    Rule,
    load_rules,
    placeholders,
)
from astrocyte.mip.signals import PiiDetector, Signals
from astrocyte.models.base import ChatModel, Message
from astrocyte.types import MetadataValue

log = logging.getLogger("astrocyte.mip")

Via = Literal["override", "rule", "requested", "escalation", "default"]
MAX_PROMPT_CONTENT_CHARS = 2000
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


@dataclass(frozen=True)
class WriteFacts:
    """What the router knows about one write."""

    content: str
    content_type: str = "text"
    source: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)
    principal: Mapping[str, str | None] = field(default_factory=dict)
    """The caller, as `principal_fields` describes it: id, kind, name, tenant, environment, on_behalf_of."""
    requested_bank: str | None = None


def principal_fields(
    principal: str | None,
    *,
    on_behalf_of: str | None = None,
    tenant: str | None = None,
    environment: str | None = None,
) -> dict[str, str | None]:
    """`principal_fields("agent:support-bot")` -> id 'agent:support-bot', kind 'agent', name 'support-bot', ..."""
    kind, colon, name = (principal or "").partition(":")
    return {
        "id": principal,
        "kind": kind if colon else None,
        "name": name if colon else principal,
        "tenant": tenant,
        "environment": environment,
        "on_behalf_of": on_behalf_of,
    }


@dataclass(frozen=True)
class RoutingDecision:
    """Where a write goes and why.

    `rule` is the rule that decided (for an escalating rule, the rule whose tags and settings apply, whatever
    bank the model chose); None when no rule matched. `via` says what chose the bank.
    """

    bank_id: str | None
    """None only when retain_policy is 'reject'."""
    tags: tuple[str, ...]
    retain_policy: RetainPolicy
    rule: str | None
    via: Via
    chunking: dict[str, Any]
    """Partial ChunkingConfig settings for this write ({} when none)."""
    dedup: dict[str, Any]
    """Partial DedupConfig settings for this write ({} when none)."""
    shadow: tuple[tuple[str, str | None], ...]
    """(shadow rule, bank it would have chosen) for every matching shadow rule."""
    reasons: tuple[str, ...]

    def summary(self) -> dict[str, str]:
        """The decision as labelled lines of text, for people."""
        lines = {
            "bank": self.bank_id or "(none: the write is rejected)",
            "via": self.via,
            "rule": self.rule or "(none)",
            "tags": ", ".join(self.tags) or "(none)",
            "retain_policy": self.retain_policy,
        }
        if self.chunking:
            lines["chunking"] = _settings(self.chunking)
        if self.dedup:
            lines["dedup"] = _settings(self.dedup)
        if self.shadow:
            lines["shadow"] = "; ".join(f"{name} -> {bank or '(no bank)'}" for name, bank in self.shadow)
        return lines

    def explain(self) -> str:
        lines = [f"{label}: {text}" for label, text in self.summary().items()]
        return "\n".join([*lines, "reasons:", *(f"  - {reason}" for reason in self.reasons)])


def _settings(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in values.items())


class MipRouter:
    """Applies a rules file to writes. Stateless between writes; safe to share."""

    def __init__(
        self,
        rules: MipRules,
        *,
        llm: ChatModel | None = None,
        pii_detector: PiiDetector | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.rules = rules
        self._llm = llm
        self._pii_detector = pii_detector
        self._clock = clock or _utc_now

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        llm: ChatModel | None = None,
        pii_detector: PiiDetector | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> MipRouter:
        return cls(load_rules(path), llm=llm, pii_detector=pii_detector, clock=clock)

    async def route(self, facts: WriteFacts) -> RoutingDecision:
        write = _Write(facts, self._pii_detector)
        reasons: list[str] = []
        matched = self._matching_rules(write, reasons)
        shadow = self._shadow_matches(matched, write, reasons)
        winner = self._winner([rule for rule in matched if not rule.shadow], reasons)
        if winner is not None:
            return await self._apply(winner, write, shadow, reasons)
        if facts.requested_bank is not None:
            reasons.append(f"no rule matched; using the requested bank {facts.requested_bank!r}")
            return _fallback(facts, facts.requested_bank, "requested", shadow, reasons)
        reasons.append("no rule matched and no bank was requested; asking the model")
        bank, via = await self._ask_model(facts, reasons)
        return _fallback(facts, bank, via, shadow, reasons)

    def _matching_rules(self, write: _Write, reasons: list[str]) -> list[Rule]:
        now = self._clock()
        matched = []
        for rule in self.rules.rules:
            if not rule.is_active(now):
                reasons.append(f"rule {rule.name!r} skipped: outside its active window")
            elif _matches(rule.match, write):
                matched.append(rule)
                reasons.append(f"rule {rule.name!r} matched ({_describe_rule(rule)})")
        return matched

    def _shadow_matches(
        self, matched: list[Rule], write: _Write, reasons: list[str]
    ) -> tuple[tuple[str, str | None], ...]:
        results = []
        for rule in (rule for rule in matched if rule.shadow):
            bank = _shadow_bank(rule, write)
            log.info("MIP shadow rule %r matched; it would route to %r", rule.name, bank)
            reasons.append(f"shadow rule {rule.name!r} would route to {bank!r}; not applied")
            results.append((rule.name, bank))
        return tuple(results)

    def _winner(self, matched: list[Rule], reasons: list[str]) -> Rule | None:
        overrides = [rule for rule in matched if rule.override]
        candidates = overrides or matched
        if not candidates:
            return None
        top = max(rule.priority for rule in candidates)
        tied = [rule for rule in candidates if rule.priority == top]
        specific = [rule for rule in tied if not rule.is_catch_all]
        if specific and len(specific) < len(tied):
            catch_alls = ", ".join(repr(rule.name) for rule in tied if rule.is_catch_all)
            reasons.append(f"at priority {top} a rule with conditions beats the catch-all {catch_alls}")
            tied = specific
        winner = self._break_tie(tied, top, reasons)
        if overrides:
            beaten = [rule.name for rule in matched if not rule.override]
            also = f" (also matched: {', '.join(beaten)})" if beaten else ""
            reasons.append(f"override rule {winner.name!r} wins over every non-override rule{also}")
        else:
            reasons.append(f"rule {winner.name!r} wins with the highest priority ({top})")
        return winner

    def _break_tie(self, tied: list[Rule], priority: int, reasons: list[str]) -> Rule:
        if len(tied) == 1:
            return tied[0]
        names = ", ".join(repr(rule.name) for rule in tied)
        tie_breaker = self.rules.tie_breaker
        if tie_breaker == "error":
            raise MipRoutingError(
                f"rules {names} all match this write at priority {priority} and tie_breaker is 'error'; give one "
                "of them a higher priority, or set tie_breaker to most_specific or first"
            )
        if tie_breaker == "first":
            reasons.append(f"rules {names} tie at priority {priority}; tie_breaker first takes the earliest")
            return tied[0]
        winner = max(tied, key=lambda rule: rule.match.condition_count)
        reasons.append(
            f"rules {names} tie at priority {priority}; tie_breaker most_specific takes the one with the most "
            f"conditions ({winner.match.condition_count}), then the earliest"
        )
        return winner

    async def _apply(
        self, rule: Rule, write: _Write, shadow: tuple[tuple[str, str | None], ...], reasons: list[str]
    ) -> RoutingDecision:
        action = rule.action
        via: Via = "override" if rule.override else "rule"
        if action.retain_policy == "reject":
            reasons.append(f"rule {rule.name!r} rejects the write: nothing is stored")
            bank = None
        elif action.escalate:
            reasons.append(f"rule {rule.name!r} escalates to the model")
            bank, via = await self._ask_model(write.facts, reasons)
        else:
            bank = _render_bank(rule, write)
        if action.preset:
            reasons.append(f"rule {rule.name!r} applies preset {action.preset!r}")
        pipeline = self.rules.pipeline_for(action)
        return RoutingDecision(
            bank_id=bank,
            tags=tuple(dict.fromkeys((*write.facts.tags, *action.tags))),
            retain_policy=action.retain_policy,
            rule=rule.name,
            via=via,
            chunking=dict(pipeline.chunking),
            dedup=dict(pipeline.dedup),
            shadow=shadow,
            reasons=tuple(reasons),
        )

    async def _ask_model(self, facts: WriteFacts, reasons: list[str]) -> tuple[str, Via]:
        banks = self.rules.declared_banks
        if self._llm is None:
            return self._default_bank("no LLM is configured for the intent step", reasons), "default"
        if not banks:
            return self._default_bank("no bank without placeholders is declared for the model", reasons), "default"
        try:
            reply = await self._llm.complete(_intent_messages(facts, banks), max_tokens=32)
        except Exception as exc:  # a model outage must not lose the write: it goes to the default bank
            return self._default_bank(f"the model failed ({type(exc).__name__})", reasons), "default"
        choice = _bank_in_reply(reply, banks)
        if choice is None:
            return self._default_bank(f"the model's answer {reply[:80]!r} names no declared bank", reasons), "default"
        reasons.append(f"the model chose the declared bank {choice!r}")
        return choice, "escalation"

    def _default_bank(self, why: str, reasons: list[str]) -> str:
        default = self.rules.default_bank
        if default is None:
            raise MipRoutingError(
                f"no rule gave this write a bank and {why}; declare default_bank in the rules file, or add a "
                "catch-all rule (match: {})"
            )
        reasons.append(f"{why}; using default_bank {default!r}")
        return default


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _describe_rule(rule: Rule) -> str:
    kind = "override, " if rule.override else "shadow, " if rule.shadow else ""
    count = rule.match.condition_count
    conditions = "catch-all" if rule.is_catch_all else f"{count} condition{'' if count == 1 else 's'}"
    return f"{kind}priority {rule.priority}, {conditions}"


def _fallback(
    facts: WriteFacts, bank: str, via: Via, shadow: tuple[tuple[str, str | None], ...], reasons: list[str]
) -> RoutingDecision:
    return RoutingDecision(
        bank_id=bank,
        tags=facts.tags,
        retain_policy="default",
        rule=None,
        via=via,
        chunking={},
        dedup={},
        shadow=shadow,
        reasons=tuple(reasons),
    )


class _Write:
    """The values of one write's fields, as conditions and bank templates read them."""

    def __init__(self, facts: WriteFacts, pii_detector: PiiDetector | None) -> None:
        self.facts = facts
        self._sources: dict[str, Mapping[str, Any]] = {
            "metadata": facts.metadata,
            "principal": facts.principal,
            "signals": Signals(facts.content, pii_detector=pii_detector),
        }

    def value(self, name: str) -> Any:
        if name == "bank":
            return self.facts.requested_bank
        if name in ("content_type", "source", "content", "tags"):
            return getattr(self.facts, name)
        prefix, _, key = name.partition(".")
        return self._sources[prefix].get(key)


def _matches(match: Match, write: _Write) -> bool:
    def holds(condition: Condition) -> bool:
        return _holds(condition, write.value(condition.field))

    return (
        all(holds(condition) for condition in match.all)
        and (not match.any or any(holds(condition) for condition in match.any))
        and not any(holds(condition) for condition in match.none)
    )


def _holds(condition: Condition, value: Any) -> bool:
    """A list field (tags) holds when any of its items does; None and empty lists are absent."""
    values = tuple(value) if isinstance(value, tuple | list) else () if value is None else (value,)
    if condition.op == "present":
        return bool(values) == condition.operand
    if condition.op == "absent":
        return (not values) == condition.operand
    return any(_item_holds(condition, item) for item in values)


def _item_holds(condition: Condition, item: Any) -> bool:
    op, operand = condition.op, condition.operand
    if op == "eq":
        return _equal(item, operand)
    if op == "in":
        return any(_equal(item, choice) for choice in operand)
    if op == "regex":
        return isinstance(item, str) and operand.search(item) is not None
    return _comparable(item, operand) and _ORDERINGS[op](item, operand)


def _equal(left: Any, right: Any) -> bool:
    return isinstance(left, bool) == isinstance(right, bool) and left == right


def _comparable(left: Any, right: Any) -> bool:
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str)
    numbers = (int, float)
    return all(isinstance(value, numbers) and not isinstance(value, bool) for value in (left, right))


def _render_bank(rule: Rule, write: _Write) -> str:
    template = rule.action.bank or ""

    def fill(placeholder: re.Match[str]) -> str:
        name = placeholder.group(1)
        value = write.value(name)
        if value is None or value == "":
            raise MipRoutingError(
                f"rule {rule.name!r}: bank {template!r} needs {{{name}}}, and this write has no {name}; pass it, "
                f"or add {{{name}: {{present: true}}}} to the rule's match.all"
            )
        return str(value)

    rendered = PLACEHOLDER.sub(fill, template)
    try:
        return inputs.bank_id(rendered)
    except ValidationError:
        used = ", ".join(f"{{{name}}}" for name in placeholders(template))
        raise MipRoutingError(
            f"rule {rule.name!r}: bank {template!r} became {rendered!r}, which is not a valid bank id; the value of "
            f"{used} must use letters, digits and '._:@/-'"
        ) from None


def _shadow_bank(rule: Rule, write: _Write) -> str | None:
    if rule.action.bank is None:
        return None
    try:
        return _render_bank(rule, write)
    except MipRoutingError:
        return None


def _intent_messages(facts: WriteFacts, banks: Mapping[str, str]) -> list[Message]:
    listing = "\n".join(
        f"- {bank}: {description}" if description else f"- {bank}" for bank, description in banks.items()
    )
    system = (
        "You choose the memory bank a piece of information is stored in. The banks are:\n"
        f"{listing}\n"
        "Answer with exactly one bank id from this list and nothing else."
    )
    user = "\n".join(
        [
            f"content_type: {facts.content_type}",
            f"source: {facts.source or '(none)'}",
            f"tags: {', '.join(facts.tags) or '(none)'}",
            "content:",
            facts.content[:MAX_PROMPT_CONTENT_CHARS],
        ]
    )
    return [Message("system", system), Message("user", user)]


def _bank_in_reply(reply: str, banks: Mapping[str, str]) -> str | None:
    """The declared bank the reply names: the whole reply, or the only declared id that appears in it as a word."""
    answer = reply.strip().strip("`'\".").strip()
    if answer in banks:
        return answer
    named = [bank for bank in banks if re.search(rf"(?<![\w.:@/-]){re.escape(bank)}(?![\w:@/-]|\.\w)", reply)]
    return named[0] if len(named) == 1 else None
