"""Recall's knobs: filters, tags, time, as_of, budget, multi-bank strategies, list and get."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from astrocyte import Astrocyte
from astrocyte.testing import FakeClock

BANK = "tickets"


@pytest.fixture
def tickets(memory_brain: Astrocyte) -> Astrocyte:
    rows = [
        ("Printer on floor 3 is jammed again.", {"priority": 1, "status": "open"}, ["hardware"], 2021),
        ("Printer toner is empty on floor 2.", {"priority": 3, "status": "closed"}, ["hardware"], 2022),
        ("Printer driver crashes on the new laptops.", {"priority": 2, "status": "open"}, ["software"], 2023),
        ("Printer queue stuck after the update.", {"priority": 2}, ["software", "urgent"], 2024),
    ]
    for text, metadata, tags, year in rows:
        memory_brain.sync.retain(
            text, bank_id=BANK, metadata=metadata, tags=tags, occurred_at=datetime(year, 6, 1, tzinfo=UTC)
        )
    return memory_brain


def _texts(brain: Astrocyte, **kwargs: object) -> set[str]:
    return {hit.text.split()[1] for hit in brain.sync.recall("printer", bank_id=BANK, **kwargs).hits}


def test_metadata_filter_operators(tickets: Astrocyte) -> None:
    assert _texts(tickets, filter={"status": "open"}) == {"on", "driver"}
    assert _texts(tickets, filter={"status": {"$ne": "open"}}) == {"toner", "queue"}
    assert _texts(tickets, filter={"priority": {"$gte": 2}}) == {"toner", "driver", "queue"}
    assert _texts(tickets, filter={"priority": {"$lt": 2}}) == {"on"}
    assert _texts(tickets, filter={"priority": {"$in": [1, 3]}}) == {"on", "toner"}
    assert _texts(tickets, filter={"status": {"$nin": ["open"]}}) == {"toner", "queue"}
    assert _texts(tickets, filter={"priority": {"$gt": 1, "$lte": 2}}) == {"driver", "queue"}


def test_tags_must_all_be_present(tickets: Astrocyte) -> None:
    assert _texts(tickets, tags=["software"]) == {"driver", "queue"}
    assert _texts(tickets, tags=["software", "urgent"]) == {"queue"}


def test_time_range_filters_occurred_at(tickets: Astrocyte) -> None:
    window = (datetime(2022, 1, 1, tzinfo=UTC), datetime(2023, 12, 31, tzinfo=UTC))
    assert _texts(tickets, time_range=window) == {"toner", "driver"}
    assert _texts(tickets, time_range=("2024-01-01", None)) == {"queue"}


def test_as_of_time_travels_on_retained_at() -> None:
    clock = FakeClock(datetime(2025, 1, 1, tzinfo=UTC))
    with Astrocyte({"store": {"kind": "memory"}}, clock=clock) as brain:
        brain.sync.retain("The office opens at nine.", bank_id="office")
        clock.advance(days=1)
        brain.sync.retain("The office cafeteria serves soup.", bank_id="office")
        early = brain.sync.recall("office", bank_id="office", as_of=datetime(2025, 1, 1, 12, tzinfo=UTC))
        assert early.texts == ["The office opens at nine."]
        assert len(brain.sync.recall("office", bank_id="office").hits) == 2


def test_token_budget_truncates_and_reports(tickets: Astrocyte) -> None:
    full = tickets.sync.recall("printer", bank_id=BANK)
    budget = sum(len(text) // 4 + 2 for text in full.texts[:2])
    cut = tickets.sync.recall("printer", bank_id=BANK, max_tokens=budget)
    assert 1 <= len(cut.hits) < len(full.hits)
    assert cut.trace.truncated_by_budget == len(full.hits) - len(cut.hits)
    assert cut.texts == full.texts[: len(cut.hits)]


def test_max_results(tickets: Astrocyte) -> None:
    assert len(tickets.sync.recall("printer", bank_id=BANK, max_results=2).hits) == 2


@pytest.fixture
def two_banks(memory_brain: Astrocyte) -> Astrocyte:
    memory_brain.sync.retain("The team standup is at 9:30 in room Kepler.", bank_id="team")
    memory_brain.sync.retain("Dana prefers standups before 10.", bank_id="user-dana")
    memory_brain.sync.retain("The team standup is at 9:30 in room Kepler.", bank_id="user-dana")
    return memory_brain


def test_parallel_multi_bank_recall_merges_and_dedupes(two_banks: Astrocyte) -> None:
    result = two_banks.sync.recall("when is the standup", banks=["team", "user-dana"])
    assert sorted(result.texts) == sorted(
        ["The team standup is at 9:30 in room Kepler.", "Dana prefers standups before 10."]
    )
    assert result.trace.banks == ("team", "user-dana")


def test_one_bank_returns_each_memory_it_holds_even_with_the_same_words() -> None:
    with Astrocyte({"store": {"kind": "memory"}, "pipeline": {"dedup": {"enabled": False}}}) as brain:
        first = brain.sync.retain("The standup moved to 10:15.", bank_id="team").memory_ids
        second = brain.sync.retain("The standup moved to 10:15.", bank_id="team").memory_ids
        result = brain.sync.recall("when is the standup", bank_id="team")
    assert sorted(hit.record.id for hit in result.hits) == sorted(first + second)


def test_cascade_stops_once_enough_hits(two_banks: Astrocyte) -> None:
    result = two_banks.sync.recall("standup", banks=["team", "user-dana"], strategy="cascade", max_results=1)
    assert [hit.bank_id for hit in result.hits] == ["team"]
    assert result.trace.fused_candidates == 1


def test_first_match_uses_the_first_bank_with_hits(two_banks: Astrocyte) -> None:
    result = two_banks.sync.recall("standup", banks=["nobody", "user-dana", "team"], strategy="first_match")
    assert {hit.bank_id for hit in result.hits} == {"user-dana"}


def test_list_pages_and_filters(tickets: Astrocyte) -> None:
    first_page = tickets.sync.list(BANK, offset=0, limit=3)
    second_page = tickets.sync.list(BANK, offset=3, limit=3)
    assert len(first_page) == 3 and len(second_page) == 1
    assert {record.id for record in first_page}.isdisjoint(record.id for record in second_page)
    assert [record.metadata["status"] for record in tickets.sync.list(BANK, filter={"status": "open"})] == [
        "open",
        "open",
    ]


def test_banks_lists_counts(two_banks: Astrocyte) -> None:
    assert [(bank.bank_id, bank.memories) for bank in two_banks.sync.banks()] == [
        ("team", 1),
        ("user-dana", 2),
    ]
