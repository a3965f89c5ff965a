"""Checking what callers pass in, before anything is touched: each check returns the clean value or raises
ValidationError naming the argument, the problem and the fix.

    bank_id("user-42")                       # 'user-42'
    record_filter({"year": {"$gte": 2020}})  # RecordFilter(metadata=(Condition('year', '$gte', 2020),))
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from astrocyte._requests import FILTER_OPS, Condition, RecordFilter
from astrocyte.config import LimitsConfig
from astrocyte.errors import ValidationError
from astrocyte.types import Metadata

_BANK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}")
_SCALARS = (str, int, float, bool, type(None))
MAX_KEY_CHARS = 512


def bank_id(value: object, argument: str = "bank_id") -> str:
    if not isinstance(value, str) or not _BANK_ID.fullmatch(value):
        raise ValidationError(
            f"{argument}: {value!r} is not a valid bank id; use 1-128 characters from letters, digits and "
            "'._:@/-', starting with a letter or digit (e.g. 'user-42')"
        )
    return value


def bank_ids(bank: object, banks: object) -> list[str]:
    if bank is not None and banks is not None:
        raise ValidationError("pass either bank_id or banks=[...], not both")
    if banks is not None:
        if isinstance(banks, str) or not isinstance(banks, Sequence) or not banks:
            raise ValidationError("banks: must be a non-empty list of bank ids, e.g. banks=['team', 'user-42']")
        return list(dict.fromkeys(bank_id(item, "banks") for item in banks))
    if bank is None:
        raise ValidationError("bank_id: required; name the bank to use (or pass banks=[...])")
    return [bank_id(bank)]


def content(value: object, limits: LimitsConfig, argument: str = "content") -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{argument}: must be a string, got {type(value).__name__}; pass the text itself")
    if not value.strip():
        raise ValidationError(f"{argument}: must be a non-empty string; pass the text to remember")
    if len(value) > limits.max_content_chars:
        raise ValidationError(
            f"{argument}: {len(value)} characters is over the limit of {limits.max_content_chars}; split it "
            "into several retains or raise limits.max_content_chars"
        )
    return value


def query(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("query: must be a non-empty string; pass the question to look up")
    return value


def metadata(value: object, limits: LimitsConfig) -> Metadata:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"metadata: must be a mapping of names to scalars, got {type(value).__name__}")
    if len(value) > limits.max_metadata_keys:
        raise ValidationError(
            f"metadata: {len(value)} keys is over the limit of {limits.max_metadata_keys}; "
            "keep fewer keys or raise limits.max_metadata_keys"
        )
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(f"metadata: key {key!r} must be a non-empty string")
        if not isinstance(item, _SCALARS) or (isinstance(item, float) and not math.isfinite(item)):
            raise ValidationError(
                f"metadata.{key}: {type(item).__name__} is not allowed; metadata values are flat scalars "
                "(str, int, float, bool, None) — put documents in `value`"
            )
    return dict(value)


def tags(value: object, limits: LimitsConfig) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
        raise ValidationError("tags: must be a list of strings, e.g. tags=['billing']")
    cleaned = tuple(dict.fromkeys(value))
    if any(not isinstance(tag, str) or not tag.strip() for tag in cleaned):
        raise ValidationError("tags: every tag must be a non-empty string")
    if len(cleaned) > limits.max_tags:
        raise ValidationError(f"tags: {len(cleaned)} tags is over the limit of {limits.max_tags}")
    return cleaned


def key(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_KEY_CHARS:
        raise ValidationError(f"key: must be a non-empty string of at most {MAX_KEY_CHARS} characters")
    return value


def json_value(value: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"value: must be a JSON document (dicts, lists, strings, numbers): {exc}") from None


def timestamp(value: object, argument: str) -> datetime | None:
    """A datetime or ISO-8601 string; naive times are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{argument}: {value!r} is not an ISO-8601 date or datetime") from None
    if not isinstance(value, datetime):
        raise ValidationError(f"{argument}: must be a datetime or ISO-8601 string, got {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def optional_text(value: object, argument: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{argument}: must be a string, got {type(value).__name__}")
    return value


def positive_int(value: object, argument: str, *, maximum: int = 10_000) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise ValidationError(f"{argument}: must be a whole number from 1 to {maximum}, got {value!r}")
    return value


def ids(value: object, argument: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
        raise ValidationError(f"{argument}: must be a list of strings")
    if any(not isinstance(item, str) or not item for item in value):
        raise ValidationError(f"{argument}: every item must be a non-empty string")
    return frozenset(value)


def record_filter(
    filter: object = None,
    *,
    tags_all: tuple[str, ...] = (),
    time_range: object = None,
    as_of: object = None,
) -> RecordFilter:
    occurred_from, occurred_until = _time_range(time_range)
    return RecordFilter(
        metadata=_conditions(filter),
        tags_all=frozenset(tags_all),
        occurred_from=occurred_from,
        occurred_until=occurred_until,
        retained_until=timestamp(as_of, "as_of"),
    )


def _time_range(value: object) -> tuple[datetime | None, datetime | None]:
    if value is None:
        return None, None
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValidationError("time_range: must be a pair (start, end); use None for an open end")
    start, end = timestamp(value[0], "time_range[0]"), timestamp(value[1], "time_range[1]")
    if start and end and start > end:
        raise ValidationError("time_range: start is after end")
    return start, end


def _conditions(value: object) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValidationError("filter: must be a mapping like {'status': 'open', 'year': {'$gte': 2020}}")
    conditions = []
    for field, spec in value.items():
        if not isinstance(field, str) or not field:
            raise ValidationError(f"filter: field {field!r} must be a non-empty string")
        operations = spec if isinstance(spec, Mapping) else {"$eq": spec}
        for op, operand in operations.items():
            conditions.append(Condition(field, _operator(field, op), _operand(field, op, operand)))
    return tuple(conditions)


def _operator(field: str, op: object) -> Any:
    if op not in FILTER_OPS:
        raise ValidationError(f"filter.{field}: unknown operator {op!r}; use one of {', '.join(FILTER_OPS)}")
    return op


def _operand(field: str, op: str, operand: object) -> Any:
    if op in ("$in", "$nin"):
        if isinstance(operand, str) or not isinstance(operand, Sequence | set | frozenset):
            raise ValidationError(f"filter.{field}.{op}: takes a list of scalars")
        if any(not isinstance(item, _SCALARS) for item in operand):
            raise ValidationError(f"filter.{field}.{op}: every item must be a scalar")
        return tuple(operand)
    if not isinstance(operand, _SCALARS):
        raise ValidationError(f"filter.{field}.{op}: takes a scalar, got {type(operand).__name__}")
    return operand
