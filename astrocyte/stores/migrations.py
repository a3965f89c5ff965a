"""Schema migrations: an ordered list of numbered steps, and the number of the last one a database has taken.

    MIGRATIONS = (Migration(1, "records and their indexes", create_records), Migration(2, "tags", index_tags))
    for step in pending(MIGRATIONS, recorded=0, database="data/records.sqlite3"):
        step.apply(connection)
    # then record MIGRATIONS[-1].version, in the same transaction as the steps

A store keeps the number where it can read and write it with its data (SQLite: `PRAGMA user_version`; a server
database: a one-row table) and applies what `pending` returns in one transaction on open, so a database is
always at one version. Steps are never edited once released: a change to the schema is a new step at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

from astrocyte.errors import ConfigError

Connection = TypeVar("Connection")


class Migration(NamedTuple, Generic[Connection]):
    version: int
    summary: str
    apply: Callable[[Connection], None]


def pending(
    migrations: Sequence[Migration[Connection]], recorded: int, *, database: str
) -> list[Migration[Connection]]:
    """The steps after version `recorded`, in order; refuses a database written by a newer Astrocyte."""
    known = migrations[-1].version if migrations else 0
    if recorded > known:
        raise ConfigError(
            f"{database} is at schema version {recorded}, but this Astrocyte knows versions up to {known}: it was "
            "written by a newer Astrocyte; upgrade astrocyte to open it, or point data_dir elsewhere"
        )
    return [step for step in migrations if step.version > recorded]
