"""Dates named in text, resolved against the moment the text was said.

    spans = resolve("We went hiking last Saturday.", said_at=datetime(2023, 5, 10, tzinfo=UTC))
    # [DateSpan(start=date(2023, 5, 6), end=date(2023, 5, 6))]
    date_terms(spans)          # ['@2023-05', '@2023-05-06']: index terms no word can collide with
    asks_when("When did Ana move to Lyon?")   # True

Relative expressions (yesterday, last Friday, two weeks ago, next month, this weekend …) are resolved against
`said_at`; absolute ones (14 May 2023, May 14th, in March, 2023-05-14) are read as written, a missing year taken
from `said_at`. An ambiguous expression gives every reading: a bare "on Saturday" is both the last Saturday and
the next one. The same resolver reads the dates of a query (against the present), so memories and questions
meet on the same terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import NamedTuple


class DateSpan(NamedTuple):
    start: date
    end: date

    def overlaps(self, other: DateSpan) -> bool:
        return self.start <= other.end and other.start <= self.end


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    name: number for number, name in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())
}
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "a couple": 2,
    "a few": 3,
    "several": 3,
}
_MONTH_NAME = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_COUNT = (
    r"(?:\d{1,3}|a couple of|a couple|a few|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
)
_UNIT = r"(day|week|month|year)s?"

_MONTH_WORDS = frozenset(_MONTHS) | {"sept"}
_DIGITS = frozenset("0123456789")
_WEEKDAY_WORDS = frozenset(_WEEKDAYS)
_UNIT_WORDS = frozenset("day days week weeks month months year years".split())
_PATTERNS: list[tuple[str, bool, frozenset[str], re.Pattern[str]]] = [
    ("iso", False, _DIGITS, re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    (
        "day_month",
        False,
        _MONTH_WORDS,
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH_NAME})\b\.?(?:,?\s+(\d{{4}}))?"),
    ),
    (
        "month_day",
        False,
        _MONTH_WORDS,
        re.compile(rf"\b({_MONTH_NAME})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"),
    ),
    (
        "month_year",
        False,
        _MONTH_WORDS,
        re.compile(
            rf"\b(?:[Ii]n|[Dd]uring|of|[Ss]ince|by|until|[Ee]arly|[Ll]ate|[Mm]id)[\s-]+({_MONTH_NAME})(?:\s+(\d{{4}}))?\b"
        ),
    ),
    ("bare_month_year", False, _MONTH_WORDS, re.compile(rf"\b({_MONTH_NAME})\s+(\d{{4}})\b")),
    ("year", False, _DIGITS, re.compile(r"\b(?:[Ii]n|[Dd]uring|of|[Ss]ince)\s+((?:19|20)\d{2})\b")),
    ("ago", True, frozenset({"ago"}), re.compile(rf"\b({_COUNT})\s+{_UNIT}\s+ago\b")),
    ("ahead", True, _UNIT_WORDS, re.compile(rf"\bin\s+({_COUNT})\s+{_UNIT}\b")),
    (
        "relative_unit",
        True,
        frozenset({"week", "weekend", "month", "year"}),
        re.compile(r"\b(last|this past|past|this|next|coming)\s+(week|weekend|month|year)\b"),
    ),
    (
        "relative_weekday",
        True,
        _WEEKDAY_WORDS,
        re.compile(rf"\b(last|this past|past|this|next|coming|on)\s+({_WEEKDAY})\b"),
    ),
    (
        "day_word",
        True,
        frozenset("yesterday today tonight tomorrow night morning afternoon evening".split()),
        re.compile(r"\b(yesterday|today|tonight|tomorrow|last night|this (?:morning|afternoon|evening))\b"),
    ),
]
"""(kind, read from the lower-cased text, words one of which must occur, pattern). Month names only count
when capitalised ('may' is a verb), so absolute patterns read the text as written."""
_TRIGGERS = frozenset().union(*(words for _, _, words, _ in _PATTERNS))
_WORD_OR_DIGIT = re.compile(r"[a-z]+|\d")
_WHEN = re.compile(
    r"^\s*when\b|\bwhat (?:date|day|time|year|month)\b|\bhow long ago\b|\bwhich (?:date|day|year|month)\b"
)
_MAX_TERM_DAYS = 8
"""Spans up to about a week are indexed day by day; longer ones only by month."""


def resolve(text: str, said_at: datetime | date) -> list[DateSpan]:
    """Every date the text names, resolved against `said_at`, in order of appearance."""
    lowered = text.lower()
    words = set(_WORD_OR_DIGIT.findall(lowered))
    if _TRIGGERS.isdisjoint(words):
        return []
    today = said_at.date() if isinstance(said_at, datetime) else said_at
    found: list[tuple[int, DateSpan]] = []
    taken: list[tuple[int, int]] = []
    for kind, reads_lowered, needs, pattern in _PATTERNS:
        if needs.isdisjoint(words):
            continue
        for match in pattern.finditer(lowered if reads_lowered else text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            spans = _read(kind, match, today)
            if spans:
                taken.append(match.span())
                found += [(match.start(), span) for span in spans]
    return [span for _, span in sorted(found, key=lambda pair: pair[0])]


def date_terms(spans: Iterable[DateSpan]) -> list[str]:
    """Index terms for the months (`@2023-05`) and, for spans of about a week or less, days (`@2023-05-06`)."""
    terms: dict[str, None] = {}
    for span in spans:
        month = date(span.start.year, span.start.month, 1)
        while month <= span.end:
            terms[f"@{month:%Y-%m}"] = None
            month = _add_months(month, 1)
        if (span.end - span.start).days < _MAX_TERM_DAYS:
            day = span.start
            while day <= span.end:
                terms[f"@{day:%Y-%m-%d}"] = None
                day += timedelta(days=1)
    return list(terms)


def asks_when(query: str) -> bool:
    """Whether the query asks for a time ('When did …', 'What date …', 'How long ago …')."""
    return bool(_WHEN.search(query.lower()))


def _read(kind: str, match: re.Match[str], today: date) -> list[DateSpan]:
    try:
        return _READERS[kind](match, today)
    except ValueError:
        return []


def _iso(match: re.Match[str], today: date) -> list[DateSpan]:
    day = date(int(match[1]), int(match[2]), int(match[3]))
    return [DateSpan(day, day)]


def _day_month(match: re.Match[str], today: date) -> list[DateSpan]:
    return _dated(today, _MONTHS[match[2].lower().rstrip(".")], int(match[1]), match[3])


def _month_day(match: re.Match[str], today: date) -> list[DateSpan]:
    return _dated(today, _MONTHS[match[1].lower().rstrip(".")], int(match[2]), match[3])


def _dated(today: date, month: int, day: int, year: str | None) -> list[DateSpan]:
    found = date(int(year) if year else today.year, month, day)
    return [DateSpan(found, found)]


def _month_year(match: re.Match[str], today: date) -> list[DateSpan]:
    month = _MONTHS[match[1].lower()]
    if match[2]:
        return [_month_span(int(match[2]), month)]
    nearest = min((today.year - 1, today.year, today.year + 1), key=lambda year: abs(date(year, month, 15) - today))
    return [_month_span(nearest, month)]


def _year(match: re.Match[str], today: date) -> list[DateSpan]:
    year = int(match[1])
    return [DateSpan(date(year, 1, 1), date(year, 12, 31))]


def _ago(match: re.Match[str], today: date) -> list[DateSpan]:
    return [_shifted(today, -_count(match[1]), match[2].lower())]


def _ahead(match: re.Match[str], today: date) -> list[DateSpan]:
    return [_shifted(today, _count(match[1]), match[2].lower())]


def _shifted(today: date, amount: int, unit: str) -> DateSpan:
    if unit == "day":
        day = today + timedelta(days=amount)
        return DateSpan(day, day)
    if unit == "week":
        monday = today + timedelta(weeks=amount) - timedelta(days=today.weekday())
        return DateSpan(monday, monday + timedelta(days=6))
    if unit == "month":
        first = _add_months(date(today.year, today.month, 1), amount)
        return _month_span(first.year, first.month)
    year = today.year + amount
    return DateSpan(date(year, 1, 1), date(year, 12, 31))


def _relative_unit(match: re.Match[str], today: date) -> list[DateSpan]:
    step = {"last": -1, "this past": -1, "past": -1, "this": 0, "next": 1, "coming": 1}[match[1].lower()]
    unit = match[2].lower()
    if unit == "weekend":
        saturday = today + timedelta(days=5 - today.weekday())
        if step < 0 or (step == 0 and today.weekday() == 6):
            saturday -= timedelta(days=7)
        elif step > 0 and today.weekday() >= 5:
            saturday += timedelta(days=7)
        return [DateSpan(saturday, saturday + timedelta(days=1))]
    return [_shifted(today, step, unit)]


def _relative_weekday(match: re.Match[str], today: date) -> list[DateSpan]:
    word, weekday = match[1].lower(), _WEEKDAYS[match[2].lower()]
    before = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    after = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    if word in ("last", "this past", "past"):
        return [DateSpan(before, before)]
    if word in ("next", "coming"):
        return [DateSpan(after, after)]
    return [DateSpan(before, before), DateSpan(after, after)]


def _day_word(match: re.Match[str], today: date) -> list[DateSpan]:
    word = match[1].lower()
    shift = {"yesterday": -1, "last night": -1, "tomorrow": 1}.get(word, 0)
    day = today + timedelta(days=shift)
    return [DateSpan(day, day)]


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _month_span(year: int, month: int) -> DateSpan:
    first = date(year, month, 1)
    return DateSpan(first, _add_months(first, 1) - timedelta(days=1))


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_READERS = {
    "iso": _iso,
    "day_month": _day_month,
    "month_day": _month_day,
    "month_year": _month_year,
    "bare_month_year": _month_year,
    "year": _year,
    "ago": _ago,
    "ahead": _ahead,
    "relative_unit": _relative_unit,
    "relative_weekday": _relative_weekday,
    "day_word": _day_word,
}
