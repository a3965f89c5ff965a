"""The benchmark package: the dataset is deterministic and correctly labelled, the metrics add up, and a tiny run
goes end to end. Nothing here times anything; `astrocyte bench` does that."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

try:
    import astrocyte_bench  # noqa: F401
except ImportError:  # a source checkout whose install predates the benchmark package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from astrocyte.cli.app import app
from astrocyte_bench.dataset import QUESTION_KINDS, generate
from astrocyte_bench.quality import BM25, FULL, Score, evaluate, evidence_ranks
from astrocyte_bench.report import render
from astrocyte_bench.runner import BenchOptions, parse_sizes, run_bench
from astrocyte_bench.speed import measure_in_subprocess


def test_the_dataset_is_deterministic_and_the_splits_differ() -> None:
    first, again = generate("dev", 2, sessions=6), generate("dev", 2, sessions=6)
    assert first == again
    test = generate("test", 2, sessions=6)
    assert [turn.text for turn in test.conversations[0].turns] != [turn.text for turn in first.conversations[0].turns]


def test_every_question_points_at_turns_that_hold_its_answer() -> None:
    data = generate("dev", 3, sessions=12)
    for conversation in data.conversations:
        turns = {turn.id: turn for turn in conversation.turns}
        assert conversation.questions
        for question in conversation.questions:
            assert question.evidence and all(turn in turns for turn in question.evidence)
            if question.kind == "multi-hop":
                assert len(question.evidence) == 2
            spoken = " ".join(turns[turn].text for turn in question.evidence)
            answer = question.answer.split(" and ")[0]
            for article in ("a ", "an ", "my "):
                answer = answer.removeprefix(article)
            assert answer in spoken or question.kind in ("temporal", "paraphrase")
    assert {question.kind for c in data.conversations for question in c.questions} == set(QUESTION_KINDS)


def test_sessions_are_dated_in_order_and_turns_numbered() -> None:
    [conversation] = generate("test", 1, sessions=8).conversations
    dates = [session.when for session in conversation.sessions]
    assert dates == sorted(dates)
    for session in conversation.sessions:
        assert [turn.index for turn in session.turns] == list(range(1, len(session.turns) + 1))
        assert {turn.speaker for turn in session.turns} <= set(conversation.speakers)


def test_a_third_of_the_wording_is_held_out_for_the_test_split() -> None:
    held_out = "Which trail did"  # the first hiking paraphrase: test split only
    dev = generate("dev", 8)
    test = generate("test", 8)
    assert not any(q.text.startswith(held_out) for c in dev.conversations for q in c.questions)
    assert any(q.text.startswith(held_out) for c in test.conversations for q in c.questions)


def test_evidence_ranks_count_each_turn_once_at_its_best_rank() -> None:
    [conversation] = generate("dev", 1, sessions=4).conversations
    question = conversation.questions[0]
    evidence = question.evidence[0]
    assert evidence_ranks(question, ["x", "x", evidence, "y"])[0] == 2
    assert evidence_ranks(question, ["x"]) == [None] * len(question.evidence)


def test_score_arithmetic() -> None:
    score = Score()
    score.add([1])
    score.add([None])
    score.add([3, None])
    score.add([7, 2])
    assert score.recall_any == {1: 0.25, 5: 0.75, 10: 0.75}
    assert score.recall_all == 0.5
    assert score.mrr == pytest.approx((1 + 0 + 1 / 3 + 1 / 2) / 4)


def test_the_full_pipeline_beats_bm25_on_a_small_sample() -> None:
    data = generate("dev", 1, sessions=10)
    full, bm25 = evaluate(data, FULL), evaluate(data, BM25)
    assert full.overall.questions == bm25.overall.questions == data.questions
    assert full.overall.recall_any[10] > bm25.overall.recall_any[10]


def test_a_tiny_run_goes_end_to_end_and_reports_every_section() -> None:
    options = BenchOptions(conversations=1, sessions=4, sizes=(150,), queries=5, sentence_transformer=None)
    phases: set[str] = set()
    run = run_bench(options, lambda phase, done, total: phases.add(phase.split(":")[0]))
    text = render(run)
    for section in ("## Machine", "## Dataset", "## Quality", "## Speed", "## Targets", "raw chromadb"):
        assert section in text
    assert {"quality dev", "quality test", "floor", "astrocyte"} <= phases
    assert [result.side for result in run.speed] == ["floor", "astrocyte"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a spawned process inherits ru_maxrss on Linux")
def test_a_speed_side_reports_its_own_peak_memory_not_the_bench_process_that_spawned_it() -> None:
    ballast = bytearray(1024 * 2**20)
    ballast[:: 2**12] = b"x" * len(range(0, len(ballast), 2**12))  # touched, so resident
    result = measure_in_subprocess("floor", [100], queries=2)
    assert 0 < result.peak_rss_mb < 1024
    del ballast


def test_sizes_parse_and_the_command_is_registered() -> None:
    assert parse_sizes("1k, 10k,50000") == (1_000, 10_000, 50_000)
    with pytest.raises(ValueError, match="at least 100"):
        parse_sizes("10")
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0 and "--quick" in result.output
