"""Cutting content into the pieces that are embedded, indexed and recalled one by one.

    chunk_text("Alice: hi\\nBob: hello", ChunkingConfig(strategy="dialogue"))   # ['Alice: hi', 'Bob: hello']

`sentence` and `paragraph` pack whole sentences or paragraphs up to `max_chars`; `dialogue` keeps one speaker
turn a chunk; `fixed` cuts windows of `max_chars` sharing `overlap_chars`. A piece too long for its strategy
falls back to the next finer one, so no chunk exceeds `max_chars` unless a single word does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from astrocyte.config import ChunkingConfig
from astrocyte.text import split_sentences

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SPEAKER = re.compile(r"^\s*(?:\[[^\]]{1,40}\]\s*)?[\w][\w .'’-]{0,40}:\s")


def chunk_text(text: str, config: ChunkingConfig) -> list[str]:
    text = text.strip()
    if config.strategy == "dialogue":
        return [piece for turn in _turns(text) for piece in _sentences(turn, config.max_chars)]
    if len(text) <= config.max_chars:
        return [text]
    if config.strategy == "fixed":
        return _windows(text, config.max_chars, config.overlap_chars)
    if config.strategy == "paragraph":
        paragraphs = (part.strip() for part in _PARAGRAPH_BREAK.split(text))
        return _pack(
            (piece for para in paragraphs if para for piece in _sentences(para, config.max_chars)),
            config.max_chars,
            "\n\n",
        )
    return _sentences(text, config.max_chars)


def _sentences(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    pieces = (
        piece
        for sentence in split_sentences(text)
        for piece in ([sentence] if len(sentence) <= max_chars else _windows(sentence, max_chars, 0))
    )
    return _pack(pieces, max_chars, " ")


def _turns(text: str) -> list[str]:
    turns: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if _SPEAKER.match(line) or not turns:
            turns.append([line.strip()])
        else:
            turns[-1].append(line.strip())
    return [" ".join(lines) for lines in turns]


def _pack(pieces: Iterable[str], max_chars: int, joiner: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(joiner) + len(piece) > max_chars:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}{joiner}{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def _windows(text: str, max_chars: int, overlap: int) -> list[str]:
    overlap = min(overlap, max_chars // 2)
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + max_chars, len(text))
        if end < len(text):
            space = text.rfind(" ", start + max_chars // 2, end)
            end = space if space > start else end
        chunks.append(text[start:end].strip())
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return [chunk for chunk in chunks if chunk]
