"""One circuit breaker in front of any backend: every abstract method of its interface runs through the breaker.

    store = guard(EmbeddedStore(path, ...), breakers["store"], MemoryStore)
    store.search_vectors(...)      # raises CircuitOpen while the `store` breaker is open

Coroutine methods go through `breaker.call`, plain ones through `breaker.run`; `close`, properties and
attributes (an embedder's `identity` and `dimensions`, a model's `name`) reach the backend directly.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, TypeVar

from astrocyte.policy.breaker import CircuitBreaker

T = TypeVar("T")
_UNGUARDED = frozenset({"close"})


def guard(backend: T, breaker: CircuitBreaker, interface: type[T]) -> T:
    """`backend` behind `breaker`, still an instance of `interface`."""
    methods = {
        name: _through(breaker, name, getattr(interface, name))
        for name in getattr(interface, "__abstractmethods__", ())
        if name not in _UNGUARDED
    }
    guarded = type(f"Guarded{interface.__name__}", (_Guarded, interface), methods)
    return guarded(backend)  # type: ignore[no-any-return]


class _Guarded:
    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def close(self) -> None:
        self._backend.close()


def _through(breaker: CircuitBreaker, name: str, declared: Any) -> Any:
    # wraps(updated=()) copies the name and docstring but not `__isabstractmethod__`, so the wrapper is concrete
    if isinstance(declared, property):
        return property(lambda self: getattr(self._backend, name))
    if inspect.iscoroutinefunction(declared):

        async def call_async(self: _Guarded, *args: Any, **kwargs: Any) -> Any:
            return await breaker.call(lambda: getattr(self._backend, name)(*args, **kwargs))

        return functools.wraps(declared, updated=())(call_async)

    def call(self: _Guarded, *args: Any, **kwargs: Any) -> Any:
        return breaker.run(lambda: getattr(self._backend, name)(*args, **kwargs))

    return functools.wraps(declared, updated=())(call)
