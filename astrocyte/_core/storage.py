"""What the Astrocyte objects of one process share about a data directory: one open store, its outbox of
queued writes, the lock that serialises read-then-write steps, and the recent turns of each conversation.

    storage = open_storage(config, embedder)     # opens the store, or hands out the one already open there
    storage.release()                            # the last user of an embedded data directory closes it

Two `Astrocyte(data_dir=d)` objects in one process (a CrewAI crew and a LangGraph graph, each building its own)
therefore work side by side, each with its own policy, on one store. Embedded data directories are shared when
their store and embedder settings agree (another setting is refused: one store cannot run two ways); any other
store (`memory`, a plug-in, one handed in) belongs to the one Astrocyte that opened it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from astrocyte._core.context import Threads
from astrocyte.config import AstrocyteConfig, StoreConfig
from astrocyte.errors import ConfigError
from astrocyte.models.base import Embedder
from astrocyte.policy.outbox import RetainOutbox
from astrocyte.stores.base import MemoryStore


@dataclass(eq=False)
class Storage:
    store: MemoryStore
    outbox: RetainOutbox
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    """Serialises read-then-write steps (key upserts, dedup) so concurrent writers cannot both insert."""
    threads: Threads = field(default_factory=Threads)
    """The latest memories of each conversation thread, indexed as context of the next (`_core.context`)."""
    replaying: threading.Lock = field(default_factory=threading.Lock)
    """Held by whichever user is replaying the outbox, so a queued write is replayed once."""
    _users: int = 1
    _key: tuple[Path, StoreConfig, str] | None = None

    def release(self) -> None:
        with _lock:
            self._users -= 1
            if self._users:
                return
            if self._key is not None:
                del _open[self._key[0]]
        self.outbox.close()
        self.store.close()


_open: dict[Path, Storage] = {}
_lock = threading.Lock()


def open_storage(
    config: AstrocyteConfig, embedder: Embedder, open_store: Callable[[], MemoryStore], store: MemoryStore | None
) -> Storage:
    """The storage `config` names: `store` if one is handed in, else the configured one, shared per data dir."""
    embedded = config.store.kind == "embedded"
    if store is not None or not embedded:
        outbox = RetainOutbox(config.data_dir / "outbox.sqlite3" if embedded else None)
        return Storage(store or open_store(), outbox)
    key = (config.data_dir.expanduser().resolve(), config.store, embedder.identity)
    with _lock:
        shared = _open.get(key[0])
        if shared is None:
            shared = Storage(open_store(), RetainOutbox(key[0] / "outbox.sqlite3"), _key=key)
            _open[key[0]] = shared
            return shared
        if shared._key != key:
            raise ConfigError(
                f"data_dir {key[0]} is already open in this process with other store or embedder settings; "
                "give every Astrocyte on one data_dir the same store and embedder sections"
            )
        shared._users += 1
        return shared
