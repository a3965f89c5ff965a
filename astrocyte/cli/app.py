"""The `astrocyte` command line.

astrocyte demo
astrocyte retain "Alice lives in Paris" --bank people --key alice-home --meta city=Paris
astrocyte recall "Where does Alice live?" --bank people --trace
astrocyte export people people.jsonl
"""

from __future__ import annotations

import tempfile
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from astrocyte.api import Astrocyte
from astrocyte.cli.cards import cards_app
from astrocyte.cli.demo import run_demo
from astrocyte.cli.mip import mip_app
from astrocyte.cli.options import GLOBAL, global_config, parse_metadata
from astrocyte.cli.render import banks_table, hits_table, print_reflection, records_table, trace_table
from astrocyte.cli.tutorials import tutorials_app
from astrocyte.errors import AstrocyteError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Governed long-term memory for AI agents.")
lifecycle_app = typer.Typer(no_args_is_help=True, help="Retention: TTL expiry and legal holds.")
app.add_typer(mip_app, name="mip", help="Memory Intent Protocol: lint and explain routing rules.")
app.add_typer(lifecycle_app, name="lifecycle")
app.add_typer(cards_app, name="cards")
app.add_typer(tutorials_app, name="tutorials")
for command in entry_points(group="astrocyte.commands"):
    app.command(command.name)(command.load())
console = Console()

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", envvar="ASTROCYTE_CONFIG", help="YAML config file.")
]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="Overrides the config's data_dir.")]
BankOption = Annotated[str, typer.Option("--bank", "-b", help="Bank id.")]


@app.callback()
def _global(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    GLOBAL.update(config=config, data_dir=data_dir)


def _brain() -> Astrocyte:
    return Astrocyte(global_config())


@app.command()
def demo(
    data_dir: Annotated[Path | None, typer.Option(help="Keep the demo's memories here (default: a temp dir).")] = None,
) -> None:
    """Retain, recall, reflect and forget on the embedded default, offline, and print what happened."""
    if data_dir is not None:
        run_demo(console, data_dir)
        return
    with tempfile.TemporaryDirectory(prefix="astrocyte-demo-") as scratch:
        run_demo(console, Path(scratch))


@app.command()
def retain(
    text: str,
    bank: BankOption,
    key: Annotated[str | None, typer.Option(help="Upsert key: same bank + key replaces.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag (repeatable).")] = None,
    meta: Annotated[list[str] | None, typer.Option(help="Metadata as key=value (repeatable).")] = None,
) -> None:
    """Remember TEXT in a bank."""
    with _brain() as brain:
        result = brain.sync.retain(text, bank_id=bank, key=key, tags=tag, metadata=parse_metadata(meta or [], "--meta"))
    stored = ", ".join(memory_id for memory_id in result.memory_ids) or "nothing new"
    console.print(f"retained in {result.bank_id}: {stored}")
    if result.deduplicated_ids:
        console.print(f"[dim]duplicate of {', '.join(i for i in result.deduplicated_ids)}; not stored again[/dim]")


@app.command()
def recall(
    query: str,
    bank: Annotated[list[str], typer.Option("--bank", "-b", help="Bank id (repeat for several).")],
    max_results: Annotated[int, typer.Option(help="How many hits.")] = 10,
    tag: Annotated[list[str] | None, typer.Option(help="Only memories with this tag (repeatable).")] = None,
    trace: Annotated[bool, typer.Option(help="Show strategy counts and stage timings.")] = False,
) -> None:
    """The memories most relevant to QUERY."""
    with _brain() as brain:
        result = brain.sync.recall(query, banks=bank, max_results=max_results, tags=tag)
    console.print(hits_table(result))
    if trace:
        console.print(trace_table(result))


@app.command()
def reflect(
    query: str, bank: Annotated[list[str], typer.Option("--bank", "-b", help="Bank id (repeat for several).")]
) -> None:
    """Answer QUERY from memory, with citations."""
    with _brain() as brain:
        print_reflection(console, brain.sync.reflect(query, banks=bank))


@app.command()
def forget(
    bank: BankOption,
    memory_id: Annotated[list[str] | None, typer.Option("--id", help="Memory id (repeatable).")] = None,
    key: Annotated[list[str] | None, typer.Option(help="Key (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag the memories must carry (repeatable).")] = None,
    all: Annotated[bool, typer.Option("--all", help="Forget the whole bank.")] = False,
) -> None:
    """Delete memories of a bank."""
    with _brain() as brain:
        result = brain.sync.forget(bank, memory_ids=memory_id, keys=key, tags=tag, all=all)
    console.print(f"forgot {result.deleted} memories in {result.bank_id}")


@app.command("list")
def list_(
    bank: BankOption,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
) -> None:
    """Show a bank's memories, oldest first, with their full ids (for forget --id)."""
    with _brain() as brain:
        console.print(records_table(brain.sync.list(bank, offset=offset, limit=limit), title=f"{bank}"))


@app.command()
def banks() -> None:
    """List banks and how many memories each holds."""
    with _brain() as brain:
        console.print(banks_table(brain.sync.banks()))


@app.command("export")
def export_(bank: str, path: Path) -> None:
    """Write BANK to PATH as JSON Lines."""
    with _brain() as brain, Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"exporting {bank}", total=None)
        count = brain.sync.export_bank(
            bank, path, lambda done, total: progress.update(task, completed=done, total=total)
        )
    console.print(f"exported {count} memories from {bank} to {path}")


@app.command("import")
def import_(
    path: Path,
    bank: Annotated[str | None, typer.Option("--bank", "-b", help="Import into this bank.")] = None,
) -> None:
    """Load a JSON Lines export from PATH."""
    with _brain() as brain, Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"importing {path.name}", total=None)
        count = brain.sync.import_bank(
            path,
            bank_id=bank,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(f"imported {count} memories from {path}")


@lifecycle_app.command("run")
def lifecycle_run() -> None:
    """Expire memories past their TTL now (banks under legal hold are kept)."""
    with _brain() as brain:
        report = brain.sync.run_lifecycle()
    for bank_id, count in sorted(report.expired.items()):
        console.print(f"expired {count} memories in {bank_id}")
    for bank_id in report.held:
        console.print(f"kept {bank_id}: under legal hold")
    if not report.expired and not report.held:
        console.print("nothing to expire")


def main() -> None:
    try:
        app()
    except AstrocyteError as exc:
        console.print(f"[red]{type(exc).__name__}:[/red] {exc}")
        raise SystemExit(2) from None
