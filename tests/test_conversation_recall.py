"""Conversation memory: what a turn is indexed with (speaker, preceding turns, dates), the rerank cues, dedup of
repeated words, and the knobs that control each. Every knob is shown on and off."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from astrocyte import Astrocyte
from astrocyte._core.context import Threads, index_terms_of
from astrocyte._core.dates import DateSpan, asks_when, date_terms, resolve
from astrocyte._core.entities import heuristic_entities
from astrocyte._core.rerank import Candidate, Cues, rerank
from astrocyte.config import ContextConfig
from astrocyte.text import fingerprint, index_terms
from astrocyte.types import MemoryRecord

BANK = "chat"
WEDNESDAY = datetime(2023, 5, 10, 15, tzinfo=UTC)
KEYWORD_ONLY = {"weights": {"semantic": 0.0, "keyword": 1.0, "entity": 0.0}, "rerank": {"enabled": False}}


def _brain(pipeline: Mapping[str, Any] | None = None, **config: Any) -> Astrocyte:
    return Astrocyte({"store": {"kind": "memory"}, "pipeline": dict(pipeline or {}), **config})


def _say(brain: Astrocyte, *turns: tuple[str, str], session: str = "s1", when: datetime = WEDNESDAY) -> None:
    brain.sync.retain_many(
        [
            {
                "content": text,
                "metadata": {"speaker": speaker, "session": session, "turn": f"{session}-{i}"},
                "occurred_at": when,
            }
            for i, (speaker, text) in enumerate(turns)
        ],
        BANK,
    )


def _turns(brain: Astrocyte, query: str, **kwargs: Any) -> list[str]:
    return [str(hit.record.metadata["turn"]) for hit in brain.sync.recall(query, bank_id=BANK, **kwargs).hits]


FILLER = ["Nice weather today.", "Work was busy.", "The bus was late.", "Lunch was good.", "I need coffee."]


def _hikes(context: Mapping[str, Any]) -> Astrocyte:
    """Tom names Maya while telling of his own hike; Maya tells of hers in the first person."""
    brain = _brain({"recall": KEYWORD_ONLY, "context": {"neighbours": 0, **context}})
    brain.sync.retain_many(FILLER, BANK)
    _say(brain, ("Tom", "Maya, guess what, I went hiking at Cedar Falls."), ("Maya", "I went hiking at Eagle Ridge."))
    return brain


# -- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We went hiking last Saturday.", [DateSpan(date(2023, 5, 6), date(2023, 5, 6))]),
        ("yesterday", [DateSpan(date(2023, 5, 9), date(2023, 5, 9))]),
        ("two weeks ago", [DateSpan(date(2023, 4, 24), date(2023, 4, 30))]),
        ("a couple of days ago", [DateSpan(date(2023, 5, 8), date(2023, 5, 8))]),
        ("last weekend", [DateSpan(date(2023, 5, 6), date(2023, 5, 7))]),
        ("next month", [DateSpan(date(2023, 6, 1), date(2023, 6, 30))]),
        ("in two weeks", [DateSpan(date(2023, 5, 22), date(2023, 5, 28))]),
        ("on Friday", [DateSpan(date(2023, 5, 5), date(2023, 5, 5)), DateSpan(date(2023, 5, 12), date(2023, 5, 12))]),
        ("on 14 May 2022", [DateSpan(date(2022, 5, 14), date(2022, 5, 14))]),
        ("May 14th, 2022", [DateSpan(date(2022, 5, 14), date(2022, 5, 14))]),
        ("In March", [DateSpan(date(2023, 3, 1), date(2023, 3, 31))]),
        ("in 2021", [DateSpan(date(2021, 1, 1), date(2021, 12, 31))]),
        ("on 2023-01-02", [DateSpan(date(2023, 1, 2), date(2023, 1, 2))]),
        ("May I come in? I ran 5 miles.", []),
    ],
)
def test_dates_are_resolved_against_when_they_were_said(text: str, expected: list[DateSpan]) -> None:
    assert resolve(text, WEDNESDAY) == expected


def test_date_terms_name_months_and_short_spans_day_by_day() -> None:
    assert date_terms([DateSpan(date(2023, 5, 6), date(2023, 5, 7))]) == ["@2023-05", "@2023-05-06", "@2023-05-07"]
    assert date_terms([DateSpan(date(2023, 4, 1), date(2023, 5, 31))]) == ["@2023-04", "@2023-05"]
    assert asks_when("When did Maya move?") and asks_when("What year was it?") and not asks_when("Where is Maya?")


# -- what a turn is indexed with (pipeline.context)


def test_a_turn_is_indexed_with_its_speaker_preceding_turns_and_dates() -> None:
    threads = Threads()
    config = ContextConfig()
    index_terms_of(config, threads, BANK, "How did the pottery class go?", {"session": "s1"}, WEDNESDAY)
    terms, context = index_terms_of(
        config, threads, BANK, "Loved it, made a mug yesterday", {"speaker": "Maya", "session": "s1"}, WEDNESDAY
    )
    assert "maya" in terms and "mug" in terms
    assert {"potteri", "class"} <= set(context)
    assert {"@2023-05-09", "@2023-05-10"} <= set(context)
    _, elsewhere = index_terms_of(config, threads, BANK, "Hi", {"session": "s2"}, WEDNESDAY)
    assert "potteri" not in elsewhere


@pytest.mark.parametrize(("speaker_keys", "first"), [(["speaker"], "s1-1"), ([], "s1-0")])
def test_speaker_keys_find_what_someone_said_in_the_first_person(speaker_keys: list[str], first: str) -> None:
    with _hikes({"speaker_keys": speaker_keys}) as brain:
        assert _turns(brain, "Where did Maya go hiking?")[0] == first


@pytest.mark.parametrize(("neighbours", "found"), [(1, True), (0, False)])
def test_neighbours_give_an_answer_the_topic_of_the_question_before_it(neighbours: int, found: bool) -> None:
    with _brain({"recall": KEYWORD_ONLY, "context": {"neighbours": neighbours}}) as brain:
        _say(brain, ("Tom", "How did the pottery class go?"), ("Maya", "Loved it, I made a lopsided mug!"))
        _say(brain, ("Tom", "Any plans?"), ("Maya", "Not really."), session="s2")
        assert ("s1-1" in _turns(brain, "pottery class")) is found
        assert "s2-1" not in _turns(brain, "pottery class")


def test_thread_keys_name_the_metadata_that_groups_turns() -> None:
    with _brain({"recall": KEYWORD_ONLY, "context": {"thread_keys": ["channel"]}}) as brain:
        brain.sync.retain("How did the pottery class go?", bank_id=BANK, metadata={"channel": "c1", "turn": "a"})
        brain.sync.retain("Loved it!", bank_id=BANK, metadata={"channel": "c1", "turn": "b"})
        brain.sync.retain("Loved it, really.", bank_id=BANK, metadata={"session": "c1", "turn": "c"})
        assert _turns(brain, "pottery class") == ["a", "b"]


@pytest.mark.parametrize(("dates", "first"), [(True, "s2-0"), (False, "s1-0")])
def test_dates_index_the_day_a_relative_date_names(dates: bool, first: str) -> None:
    with _brain({"recall": KEYWORD_ONLY, "context": {"dates": dates}}) as brain:
        brain.sync.retain_many(FILLER, BANK)
        _say(brain, ("Maya", "We went hiking in the hills."))
        _say(brain, ("Maya", "We went hiking last Saturday."), session="s2")
        assert _turns(brain, "hiking on 6 May 2023")[0] == first


@pytest.mark.parametrize(("query_dates", "first"), [(True, "s2-0"), (False, "s1-0")])
def test_query_dates_search_the_dates_a_question_names(query_dates: bool, first: str) -> None:
    with _brain({"recall": {**KEYWORD_ONLY, "query_dates": query_dates}}) as brain:
        brain.sync.retain_many(FILLER, BANK)
        _say(brain, ("Maya", "Last Saturday was lovely."), when=datetime(2023, 1, 11, tzinfo=UTC))
        _say(brain, ("Maya", "Last Saturday was lovely."), session="s2")
        assert _turns(brain, "lovely in May 2023")[0] == first


@pytest.mark.parametrize(("weight", "found"), [(1.0, True), (0.0, False)])
def test_context_weight_zero_searches_a_memory_s_own_words_only(weight: float, found: bool) -> None:
    with _brain({"recall": {**KEYWORD_ONLY, "context_weight": weight}}) as brain:
        _say(brain, ("Tom", "How did the pottery class go?"), ("Maya", "Loved it!"))
        assert ("s1-1" in _turns(brain, "pottery")) is found


@pytest.mark.parametrize(("limit", "kept"), [(2, False), (None, True)])
def test_max_term_rows_leaves_out_terms_most_memories_hold(limit: int | None, kept: bool) -> None:
    with _brain({"recall": {**KEYWORD_ONLY, "max_term_rows": limit}}) as brain:
        brain.sync.retain_many(["coffee with Ana", "coffee with Ben", "coffee with Cy", "tea with Ana"], BANK)
        texts = brain.sync.recall("coffee with Ana", bank_id=BANK).texts
        assert ("coffee with Ben" in texts) is kept
        assert texts[0] == "coffee with Ana"


# -- rerank cues


def _record(text: str, memory_id: str, speaker: str | None = None, when: datetime = WEDNESDAY) -> MemoryRecord:
    return MemoryRecord(
        id=memory_id,
        bank_id=BANK,
        text=text,
        metadata={"speaker": speaker} if speaker else {},
        occurred_at=when,
        retained_at=when,
        updated_at=when,
        document_id=memory_id,
    )


def test_the_speaker_cue_lifts_what_the_named_person_said() -> None:
    tom = Candidate(_record("I went hiking", "tom", "Tom"), fused=0.9, ranks={})
    maya = Candidate(_record("I went hiking", "maya", "Maya"), fused=0.8, ranks={})
    cues = Cues(names=frozenset({"where", "did", "maya", "go"}), speaker_keys=("speaker",), speaker_weight=0.5)
    assert [c.record.id for c, _ in rerank([tom, maya], frozenset(), 0.0, cues)] == ["maya", "tom"]
    off = Cues(names=cues.names, speaker_keys=("speaker",), speaker_weight=0.0)
    assert [c.record.id for c, _ in rerank([tom, maya], frozenset(), 0.0, off)] == ["tom", "maya"]


def test_the_time_cue_lifts_memories_in_the_asked_time_or_naming_one() -> None:
    may = Candidate(_record("We went last Saturday", "may"), fused=0.7, ranks={})
    january = Candidate(_record("We went", "january", when=datetime(2023, 1, 10, tzinfo=UTC)), fused=0.9, ranks={})
    asked = Cues(dates=(DateSpan(date(2023, 5, 1), date(2023, 5, 31)),), time_weight=0.5)
    assert _first(rerank([january, may], frozenset(), 0.0, asked)) == "may"
    assert _first(rerank([january, may], frozenset(), 0.0, Cues(asks_when=True, time_weight=0.5))) == "may"
    assert _first(rerank([january, may], frozenset(), 0.0, Cues(asks_when=True))) == "january"
    assert all(0 <= score <= 1 for _, score in rerank([january, may], frozenset({"went"}), 0.3, asked))


def _first(ranked: list[tuple[Candidate, float]]) -> str:
    return ranked[0][0].record.id


# -- dedup and merge


def test_the_same_words_with_other_metadata_are_another_memory() -> None:
    with _brain() as brain:
        _say(brain, ("Maya", "Haha I love that."), ("Tom", "Haha I love that."))
        again = brain.sync.retain_many(
            [{"content": "haha  I love that.", "metadata": {"speaker": "Maya", "session": "s1", "turn": "s1-0"}}], BANK
        )
        assert again[0].memory_ids == () and again[0].deduplicated_ids
        assert len(brain.sync.list(BANK)) == 2
        assert len(brain.sync.recall("love that", bank_id=BANK).hits) == 2


@pytest.mark.parametrize(("match", "stored"), [("text", 2), ("vector", 1)])
def test_dedup_match_vector_also_catches_near_identical_wording(match: str, stored: int) -> None:
    with _brain({"dedup": {"match": match}}) as brain:
        brain.sync.retain("Alice lives in Lyon.", bank_id=BANK)
        brain.sync.retain("Alice lives in Lyon!!", bank_id=BANK)
        assert len(brain.sync.list(BANK)) == stored


def test_fingerprints_ignore_case_and_spacing_but_not_metadata() -> None:
    assert fingerprint("Alice  lives in Lyon", {}) == fingerprint("alice lives in lyon", {})
    assert fingerprint("Alice lives in Lyon", {"a": 1}) != fingerprint("Alice lives in Lyon", {})


def test_irregular_verbs_meet_their_base_form_and_interjections_are_not_names() -> None:
    assert index_terms("I went hiking and bought a bike") == index_terms("go hiking and buy a bike")
    assert heuristic_entities("Haha I love that. I'm in.") == ()


def test_an_imported_bank_is_indexed_like_a_retained_one(tmp_path: Path) -> None:
    with _hikes({}) as brain:
        brain.sync.export_bank(BANK, tmp_path / "chat.jsonl")
    with _brain({"recall": KEYWORD_ONLY, "context": {"neighbours": 0}}) as other:
        other.sync.import_bank(tmp_path / "chat.jsonl")
        assert _turns(other, "Where did Maya go hiking?")[0] == "s1-1"
