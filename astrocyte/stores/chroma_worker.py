"""The worker process that runs Chroma for the embedded stores of one Python process (see `chroma_process.py`).

    python -m astrocyte.stores.chroma_worker      # started by ChromaProcess; requests on stdin, replies on stdout

Each request is a pickled `(number, store, method, arguments)`: `open` with `(path, bank_bytes, total_bytes)`,
`close`, or a `ChromaVectors` method and its arguments. Requests are taken in order, one at a time, and each gets
a pickled `(number, ok, value or exception)`. The worker exits when its stdin closes, which is also what happens
when the process that started it dies.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any, BinaryIO

from astrocyte.errors import ProviderUnavailable
from astrocyte.stores.chroma_process import pack_hits
from astrocyte.stores.chroma_vectors import ChromaVectors
from astrocyte.stores.exact_vectors import ExactVectors


def main() -> None:
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything else that writes to stdout (a library's print, native code) must not land in the replies.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    stores: dict[int, ChromaVectors | Exception] = {}
    try:
        while True:
            try:
                number, store, method, arguments = pickle.load(requests)
            except EOFError:
                return
            try:
                _reply(replies, number, True, _handle(stores, store, method, arguments))
            except Exception as exc:
                _reply(replies, number, False, exc)
    finally:
        for vectors in stores.values():
            if isinstance(vectors, ChromaVectors):
                vectors.close()


def _handle(stores: dict[int, ChromaVectors | Exception], store: int, method: str, arguments: tuple) -> Any:
    if method == "open":
        path, bank_bytes, total_bytes = arguments
        try:
            stores[store] = ChromaVectors(Path(path), ExactVectors(bank_bytes=bank_bytes, total_bytes=total_bytes))
        except Exception as exc:
            stores[store] = exc  # a store re-opened after a restart learns why at its next call
            raise
        return None
    if store not in stores:
        raise ProviderUnavailable(
            f"store {store} is not open in Chroma's worker process (closed, or opened before this process forked); "
            "open the store again"
        )
    vectors = stores.pop(store) if method == "close" else stores[store]
    if isinstance(vectors, Exception):
        raise vectors
    result = getattr(vectors, method)(*arguments)
    return pack_hits(result) if method in {"query", "exact"} else result


def _reply(replies: BinaryIO, number: int, ok: bool, value: Any) -> None:
    try:
        message = pickle.dumps((number, ok, value), protocol=pickle.HIGHEST_PROTOCOL)
        if not ok:
            pickle.loads(message)  # an exception that pickles may still fail to unpickle (required arguments)
    except Exception:
        message = pickle.dumps((number, False, RuntimeError(f"{type(value).__name__}: {value}")))
    replies.write(message)
    replies.flush()


if __name__ == "__main__":
    main()
