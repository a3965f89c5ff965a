"""`astrocyte bench`: the quality and speed benchmark, run on this machine, written as Markdown.

Registered with the core CLI through the `astrocyte.commands` entry point, so the core never imports the
benchmarks.

astrocyte bench --quick                          # small sizes, about a minute
astrocyte bench --out BENCHMARKS-run.md          # quality on both splits, speed at 1k / 10k / 50k memories
astrocyte bench --sizes 1k,10k --only speed
astrocyte bench --only quality --locomo locomo10.json   # also LoCoMo's public conversations (not shipped)
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from astrocyte_bench.locomo import LocomoFormatError
from astrocyte_bench.report import render
from astrocyte_bench.runner import BenchOptions, parse_sizes, run_bench

console = Console()


def bench(
    quick: Annotated[bool, typer.Option(help="Small sizes (2 conversations a split; 1k and 5k memories).")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the Markdown report here.")] = None,
    sizes: Annotated[str | None, typer.Option(help="Bank sizes for the speed report, e.g. 1k,10k,50k.")] = None,
    conversations: Annotated[int | None, typer.Option(min=1, help="Conversations per split (default 10).")] = None,
    only: Annotated[Literal["quality", "speed"] | None, typer.Option(help="Run one half only.")] = None,
    model: Annotated[
        str | None,
        typer.Option(help="sentence-transformers model for extra quality rows, when the package is installed."),
    ] = "sentence-transformers/all-MiniLM-L6-v2",
    locomo: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="LoCoMo's data/locomo10.json: quality on it too."),
    ] = None,
) -> None:
    """Measure recall quality (synthetic conversations) and speed (retain and recall against the raw engines)."""
    try:
        parsed_sizes = parse_sizes(sizes) if sizes else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sizes") from None
    if locomo is not None and only == "speed":
        raise typer.BadParameter("LoCoMo is scored by the quality half; drop --only speed", param_hint="--locomo")
    options = BenchOptions(
        quick=quick,
        sizes=parsed_sizes,
        conversations=conversations,
        quality=only != "speed",
        speed=only != "quality",
        sentence_transformer=model,
        locomo=locomo,
        command=" ".join(["astrocyte", *map(shlex.quote, sys.argv[1:])]),
    )
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        tasks: dict[str, int] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done, total=total)

        try:
            run = run_bench(options, report)
        except LocomoFormatError as exc:
            raise typer.BadParameter(str(exc), param_hint="--locomo") from None
    text = render(run)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"report written to {out}")
    console.print(Markdown(text))
