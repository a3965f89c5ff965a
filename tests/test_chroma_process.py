"""Chroma in its worker process: shared by a process's stores, kept apart per store, surviving the worker's death,
never outliving the process that started it, and switched off by `store.vector_process: false`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

import astrocyte
from astrocyte import Astrocyte
from astrocyte._core.runtime import open_store
from astrocyte.config import load_config
from astrocyte.errors import ProviderUnavailable
from astrocyte.stores.base import VectorOp, VectorQuery
from astrocyte.stores.chroma_process import CHROMA_PROCESS, InProcessVectors, ProcessVectors
from astrocyte.testing import OfflineEmbedder
from tests.test_store_conformance import BANK, DIM, ids_of, open_embedded, stored, unit

SOURCE_ROOT = str(Path(astrocyte.__file__).resolve().parents[1])


def run_python(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SOURCE_ROOT}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_stores_of_a_process_share_one_worker_and_stay_apart(tmp_path: Path) -> None:
    with open_embedded(tmp_path / "one") as first, open_embedded(tmp_path / "two") as second:
        first.upsert([stored("a", vector=unit(1))])
        second.upsert([stored("b", vector=unit(1))])
        assert CHROMA_PROCESS.pid not in (None, os.getpid())
        assert ids_of(first.search_vectors(BANK, VectorQuery(unit(1)[None], 5))[0]) == ["a"]
        assert ids_of(second.search_vectors(BANK, VectorQuery(unit(1)[None], 5))[0]) == ["b"]


def test_a_batch_stays_in_the_outbox_until_chroma_has_applied_it(tmp_path: Path) -> None:
    with open_embedded(tmp_path / "data", vector_batch=3, exact_search_bank_mb=0) as store:
        store.upsert([stored(name, vector=unit(number)) for number, name in enumerate("abc")])
        assert store._in_flight is not None  # sent, not waited for: retain goes on while the worker applies it
        assert len(store._index.pending_vector_ops()[0]) == 3
        # The next batch waits for the one in flight, empties the outbox of it, and is sent in turn.
        store.upsert([stored(name, vector=unit(number)) for number, name in enumerate("def", start=3)])
        assert [op.memory_id for op in store._index.pending_vector_ops()[0]] == ["d", "e", "f"]
        waited = store.vector_wait_s
        assert len(store.search_vectors(BANK, VectorQuery(unit(0)[None], 10))[0]) == 6
        assert store._index.pending_vector_ops() == ([], 0) and store._in_flight is None
        assert store.vector_wait_s > waited  # the search waited for the apply in flight


def test_vector_writes_survive_the_chroma_worker_being_killed_mid_apply(tmp_path: Path) -> None:
    """Chroma's worker process dies (here: SIGKILL) while it applies a batch: the batch was acknowledged, so the
    next search starts a new worker, which reopens the store and applies the outbox again."""
    with open_embedded(tmp_path / "data", vector_batch=500) as store:
        store.upsert([stored(f"m{number}", vector=unit(number)) for number in range(10)])
        assert len(store.search_vectors(BANK, VectorQuery(unit(0)[None], 50))[0]) == 10
        worker = CHROMA_PROCESS.pid
        store.upsert([stored(f"m{number}", vector=unit(number)) for number in range(10, 510)])
        os.kill(worker, signal.SIGKILL)

        [hits] = store.search_vectors(BANK, VectorQuery(unit(3)[None], 600))
        assert CHROMA_PROCESS.pid not in (None, worker)
        assert len(hits) == 510 and hits[0].id == "m3"


def test_an_error_in_the_worker_reaches_the_caller_and_the_worker_goes_on(tmp_path: Path) -> None:
    vectors = ProcessVectors(tmp_path / "chroma", bank_bytes=0, total_bytes=0)
    try:
        vectors.apply([VectorOp(BANK, "a", unit(1))]).result()
        with pytest.raises(Exception, match="dimension"):
            vectors.query(BANK, np.ones((1, DIM + 3), dtype=np.float32), 3)
        assert [hit.id for hit in vectors.query(BANK, unit(1)[None], 3)[0]] == ["a"]
    finally:
        vectors.close()


def test_chroma_failing_to_open_is_raised_by_the_store_and_leaves_the_dir_unlocked(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.mkdir()
    (path / "chroma").write_text("not a directory")
    with pytest.raises(ProviderUnavailable, match=r"chromadb could not open .*chroma \(.*directory"):
        open_embedded(path)
    with FileLock(path / "astrocyte.lock", timeout=0):  # released by the store that failed to open
        pass


@pytest.mark.parametrize(("in_worker", "handle"), [(True, ProcessVectors), (False, InProcessVectors)])
def test_store_vector_process_is_read_from_config(tmp_path: Path, in_worker: bool, handle: type) -> None:
    config = {"data_dir": str(tmp_path / "data"), "store": {"vector_process": in_worker}}
    store = open_store(load_config(config), OfflineEmbedder())
    with Astrocyte(config, store=store) as brain:
        brain.sync.retain("Alice lives in Lyon.", bank_id=BANK)
        assert isinstance(store._vectors, handle)
        assert "Lyon" in brain.sync.recall("Where does Alice live?", bank_id=BANK).hits[0].text


def test_the_process_running_the_store_does_not_import_chromadb(tmp_path: Path) -> None:
    result = run_python(
        """
        import sys
        import numpy as np
        from astrocyte.stores.base import RecordFilter, VectorQuery
        from astrocyte.stores.embedded import EmbeddedStore
        with EmbeddedStore(sys.argv[1], embedder_identity="test", dimensions=3) as store:
            print(store.search_vectors("b", VectorQuery(np.ones((1, 3)), 5, RecordFilter())), "chromadb" in sys.modules)
        """,
        str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[[]]", "False"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_the_worker_exits_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    result = run_python(
        """
        import os, signal, sys
        from astrocyte.stores.chroma_process import CHROMA_PROCESS
        from astrocyte.stores.embedded import EmbeddedStore
        store = EmbeddedStore(sys.argv[1], embedder_identity="test", dimensions=3)
        print(CHROMA_PROCESS.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        str(tmp_path / "data"),
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    worker = int(result.stdout)
    deadline = time.monotonic() + 30
    while _running(worker):
        assert time.monotonic() < deadline, "Chroma's worker outlived the process that started it"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"  # a zombie waiting to be reaped has exited too
    except FileNotFoundError:
        return False
