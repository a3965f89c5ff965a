"""What a retain and a recall ask of SQLite once the store is warm: one lookup of the fingerprint, one
transaction for the write, the searches and one clear of the vector outbox; nothing per call that a count kept
in memory, a table known to exist or a pragma set once answers."""

from __future__ import annotations

from pathlib import Path

from astrocyte import Astrocyte
from tests.sql_trace import traced_statements

AVOIDABLE = ("count(*)", "CREATE VIRTUAL TABLE", "PRAGMA", "MAX(seq)")


def test_a_retain_and_a_recall_run_only_the_statements_they_need(tmp_path: Path) -> None:
    with traced_statements() as ran, Astrocyte({"data_dir": str(tmp_path), "store": {"vector_batch": 1}}) as brain:
        brain.sync.retain("A first memory, so that the bank and its tables exist.", bank_id="notes")
        brain.sync.recall("first", bank_id="notes")
        ran.clear()
        brain.sync.retain("Alice moved to Lyon in 2021.", bank_id="notes")
        retained = [sql for _, sql in ran]
        ran.clear()
        brain.sync.recall("Where does Alice live?", bank_id="notes")
        recalled = [sql for _, sql in ran]

    for sql in retained + recalled:
        assert not any(avoidable in sql for avoidable in AVOIDABLE), sql
    assert [sql.split()[0] for sql in retained if not sql.startswith("INSERT")] == [
        "SELECT",
        "BEGIN",
        "SELECT",
        "COMMIT",
    ]
    assert "r.fingerprint IN" in retained[0] and "vector_outbox" in retained[-2]
    assert [sql.split()[0] for sql in recalled].count("DELETE") == 1  # the outbox cleared of the applied vector
