"""The speed report: retain throughput and recall latency of the embedded default, next to its floor.

    astrocyte = measure("astrocyte", sizes=(1_000, 10_000, 50_000))
    floor = measure("floor", sizes=(1_000, 10_000, 50_000))

One bank grows through each size in `sizes`. Growing to a size is timed as batched retain (`retain_many` of
`BATCH` turns); at each size `SINGLES` more turns are retained one call each, then `QUERIES` questions are
recalled and their latency percentiles taken. The floor does the same operations on what the embedded store
is built from, with nothing around it: a chromadb persistent collection given precomputed vectors, and an
SQLite FTS5 table (WAL, synchronous=FULL, as the store) given precomputed terms; its two parts are timed
separately, so raw chromadb alone is reported too. Each side runs in its own process, so its peak RSS is its own.

The turns and questions are those of the synthetic conversations (`dataset.generate`), so texts, metadata and
dates look like what an agent retains; the floor embeds nothing in its timed sections, Astrocyte embeds every
turn and query with the offline embedder.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any, Literal

import numpy as np

from astrocyte_bench.dataset import generate

Side = Literal["astrocyte", "floor"]
BATCH = 1000
SINGLES = 100
QUERIES = 200
TOP_K = 10
CANDIDATES = 40
"""How many hits the floor asks each index for: what the pipeline asks each strategy for."""
Report = Callable[[str, int, int], None]


@dataclass
class SizeResult:
    size: int
    batched_per_s: float
    single_per_s: float
    recall_ms: list[float] = field(default_factory=list)
    """Astrocyte: latency of each recall; floor: chromadb + FTS5 latency of each query."""
    parts: dict[str, dict[str, float]] = field(default_factory=dict)
    """Floor only: the chromadb and FTS5 parts of each rate and latency."""

    @property
    def p50(self) -> float:
        return _percentile(self.recall_ms, 50)

    @property
    def p95(self) -> float:
        return _percentile(self.recall_ms, 95)


@dataclass
class SpeedResult:
    side: Side
    sizes: list[SizeResult]
    peak_rss_mb: float
    queries: int = QUERIES


@dataclass(frozen=True)
class _Turn:
    text: str
    speaker: str
    session: str
    turn: str
    occurred_at: Any


def corpus(count: int) -> tuple[list[_Turn], list[str]]:
    """`count` turns of synthetic conversations (their own seed, apart from the quality splits) and their
    questions, deterministic."""
    turns: list[_Turn] = []
    questions: list[str] = []
    number = 0
    while len(turns) < count:
        [conversation] = generate("dev", 1, seed=1000 + number).conversations
        number += 1
        for session in conversation.sessions:
            for turn in session.turns:
                session_id = f"{conversation.id}-{number}:s{session.index:02d}"
                turns.append(_Turn(turn.text, turn.speaker, session_id, f"{number}:{turn.id}", session.when))
        questions += [question.text for question in conversation.questions]
    return turns[:count], questions


def measure(side: Side, sizes: Sequence[int], report: Report | None = None, *, queries: int = QUERIES) -> SpeedResult:
    """Grow one bank through `sizes` on `side` and time it; `report(phase, done, total)` follows progress."""
    report = report or (lambda phase, done, total: None)
    needed = max(sizes) + SINGLES * len(sizes) + BATCH
    turns, questions = corpus(needed)
    asked = [questions[(index * 7919) % len(questions)] for index in range(queries)]
    with tempfile.TemporaryDirectory(prefix=f"astrocyte-bench-{side}-") as scratch:
        runner = _AstrocyteSide(Path(scratch)) if side == "astrocyte" else _FloorSide(Path(scratch), turns, asked)
        try:
            results = _grow(runner, turns, asked, sizes, report)
        finally:
            runner.close()
    return SpeedResult(side, results, round(_peak_rss_mb(), 1), queries)


def measure_in_subprocess(
    side: Side, sizes: Sequence[int], report: Report | None = None, *, queries: int = QUERIES
) -> SpeedResult:
    """`measure` in a fresh process (so peak RSS and caches are the side's own), relaying its progress."""
    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    child = context.Process(target=_measure_child, args=(side, list(sizes), queries, events), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, payload = events.get(timeout=0.5)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the {side} speed run stopped (exit code {child.exitcode})") from None
                continue
            if kind == "progress" and report:
                report(*payload)
            elif kind == "error":
                raise RuntimeError(f"the {side} speed run failed: {payload}")
            elif kind == "result":
                return payload
    finally:
        child.join(timeout=10)


def _measure_child(side: Side, sizes: list[int], queries: int, events: Any) -> None:
    try:
        result = measure(side, sizes, lambda *progress: events.put(("progress", progress)), queries=queries)
    except Exception as exc:
        events.put(("error", f"{type(exc).__name__}: {exc}"))
        raise
    events.put(("result", result))


def _grow(
    runner: _AstrocyteSide | _FloorSide,
    turns: list[_Turn],
    asked: list[str],
    sizes: Sequence[int],
    report: Report,
) -> list[SizeResult]:
    results = []
    position = 0
    held = 0
    for size in sorted(sizes):
        phase = f"{runner.name}: retain to {size:,}"
        started, timed = held, 0.0
        while held < size:
            batch = turns[position : position + min(BATCH, size - held)]
            timed += runner.retain_batch(batch)
            position += len(batch)
            held += len(batch)
            report(phase, held - started, size - started)
        timed += runner.settle()
        batched = (held - started) / timed
        singles = turns[position : position + SINGLES]
        single_time = 0.0
        for done, turn in enumerate(singles, start=1):
            single_time += runner.retain_one(turn)
            report(f"{runner.name}: one by one at {size:,}", done, len(singles))
        single_time += runner.settle()
        position += len(singles)
        held += len(singles)
        runner.warm_up(asked[:5])
        latencies = []
        for done, question in enumerate(asked, start=1):
            latencies.append(runner.recall(question))
            report(f"{runner.name}: recall at {size:,}", done, len(asked))
        result = SizeResult(size, batched, len(singles) / single_time, latencies)
        result.parts = runner.parts(len(singles))
        results.append(result)
    return results


class _AstrocyteSide:
    name = "astrocyte"

    def __init__(self, path: Path) -> None:
        from astrocyte import Astrocyte
        from astrocyte.config import load_config
        from astrocyte.models.offline_embedder import OfflineEmbedder
        from astrocyte.stores.embedded import EmbeddedStore

        config = load_config({"data_dir": str(path / "data"), "lifecycle": {"audit": False}})
        embedder = OfflineEmbedder()
        # Opened here rather than by Astrocyte, so that its flush and its time waiting for Chroma can be read.
        self._store = EmbeddedStore.from_config(
            config.data_dir, config.store, embedder_identity=embedder.identity, dimensions=embedder.dimensions
        )
        self._brain = Astrocyte(config, store=self._store, embedder=embedder)
        self._loop = asyncio.new_event_loop()
        self._time = {"batched": 0.0, "single": 0.0}
        self._chroma = {"batched": 0.0, "single": 0.0}

    def retain_batch(self, turns: list[_Turn]) -> float:
        items = [_item(turn) for turn in turns]
        return self._timed("batched", lambda: self._loop.run_until_complete(self._brain.retain_many(items, "bench")))

    def retain_one(self, turn: _Turn) -> float:
        item = _item(turn)
        return self._timed("single", lambda: self._loop.run_until_complete(self._brain.retain(bank_id="bench", **item)))

    def settle(self) -> float:
        """Time to apply vector writes the store still holds back in its outbox, so they are paid for here."""
        mode = "single" if self._time["single"] else "batched"
        return self._timed(mode, self._store.flush)

    def _timed(self, mode: str, operation: Callable[[], object]) -> float:
        waited = self._store.vector_wait_s
        started = time.perf_counter()
        operation()
        took = time.perf_counter() - started
        self._time[mode] += took
        self._chroma[mode] += self._store.vector_wait_s - waited
        return took

    def warm_up(self, questions: list[str]) -> None:
        for question in questions:
            self.recall(question)

    def recall(self, question: str) -> float:
        started = time.perf_counter()
        self._loop.run_until_complete(self._brain.recall(question, bank_id="bench", max_results=TOP_K))
        return (time.perf_counter() - started) * 1000

    def parts(self, singles: int) -> dict[str, dict[str, float]]:
        """The share of retain time spent waiting for Chroma to apply the vector outbox."""
        shares = {f"{mode}_share": self._chroma[mode] / self._time[mode] for mode in self._time if self._time[mode]}
        self._time = {"batched": 0.0, "single": 0.0}
        self._chroma = {"batched": 0.0, "single": 0.0}
        return {"waiting for chromadb": shares}

    def close(self) -> None:
        self._brain.close()
        self._loop.close()


def _item(turn: _Turn) -> dict[str, Any]:
    return {
        "content": turn.text,
        "metadata": {"speaker": turn.speaker, "session": turn.session, "turn": turn.turn},
        "occurred_at": turn.occurred_at,
    }


class _FloorSide:
    """chromadb + SQLite FTS5 with precomputed vectors and terms: the cost of the engines alone."""

    name = "floor"

    def __init__(self, path: Path, turns: list[_Turn], questions: list[str]) -> None:
        import chromadb
        from chromadb.config import Settings

        from astrocyte.models.offline_embedder import OfflineEmbedder
        from astrocyte.text import index_terms

        embedder = OfflineEmbedder()
        self._vectors = {
            turn.turn: vector
            for turn, vector in zip(turns, asyncio.run(embedder.embed([t.text for t in turns])), strict=True)
        }
        self._terms = {turn.turn: " ".join(_hex(term) for term in index_terms(turn.text)) for turn in turns}
        self._queries = {
            question: (vector, " OR ".join(f'"{_hex(term)}"' for term in dict.fromkeys(index_terms(question))))
            for question, vector in zip(questions, asyncio.run(embedder.embed(questions)), strict=True)
        }
        self._client = chromadb.PersistentClient(
            path=str(path / "chroma"), settings=Settings(anonymized_telemetry=False)
        )
        self._collection = self._client.get_or_create_collection(
            "bench", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        self._db = sqlite3.connect(path / "keywords.sqlite3", isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute("CREATE VIRTUAL TABLE keywords USING fts5(terms)")
        self._rowid = 0
        self._time = {"chroma_batched": 0.0, "fts_batched": 0.0, "chroma_single": 0.0, "fts_single": 0.0}
        self._count = {"batched": 0, "single": 0}
        self._recall: dict[str, list[float]] = {"chroma": [], "fts": []}

    def retain_batch(self, turns: list[_Turn]) -> float:
        return self._insert(turns, "batched")

    def retain_one(self, turn: _Turn) -> float:
        return self._insert([turn], "single")

    def _insert(self, turns: list[_Turn], mode: str) -> float:
        ids = [turn.turn for turn in turns]
        vectors = np.stack([self._vectors[memory_id] for memory_id in ids])
        started = time.perf_counter()
        self._collection.add(ids=ids, embeddings=vectors)
        chroma = time.perf_counter() - started
        started = time.perf_counter()
        self._db.execute("BEGIN IMMEDIATE")
        rows = [(self._rowid + offset, self._terms[memory_id]) for offset, memory_id in enumerate(ids, start=1)]
        self._db.executemany("INSERT INTO keywords (rowid, terms) VALUES (?, ?)", rows)
        self._db.execute("COMMIT")
        fts = time.perf_counter() - started
        self._rowid += len(ids)
        self._time[f"chroma_{mode}"] += chroma
        self._time[f"fts_{mode}"] += fts
        self._count[mode] += len(ids)
        return chroma + fts

    def settle(self) -> float:
        return 0.0

    def warm_up(self, questions: list[str]) -> None:
        for question in questions:
            self.recall(question)
        self._recall = {"chroma": [], "fts": []}

    def recall(self, question: str) -> float:
        vector, match = self._queries[question]
        started = time.perf_counter()
        self._collection.query(query_embeddings=vector[None, :], n_results=CANDIDATES, include=["distances"])
        chroma = time.perf_counter() - started
        started = time.perf_counter()
        self._db.execute(
            "SELECT rowid, -bm25(keywords) AS score FROM keywords WHERE keywords MATCH ? ORDER BY score DESC LIMIT ?",
            (match, CANDIDATES),
        ).fetchall()
        fts = time.perf_counter() - started
        self._recall["chroma"].append(chroma * 1000)
        self._recall["fts"].append(fts * 1000)
        return (chroma + fts) * 1000

    def parts(self, singles: int) -> dict[str, dict[str, float]]:
        parts = {
            name: {
                "batched_per_s": self._count["batched"] / self._time[f"{key}_batched"],
                "single_per_s": self._count["single"] / self._time[f"{key}_single"],
                "p50": _percentile(self._recall[key], 50),
                "p95": _percentile(self._recall[key], 95),
            }
            for name, key in (("chromadb", "chroma"), ("fts5", "fts"))
        }
        self._time = dict.fromkeys(self._time, 0.0)
        self._count = {"batched": 0, "single": 0}
        return parts

    def close(self) -> None:
        self._db.close()
        self._client.close()


def _peak_rss_mb() -> float:
    """The peak resident memory of this process plus that of each process it started and still runs (Chroma's
    worker). On Linux from VmHWM, since ru_maxrss carries the parent's peak over into a process it spawns, and
    the speed runs are spawned by a bench that may have grown large before them."""
    try:
        return sum(_vm_hwm_mb(process) for process in ["self", *_children()])
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, kilobytes elsewhere


def _vm_hwm_mb(process: str) -> float:
    with open(f"/proc/{process}/status") as status:
        return int(next(line.split()[1] for line in status if line.startswith("VmHWM:"))) / 1024


def _children() -> list[str]:
    return [child for task in Path("/proc/self/task").iterdir() for child in (task / "children").read_text().split()]


def _hex(term: str) -> str:
    return term.encode().hex()


def _percentile(values: Sequence[float], percent: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
