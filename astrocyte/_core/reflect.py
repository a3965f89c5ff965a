"""Reflect: recall with a larger budget, then answer from the memories with numbered citations.

    result = await reflect(runtime, RecallRequest("Where does Alice live?", banks=["people"]))
    result.answer      # 'Alice lives in Paris [1]'
    result.citations   # (RecallHit(...),)

With a chat model the model writes the answer; with none the answer is quoted from the best-matching
sentences of the memories and says so (`mode="extractive"`).
"""

from __future__ import annotations

import dataclasses
import logging
import re

from astrocyte._core.recall import recall
from astrocyte._core.runtime import Runtime
from astrocyte._extractive import best_sentences
from astrocyte._requests import RecallRequest
from astrocyte.errors import ProviderUnavailable
from astrocyte.models.base import Message
from astrocyte.types import RecallHit, ReflectResult

EXTRACTIVE_PREFIX = "Extractive answer (no LLM configured):"
NOTHING_FOUND = "No memories match this question."
SYSTEM_PROMPT = (
    "You answer questions using only the numbered memories given. Cite every memory you use with its number in "
    "square brackets, like [2]. If the memories do not contain the answer, say so plainly."
)
_CITATION = re.compile(r"\[(\d+)\]")
log = logging.getLogger(__name__)


async def reflect(runtime: Runtime, request: RecallRequest, answer_tokens: int | None = None) -> ReflectResult:
    settings = runtime.config.pipeline.reflect
    widened = dataclasses.replace(request, max_results=settings.max_results, max_tokens=settings.max_tokens)
    hits = (await recall(runtime, widened)).hits
    if not hits:
        return ReflectResult(query=request.query, answer=NOTHING_FOUND, mode="extractive", citations=(), hits=())
    if runtime.llm is None:
        return _extractive(request.query, hits, answer_tokens)
    prompt = "\n".join(f"[{number}] {_dated(hit)}" for number, hit in enumerate(hits, start=1))
    messages = [Message("system", SYSTEM_PROMPT), Message("user", f"Memories:\n{prompt}\n\nQuestion: {request.query}")]
    try:
        answer = await runtime.llm.complete(
            messages,
            max_tokens=answer_tokens or runtime.config.llm.max_tokens,
            temperature=runtime.config.llm.temperature,
        )
    except ProviderUnavailable as exc:
        log.warning("reflect: %s unavailable (%s); answering extractively", runtime.llm.name, type(exc).__name__)
        return _extractive(request.query, hits, answer_tokens, f"Extractive answer ({runtime.llm.name} unavailable):")
    return ReflectResult(
        query=request.query, answer=answer.strip(), mode="llm", citations=_cited(answer, hits), hits=hits
    )


def _extractive(
    query: str, hits: tuple[RecallHit, ...], answer_tokens: int | None, prefix: str = EXTRACTIVE_PREFIX
) -> ReflectResult:
    quotes = best_sentences(query, [(str(number), hit.record.text) for number, hit in enumerate(hits, start=1)])
    if not quotes:
        quotes_text = f"{hits[0].record.text} [1]"
    else:
        quotes_text = " ".join(f"{quote.sentence} [{quote.label}]" for quote in quotes)
    if answer_tokens is not None:
        quotes_text = " ".join(quotes_text.split()[:answer_tokens])
    answer = f"{prefix} {quotes_text}"
    return ReflectResult(query=query, answer=answer, mode="extractive", citations=_cited(answer, hits), hits=hits)


def _dated(hit: RecallHit) -> str:
    return f"({hit.record.occurred_at:%Y-%m-%d}) {' '.join(hit.record.text.split())}"


def _cited(answer: str, hits: tuple[RecallHit, ...]) -> tuple[RecallHit, ...]:
    numbers = dict.fromkeys(int(number) for number in _CITATION.findall(answer))
    return tuple(hits[number - 1] for number in numbers if 1 <= number <= len(hits))
