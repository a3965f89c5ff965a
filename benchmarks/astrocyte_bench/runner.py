"""One benchmark run, as `astrocyte bench` makes it: quality on both splits (and on LoCoMo's file when given),
then speed, into a BenchRun.

run = run_bench(BenchOptions(quick=True), report=lambda phase, done, total: ...)
Path("BENCHMARKS-run.md").write_text(render(run))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from astrocyte_bench.dataset import SPLITS, Dataset, generate
from astrocyte_bench.locomo import load_locomo
from astrocyte_bench.quality import (
    ABLATIONS,
    BM25,
    FULL,
    OFFLINE_METHODS,
    SEMANTIC,
    SENTENCE_TRANSFORMER,
    Method,
    evaluate,
    sentence_transformer_methods,
    sentence_transformers_available,
)
from astrocyte_bench.report import BenchRun, load_average, machine
from astrocyte_bench.speed import QUERIES, measure_in_subprocess

Report = Callable[[str, int, int], None]
FULL_SIZES = (1_000, 10_000, 50_000)
SCALE_CONVERSATIONS = 3
SCALE_PADDING = 10_000
QUICK_SIZES = (1_000, 5_000)


@dataclass(frozen=True)
class BenchOptions:
    quick: bool = False
    sizes: tuple[int, ...] | None = None
    conversations: int | None = None
    """Per split; default 10 (2 in quick mode)."""
    sessions: int = 24
    """Sessions per conversation (about 25 turns each)."""
    queries: int | None = None
    """Recalls timed at each size; default 200 (100 in quick mode)."""
    quality: bool = True
    speed: bool = True
    sentence_transformer: str | None = SENTENCE_TRANSFORMER
    """A sentence-transformers model to add to the quality report when the package is installed; None: skip."""
    ablations: bool | None = None
    """The full pipeline minus one part at a time, on the test split; default: on unless quick."""
    scale_padding: int | None = None
    """Quality at scale: the first `SCALE_CONVERSATIONS` test conversations, each in a bank padded with this many
    turns of other conversations; default 10,000 (off in quick mode)."""
    locomo: Path | None = None
    """LoCoMo's `locomo10.json`, fetched by the user: the held-out public benchmark, scored like the splits."""
    command: str = "astrocyte bench"

    @property
    def speed_sizes(self) -> tuple[int, ...]:
        return tuple(sorted(self.sizes or (QUICK_SIZES if self.quick else FULL_SIZES)))

    @property
    def conversations_per_split(self) -> int:
        return self.conversations or (2 if self.quick else 10)


def run_bench(options: BenchOptions, report: Report | None = None) -> BenchRun:
    report = report or (lambda phase, done, total: None)
    started = time.perf_counter()
    run = BenchRun(options.command, datetime.now(UTC).isoformat(timespec="seconds"), machine())
    if options.quality:
        _quality(options, run, report)
        _at_scale(options, run, report)
    if options.speed:
        queries = options.queries or (QUERIES // 2 if options.quick else QUERIES)
        for side in ("floor", "astrocyte"):
            run.speed.append(measure_in_subprocess(side, options.speed_sizes, report, queries=queries))
    run.elapsed_s = time.perf_counter() - started
    run.load_after = load_average()
    return run


def _quality(options: BenchOptions, run: BenchRun, report: Report) -> None:
    run.datasets = [generate(split, options.conversations_per_split, sessions=options.sessions) for split in SPLITS]
    if options.locomo is not None:
        locomo, left_out = load_locomo(options.locomo)
        run.datasets.append(locomo)
        run.notes += left_out
    methods: list[Method] = list(OFFLINE_METHODS)
    if options.sentence_transformer:
        missing = sentence_transformers_available()
        if missing:
            run.notes.append(f"sentence-transformers rows skipped: {missing}")
        else:
            methods += sentence_transformer_methods(options.sentence_transformer)
    for dataset in run.datasets:
        ablations = dataset.split == "test" and (
            options.ablations if options.ablations is not None else not options.quick
        )
        for method in [*methods, *(ABLATIONS if ablations else ())]:
            phase = f"quality {dataset.split}: {method.name}"
            try:
                run.quality.append(evaluate(dataset, method, _counter(report, phase, dataset.questions)))
            except Exception as exc:  # a model that cannot load (no network for its first download) skips its rows
                if method in OFFLINE_METHODS or method in ABLATIONS:
                    raise
                run.notes.append(f"{method.name} skipped on {dataset.split}: {type(exc).__name__}: {exc}")


def _at_scale(options: BenchOptions, run: BenchRun, report: Report) -> None:
    padding = options.scale_padding if options.scale_padding is not None else (0 if options.quick else SCALE_PADDING)
    test = next((dataset for dataset in run.datasets if dataset.split == "test"), None)
    if not padding or test is None:
        return
    sample = Dataset(test.split, test.conversations[:SCALE_CONVERSATIONS])
    for method in (BM25, SEMANTIC, FULL):
        phase = f"quality at scale: {method.name}"
        run.quality.append(evaluate(sample, method, _counter(report, phase, sample.questions), padding=padding))


def _counter(report: Report, phase: str, total: int) -> Callable[[int], None]:
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        report(phase, done, total)

    return progress


def parse_sizes(text: str) -> tuple[int, ...]:
    """'1k,10k,50000' -> (1000, 10000, 50000)."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        multiplier = 1000 if part.endswith("k") else 1
        sizes.append(int(float(part.rstrip("k")) * multiplier))
    if not sizes or any(size < 100 for size in sizes):
        raise ValueError("sizes must be at least 100 memories each, e.g. 1k,10k,50k")
    return tuple(sorted(set(sizes)))
