"""A deterministic, offline stand-in for a chat model, for tests, examples and tutorials.

    model = OfflineModel()
    await model.complete([Message("user", "[1] Alice lives in Paris.\\nQuestion: Where does Alice live?")])
    # 'Alice lives in Paris. [1]'

It does not generate language. Given numbered passages (`[n] text` lines) and a `Question:` line, it quotes
the sentences that share the most content words with the question and cites their numbers; given anything
else, it quotes the sentence of the last user message that best matches the rest of it. Same input, same
output, on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from astrocyte._extractive import NO_ANSWER, best_sentences
from astrocyte.models.base import ChatModel, Message

_PASSAGE = re.compile(r"^\[(\d+)\]\s*(.+)$", re.MULTILINE)
_QUESTION = re.compile(r"^Question:\s*(.+)$", re.MULTILINE)


class OfflineModel(ChatModel):
    name = "offline"

    async def complete(
        self, messages: Sequence[Message], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> str:
        prompt = next((message.content for message in reversed(messages) if message.role == "user"), "")
        passages = [(match.group(1), match.group(2)) for match in _PASSAGE.finditer(prompt)]
        question_match = _QUESTION.search(prompt)
        question = question_match.group(1) if question_match else prompt
        if not passages:
            passages = [("", prompt)]
        quotes = best_sentences(question, passages)
        if not quotes:
            return NO_ANSWER
        answer = " ".join(f"{quote.sentence} [{quote.label}]" if quote.label else quote.sentence for quote in quotes)
        return answer if max_tokens is None else " ".join(answer.split()[:max_tokens])
