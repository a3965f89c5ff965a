"""A circuit breaker: after repeated backend failures, fail fast for a while, then let one trial call through.

    breaker = CircuitBreaker("store", failure_threshold=5, reset_timeout_s=30)
    hits = await breaker.call(lambda: store.search(query))    # raises CircuitOpen while the breaker is open

closed -> open after `failure_threshold` consecutive failures; open -> half_open once `reset_timeout_s` has
passed; in half_open one trial call at a time is let through: success closes, failure reopens for another
`reset_timeout_s`. Only backend errors count as failures (any exception that is not an AstrocyteError, and
ProviderUnavailable); bad input or a refused grant is the caller's fault and leaves the breaker as it is.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from astrocyte.errors import AstrocyteError, CircuitOpen, ProviderUnavailable

T = TypeVar("T")
BreakerState = Literal["closed", "open", "half_open"]


def is_backend_failure(exc: BaseException) -> bool:
    return isinstance(exc, ProviderUnavailable) or (isinstance(exc, Exception) and not isinstance(exc, AstrocyteError))


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        reset_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._opened_because = ""
        self._trial_started: float | None = None

    @property
    def state(self) -> BreakerState:
        with self._lock:
            changes = self._advance()
            state = self._state
        self._notify(changes)
        return state

    def record_success(self) -> None:
        with self._lock:
            changes = self._advance()
            if self._state == "half_open":
                self._move("closed", changes)
            if self._state == "closed":
                self._failures = 0
        self._notify(changes)

    def record_failure(self) -> None:
        with self._lock:
            changes = self._advance()
            if self._state == "half_open":
                self._open("the trial call after a pause failed", changes)
            elif self._state == "closed":
                self._failures += 1
                if self._failures >= self.failure_threshold:
                    self._open(f"{self._failures} consecutive failures", changes)
        self._notify(changes)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` through the breaker; raise CircuitOpen without calling it while the breaker refuses."""
        admitted_as = self._enter()
        try:
            result = await fn()
        except BaseException as exc:
            self._failed(admitted_as, exc)
            raise
        self.record_success()
        return result

    def run(self, fn: Callable[[], T]) -> T:
        """The synchronous twin of `call`, for blocking backends such as the stores."""
        admitted_as = self._enter()
        try:
            result = fn()
        except BaseException as exc:
            self._failed(admitted_as, exc)
            raise
        self.record_success()
        return result

    def _enter(self) -> Literal["closed", "trial"]:
        admitted_as = self._admit()
        if admitted_as is None:
            raise CircuitOpen(self._refusal())
        return admitted_as

    def _failed(self, admitted_as: Literal["closed", "trial"], exc: BaseException) -> None:
        if is_backend_failure(exc):
            self.record_failure()
        elif admitted_as == "trial":
            self._release_trial()

    def _admit(self) -> Literal["closed", "trial"] | None:
        with self._lock:
            changes = self._advance()
            admitted: Literal["closed", "trial"] | None = None
            if self._state == "closed":
                admitted = "closed"
            elif self._state == "half_open" and not self._trial_running():
                self._trial_started = self._clock()
                admitted = "trial"
        self._notify(changes)
        return admitted

    def _trial_running(self) -> bool:
        # A trial whose caller never reported back stops blocking others after one more timeout.
        return self._trial_started is not None and self._clock() - self._trial_started < self.reset_timeout_s

    def _release_trial(self) -> None:
        with self._lock:
            self._trial_started = None

    def _refusal(self) -> str:
        with self._lock:
            now = self._clock()
            if self._state == "open":
                wait = self.reset_timeout_s - (now - self._opened_at)
                why = f"open after {self._opened_because}"
            else:
                wait = self.reset_timeout_s - (now - (self._trial_started or now))
                why = "half-open and a trial call is testing whether it recovered"
        return f"the {self.name} circuit breaker is {why}; calls fail fast, retry in {max(1, math.ceil(wait))} s"

    def _advance(self) -> list[tuple[str, str]]:
        changes: list[tuple[str, str]] = []
        if self._state == "open" and self._clock() - self._opened_at >= self.reset_timeout_s:
            self._move("half_open", changes)
        return changes

    def _open(self, because: str, changes: list[tuple[str, str]]) -> None:
        self._opened_at = self._clock()
        self._opened_because = because
        self._move("open", changes)

    def _move(self, new: BreakerState, changes: list[tuple[str, str]]) -> None:
        changes.append((self._state, new))
        self._state = new
        self._failures = 0
        self._trial_started = None

    def _notify(self, changes: list[tuple[str, str]]) -> None:
        # Outside the lock, so a callback may read the breaker without deadlocking.
        if self._on_change is not None:
            for old, new in changes:
                self._on_change(old, new)
