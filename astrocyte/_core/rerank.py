"""Reranking fused candidates by what the query says: its terms, the people it names, the time it asks about.

    rerank(candidates, query_terms, lexical_weight=0.3, cues=Cues(names=..., speaker_weight=0.2, ...))

The relevance score blends the fused rank score with the share of the query's content terms found in the
memory's text (`lexical_weight`). Cues then add to it, each a 0-or-1 signal with its own weight: the memory was
said by someone the query names (`speaker_weight`), and the memory's dates fall in the time the query names,
or the query asks "when" and the memory names a time (`time_weight`). The total is divided by 1 plus the cue
weights, so scores stay in [0, 1]. Ties keep fusion order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from astrocyte._core.context import first_present
from astrocyte._core.dates import DateSpan, resolve
from astrocyte.text import index_terms, tokenize
from astrocyte.types import MemoryRecord


@dataclass(frozen=True)
class Candidate:
    record: MemoryRecord
    fused: float
    ranks: dict[str, int]


@dataclass(frozen=True)
class Cues:
    """What a query says beyond its terms, and how much each cue weighs."""

    names: frozenset[str] = frozenset()
    """The query's words, lower-cased, to match speakers by."""
    speaker_keys: tuple[str, ...] = ()
    speaker_weight: float = 0.0
    dates: tuple[DateSpan, ...] = ()
    asks_when: bool = False
    time_weight: float = 0.0


def lexical_overlap(query_terms: frozenset[str], record: MemoryRecord) -> float:
    if not query_terms:
        return 0.0
    return len(query_terms & _terms_of(record.text)) / len(query_terms)


def said_by_named(cues: Cues, record: MemoryRecord) -> float:
    speaker = first_present(record.metadata, cues.speaker_keys)
    if not isinstance(speaker, str):
        return 0.0
    return 0.0 if cues.names.isdisjoint(_words_of(speaker)) else 1.0


@lru_cache(maxsize=16_384)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(index_terms(text))


@lru_cache(maxsize=1024)
def _words_of(name: str) -> frozenset[str]:
    return frozenset(tokenize(name))


@lru_cache(maxsize=16_384)
def _dates_of(text: str, said_at: datetime) -> tuple[DateSpan, ...]:
    return tuple(resolve(text, said_at))


def in_asked_time(cues: Cues, record: MemoryRecord) -> float:
    if cues.dates:
        spans = _dates_of(record.text, record.occurred_at)
        day = record.occurred_at.date()
        spans = spans or (DateSpan(day, day),)
        return 1.0 if any(span.overlaps(asked) for span in spans for asked in cues.dates) else 0.0
    if cues.asks_when:
        return 1.0 if _dates_of(record.text, record.occurred_at) else 0.0
    return 0.0


def rerank(
    candidates: Sequence[Candidate], query_terms: frozenset[str], lexical_weight: float, cues: Cues | None = None
) -> list[tuple[Candidate, float]]:
    cues = cues or Cues()
    speaker_weight = cues.speaker_weight if cues.names and cues.speaker_keys else 0.0
    time_weight = cues.time_weight if cues.dates or cues.asks_when else 0.0
    scale = 1.0 + speaker_weight + time_weight
    scored = []
    for candidate in candidates:
        score = (1 - lexical_weight) * candidate.fused
        if lexical_weight:
            score += lexical_weight * lexical_overlap(query_terms, candidate.record)
        if speaker_weight:
            score += speaker_weight * said_by_named(cues, candidate.record)
        if time_weight:
            score += time_weight * in_asked_time(cues, candidate.record)
        scored.append((candidate, score / scale))
    return sorted(scored, key=lambda pair: -pair[1])
