"""Extractive answers: the sentences of some passages that best answer a question, with the passage they came from.

    best_sentences("Where does Alice live?", [("1", "Alice lives in Paris. She sings.")])
    # [Quote(label='1', sentence='Alice lives in Paris.', overlap=2)]

Reflect answers this way when no LLM is configured; the offline model quotes the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from astrocyte.text import index_terms, split_sentences

NO_ANSWER = "The memories provided do not answer this."


class Quote(NamedTuple):
    label: str
    sentence: str
    overlap: int


def best_sentences(question: str, passages: Sequence[tuple[str, str]], limit: int = 2) -> list[Quote]:
    """Sentences of the passages sharing the most content words with the question, best first."""
    wanted = set(index_terms(question))
    quotes = [
        Quote(label, sentence, len(wanted & set(index_terms(sentence))))
        for label, text in passages
        for sentence in split_sentences(text)
    ]
    ranked = sorted((quote for quote in quotes if quote.overlap), key=lambda quote: -quote.overlap)
    return ranked[:limit]
