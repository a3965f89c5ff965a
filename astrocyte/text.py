"""Text normalisation shared by indexing, query analysis and the offline models.

    >>> index_terms("Alice moved to Paris in 2023.")
    ['alic', 'move', 'pari', '2023']

One tokeniser for everything means a query and the memories it looks for are always cut the same way, in
every store.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("english")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n+")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours yourself yourselves
    s t don ll ve re d m o y isn aren wasn weren hasn haven hadn doesn didn won wouldn shan shouldn couldn
    mustn also ever tell told say said does know let us get got one""".split()
)


_IRREGULAR_VERBS = """
    begin began begun; break broke broken; bring brought; build built; buy bought; catch caught; choose chose chosen;
    come came; draw drew drawn; drink drank drunk; drive drove driven; eat ate eaten; fall fell fallen; feel felt;
    fight fought; find found; fly flew flown; forget forgot forgotten; give gave given; go went gone; grow grew grown;
    hear heard; hold held; keep kept; know knew known; lead led; leave left; lend lent; lose lost; make made;
    mean meant; meet met; pay paid; ride rode ridden; ring rang rung; rise rose risen; run ran; see saw seen;
    sell sold; send sent; shake shook shaken; shoot shot; sing sang sung; sit sat; sleep slept; speak spoke spoken;
    spend spent; stand stood; steal stole stolen; swim swam swum; take took taken; teach taught; tear tore torn;
    think thought; throw threw thrown; understand understood; wake woke woken; wear wore worn; win won;
    write wrote written"""
_IRREGULAR = {form: base for entry in _IRREGULAR_VERBS.split(";") for base, *forms in [entry.split()] for form in forms}
"""Past forms of common irregular verbs, so 'bought' meets 'buy' as 'walked' meets 'walk' by stemming."""


def tokenize(text: str) -> list[str]:
    """Lower-cased words and numbers, apostrophes folded (`Alice's` -> `alice`)."""
    return list(_words(text))


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    """Remembered: a memory's text is cut for the index, the embedder and entities in turn."""
    words = _WORD.findall(text.lower())
    if "'" not in text and "’" not in text:
        return tuple(words)
    return tuple(_drop_possessive(word) for word in words)


def _drop_possessive(word: str) -> str:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word.replace("’", "'")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def index_terms(text: str) -> list[str]:
    """Stemmed content words (irregular verbs in their base form), in order, for the keyword index and queries."""
    return [term for word in _words(text) if (term := _term_of(word))]


@lru_cache(maxsize=200_000)
def _term_of(word: str) -> str:
    """The index term of one word, or "" for a stopword."""
    base = _IRREGULAR.get(word, word)
    return "" if _is_stopword(base) else stem(base)


def content_words(text: str) -> list[str]:
    """Unstemmed words that carry meaning (stopwords and contractions of them dropped)."""
    return [word for word in tokenize(text) if not _is_stopword(word)]


def _is_stopword(word: str) -> bool:
    return word in STOPWORDS or ("'" in word and word.split("'", 1)[0] in STOPWORDS)


def fingerprint(text: str, metadata: Mapping[str, object]) -> str:
    """What two memories share when they say the same words (case and spacing aside) with the same metadata:
    the key of exact dedup."""
    words = " ".join(text.lower().split())
    return hashlib.blake2b(f"{words}\n{json.dumps(metadata, sort_keys=True)}".encode(), digest_size=16).hexdigest()


def estimate_tokens(text: str) -> int:
    """A model-agnostic token estimate (about four characters a token, never fewer than the words)."""
    return max(len(text.split()), math.ceil(len(text) / 4))


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]
