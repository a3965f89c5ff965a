"""The core promise, offline: retain, recall, reflect, forget, upsert, persistence."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from astrocyte import Astrocyte, Context, HookCall
from tests.conftest import PEOPLE

BANK = "people"


@pytest.fixture
def people(brain: Astrocyte) -> Astrocyte:
    for text in PEOPLE:
        brain.sync.retain(text, bank_id=BANK)
    return brain


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who plays the cello?", "Bob Okafor"),
        ("Where does Alice live?", "Alice Moreau"),
        ("Which scientist studies octopuses?", "Carol Tanaka"),
    ],
)
def test_recall_puts_the_right_fact_first(people: Astrocyte, question: str, expected: str) -> None:
    result = people.sync.recall(question, bank_id=BANK)
    assert result.hits[0].text.startswith(expected)
    assert all(0.0 <= hit.score <= 1.0 for hit in result.hits)
    assert [hit.score for hit in result.hits] == sorted((hit.score for hit in result.hits), reverse=True)


def test_recall_trace_names_strategies_counts_and_timings(people: Astrocyte) -> None:
    result = people.sync.recall("Where does Alice live?", bank_id=BANK)
    assert set(result.trace.strategies) == {"semantic", "keyword", "entity"}
    assert result.trace.strategies["semantic"] == 3
    assert result.trace.fused_candidates == 3
    stages = {timing.stage for timing in result.trace.timings}
    assert {
        "analyse",
        "people:semantic",
        "people:keyword",
        "people:fusion",
        "people:rerank",
        "budget",
    } <= stages
    assert result.hits[0].strategies["keyword"] == 1


def test_reflect_cites_the_fact_offline(people: Astrocyte) -> None:
    result = people.sync.reflect("What does Carol study?", bank_id=BANK)
    assert result.mode == "extractive"
    assert result.answer.startswith("Extractive answer (no LLM configured):")
    assert "octopus" in result.answer
    assert "[1]" in result.answer
    assert result.citations[0].text.startswith("Carol Tanaka")


def test_reflect_with_a_chat_model_numbers_citations(data_dir: Path) -> None:
    with Astrocyte({"data_dir": str(data_dir), "llm": {"provider": "offline"}}) as brain:
        for text in PEOPLE:
            brain.sync.retain(text, bank_id=BANK)
        result = brain.sync.reflect("Who plays the cello?", bank_id=BANK)
    assert result.mode == "llm"
    assert "cello" in result.answer
    assert result.citations[0].text.startswith("Bob Okafor")


def test_reflect_with_no_memories_says_so(brain: Astrocyte) -> None:
    result = brain.sync.reflect("Anything?", bank_id="empty")
    assert result.citations == () and "No memories" in result.answer


def test_forget_removes_the_fact(people: Astrocyte) -> None:
    bob = people.sync.recall("cello", bank_id=BANK).hits[0]
    forgotten = people.sync.forget(BANK, memory_ids=[bob.id])
    assert forgotten.deleted_ids == (bob.id,)
    assert people.sync.get(BANK, memory_id=bob.id) is None
    assert all("cello" not in text for text in people.sync.recall("Who plays the cello?", bank_id=BANK).texts)
    assert people.sync.forget(BANK, memory_ids=[bob.id]).deleted == 0


def test_forget_by_tags_before_and_all(brain: Astrocyte) -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    brain.sync.retain("Old note about the roadmap.", bank_id=BANK, tags=["notes"], occurred_at=old)
    brain.sync.retain("New note about the launch.", bank_id=BANK, tags=["notes"])
    brain.sync.retain("A task to finish.", bank_id=BANK, tags=["tasks"])
    assert brain.sync.forget(BANK, tags=["notes"], before=old + timedelta(days=1)).deleted == 1
    assert brain.sync.forget(BANK, tags=["tasks"]).deleted == 1
    assert brain.sync.forget(BANK, all=True).deleted == 1
    assert brain.sync.banks() == []


def test_upsert_by_key_replaces_never_duplicates(brain: Astrocyte) -> None:
    first = brain.sync.retain("Bob lives in Berlin.", bank_id=BANK, key="bob-home", value={"city": "Berlin"})
    second = brain.sync.retain("Bob moved to Lisbon.", bank_id=BANK, key="bob-home", value={"city": "Lisbon"})
    assert second.memory_ids == first.memory_ids
    assert second.replaced_ids == first.memory_ids
    records = brain.sync.list(BANK)
    assert len(records) == 1
    record = brain.sync.get(BANK, key="bob-home")
    assert record is not None and record.text == "Bob moved to Lisbon."
    assert record.value == {"city": "Lisbon"}
    assert record.retained_at <= record.updated_at
    assert brain.sync.recall("Berlin", bank_id=BANK).hits[0].text == "Bob moved to Lisbon."


def test_same_key_twice_in_one_batch_keeps_the_last(brain: Astrocyte) -> None:
    results = brain.sync.retain_many(
        [{"content": "v1 of the plan", "key": "plan"}, {"content": "v2 of the plan", "key": "plan"}], BANK
    )
    assert results[0].memory_ids == results[1].memory_ids
    assert [record.text for record in brain.sync.list(BANK)] == ["v2 of the plan"]


def test_value_json_document_round_trips_unchanged(brain: Astrocyte) -> None:
    value = {"nested": {"list": [1, 2.5, "three", None, True]}, "unicode": "héllo ✓", "empty": {}}
    brain.sync.retain("Profile of Dana", bank_id=BANK, key="dana", value=value)
    assert brain.sync.get(BANK, key="dana").value == value


def test_dedup_skips_a_repeated_fact(brain: Astrocyte) -> None:
    first = brain.sync.retain("Alice lives in Lyon.", bank_id=BANK)
    again = brain.sync.retain("Alice lives in Lyon.", bank_id=BANK)
    assert again.memory_ids == ()
    assert again.deduplicated_ids == first.memory_ids
    assert len(brain.sync.list(BANK)) == 1
    other = brain.sync.retain("Alice lives in Lyon.", bank_id="elsewhere")
    assert other.memory_ids


def test_long_content_is_chunked_and_each_chunk_recalled(brain: Astrocyte) -> None:
    paragraphs = [f"Chapter {i}: the expedition reached waypoint {i} near river {i * 7}." for i in range(80)]
    result = brain.sync.retain(" ".join(paragraphs), bank_id="journal")
    assert len(result.memory_ids) > 1
    records = brain.sync.list("journal", limit=1000)
    assert {record.document_id for record in records} == {records[0].document_id}
    assert [record.chunk_index for record in records] == list(range(len(records)))
    hit = brain.sync.recall("waypoint 42", bank_id="journal").hits[0]
    assert "waypoint 42 " in hit.text


def test_persistence_in_a_second_process(data_dir: Path) -> None:
    with Astrocyte(data_dir=data_dir) as brain:
        brain.sync.retain("The vault code is kept by Erin.", bank_id=BANK, key="vault")
    script = (
        "import json, sys\n"
        "from astrocyte import Astrocyte\n"
        "with Astrocyte(data_dir=sys.argv[1]) as brain:\n"
        "    hits = brain.sync.recall('Who keeps the vault code?', bank_id='people').hits\n"
        "    print(json.dumps([hit.text for hit in hits]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(data_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["The vault code is kept by Erin."]


def test_a_second_process_fails_fast_while_the_first_holds_the_data_dir(data_dir: Path) -> None:
    script = (
        "import sys\n"
        "from astrocyte import Astrocyte, DataDirLocked\n"
        "try:\n"
        "    Astrocyte(data_dir=sys.argv[1])\n"
        "except DataDirLocked as exc:\n"
        "    print('LOCKED', exc)\n"
    )
    with Astrocyte(data_dir=data_dir) as brain:
        brain.sync.retain("Written by the first process.", bank_id=BANK)
        done = subprocess.run(
            [sys.executable, "-c", script, str(data_dir)], capture_output=True, text=True, timeout=120
        )
        assert done.stdout.startswith("LOCKED"), done.stderr
        assert str(data_dir) in done.stdout
        brain.sync.retain("Still writing after the refusal.", bank_id=BANK)
    with Astrocyte(data_dir=data_dir) as brain:
        assert len(brain.sync.list(BANK)) == 2


def test_hooks_see_results_and_context(brain: Astrocyte) -> None:
    seen: list[HookCall] = []

    async def on_recall(call: HookCall) -> None:
        seen.append(call)

    def broken(call: HookCall) -> None:
        raise RuntimeError("hook bug")

    brain.register_hook("on_retain", seen.append)
    brain.register_hook("on_retain", broken)
    brain.register_hook("on_recall", on_recall)
    brain.register_hook("on_forget", seen.append)
    who = Context(principal="agent:scribe")
    retained = brain.sync.retain("Hooks are called.", bank_id=BANK, context=who)
    brain.sync.recall("hooks", bank_id=BANK, context={"principal": "user:ann"})
    brain.sync.forget(BANK, all=True)
    assert [call.event for call in seen] == ["on_retain", "on_recall", "on_forget"]
    assert seen[0].result == retained and seen[0].context == who
    assert seen[1].context == Context(principal="user:ann")
    assert brain.sync.get(BANK, memory_id=retained.memory_ids[0]) is None


def test_context_principal_becomes_the_source(brain: Astrocyte) -> None:
    result = brain.sync.retain("Signed by the scribe.", bank_id=BANK, context=Context(principal="agent:scribe"))
    assert brain.sync.get(BANK, memory_id=result.memory_ids[0]).source == "agent:scribe"


def test_scoped_memory_binds_bank_and_caller(brain: Astrocyte) -> None:
    seen: list[HookCall] = []
    brain.register_hook("on_retain", seen.append)
    brain.sync.retain("Team lunch is on Friday.", bank_id="team")
    ann = brain.scoped("user-ann", context=Context(principal="user:ann"), banks=["user-ann", "team"])
    ann.sync.retain("Ann is vegetarian.", key="diet")
    assert seen[-1].context == Context(principal="user:ann")
    assert {hit.bank_id for hit in ann.sync.recall("lunch vegetarian").hits} == {"user-ann", "team"}
    assert ann.sync.get(key="diet").text == "Ann is vegetarian."
    assert [record.text for record in ann.sync.list()] == ["Ann is vegetarian."]
    assert "vegetarian" in ann.sync.reflect("What does Ann eat?").answer
    assert ann.sync.forget(keys=["diet"]).deleted == 1


def test_two_brains_on_one_data_dir_in_one_process_share_it_each_with_its_own_policy(data_dir: Path) -> None:
    from astrocyte import ConfigError

    guarded = {"data_dir": str(data_dir), "policy": {"pii": {"enabled": True, "action": "redact"}}}
    with Astrocyte(data_dir=data_dir) as crew, Astrocyte(guarded) as graph:
        crew.sync.retain("The vault code is kept by Erin.", bank_id=BANK)
        graph.sync.retain("Write to erin@example.com about the vault.", bank_id=BANK)
        assert graph.sync.recall("Who keeps the vault code?", bank_id=BANK).hits[0].text.endswith("by Erin.")
        assert {record.text for record in crew.sync.list(BANK)} == {
            "The vault code is kept by Erin.",
            "Write to [REDACTED:EMAIL] about the vault.",
        }
        with pytest.raises(ConfigError, match="same store and embedder sections"):
            Astrocyte({"data_dir": str(data_dir), "store": {"vector_batch": 7}})
        crew.close()
        graph.sync.retain("Still open for the graph.", bank_id=BANK)
    script = (
        "import sys\nfrom astrocyte import Astrocyte\nprint(len(Astrocyte(data_dir=sys.argv[1]).sync.list('people')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(data_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "3", done.stderr
