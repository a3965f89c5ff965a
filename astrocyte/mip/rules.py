"""The Memory Intent Protocol file format: declared banks, presets and the rules that route each write.

    rules = load_rules("mip.yaml")      # ConfigError naming the file, the rule and the field when it is wrong
    for warning in rule_warnings(rules):
        print(warning)

A rule has a `match` (`all` / `any` / `none` lists of conditions such as `{metadata.user_id: {present: true}}`
or `{content_type: note}`) and an `action`: a bank (or a template like `user-{metadata.user_id}`), tags, a retain
policy, a pipeline preset and partial pipeline settings, or `escalate: true` to let the model pick a declared bank.

Built-in presets:
- `conversational`: dialogue chunking, so a turn stays with its speaker.
- `document`: paragraph chunking, chunks up to 1600 characters.
- `code`: paragraph chunking up to 2000 characters; only near-identical chunks (similarity 0.99) count as
  duplicates, since small edits matter in code.
- `evidence_strict`: sentence chunking and no deduplication, so every retained statement is stored as given, even
  when a similar one is already stored. It does not redact; add `retain_policy: redact` for that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from astrocyte import _inputs as inputs
from astrocyte.config import ChunkingConfig, DedupConfig, RecallConfig, deep_merge, read_yaml_mapping
from astrocyte.errors import ConfigError, ValidationError
from astrocyte.mip.signals import SIGNAL_NAMES

Operator = Literal["eq", "in", "gt", "gte", "lt", "lte", "present", "absent", "regex"]
OPERATORS: tuple[str, ...] = Operator.__args__
ORDERING_OPERATORS = ("gt", "gte", "lt", "lte")
RetainPolicy = Literal["default", "redact", "reject"]
TieBreaker = Literal["first", "error", "most_specific"]
WRITE_FIELDS = ("content_type", "source", "content", "tags", "bank")
PRINCIPAL_FIELDS = ("id", "kind", "name", "tenant", "environment", "on_behalf_of")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELD_HELP = "content_type, source, content, tags, bank, metadata.<key>, signals.<name> or principal.<field>"
_PLACEHOLDER_HELP = "{metadata.<key>}, {principal.<field>}, {source} or {content_type}"
_SCALARS = (str, int, float, bool)


def _invalid(loc: tuple[int | str, ...], message: str) -> PydanticCustomError:
    """A validation error whose location continues below the field being validated."""
    return PydanticCustomError("mip", "{message}", {"message": message, "loc": loc})


@dataclass(frozen=True)
class Condition:
    """One test of one field of a write: `Condition("signals.word_count", "lt", 3)`.

    `operand` is a scalar, a tuple of scalars for `in`, true/false for `present`/`absent`, or a compiled pattern
    for `regex`.
    """

    field: str
    op: Operator
    operand: Any


def parse_condition(raw: object, index: int) -> Condition:
    """`{field: value}` (equality) or `{field: {operator: operand}}`, checked against the known fields."""
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise _invalid(
            (index,),
            "a condition is a mapping of one field, like {content_type: note} or {signals.word_count: {lt: 3}}; "
            "write one condition per field",
        )
    ((name, spec),) = raw.items()
    loc = (index, str(name))
    problem = _field_problem(name)
    if problem:
        raise _invalid(loc, problem)
    if isinstance(spec, Mapping):
        if len(spec) != 1:
            raise _invalid(loc, "give exactly one operator, like {gt: 3}; write one condition per operator")
        ((op, operand),) = spec.items()
    else:
        op, operand = "eq", spec
    if op not in OPERATORS:
        raise _invalid(loc, f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
    return Condition(name, op, _operand(op, operand, (*loc, op)))


def _field_problem(name: object) -> str | None:
    if name in WRITE_FIELDS:
        return None
    prefix, dot, key = str(name).partition(".")
    if dot and key and prefix == "metadata":
        return None
    if dot and key and prefix == "signals":
        return None if key in SIGNAL_NAMES else f"unknown signal {key!r}; use one of {', '.join(SIGNAL_NAMES)}"
    if dot and key and prefix == "principal":
        if key in PRINCIPAL_FIELDS:
            return None
        return f"unknown principal field {key!r}; use one of {', '.join(PRINCIPAL_FIELDS)}"
    return f"unknown field; use one of {_FIELD_HELP}"


def _operand(op: str, operand: object, loc: tuple[int | str, ...]) -> Any:
    if op in ("present", "absent"):
        if not isinstance(operand, bool):
            raise _invalid(loc, "takes true or false")
        return operand
    if op == "regex":
        if not isinstance(operand, str):
            raise _invalid(loc, "takes a regular expression as a string")
        try:
            return re.compile(operand)
        except re.error as exc:
            raise _invalid(loc, f"invalid regular expression {operand!r}: {exc}") from None
    if op == "in":
        if not isinstance(operand, list | tuple) or not all(isinstance(item, _SCALARS) for item in operand):
            raise _invalid(loc, "takes a list of values, like [text, note]")
        return tuple(operand)
    if op in ORDERING_OPERATORS:
        if isinstance(operand, bool) or not isinstance(operand, int | float | str):
            raise _invalid(loc, "takes a number or a string (quote dates: '2024-01-01')")
        return operand
    if operand is None:
        raise _invalid(loc, "cannot equal null; to match a missing value write {absent: true}")
    if not isinstance(operand, _SCALARS):
        raise _invalid(loc, "takes one value (a string, number or true/false); for a list of values use {in: [...]}")
    return operand


def placeholders(template: str) -> tuple[str, ...]:
    """The fields a bank template needs: `placeholders("user-{metadata.user_id}") == ("metadata.user_id",)`."""
    return tuple(PLACEHOLDER.findall(template))


def is_template(bank: str) -> bool:
    return bool(placeholders(bank))


def _bank_template(value: str) -> str:
    for name in placeholders(value):
        prefix, dot, key = name.partition(".")
        known = name in ("source", "content_type") or (
            dot and key and (prefix == "metadata" or (prefix == "principal" and key in PRINCIPAL_FIELDS))
        )
        if not known:
            raise _invalid((), f"unknown placeholder {{{name}}} in {value!r}; use {_PLACEHOLDER_HELP}")
    sample = PLACEHOLDER.sub("x", value)
    try:
        inputs.bank_id(sample)
    except ValidationError:
        raise _invalid(
            (),
            f"{value!r} is not a valid bank id; use letters, digits and '._:@/-', starting with a letter or "
            f"digit, with placeholders like {{metadata.user_id}}",
        ) from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_fields_only(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in cls.model_fields]
            if unknown:
                raise _invalid((str(unknown[0]),), f"unknown field; use one of {', '.join(cls.model_fields)}")
        return data


class Match(_Strict):
    """Every `all` condition holds, at least one `any` condition (when there are any), and no `none` condition.

    An empty match is a catch-all: it matches every write.
    """

    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()
    none: tuple[Condition, ...] = ()

    @field_validator("all", "any", "none", mode="before")
    @classmethod
    def _parse_conditions(cls, raw: object) -> tuple[Condition, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list | tuple):
            raise _invalid((), "must be a list of conditions, like [{content_type: note}]")
        return tuple(
            item if isinstance(item, Condition) else parse_condition(item, index) for index, item in enumerate(raw)
        )

    @property
    def condition_count(self) -> int:
        return len(self.all) + len(self.any) + len(self.none)


class PipelineOverrides(_Strict):
    """Partial pipeline settings of a rule: any fields of ChunkingConfig and DedupConfig for the writes it routes,
    and of RecallConfig (e.g. `weights`, `rerank`) for recall from the bank it routes to."""

    chunking: dict[str, Any] = Field(default_factory=dict)
    dedup: dict[str, Any] = Field(default_factory=dict)
    recall: dict[str, Any] = Field(default_factory=dict)

    @field_validator("recall")
    @classmethod
    def _recall_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = [key for key in value if key not in RecallConfig.model_fields]
        if unknown:
            raise _invalid((unknown[0],), f"unknown field; use one of {', '.join(RecallConfig.model_fields)}")
        try:
            RecallConfig.model_validate(deep_merge(RecallConfig().model_dump(), value))
        except PydanticValidationError as exc:
            error = exc.errors()[0]
            raise _invalid(tuple(error["loc"]), error["msg"]) from None
        return value

    @field_validator("chunking")
    @classmethod
    def _chunking_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _partial_settings(ChunkingConfig, value)

    @field_validator("dedup")
    @classmethod
    def _dedup_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _partial_settings(DedupConfig, value)

    def over(self, base: PipelineOverrides) -> PipelineOverrides:
        """These settings laid over `base`, field by field."""
        return PipelineOverrides(
            chunking={**base.chunking, **self.chunking},
            dedup={**base.dedup, **self.dedup},
            recall=deep_merge(base.recall, self.recall),
        )


def _partial_settings(model: type[BaseModel], value: dict[str, Any]) -> dict[str, Any]:
    unknown = [key for key in value if key not in model.model_fields]
    if unknown:
        raise _invalid((unknown[0],), f"unknown field; use one of {', '.join(model.model_fields)}")
    try:
        validated = model.model_validate(value)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        raise _invalid(tuple(error["loc"]), error["msg"]) from None
    return {key: getattr(validated, key) for key in value}


BUILTIN_PRESETS: dict[str, PipelineOverrides] = {
    "conversational": PipelineOverrides(chunking={"strategy": "dialogue"}),
    "document": PipelineOverrides(chunking={"strategy": "paragraph", "max_chars": 1600}),
    "code": PipelineOverrides(chunking={"strategy": "paragraph", "max_chars": 2000}, dedup={"threshold": 0.99}),
    "evidence_strict": PipelineOverrides(chunking={"strategy": "sentence"}, dedup={"enabled": False}),
}


class Action(_Strict):
    """What a winning rule does to a write. It names a bank, rejects the write, or escalates to the model."""

    bank: str | None = None
    """A bank id, or a template filled from the write: `user-{metadata.user_id}`."""
    tags: tuple[str, ...] = ()
    """Added after the caller's tags."""
    retain_policy: RetainPolicy = "default"
    """`redact`: the write is stored with personal data redacted; `reject`: it is not stored."""
    preset: str | None = None
    pipeline: PipelineOverrides = PipelineOverrides()
    """Partial chunking, dedup and recall settings; they win over the preset's."""
    escalate: bool = False
    """Let the LLM intent step choose among the declared banks."""

    @field_validator("bank")
    @classmethod
    def _valid_bank(cls, value: str | None) -> str | None:
        return None if value is None else _bank_template(value)

    @field_validator("tags")
    @classmethod
    def _non_empty_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, tag in enumerate(value):
            if not tag.strip():
                raise _invalid((index,), "a tag must be a non-empty string")
        return value

    @model_validator(mode="after")
    def _decides_the_destination(self) -> Action:
        destinations = [
            name
            for name, chosen in (
                ("bank", self.bank is not None),
                ("retain_policy: reject", self.retain_policy == "reject"),
                ("escalate: true", self.escalate),
            )
            if chosen
        ]
        if not destinations:
            raise _invalid((), "needs a bank, retain_policy: reject, or escalate: true")
        if len(destinations) > 1:
            raise _invalid((), f"{' and '.join(destinations)} contradict each other; keep one")
        return self


class Rule(_Strict):
    name: str = Field(min_length=1)
    priority: int = 0
    """Higher wins."""
    override: bool = False
    """A compliance lock: a matching override rule wins over every non-override rule, whatever the priorities."""
    shadow: bool = False
    """Evaluated, reported and logged, never applied: for trying a rule on live traffic."""
    match: Match = Match()
    action: Action
    active_from: datetime | None = None
    """Start of the rule's activity window (inclusive); a date is midnight UTC, a naive time is UTC."""
    active_until: datetime | None = None
    """End of the window (exclusive)."""

    @field_validator("active_from", "active_until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def is_catch_all(self) -> bool:
        return self.match.condition_count == 0

    def is_active(self, at: datetime) -> bool:
        started = self.active_from is None or self.active_from <= at
        return started and (self.active_until is None or at < self.active_until)


class BankDeclaration(_Strict):
    id: str
    """A bank id, or a template such as `user-{metadata.user_id}`."""
    description: str = ""
    """Shown to the model in the LLM intent step."""

    @field_validator("id")
    @classmethod
    def _valid_bank(cls, value: str) -> str:
        return _bank_template(value)


class MipRules(_Strict):
    """A whole rules file."""

    version: Literal[1]
    default_bank: str | None = None
    """Where writes go that no rule, requested bank or model decided; must be a declared bank."""
    tie_breaker: TieBreaker = "most_specific"
    """Among matching rules of equal priority: file order, an error, or the most conditions (then file order)."""
    banks: tuple[BankDeclaration, ...] = ()
    presets: dict[str, PipelineOverrides] = Field(default_factory=dict)
    """Named pipeline settings, in addition to the built-in presets."""
    rules: tuple[Rule, ...] = ()

    @field_validator("presets")
    @classmethod
    def _no_builtin_names(cls, value: dict[str, PipelineOverrides]) -> dict[str, PipelineOverrides]:
        for name in value:
            if name in BUILTIN_PRESETS:
                raise _invalid((name,), "is the name of a built-in preset; choose another name")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MipRules:
        declared: set[str] = set()
        for index, bank in enumerate(self.banks):
            if bank.id in declared:
                raise _invalid(("banks", index, "id"), f"bank {bank.id!r} is declared twice")
            declared.add(bank.id)
        if self.default_bank is not None and self.default_bank not in self.declared_banks:
            raise _invalid(
                ("default_bank",),
                f"{self.default_bank!r} is not a declared bank; declare it under banks (without placeholders)",
            )
        presets = {**BUILTIN_PRESETS, **self.presets}
        names: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.name in names:
                raise _invalid(("rules", index, "name"), "another rule has this name; rule names must be unique")
            names.add(rule.name)
            if rule.action.preset is not None and rule.action.preset not in presets:
                raise _invalid(
                    ("rules", index, "action", "preset"),
                    f"unknown preset {rule.action.preset!r}; use one of {', '.join(presets)}",
                )
        return self

    @property
    def declared_banks(self) -> dict[str, str]:
        """Declared banks without placeholders, with their descriptions: the banks the model may choose."""
        return {bank.id: bank.description for bank in self.banks if not is_template(bank.id)}

    def recall_for(self, bank_id: str) -> dict[str, Any]:
        """Recall settings for a bank: those of the highest-priority live rule whose bank (or bank template)
        names it, so the rule that routes writes to a bank also says how that bank is searched."""
        routing = [
            rule
            for rule in self.rules
            if not rule.shadow and rule.action.bank and fnmatchcase(bank_id, PLACEHOLDER.sub("*", rule.action.bank))
        ]
        for rule in sorted(routing, key=lambda rule: -rule.priority):
            overrides = self.pipeline_for(rule.action).recall
            if overrides:
                return overrides
        return {}

    def pipeline_for(self, action: Action) -> PipelineOverrides:
        """The action's preset with its explicit pipeline settings laid over it."""
        preset = {**BUILTIN_PRESETS, **self.presets}.get(action.preset or "", PipelineOverrides())
        return action.pipeline.over(preset)


def load_rules(source: str | Path | Mapping[str, Any]) -> MipRules:
    """Read and check a rules file (or an already parsed mapping); every problem is a ConfigError."""
    raw, origin = _read(source)
    try:
        return MipRules.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError("\n".join(f"{origin}: {_describe(error, raw)}" for error in exc.errors())) from None


def _read(source: str | Path | Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    if isinstance(source, Mapping):
        return source, "MIP rules"
    return read_yaml_mapping(Path(source), "MIP rules file"), str(source)


def _describe(error: Any, raw: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "mip":
        loc += tuple(error["ctx"]["loc"])
    prefix = ""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        prefix, loc = f"{_rule_label(raw, loc[1])}: ", loc[2:]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    return f"{prefix}{path}: {error['msg']}" if path else f"{prefix}{error['msg']}"


def _rule_label(raw: Mapping[str, Any], index: int) -> str:
    rules = raw.get("rules")
    rule = rules[index] if isinstance(rules, list) and index < len(rules) else None
    name = rule.get("name") if isinstance(rule, Mapping) else None
    return f"rule {name!r}" if isinstance(name, str) and name else f"rules[{index}]"


def rule_warnings(rules: MipRules, *, now: datetime | None = None) -> list[str]:
    """Things that load but are probably mistakes: undeclared banks, duplicate rules, rules never active."""
    now = now or datetime.now(UTC)
    declared = {bank.id for bank in rules.banks}
    warnings = []
    for rule in rules.rules:
        bank = rule.action.bank
        if bank is not None and not is_template(bank) and bank not in declared:
            warnings.append(f"rule {rule.name!r}: bank {bank!r} is not declared under banks")
        if rule.active_from and rule.active_until and rule.active_until <= rule.active_from:
            warnings.append(f"rule {rule.name!r} can never be active: active_until is not after active_from")
        elif rule.active_until and rule.active_until <= now:
            warnings.append(f"rule {rule.name!r} can never be active again: its window ended {rule.active_until}")
    first_with: dict[tuple[Any, ...], Rule] = {}
    for rule in rules.rules:
        if rule.shadow:
            continue
        match = rule.match
        conditions = (frozenset(match.all), frozenset(match.any), frozenset(match.none))
        key = (rule.priority, conditions, rule.active_from, rule.active_until)
        if key in first_with:
            warnings.append(
                f"rules {first_with[key].name!r} and {rule.name!r} have the same priority ({rule.priority}), match "
                "and active window, so only one of them can ever win"
            )
        else:
            first_with[key] = rule
    return warnings
