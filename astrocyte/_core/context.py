"""What a memory is indexed with besides its own words: who said it, the turns before it, the dates it names.

    threads = Threads()
    terms, context = index_terms_of(config.pipeline.context, threads, "chat", "We made it to the top!",
                                    {"speaker": "Maya", "session": "s1"}, occurred_at)

A turn of a conversation is often meaningless alone: "We made it to the top!" answers "How was the hike last
Saturday?", and "I" is whoever spoke. So the speaker's name is indexed with the turn's own words, and the words
and dates of the turns before it in the same thread, plus the dates the turn names (resolved against when it
was said), are indexed as context terms, which recall weighs less (`recall.context_weight`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache

from astrocyte._core.dates import date_terms, resolve
from astrocyte.config import ContextConfig
from astrocyte.text import index_terms
from astrocyte.types import MetadataValue

_MAX_THREADS = 4096
_MAX_NEIGHBOURS = 8


_Said = tuple[tuple[str, ...], tuple[str, ...]]
"""A memory's own terms and the dates it names. Plain tuples of strings, which the garbage collector stops
tracking; a NamedTuple it would scan for as long as the memory is remembered here."""


class Threads:
    """The last few memories of recently written threads, per bank; the least recently written are forgotten."""

    def __init__(self, max_threads: int = _MAX_THREADS) -> None:
        self._recent: OrderedDict[tuple[str, str], deque[_Said]] = OrderedDict()
        self._max_threads = max_threads
        self._lock = threading.Lock()

    def before(self, bank_id: str, thread: str, count: int) -> list[_Said]:
        with self._lock:
            said = self._recent.get((bank_id, thread))
            return list(said)[-count:] if said and count else []

    def add(self, bank_id: str, thread: str, said: _Said) -> None:
        with self._lock:
            slot = (bank_id, thread)
            if slot not in self._recent:
                self._recent[slot] = deque(maxlen=_MAX_NEIGHBOURS)
                if len(self._recent) > self._max_threads:
                    self._recent.popitem(last=False)
            self._recent.move_to_end(slot)
            self._recent[slot].append(said)


def first_present(metadata: Mapping[str, MetadataValue], keys: Sequence[str]) -> MetadataValue:
    """The value of the first of `keys` that `metadata` holds (None when it holds none)."""
    return next((metadata[key] for key in keys if key in metadata), None)


@lru_cache(maxsize=1024)
def _name_terms(name: str) -> tuple[str, ...]:
    return tuple(index_terms(name))


@lru_cache(maxsize=4096)
def _day_term(day: date) -> str:
    """Only the day a memory occurred, not its month: a month term would be held by a large share of the bank,
    costly to search and weak at ranking, while the dates a memory names are indexed in full."""
    return f"@{day:%Y-%m-%d}"


def index_terms_of(
    config: ContextConfig,
    threads: Threads,
    bank_id: str,
    text: str,
    metadata: Mapping[str, MetadataValue],
    occurred_at: datetime,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(terms, context terms) to index a memory with, and the memory noted as the latest of its thread.

    Tuples, not lists: a batch's terms are kept until it is written, and the garbage collector stops tracking
    tuples of strings, where it would scan lists in every full collection that the batch brings about."""
    own = tuple(index_terms(text))
    speaker = first_present(metadata, config.speaker_keys)
    terms = (*own, *_name_terms(speaker)) if isinstance(speaker, str) else own
    dates = tuple(date_terms(resolve(text, occurred_at))) if config.dates else ()
    context = [*dates, _day_term(occurred_at.date())] if config.dates else []
    thread = first_present(metadata, config.thread_keys) if config.neighbours else None
    if thread is not None:
        for before_terms, before_dates in threads.before(bank_id, str(thread), config.neighbours):
            context += before_terms
            context += before_dates
        threads.add(bank_id, str(thread), (own, dates))
    return terms, tuple(context)
