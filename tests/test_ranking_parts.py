"""Unit tests of the ranking parts: fusion, rerank, token budget, entities, the offline model."""

from __future__ import annotations

from datetime import UTC, datetime

from astrocyte._core.entities import heuristic_entities, query_entity_candidates
from astrocyte._core.fusion import fuse
from astrocyte._core.recall import _within_budget
from astrocyte._core.rerank import Candidate, rerank
from astrocyte.models.base import Message
from astrocyte.models.offline_model import NO_ANSWER, OfflineModel
from astrocyte.stores.base import Scored
from astrocyte.text import estimate_tokens, index_terms
from astrocyte.types import MemoryRecord, RecallHit

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _record(text: str, memory_id: str = "m") -> MemoryRecord:
    return MemoryRecord(
        id=memory_id,
        bank_id="b",
        text=text,
        occurred_at=NOW,
        retained_at=NOW,
        updated_at=NOW,
        document_id="d",
    )


def test_fusion_rewards_agreement_and_respects_weights() -> None:
    rankings = {
        "semantic": [Scored("a", 0.9), Scored("b", 0.8), Scored("c", 0.7)],
        "keyword": [Scored("b", 5.0), Scored("c", 4.0)],
    }
    fused = fuse(rankings, {"semantic": 1.0, "keyword": 1.0}, k=60)
    assert [entry.id for entry in fused] == ["b", "c", "a"]
    assert fused[0].ranks == {"semantic": 2, "keyword": 1}
    keyword_heavy = fuse(rankings, {"semantic": 0.1, "keyword": 3.0}, k=60)
    assert keyword_heavy[-1].id == "a"
    assert all(0 < entry.score <= 1 for entry in fused)


def test_fusion_score_is_one_for_first_everywhere() -> None:
    fused = fuse({"semantic": [Scored("a", 1.0)], "keyword": [Scored("a", 1.0)]}, {"semantic": 1, "keyword": 2}, 60)
    assert abs(fused[0].score - 1.0) < 1e-9


def test_fusion_with_only_zero_weights_is_empty() -> None:
    assert fuse({"semantic": [Scored("a", 1.0)]}, {"semantic": 0.0}, 60) == []


def test_rerank_lifts_the_candidate_that_contains_the_query_terms() -> None:
    vague = Candidate(_record("Something about a trip", "vague"), fused=0.9, ranks={})
    exact = Candidate(_record("Dana flew to Oslo in March", "exact"), fused=0.7, ranks={})
    terms = frozenset(index_terms("When did Dana fly to Oslo?"))
    assert [c.record.id for c, _ in rerank([vague, exact], terms, 0.5)] == ["exact", "vague"]
    assert [c.record.id for c, _ in rerank([vague, exact], terms, 0.0)] == ["vague", "exact"]
    assert all(0 <= score <= 1 for _, score in rerank([vague, exact], terms, 0.5))


def test_token_budget_keeps_rank_order_and_counts_dropped() -> None:
    hits = [RecallHit(record=_record("word " * 40, f"m{i}"), score=1.0) for i in range(5)]
    kept, dropped = _within_budget(hits, max_tokens=estimate_tokens("word " * 40) * 2)
    assert [hit.id for hit in kept] == ["m0", "m1"] and dropped == 3
    assert _within_budget(hits, None) == (hits, 0)
    assert _within_budget(hits, 1) == ([], 5)


def test_heuristic_entities() -> None:
    text = "Yesterday Alice Moreau met Bob's sister in New York about TICKET-42 with @dana in May."
    assert heuristic_entities(text) == ("Alice Moreau", "Bob", "New York", "TICKET-42", "@dana")


def test_query_entity_candidates_cover_lowercase_names() -> None:
    candidates = query_entity_candidates("where does alice moreau live")
    assert "alice moreau" in candidates and "alice" in candidates


async def test_offline_model_quotes_and_cites() -> None:
    prompt = (
        "Memories:\n[1] Bob lives in Berlin.\n[2] Carol studies octopus behaviour. She dives.\n\n"
        "Question: What does Carol study?"
    )
    answer = await OfflineModel().complete([Message("user", prompt)])
    assert answer.startswith("Carol studies octopus behaviour. [2]")
    assert await OfflineModel().complete([Message("user", "[1] Unrelated.\nQuestion: zebra?")]) == NO_ANSWER
