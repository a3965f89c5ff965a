"""The recall stages: analyse the query -> semantic, keyword and entity search -> weighted fusion -> rerank ->
token budget, over one bank or several (banks in parallel).

    result = await recall(runtime, RecallRequest("Where does Alice live?", banks=["people"]))

Filters (tags, metadata, time range, as_of) are pushed into every strategy, so candidates already satisfy them
and a selective filter never starves the result list.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from astrocyte._core.dates import DateSpan, asks_when, date_terms, resolve
from astrocyte._core.entities import query_entity_candidates
from astrocyte._core.fusion import fuse
from astrocyte._core.rerank import Candidate, Cues, rerank
from astrocyte._core.runtime import Runtime
from astrocyte._requests import RecallRequest
from astrocyte.config import RecallConfig
from astrocyte.stores.base import EntityQuery, KeywordQuery, Scored, VectorQuery
from astrocyte.text import estimate_tokens, fingerprint, index_terms, tokenize
from astrocyte.types import RecallHit, RecallResult, RecallTrace, StageTiming


@dataclass(frozen=True)
class QueryAnalysis:
    vector: np.ndarray
    terms: tuple[str, ...]
    """Index terms of the query's words, then date terms of the dates it names (`recall.query_dates`)."""
    entities: tuple[str, ...]
    words: frozenset[str] = frozenset()
    dates: tuple[DateSpan, ...] = ()
    """The dates the query names, resolved against the present."""
    asks_when: bool = False


@dataclass
class _BankRecall:
    hits: list[RecallHit]
    candidates: dict[str, int]
    fused: int
    timings: list[StageTiming]


async def recall(runtime: Runtime, request: RecallRequest) -> RecallResult:
    started = time.perf_counter()
    with runtime.telemetry.stage("analyse"):
        analysis = await analyse(runtime, request.query, embed=not request.lexical_only)
    timings = [StageTiming(stage="analyse", ms=_ms_since(started))]
    if request.strategy == "parallel":
        per_bank = await asyncio.gather(*(_recall_bank(runtime, bank, analysis, request) for bank in request.banks))
    else:
        per_bank = []
        for bank in request.banks:
            per_bank.append(await _recall_bank(runtime, bank, analysis, request))
            found = sum(len(result.hits) for result in per_bank)
            if (request.strategy == "first_match" and found) or found >= request.max_results:
                break
    merged = _merge(per_bank, request)
    budget_started = time.perf_counter()
    hits, dropped = _within_budget(merged, request.max_tokens)
    timings += [timing for result in per_bank for timing in result.timings]
    timings.append(StageTiming(stage="budget", ms=_ms_since(budget_started)))
    candidates: dict[str, int] = {}
    for result in per_bank:
        for strategy, count in result.candidates.items():
            candidates[strategy] = candidates.get(strategy, 0) + count
    trace = RecallTrace(
        banks=tuple(request.banks),
        strategy=request.strategy,
        strategies=candidates,
        fused_candidates=sum(result.fused for result in per_bank),
        returned=len(hits),
        truncated_by_budget=dropped,
        timings=tuple(timings),
    )
    return RecallResult(query=request.query, hits=tuple(hits), trace=trace)


async def analyse(runtime: Runtime, query: str, *, embed: bool = True) -> QueryAnalysis:
    if embed:
        [vector] = await runtime.embedder.embed([query])
    else:
        vector = np.zeros(runtime.embedder.dimensions, dtype=np.float32)
    dates = tuple(resolve(query, runtime.clock()))
    terms = index_terms(query)
    if runtime.config.pipeline.recall.query_dates:
        terms += date_terms(dates)
    return QueryAnalysis(
        vector=vector,
        terms=tuple(dict.fromkeys(terms)),
        entities=tuple(query_entity_candidates(query)),
        words=frozenset(tokenize(query)),
        dates=dates,
        asks_when=asks_when(query),
    )


async def _recall_bank(runtime: Runtime, bank_id: str, analysis: QueryAnalysis, request: RecallRequest) -> _BankRecall:
    return await asyncio.to_thread(_recall_bank_now, runtime, bank_id, analysis, request)


def _recall_bank_now(runtime: Runtime, bank_id: str, analysis: QueryAnalysis, request: RecallRequest) -> _BankRecall:
    """One bank's strategies, fusion and rerank in one worker thread, the vector search alongside in another: the
    vector index and the keyword index are different engines, while the keyword and entity searches share one."""
    config = runtime.recall_config(bank_id)
    k = max(config.candidates, request.max_results)
    store, where = runtime.store, request.where
    searches: dict[str, Callable[[], list[Scored]]] = {}
    if config.weights.semantic > 0 and np.any(analysis.vector):
        searches["semantic"] = lambda: store.search_vectors(bank_id, VectorQuery(analysis.vector[None, :], k, where))[0]
    if config.weights.keyword > 0 and analysis.terms:
        keywords = KeywordQuery(analysis.terms, k, where, config.context_weight, config.max_term_rows)
        searches["keyword"] = lambda: store.search_keywords(bank_id, keywords)
    if config.weights.entity > 0 and analysis.entities and runtime.config.pipeline.entities.mode != "off":
        searches["entity"] = lambda: store.search_entities(bank_id, EntityQuery(analysis.entities, k, where))
    alongside = _search_alongside(runtime, bank_id, searches)
    done = {name: _timed(runtime, name, bank_id, search) for name, search in searches.items() if name not in alongside}
    done |= {name: future.result() for name, future in alongside.items()}
    rankings = {name: done[name][0] for name in searches}
    timings = [StageTiming(stage=f"{bank_id}:{name}", ms=done[name][1]) for name in searches]

    started = time.perf_counter()
    with runtime.telemetry.stage("fusion", bank=bank_id):
        fused = fuse(rankings, config.weights.model_dump(), config.rrf_k)[:k]
        records = {record.id: record for record in store.get(bank_id, [entry.id for entry in fused])}
        candidates = [Candidate(records[f.id], f.score, f.ranks) for f in fused if f.id in records]
    timings.append(StageTiming(stage=f"{bank_id}:fusion", ms=_ms_since(started)))

    started = time.perf_counter()
    with runtime.telemetry.stage("rerank", bank=bank_id, candidates=len(candidates)):
        ranked = rerank(candidates, frozenset(analysis.terms), *_rerank_settings(runtime, config, analysis))
    hits = [
        RecallHit(record=candidate.record, score=min(1.0, max(0.0, score)), strategies=candidate.ranks)
        for candidate, score in ranked[: request.max_results]
    ]
    timings.append(StageTiming(stage=f"{bank_id}:rerank", ms=_ms_since(started)))
    return _BankRecall(hits, {name: len(ranking) for name, ranking in rankings.items()}, len(fused), timings)


def _search_alongside(
    runtime: Runtime, bank_id: str, searches: dict[str, Callable[[], list[Scored]]]
) -> dict[str, Future[tuple[list[Scored], float]]]:
    """The vector search started in another thread, when there are other searches to run meanwhile."""
    if "semantic" not in searches or len(searches) == 1:
        return {}
    run = contextvars.copy_context().run
    return {"semantic": runtime.searches.submit(run, _timed, runtime, "semantic", bank_id, searches["semantic"])}


def _rerank_settings(runtime: Runtime, recall: RecallConfig, analysis: QueryAnalysis) -> tuple[float, Cues]:
    config = recall.rerank
    if not config.enabled:
        return 0.0, Cues()
    cues = Cues(
        names=analysis.words,
        speaker_keys=runtime.config.pipeline.context.speaker_keys,
        speaker_weight=config.speaker_weight,
        dates=analysis.dates,
        asks_when=analysis.asks_when,
        time_weight=config.time_weight,
    )
    return config.lexical_weight, cues


def _merge(per_bank: Sequence[_BankRecall], request: RecallRequest) -> list[RecallHit]:
    """Hits of all banks, best first, each memory once: the same text with the same metadata kept in two banks
    counts once, while the same words said in another session or by another speaker are another memory. Within
    one bank each hit is its own memory already."""
    hits = [hit for result in per_bank for hit in result.hits]
    if request.strategy == "parallel":
        hits.sort(key=lambda hit: -hit.score)
    if len(per_bank) == 1:
        return hits[: request.max_results]
    seen: set[str] = set()
    unique = []
    for hit in hits:
        same = fingerprint(hit.record.text, hit.record.metadata)
        if same not in seen:
            seen.add(same)
            unique.append(hit)
    return unique[: request.max_results]


def _within_budget(hits: list[RecallHit], max_tokens: int | None) -> tuple[list[RecallHit], int]:
    if max_tokens is None:
        return hits, 0
    kept, used = [], 0
    for hit in hits:
        cost = estimate_tokens(hit.record.text)
        if used + cost > max_tokens:
            break
        kept.append(hit)
        used += cost
    return kept, len(hits) - len(kept)


def _timed(runtime: Runtime, name: str, bank_id: str, search: Callable[[], list[Scored]]) -> tuple[list[Scored], float]:
    started = time.perf_counter()
    with runtime.telemetry.stage(name, bank=bank_id) as span:
        result = search()
        span.set_attribute("astrocyte.candidates", len(result))
    return result, _ms_since(started)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
