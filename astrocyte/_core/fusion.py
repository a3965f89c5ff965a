"""Weighted reciprocal-rank fusion of several rankings into one.

    fused = fuse({"semantic": [...], "keyword": [...]}, {"semantic": 1.0, "keyword": 1.0}, k=60)

Each strategy adds `weight / (k + rank)` for every memory it ranks; scores are divided by the best score a
memory could reach (first in every strategy that ran), so they fall in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from astrocyte.stores.base import Scored


@dataclass
class Fused:
    id: str
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)


def fuse(rankings: Mapping[str, Sequence[Scored]], weights: Mapping[str, float], k: int) -> list[Fused]:
    fused: dict[str, Fused] = {}
    for strategy, ranking in rankings.items():
        weight = weights[strategy]
        for rank, hit in enumerate(ranking, start=1):
            entry = fused.get(hit.id)
            if entry is None:
                entry = fused[hit.id] = Fused(hit.id)
            entry.score += weight / (k + rank)
            entry.ranks[strategy] = rank
    best = sum(weights[strategy] for strategy in rankings) / (k + 1)
    if best <= 0:
        return []
    for entry in fused.values():
        entry.score /= best
    return sorted(fused.values(), key=lambda entry: (-entry.score, entry.id))
