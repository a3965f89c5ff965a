"""The Markdown report of one benchmark run: the machine, the command, the quality and speed tables, the targets.

print(render(run))      # run: a BenchRun filled in by `astrocyte bench`
"""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from astrocyte_bench.dataset import QUESTION_KINDS, SPLITS, Dataset
from astrocyte_bench.quality import ABLATIONS, CUTOFFS, Score, Scores
from astrocyte_bench.speed import BATCH, CANDIDATES, SINGLES, TOP_K, SizeResult, SpeedResult

QUALITY_MARGIN = 0.10
P50_SMALL_MS, P50_LARGE_MS, FLOOR_RATIO = 5.0, 10.0, 2.0
BATCHED_PER_S, BATCHED_SHARE = 1000.0, 0.70


@dataclass
class BenchRun:
    command: str
    started: str
    machine: dict[str, str]
    datasets: list[Dataset] = field(default_factory=list)
    quality: list[Scores] = field(default_factory=list)
    speed: list[SpeedResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    load_after: str = ""


class Target(NamedTuple):
    name: str
    measured: str
    met: bool


def machine() -> dict[str, str]:
    return {
        "cpu": _cpu_model(),
        "cores (nproc)": str(os.cpu_count()),
        "memory": _memory(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "chromadb": _version("chromadb"),
        "sqlite": sqlite3.sqlite_version,
        "load average at start (1/5/15 min)": load_average(),
    }


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def render(run: BenchRun) -> str:
    lines = [
        "# Astrocyte benchmark run",
        "",
        f"Started {run.started}; took {run.elapsed_s:.0f} s. Command:",
        "",
        f"    {run.command}",
        "",
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in run.machine.items()],
        f"- load average at the end: {run.load_after}",
        "",
    ]
    if run.datasets:
        lines += _datasets(run.datasets)
    if run.quality:
        lines += _quality(run.quality)
    if run.speed:
        lines += _speed(run.speed)
    lines += _targets(targets(run))
    if run.notes:
        lines += ["## Notes", "", *[f"- {note}" for note in run.notes], ""]
    return "\n".join(lines)


def targets(run: BenchRun) -> list[Target]:
    found: list[Target] = []
    for split in dict.fromkeys(scores.split for scores in run.quality if scores.split in SPLITS):
        by_method = {s.method.name: s for s in run.quality if s.split == split and not s.padding}
        if "full" in by_method and "bm25" in by_method:
            full, bm25 = by_method["full"].overall.recall_any[10], by_method["bm25"].overall.recall_any[10]
            found.append(
                Target(
                    f"{split}: full pipeline recall_any@10 >= BM25 + {QUALITY_MARGIN:.2f}",
                    f"{full:.3f} vs {bm25:.3f} ({full - bm25:+.3f})",
                    full - bm25 >= QUALITY_MARGIN - 1e-9,
                )
            )
    sides = {result.side: result for result in run.speed}
    if "astrocyte" in sides and "floor" in sides:
        ours, floor = sides["astrocyte"].sizes, {size.size: size for size in sides["floor"].sizes}
        smallest, largest = ours[0], ours[-1]
        found.append(
            Target(
                f"recall p50 <= {P50_SMALL_MS:g} ms at {smallest.size:,}",
                f"{smallest.p50:.2f} ms",
                smallest.p50 <= P50_SMALL_MS,
            )
        )
        if largest.size >= 50_000:
            found.append(
                Target(
                    f"recall p50 <= {P50_LARGE_MS:g} ms at {largest.size:,}",
                    f"{largest.p50:.2f} ms",
                    largest.p50 <= P50_LARGE_MS,
                )
            )
        for size in ours:
            base = floor[size.size]
            found.append(
                Target(
                    f"recall p50 <= {FLOOR_RATIO:g}x floor at {size.size:,}",
                    f"{size.p50:.2f} / {base.p50:.2f} ms = {size.p50 / base.p50:.2f}x",
                    size.p50 <= FLOOR_RATIO * base.p50,
                )
            )
        chroma = floor[largest.size].parts["chromadb"]
        found += [
            Target(
                f"retain batched >= {BATCHED_PER_S:,.0f}/s at {largest.size:,}",
                f"{largest.batched_per_s:,.0f}/s",
                largest.batched_per_s >= BATCHED_PER_S,
            ),
            Target(
                f"retain batched >= {BATCHED_SHARE:.0%} of raw chromadb at {largest.size:,}",
                f"{largest.batched_per_s:,.0f} / {chroma['batched_per_s']:,.0f} = "
                f"{largest.batched_per_s / chroma['batched_per_s']:.0%}",
                largest.batched_per_s >= BATCHED_SHARE * chroma["batched_per_s"],
            ),
        ]
        for size in ours:
            raw = floor[size.size].parts["chromadb"]["single_per_s"]
            found.append(
                Target(
                    f"retain one by one >= raw chromadb one by one at {size.size:,}",
                    f"{size.single_per_s:,.0f}/s vs {raw:,.0f}/s",
                    size.single_per_s >= raw,
                )
            )
    return found


def _datasets(datasets: Sequence[Dataset]) -> list[str]:
    lines = [
        "## Dataset",
        "",
        "| split | conversations | sessions | turns | questions | " + " | ".join(QUESTION_KINDS) + " |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(QUESTION_KINDS),
    ]
    for dataset in datasets:
        kinds = [sum(q.kind == kind for c in dataset.conversations for q in c.questions) for kind in QUESTION_KINDS]
        sessions = sum(len(c.sessions) for c in dataset.conversations)
        lines.append(
            f"| {dataset.split} | {len(dataset.conversations)} | {sessions} | {dataset.turns:,} | "
            f"{dataset.questions:,} | " + " | ".join(str(count) for count in kinds) + " |"
        )
    return [*lines, ""]


def _quality(every_score: Sequence[Scores]) -> list[str]:
    lines = ["## Quality", ""]
    all_scores = [scores for scores in every_score if not scores.padding]
    methods = {s.method.name: s.method.description for s in all_scores if s.method not in ABLATIONS}
    lines += [f"- **{name}**: {description}" for name, description in methods.items()]
    lines.append("")
    header = " | ".join(f"any@{cutoff}" for cutoff in CUTOFFS)
    for split in dict.fromkeys(scores.split for scores in all_scores):
        lines += [
            f"### {split} split",
            "",
            f"| method | questions | {header} | all@10 | MRR |",
            "|---|---|" + "---:|" * (len(CUTOFFS) + 2),
        ]
        for scores in (s for s in all_scores if s.split == split and s.method not in ABLATIONS):
            lines.append(_score_row(f"**{scores.method.name}**", "all", scores.overall))
            for kind in QUESTION_KINDS:
                lines.append(_score_row("", kind, scores.by_kind[kind]))
        lines.append("")
        lines += _ablations([s for s in all_scores if s.split == split], split)
    return lines + _at_scale([scores for scores in every_score if scores.padding])


def _at_scale(scores: Sequence[Scores]) -> list[str]:
    if not scores:
        return []
    padding, questions = scores[0].padding, scores[0].overall.questions
    kinds = " | ".join(QUESTION_KINDS)
    lines = [
        f"### At scale ({scores[0].split} split, {questions} questions)",
        "",
        f"Each conversation's bank also holds {padding:,} turns of other conversations between other people, as a "
        "long-lived agent's memory would.",
        "",
        f"| method | any@1 | any@5 | any@10 | all@10 | MRR | {kinds} (any@10) |",
        "|---|" + "---:|" * (5 + len(QUESTION_KINDS)),
    ]
    for score in scores:
        overall = score.overall
        cells = [f"{overall.recall_any[c]:.3f}" for c in CUTOFFS] + [f"{overall.recall_all:.3f}", f"{overall.mrr:.3f}"]
        cells += [f"{score.by_kind[kind].recall_any[10]:.3f}" for kind in QUESTION_KINDS]
        lines.append(f"| **{score.method.name}** | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _ablations(scores: Sequence[Scores], split: str) -> list[str]:
    """What each part contributes: recall_any@10 of the full pipeline with that part taken away."""
    full = next((s for s in scores if s.method.name == "full"), None)
    taken = [s for s in scores if s.method in ABLATIONS]
    if full is None or not taken:
        return []
    kinds = " | ".join(QUESTION_KINDS)
    lines = [
        f"#### What each part contributes ({split} split, recall_any@10)",
        "",
        f"| pipeline | what is taken away | all | change | {kinds} |",
        "|---|---|---:|---:|" + "---:|" * len(QUESTION_KINDS),
        _ablation_row(full, full),
    ]
    lines += [_ablation_row(s, full) for s in taken]
    return [*lines, ""]


def _ablation_row(scores: Scores, full: Scores) -> str:
    overall = scores.overall.recall_any[10]
    change = "" if scores is full else f"{overall - full.overall.recall_any[10]:+.3f}"
    taken = "nothing" if scores is full else scores.method.description
    kinds = " | ".join(f"{scores.by_kind[kind].recall_any[10]:.3f}" for kind in QUESTION_KINDS)
    return f"| {scores.method.name} | {taken} | {overall:.3f} | {change} | {kinds} |"


def _score_row(method: str, kind: str, score: Score) -> str:
    cells = [f"{score.recall_any[cutoff]:.3f}" for cutoff in CUTOFFS] + [f"{score.recall_all:.3f}", f"{score.mrr:.3f}"]
    return f"| {method} | {kind} ({score.questions}) | " + " | ".join(cells) + " |"


def _speed(results: Sequence[SpeedResult]) -> list[str]:
    sides = {result.side: result for result in results}
    queries = results[0].queries
    lines = [
        "## Speed",
        "",
        f"Retain rates are memories per second while the bank grows to the size (batched, `retain_many` of "
        f"{BATCH:,}) and for {SINGLES} single `retain` calls at that size; recall latency is over {queries} "
        f"questions at that size, `max_results={TOP_K}`. Floor: chromadb given precomputed vectors plus SQLite "
        f"FTS5 given precomputed terms ({CANDIDATES} candidates from each); raw chromadb is its vector half alone.",
        "",
        "| memories | side | retain batched /s | retain one by one /s | recall p50 ms | recall p95 ms |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    ours = {size.size: size for size in sides["astrocyte"].sizes} if "astrocyte" in sides else {}
    floor = {size.size: size for size in sides["floor"].sizes} if "floor" in sides else {}
    for size in sorted(set(ours) | set(floor)):
        if size in ours:
            lines.append(_speed_row(size, "Astrocyte (embedded default)", ours[size]))
        if size in floor:
            lines.append(_speed_row(size, "floor: chromadb + FTS5", floor[size]))
            chroma = floor[size].parts.get("chromadb")
            if chroma:
                lines.append(
                    f"| {size:,} | raw chromadb | {chroma['batched_per_s']:,.0f} | {chroma['single_per_s']:,.0f} | "
                    f"{chroma['p50']:.2f} | {chroma['p95']:.2f} |"
                )
        if size in ours and size in floor:
            mine, base = ours[size], floor[size]
            lines.append(
                f"| {size:,} | **ratio Astrocyte / floor** | {mine.batched_per_s / base.batched_per_s:.2f} | "
                f"{mine.single_per_s / base.single_per_s:.2f} | {mine.p50 / base.p50:.2f} | "
                f"{mine.p95 / base.p95:.2f} |"
            )
    shares = [
        f"{size:,}: {ours[size].parts['waiting for chromadb'].get('batched_share', 0):.0%} of batched retain time, "
        f"{ours[size].parts['waiting for chromadb'].get('single_share', 0):.0%} of one-by-one"
        for size in sorted(ours)
        if ours[size].parts.get("waiting for chromadb")
    ]
    if shares:
        lines += [
            "",
            "Time Astrocyte's retain spends waiting for chromadb to apply vector writes (its worker process applies "
            "a batch while the next one is prepared; the rest is the pipeline, SQLite and policy):",
        ]
        lines += [f"- {share}" for share in shares]
    lines += ["", "Peak RSS (each side in its own process; Astrocyte's adds that of its chromadb worker):", ""]
    lines += [f"- {result.side}: {result.peak_rss_mb:,.0f} MB" for result in results]
    return [*lines, ""]


def _speed_row(size: int, side: str, result: SizeResult) -> str:
    return (
        f"| {size:,} | {side} | {result.batched_per_s:,.0f} | {result.single_per_s:,.0f} | "
        f"{result.p50:.2f} | {result.p95:.2f} |"
    )


def _targets(found: Sequence[Target]) -> list[str]:
    if not found:
        return []
    lines = ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target.name} | {target.measured} | {'yes' if target.met else '**no**'} |" for target in found]
    return [*lines, ""]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"
