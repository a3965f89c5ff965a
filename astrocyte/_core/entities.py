"""Entity extraction: the names, places and identifiers a memory is about.

    await extract_entities(["Alice moved to Paris with Bob."], llm=None)   # [('Alice', 'Paris', 'Bob')]
    query_entity_candidates("where does alice smith live")                  # ['alice', 'smith', 'alice smith', ...]

With a chat model configured the model names the entities; offline, capitalised phrases, @handles and
ticket-style ids are taken, minus sentence starters, months and weekdays. Entities are matched
case-insensitively at recall.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence

from astrocyte.models.base import ChatModel, Message
from astrocyte.text import STOPWORDS, content_words

log = logging.getLogger(__name__)

_NAME_WORD = r"[A-Z][\w'’-]*"
_CONNECTOR = r"(?:of|de|da|du|la|le|van|von|der|den|al|bin)"
_CAPITALISED = re.compile(rf"\b{_NAME_WORD}(?:\s+(?:{_CONNECTOR}\s+)?{_NAME_WORD})*")
_IDENTIFIER = re.compile(r"(?<![\w@#])(?:@[\w.-]+|#[\w-]+|[A-Z][A-Z0-9]+-\d+)\b")
_NOT_NAMES = (
    frozenset(
        """yesterday today tomorrow tonight hi hello hey thanks thank yes no ok okay please also then so well oh sure
    maybe great good nice cool sorry wow i i'm i've i'll i'd haha hahaha lol omg ugh aw aww ooh oops yay yep yeah
    nope hmm ha honestly anyway actually seriously january february march april may june july august september october
    november december monday tuesday wednesday thursday friday saturday sunday""".split()
    )
    | STOPWORDS
)
_MAX_CONCURRENT_LLM_CALLS = 4

ENTITY_PROMPT = (
    "List the named entities (people, organisations, places, products, projects, identifiers) in the text. "
    'Reply with a JSON array of strings and nothing else, e.g. ["Alice", "Paris"].'
)


async def extract_entities(texts: Sequence[str], llm: ChatModel | None) -> list[tuple[str, ...]]:
    if llm is None:
        return [heuristic_entities(text) for text in texts]
    gate = asyncio.Semaphore(_MAX_CONCURRENT_LLM_CALLS)

    async def one(text: str) -> tuple[str, ...]:
        async with gate:
            return await _llm_entities(text, llm)

    return list(await asyncio.gather(*(one(text) for text in texts)))


def heuristic_entities(text: str) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for match in _CAPITALISED.finditer(text):
        name = _trim_possessive(match.group(0))
        words = name.split()
        while words and words[0].lower() in _NOT_NAMES:
            words.pop(0)
        if words:
            name = " ".join(words)
            found.setdefault(name.lower(), name)
    for match in _IDENTIFIER.finditer(text):
        found.setdefault(match.group(0).lower(), match.group(0))
    return tuple(found.values())


def query_entity_candidates(query: str) -> list[str]:
    """Lower-cased phrases of a query that could name an entity: its names, words, and runs of 2-3 words."""
    words = content_words(query)
    phrases = [name.lower() for name in heuristic_entities(query)]
    phrases += words
    phrases += [" ".join(words[i : i + n]) for n in (2, 3) for i in range(len(words) - n + 1)]
    return list(dict.fromkeys(phrases))


async def _llm_entities(text: str, llm: ChatModel) -> tuple[str, ...]:
    reply = await llm.complete([Message("system", ENTITY_PROMPT), Message("user", text)], temperature=0.0)
    parsed = _json_array(reply)
    if parsed is None:
        log.warning("entity extraction: %s did not reply with a JSON array; using heuristics", llm.name)
        return heuristic_entities(text)
    return tuple(dict.fromkeys(item.strip() for item in parsed if isinstance(item, str) and item.strip()))


def _json_array(reply: str) -> list[object] | None:
    start, end = reply.find("["), reply.rfind("]")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(reply[start : end + 1])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


def _trim_possessive(name: str) -> str:
    for suffix in ("'s", "’s"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
