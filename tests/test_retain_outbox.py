"""The durable retain outbox counts its entries in this process: asked before every retain and recall, `len`
runs no SQL, and it stays right through puts, acknowledgements (twice, or of unknown ids) and reopening."""

from __future__ import annotations

from pathlib import Path

from astrocyte.policy.outbox import RetainOutbox
from tests.sql_trace import traced_statements


def test_the_count_follows_puts_and_acknowledgements_without_asking_sqlite(tmp_path: Path) -> None:
    with traced_statements() as statements:
        outbox = RetainOutbox(tmp_path / "outbox.sqlite3")
        ids = [outbox.put({"content": f"write {number}"}) for number in range(3)]
        outbox.ack([ids[0], ids[0], 999])
        statements.clear()
        assert len(outbox) == 2
        assert statements == []
    outbox.ack(ids)
    assert len(outbox) == 0
    outbox.close()


def test_the_count_is_seeded_when_the_outbox_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = RetainOutbox(path)
    for number in range(4):
        outbox.put({"content": f"write {number}"})
    outbox.close()

    reopened = RetainOutbox(path)
    assert len(reopened) == 4
    assert [payload["content"] for _, payload in reopened.pending(limit=2)] == ["write 0", "write 1"]
    reopened.close()


def test_an_in_memory_outbox_counts_too() -> None:
    outbox = RetainOutbox(None)
    outbox.ack([outbox.put({"content": "x"})])
    assert len(outbox) == 0
    outbox.close()
