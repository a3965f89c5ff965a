"""The synchronous twins of the async API, safe from any thread, including one running an event loop.

    brain.sync.retain("Alice lives in Paris.", bank_id="people")

A twin declares each blocking method once, from the async one, and so has its parameters, defaults,
annotations and docstring, for `help()`, IDEs and type checkers alike:

    class SyncAstrocyte(SyncTwin[Astrocyte]):
        retain = blocking(Astrocyte.retain)

Work runs on an event loop that Astrocyte owns, in its own daemon thread; the calling thread just waits for
the result. So a framework that calls memory synchronously from inside its own running loop (CrewAI's
`akickoff`, a Jupyter cell) never blocks the loop that the work needs.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from types import MethodType
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from astrocyte.errors import AstrocyteError

P = ParamSpec("P")
S = TypeVar("S")
T = TypeVar("T")


class Runner(Protocol):
    """What runs a twin's coroutines to the end: the brain's LoopThread, or the brain's own twin."""

    def run(self, coroutine: Coroutine[Any, Any, T], /) -> T: ...


class SyncTwin(Generic[S]):
    """The blocking face of `target`: its methods declared with `blocking`, each run to the end by `runner`."""

    def __init__(self, target: S, runner: Runner) -> None:
        self._target = target
        self._runner = runner

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run any coroutine on Astrocyte's loop thread and wait for it (what every method here does)."""
        return self._runner.run(coroutine)


class blocking(Generic[S, P, T]):
    """`retain = blocking(Astrocyte.retain)` in a SyncTwin: the target's `retain`, blocking until done.

    Arguments are bound as the twin is called, so a wrong one raises TypeError before any work starts. The
    target's own method runs, so a subclass's override applies."""

    def __init__(self, method: Callable[Concatenate[S, P], Coroutine[Any, Any, T]]) -> None:
        name = method.__name__

        def call(twin: SyncTwin[S], /, *args: P.args, **kwargs: P.kwargs) -> T:
            return twin.run(getattr(twin._target, name)(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = method.__doc__
        call.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
        self._call = call

    def __set_name__(self, owner: type, name: str) -> None:
        self._call.__qualname__ = f"{owner.__qualname__}.{name}"
        self._call.__module__ = owner.__module__

    @overload
    def __get__(self, twin: None, owner: type | None = None) -> Callable[Concatenate[SyncTwin[S], P], T]: ...

    @overload
    def __get__(self, twin: SyncTwin[S], owner: type | None = None) -> Callable[P, T]: ...

    def __get__(self, twin: SyncTwin[S] | None, owner: type | None = None) -> Callable[..., T]:
        return self._call if twin is None else MethodType(self._call, twin)


class LoopThread:
    """An event loop in a daemon thread, started on first use and stopped for good by `close`."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop_for(coroutine)).result()

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            self._closed = True
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()

    def _loop_for(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                refusal = "brain.sync was called after brain.close(); open a new Astrocyte"
            elif threading.current_thread() is self._thread:
                refusal = (
                    "brain.sync was called from inside Astrocyte's own event loop (from a hook?); await the async "
                    "method there instead"
                )
            else:
                return self._loop or self._started()
        coroutine.close()
        raise AstrocyteError(refusal)

    def _started(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="astrocyte-sync", daemon=True)
        self._thread.start()
        self._loop = loop
        return loop
