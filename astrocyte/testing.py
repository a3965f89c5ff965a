"""Stand-ins for tests, examples and tutorials: a deterministic chat model and embedder, a clock you move by
hand, and backend faults you switch on and off. No network, no sleeping.

    from astrocyte.testing import FakeClock, Faults, OfflineEmbedder, OfflineModel, quote_answer

    clock, faults = FakeClock(), Faults()
    brain = Astrocyte(embedder=faults.wrap(OfflineEmbedder(), Embedder), llm=OfflineModel(), clock=clock)
    with faults.failing("embed", error=ConnectionError("embedding service down")):
        brain.sync.recall("deploy key", bank_id="ops")        # degrades to keyword search
    clock.advance(days=40)                                    # TTL, breakers, quotas see the new time
    quote_answer("Where does Ann live?", ["Ann lives in Lyon. She sings."])   # 'Ann lives in Lyon. [1]'

Framework adapters wrap `quote_answer` (what `OfflineModel` answers numbered passages with) and the offline
embedder in their frameworks' own fake-model interfaces: each finds the question and the passages in its own
prompt shape.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from astrocyte._extractive import NO_ANSWER, Quote, best_sentences
from astrocyte.models.offline_embedder import OfflineEmbedder
from astrocyte.models.offline_model import OfflineModel

__all__ = [
    "NO_ANSWER",
    "FakeClock",
    "Faults",
    "OfflineEmbedder",
    "OfflineModel",
    "Quote",
    "best_sentences",
    "quote_answer",
]

T = TypeVar("T")


def quote_answer(question: str, passages: Sequence[str], *, limit: int = 2, cite: bool = True) -> str:
    """The `limit` sentences of `passages` sharing the most content words with `question`, best first, each
    followed by the number of its passage (`[1]` for the first) unless `cite` is False; NO_ANSWER when none does.

    Deterministic and offline: it quotes, it does not generate language."""
    quotes = best_sentences(question, [(str(number), text) for number, text in enumerate(passages, 1)], limit)
    if not quotes:
        return NO_ANSWER
    return " ".join(f"{quote.sentence} [{quote.label}]" if cite else quote.sentence for quote in quotes)


class FakeClock:
    """A clock for `Astrocyte(clock=...)` that stands still until `advance` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)` (e.g. `seconds=30`, `days=2`); returns the new time."""
        with self._lock:
            self.now += timedelta(**delta)
            return self.now


class Faults:
    """Failures injected into a real backend: `wrap` it, then make chosen methods raise inside `failing`."""

    def __init__(self) -> None:
        self._errors: dict[str, BaseException] = {}

    def wrap(self, backend: T, interface: type[T]) -> T:
        """`backend`, still an `interface`, whose abstract methods raise while `failing` names them."""
        methods = {
            name: self._faulty(name, getattr(interface, name))
            for name in getattr(interface, "__abstractmethods__", ())
            if not isinstance(getattr(interface, name), property)
        }
        properties = {
            name: property(lambda self, name=name: getattr(self._backend, name))
            for name in getattr(interface, "__abstractmethods__", ())
            if isinstance(getattr(interface, name), property)
        }
        faulty = type(f"Faulty{interface.__name__}", (_Wrapped, interface), methods | properties)
        return faulty(backend)  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def failing(self, *methods: str, error: BaseException) -> Iterator[None]:
        self._errors.update(dict.fromkeys(methods, error))
        try:
            yield
        finally:
            for method in methods:
                self._errors.pop(method, None)

    def _faulty(self, name: str, declared: Any) -> Any:
        errors = self._errors
        if inspect.iscoroutinefunction(declared):

            async def call_async(wrapped: _Wrapped, *args: Any, **kwargs: Any) -> Any:
                if name in errors:
                    raise errors[name]
                return await getattr(wrapped._backend, name)(*args, **kwargs)

            return functools.wraps(declared, updated=())(call_async)

        def call(wrapped: _Wrapped, *args: Any, **kwargs: Any) -> Any:
            if name in errors:
                raise errors[name]
            return getattr(wrapped._backend, name)(*args, **kwargs)

        return functools.wraps(declared, updated=())(call)


class _Wrapped:
    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)
