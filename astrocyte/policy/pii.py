"""The personal-data barrier: find emails, phones, card numbers, SSNs, IBANs, IP addresses and secrets, then
redact, reject, warn or allow them, per type, as policy.pii says.

    barrier = PiiBarrier(PiiConfig(enabled=True, actions={"secret": "reject"}))
    barrier.apply("Write to ann@example.com").text      # 'Write to [REDACTED:EMAIL]'
    detect_pii("card 4111 1111 1111 1111")             # [PiiMatch(type='credit_card', start=5, end=24)]

Detection is patterns plus checks (Luhn for cards, mod-97 for IBANs, `ipaddress` for addresses), so it runs
offline in microseconds. Where a shape is ambiguous it leans towards redacting: a dotted quad such as `1.2.3.4`
is an IP address unless written as a version (`v1.2.3.4`, `version 1.2.3.4`, `1.2.3.4.5`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from astrocyte.config import PiiAction, PiiConfig, PiiType
from astrocyte.errors import PiiRejected


class PiiMatch(NamedTuple):
    type: PiiType
    start: int
    end: int


@dataclass(frozen=True)
class PiiOutcome:
    text: str
    """The text after the policy (for `apply_json`, the cleaned document as JSON)."""
    detected: tuple[str, ...] = ()
    redacted: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()


def detect_pii(text: str) -> list[PiiMatch]:
    """Every piece of personal data in `text`, sorted and non-overlapping.

    Overlapping candidates merge into one span, so no part of either is left behind; it takes the type of the
    longest (`password: 4111 1111 1111 1111` is one credit_card, not a secret `4111` and a leaked rest).
    """
    candidates = sorted((match for detector in _DETECTORS for match in detector(text)), key=lambda m: m.start)
    merged: list[PiiMatch] = []
    best: PiiMatch | None = None
    for match in candidates:
        if merged and match.start < merged[-1].end:
            best = min(best or match, match, key=_strength)
            merged[-1] = PiiMatch(best.type, merged[-1].start, max(merged[-1].end, match.end))
        else:
            best = match
            merged.append(match)
    return merged


def contains_pii(text: str) -> bool:
    return any(next(detector(text), None) for detector in _DETECTORS)


class PiiBarrier:
    def __init__(self, config: PiiConfig) -> None:
        self.config = config

    def apply(self, text: str, *, force_redact: bool = False) -> PiiOutcome:
        """Apply the policy to `text`; raise PiiRejected if a detected type's action is `reject`.

        `force_redact` (a routing rule demanded redaction) raises every type's action to at least `redact`,
        even with the policy disabled.
        """
        outcome, rejected = self._apply(text, force_redact)
        _raise_if_rejected(rejected)
        return outcome

    def apply_json(self, value: Any, *, force_redact: bool = False) -> tuple[Any, PiiOutcome]:
        """Apply the policy to every string in a JSON document (not to dict keys); return it and the outcome.

        A string under a secret-named key (`"api_key": "..."`) is itself a secret, as in `api_key = ...`.
        """
        if value is None:
            return None, PiiOutcome("null")
        outcomes: list[PiiOutcome] = []
        rejected: list[str] = []

        def clean(text: str, under_secret_key: bool) -> str:
            outcome, refused = self._apply(text, force_redact, whole_secret=under_secret_key)
            outcomes.append(outcome)
            rejected.extend(refused)
            return outcome.text

        cleaned = _map_strings(value, clean, under_secret_key=False)
        _raise_if_rejected(_unique(rejected))
        merged = PiiOutcome(
            text=json.dumps(cleaned, ensure_ascii=False, default=str),
            detected=_unique(pii_type for outcome in outcomes for pii_type in outcome.detected),
            redacted=_unique(pii_type for outcome in outcomes for pii_type in outcome.redacted),
            warned=_unique(pii_type for outcome in outcomes for pii_type in outcome.warned),
        )
        return cleaned, merged

    def redact_all(self, text: str) -> str:
        """Redact every detected type whatever the actions (for output: recall hits, reflect answers)."""
        return _redact(text, detect_pii(text))

    def _apply(self, text: str, force_redact: bool, *, whole_secret: bool = False) -> tuple[PiiOutcome, list[str]]:
        if not (self.config.enabled or force_redact):
            return PiiOutcome(text), []
        if whole_secret and _is_secret_value(text.strip()):
            matches = [PiiMatch("secret", 0, len(text))]
        else:
            matches = detect_pii(text)
        actions = {match.type: self._action(match.type, force_redact) for match in matches}
        rejected = [pii_type for pii_type, action in actions.items() if action == "reject"]
        outcome = PiiOutcome(
            text=_redact(text, [match for match in matches if actions[match.type] == "redact"]),
            detected=tuple(actions),
            redacted=tuple(pii_type for pii_type, action in actions.items() if action == "redact"),
            warned=tuple(pii_type for pii_type, action in actions.items() if action == "warn"),
        )
        return outcome, rejected

    def _action(self, pii_type: PiiType, force_redact: bool) -> PiiAction:
        if not self.config.enabled:
            return "redact"
        action = self.config.actions.get(pii_type, self.config.action)
        if force_redact and action in ("warn", "allow"):
            return "redact"
        return action


def _raise_if_rejected(types: Sequence[str]) -> None:
    if not types:
        return
    names = ", ".join(types)
    first = types[0]
    raise PiiRejected(
        f"the text contains personal data that policy.pii rejects ({names}); remove it, or set "
        f"policy.pii.actions.{first}{' (and the others)' if len(types) > 1 else ''} to redact, warn or allow"
    )


def _redact(text: str, matches: list[PiiMatch]) -> str:
    parts: list[str] = []
    position = 0
    for match in matches:
        parts += [text[position : match.start], f"[REDACTED:{match.type.upper()}]"]
        position = match.end
    parts.append(text[position:])
    return "".join(parts)


def _map_strings(value: Any, clean: Callable[[str, bool], str], *, under_secret_key: bool) -> Any:
    if isinstance(value, str):
        return clean(value, under_secret_key)
    if isinstance(value, dict):
        return {
            key: _map_strings(item, clean, under_secret_key=isinstance(key, str) and _is_secret_name(key, strong=True))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_map_strings(item, clean, under_secret_key=False) for item in value)
    return value


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# Numbers glued to a word, a dot or a dash are part of something else (an id, a version, a decimal, a UUID).
_NUMBER_START = r"(?<![\w.+-])"
_NUMBER_END = r"(?![\w-]|[.,]\d)"

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
_DIGIT_RUN = re.compile(_NUMBER_START + r"\d+(?:[ -]\d+)*" + _NUMBER_END)
_DIGIT_GROUP = re.compile(r"\d+")
_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
_PHONES = (
    # International: +CC and groups, at most 15 digits (E.164).
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?[ .-]?\d{1,14}(?:[ .-]\d{1,14})*" + _NUMBER_END),
    # North American: (555) 123-4567, 555-123-4567, 1-800-555-0199; one separator style throughout.
    re.compile(
        _NUMBER_START + r"(?:1[ .-])?(?:\(\d{3}\) ?\d{3}[ .-]|\d{3}(?P<sep>[ .-])\d{3}(?P=sep))\d{4}" + _NUMBER_END
    ),
    # National with a trunk 0: 020 7946 0958, (020) 7946 0958, 06 12 34 56 78, 07700900123.
    re.compile(
        _NUMBER_START
        + r"(?:\(0[1-9]\d{0,3}\) ?\d{2,4}(?:[ .-]\d{2,4}){0,3}"
        + r"|0[1-9]\d{0,3}(?P<sep>[ .-])\d{2,4}(?:(?P=sep)\d{2,4}){0,3}"
        + r"|0[1-9]\d{8,9})"
        + _NUMBER_END
    ),
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_VERSION_BEFORE = re.compile(r"(?:\bversion|\bver\.?|\brelease|\bv)\s*$", re.IGNORECASE)
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:])")
_SECRET_TOKENS = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<openai>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})"
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r")(?![\w-])"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[A-Za-z0-9+/=\s]*)", re.DOTALL
)
_BEARER = re.compile(r"\b[Bb]earer\s+(?P<value>[A-Za-z0-9._~+/-]{16,}=*)")
_URL_PASSWORD = re.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^\s/:@]+:(?P<value>[^\s/@]+)@")
_URL_USER_BEFORE = re.compile(r"://[^\s/:@]+:$")
_ASSIGNMENT = re.compile(
    r"(?<![\w.-])(?P<name>[A-Za-z_][\w.-]*)[\"']?[ \t]*(?P<sep>:=|=>|=|:)[ \t]*"
    r"(?:\"(?P<double>[^\"\n]{3,})\"|'(?P<single>[^'\n]{3,})'|(?P<bare>[^\s\"',;]{3,}))"
)
_NAME_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_ALWAYS_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "passcode", "apikey"})
_SECRET_WORDS = frozenset({"key", "secret", "token", "pass", "credential", "credentials"})
_NOT_SECRET_LAST_WORDS = frozenset(
    {"id", "ids", "name", "names", "type", "count", "length", "len", "size", "path", "file", "url", "hint", "limit"}
)
_PLACEHOLDER = re.compile(r"[$<\[{(%*=]|[\w.]+[(\[]|(?i:none|null|true|false|undefined|redacted)$")


def _strength(match: PiiMatch) -> tuple[int, int]:
    return match.start - match.end, _PRIORITY[match.type]


def _emails(text: str) -> Iterator[PiiMatch]:
    for found in _EMAIL.finditer(text):
        # `scheme://user:password@host` holds a password, not an address.
        if not _URL_USER_BEFORE.search(text, max(0, found.start() - 256), found.start()):
            yield PiiMatch("email", *found.span())


def _credit_cards(text: str) -> Iterator[PiiMatch]:
    for run in _DIGIT_RUN.finditer(text):
        groups = [(group.start(), group.end()) for group in _DIGIT_GROUP.finditer(run.group())]
        first = 0
        while first < len(groups):
            last = _longest_card(run.group(), groups, first)
            if last is None:
                first += 1
                continue
            yield PiiMatch("credit_card", run.start() + groups[first][0], run.start() + groups[last][1])
            first = last + 1


def _longest_card(run: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """The last group of the longest card number starting at group `first`, if any.

    Cards span whole groups, and every group but the last holds 4 digits or more (4-4-4-4, 4-6-5), which keeps
    ISBNs and other short-grouped numbers out.
    """
    found = None
    digits = ""
    for last in range(first, len(groups)):
        group = run[groups[last][0] : groups[last][1]]
        digits += group
        if len(digits) > 19:
            break
        if len(digits) >= 13 and len(set(digits)) > 1 and _luhn_valid(digits):
            found = last
        if len(group) < 4:
            break
    return found


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _ssns(text: str) -> Iterator[PiiMatch]:
    for found in _SSN.finditer(text):
        yield PiiMatch("ssn", *found.span())


def _ibans(text: str) -> Iterator[PiiMatch]:
    for found in _IBAN.finditer(text):
        compact = found.group().replace(" ", "")
        if 15 <= len(compact) <= 34 and _mod97_valid(compact):
            yield PiiMatch("iban", *found.span())


def _mod97_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _phones(text: str) -> Iterator[PiiMatch]:
    international, *national = _PHONES
    for found in international.finditer(text):
        end = _within_e164(found)
        if end is not None:
            yield PiiMatch("phone", found.start(), end)
    for pattern in national:
        for found in pattern.finditer(text):
            if 9 <= sum(char.isdigit() for char in found.group()) <= 12:
                yield PiiMatch("phone", *found.span())


def _within_e164(found: re.Match[str]) -> int | None:
    """Where an international number ends once it holds 15 digits at most; None if it has fewer than 9."""
    digits = 0
    end = None
    for group in _DIGIT_GROUP.finditer(found.group()):
        if digits + len(group.group()) > 15:
            break
        digits += len(group.group())
        end = found.start() + group.end()
    if digits < 9:
        return None
    taken = found.string[found.start() : end]
    closes_a_group = taken.count("(") > taken.count(")") and found.string[end : end + 1] == ")"
    return end + 1 if closes_a_group else end


def _ip_addresses(text: str) -> Iterator[PiiMatch]:
    for found in _IPV4.finditer(text):
        octets_valid = all(int(octet) <= 255 for octet in found.group().split("."))
        if octets_valid and not _VERSION_BEFORE.search(text[max(0, found.start() - 12) : found.start()]):
            yield PiiMatch("ip_address", *found.span())
    for found in _IPV6.finditer(text):
        candidate = found.group()
        if any(char.isdigit() for char in candidate) and _is_ipv6(candidate):
            yield PiiMatch("ip_address", *found.span())


def _is_ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def _secrets(text: str) -> Iterator[PiiMatch]:
    for found in _SECRET_TOKENS.finditer(text):
        if found.group("openai") is None or any(char.isdigit() for char in found.group()):
            yield PiiMatch("secret", *found.span())
    for found in _PRIVATE_KEY.finditer(text):
        yield PiiMatch("secret", found.start(), found.start() + len(found.group().rstrip()))
    for pattern in (_BEARER, _URL_PASSWORD):
        for found in pattern.finditer(text):
            if pattern is _URL_PASSWORD or any(char.isdigit() for char in found.group("value")):
                yield PiiMatch("secret", *found.span("value"))
    position = 0
    while found := _ASSIGNMENT.search(text, position):
        yield from _assigned_secret(found)
        # Search again from the value: `database: DB_PASSWORD=...` holds an assignment inside the value.
        position = found.start(_value_group(found))


def _value_group(found: re.Match[str]) -> str:
    return next(group for group in ("double", "single", "bare") if found.group(group) is not None)


def _assigned_secret(found: re.Match[str]) -> Iterator[PiiMatch]:
    """The value of `password = ...`, `api_key: ...`, `"db_token": "..."`; a bare `key`/`token` needs `=`."""
    value_group = _value_group(found)
    value = found.group(value_group)
    if not _is_secret_value(value):
        return
    strong = _is_secret_name(found.group("name"), strong=True)
    if strong or (found.group("sep") != ":" and _is_secret_name(found.group("name"), strong=False)):
        yield PiiMatch("secret", *found.span(value_group))


def _is_secret_name(name: str, *, strong: bool) -> bool:
    """Whether `name` names a secret: strongly (`password`, `api_key`, `clientSecret`) or as a bare `key`/`token`."""
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if not words or words[-1] in _NOT_SECRET_LAST_WORDS:
        return False
    if _ALWAYS_SECRET_WORDS.intersection(words):
        return True
    named = bool(_SECRET_WORDS.intersection(words))
    return (named and len(words) > 1) if strong else named


def _is_secret_value(value: str) -> bool:
    return len(value) >= 3 and not _PLACEHOLDER.match(value)


_DETECTORS: tuple[Callable[[str], Iterator[PiiMatch]], ...] = (
    _secrets,
    _emails,
    _ibans,
    _credit_cards,
    _ssns,
    _ip_addresses,
    _phones,
)
_PRIORITY = {"secret": 0, "email": 1, "iban": 2, "credit_card": 3, "ssn": 4, "ip_address": 5, "phone": 6}
