from __future__ import annotations

from itertools import pairwise

from astrocyte._core.chunking import chunk_text
from astrocyte.config import ChunkingConfig

LONG = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(60))


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("  Alice lives in Paris.  ", ChunkingConfig()) == ["Alice lives in Paris."]


def test_sentence_chunks_pack_whole_sentences_up_to_the_limit() -> None:
    chunks = chunk_text(LONG, ChunkingConfig(strategy="sentence", max_chars=200))
    assert len(chunks) > 1
    assert all(len(chunk) <= 200 for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)
    assert " ".join(chunks) == LONG


def test_paragraph_chunks_keep_paragraphs_apart() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 30 for i in range(6))
    chunks = chunk_text(text, ChunkingConfig(strategy="paragraph", max_chars=400))
    assert all(len(chunk) <= 400 for chunk in chunks)
    assert all(chunk.startswith("Paragraph") for chunk in chunks)
    assert sum(chunk.count("Paragraph") for chunk in chunks) == 6


def test_dialogue_keeps_one_turn_a_chunk_with_continuation_lines() -> None:
    text = "Alice: I moved to Lyon\nlast spring.\nBob: Nice! How is the bakery?\n[10:02] Alice: Busy."
    assert chunk_text(text, ChunkingConfig(strategy="dialogue")) == [
        "Alice: I moved to Lyon last spring.",
        "Bob: Nice! How is the bakery?",
        "[10:02] Alice: Busy.",
    ]


def test_fixed_windows_overlap_and_cover_everything() -> None:
    chunks = chunk_text(LONG, ChunkingConfig(strategy="fixed", max_chars=120, overlap_chars=30))
    assert all(len(chunk) <= 120 for chunk in chunks)
    for left, right in pairwise(chunks):
        assert left[-15:].split()[-1] in right
    assert "topic 59." in chunks[-1]


def test_an_overlong_sentence_is_cut_rather_than_kept_whole() -> None:
    sentence = "word " * 200
    chunks = chunk_text(sentence, ChunkingConfig(strategy="sentence", max_chars=100))
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert sum(chunk.count("word") for chunk in chunks) == 200
