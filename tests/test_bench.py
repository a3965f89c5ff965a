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
from astrocyte_bench.locomo import LocomoFormatError, load_locomo
from astrocyte_bench.quality import BM25, FULL, Score, evaluate, evidence_ranks
from astrocyte_bench.report import render
from astrocyte_bench.runner import BenchOptions, parse_sizes, run_bench
from astrocyte_bench.speed import measure_in_subprocess

LOCOMO_FORMAT = Path(__file__).parent / "fixtures" / "locomo_format.json"
"""A few hand-written turns in the shape of LoCoMo's data/locomo10.json, which this project does not ship."""


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


@pytest.mark.slow
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


def test_a_locomo_file_reads_as_dated_sessions_with_typed_questions_and_turn_evidence() -> None:
    dataset, notes = load_locomo(LOCOMO_FORMAT)
    [conversation] = dataset.conversations
    assert dataset.split == "locomo" and conversation.id == "fixture-1" and conversation.speakers == ("Rosa", "Dev")
    assert [(s.index, s.when.isoformat()) for s in conversation.sessions] == [
        (1, "2023-05-08T13:56:00+00:00"),
        (2, "2023-06-02T10:04:00+00:00"),
    ]
    assert conversation.turns[2].text.endswith("(shared a photo: a grey dog lying on a blue sofa)")
    kinds = {q.text: (q.kind, q.evidence) for q in conversation.questions}
    assert kinds["What is the name of Rosa's dog?"] == ("single-hop", ("fixture-1:D1:3",))
    assert kinds["When did Dev run a half marathon?"] == ("temporal", ("fixture-1:D2:1",))
    assert kinds["Which breed is the pet Rosa mentions in June?"] == ("multi-hop", ("fixture-1:D1:1", "fixture-1:D2:2"))
    assert kinds["What might Rosa's dog enjoy doing?"] == ("paraphrase", ("fixture-1:D2:2",))
    assert conversation.questions[1].answer == "2023"
    assert len(notes) == 2 and any("adversarial" in note for note in notes)
    assert any("names no turn" in note for note in notes)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("not json", "cannot read it as JSON"),
        ('{"sample_id": "x"}', "JSON list of samples"),
        ('[{"sample_id": "c", "conversation": {"speaker_a": "A"}, "qa": []}]', "c: 'speaker_b'"),
        (
            '[{"sample_id": "c", "conversation": {"speaker_a": "A", "speaker_b": "B", "session_1": [], '
            '"session_1_date_time": "yesterday"}, "qa": []}]',
            "'yesterday' is not like",
        ),
    ],
)
def test_a_file_not_in_locomo_format_is_refused_naming_what_is_wrong(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "locomo.json"
    path.write_text(content)
    with pytest.raises(LocomoFormatError, match=named):
        load_locomo(path)


@pytest.mark.slow
def test_a_run_with_locomo_scores_it_like_a_split_without_holding_it_to_the_synthetic_target() -> None:
    options = BenchOptions(conversations=1, sessions=4, speed=False, sentence_transformer=None, locomo=LOCOMO_FORMAT)
    run = run_bench(options)
    locomo = {scores.method.name: scores for scores in run.quality if scores.split == "locomo"}
    assert set(locomo) == {"bm25", "semantic", "equal fusion", "full"}
    assert locomo["full"].overall.questions == 4 and locomo["full"].overall.recall_any[10] == 1.0
    text = render(run)
    assert "### locomo split" in text and "| locomo | 1 | 2 | 5 | 4 |" in text
    assert "LoCoMo: 1 question(s) left out: adversarial" in text
    assert not any(target.startswith("| locomo") for target in text.split("## Targets")[1].splitlines())


def test_the_bench_command_refuses_locomo_without_the_quality_half_or_in_another_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "--only", "speed", "--locomo", str(LOCOMO_FORMAT)])
    assert result.exit_code != 0 and "quality half" in result.output
    wrong = tmp_path / "wrong.json"
    wrong.write_text("[]")
    result = CliRunner().invoke(app, ["bench", "--only", "quality", "--conversations", "1", "--locomo", str(wrong)])
    assert result.exit_code != 0 and "JSON list of samples" in result.output
