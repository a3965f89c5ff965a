"""Spans and metrics, asserted with the OpenTelemetry SDK's in-memory exporter and reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from astrocyte import Astrocyte, Context, RateLimited
from astrocyte._core.runtime import open_store
from astrocyte.config import load_config
from astrocyte.stores.base import MemoryStore
from astrocyte.testing import Faults, OfflineEmbedder

EMAIL = "erin@example.org"


@pytest.fixture
def observed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # The suite runs with OTEL_SDK_DISABLED=true so no framework exports anything; these providers are ours.
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    config = {
        "data_dir": str(tmp_path / "data"),
        "policy": {"pii": {"enabled": True}, "rate_limits": {"per_bank": {"per_second": 0.001, "burst": 4}}},
    }
    faults = Faults()
    store = faults.wrap(open_store(load_config(config), OfflineEmbedder()), MemoryStore)
    with Astrocyte(
        config, tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader]), store=store
    ) as brain:
        yield brain, spans, reader, faults


def _metrics(reader: InMemoryMetricReader) -> dict[str, list]:
    data = reader.get_metrics_data()
    return {
        metric.name: list(metric.data.data_points)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


def test_operations_and_stages_are_traced_without_content(observed) -> None:
    brain, spans, _, _ = observed
    who = Context(principal="agent:scribe")
    brain.sync.retain(f"Erin's address is {EMAIL}.", bank_id="crm", context=who)
    brain.sync.recall("Where is Erin?", bank_id="crm", context=who)
    names = [span.name for span in spans.get_finished_spans()]
    assert {"astrocyte.retain", "astrocyte.recall"} <= set(names)
    assert {"astrocyte.stage.embed", "astrocyte.stage.store", "astrocyte.stage.analyse"} <= set(names)
    assert {"astrocyte.stage.semantic", "astrocyte.stage.keyword", "astrocyte.stage.fusion"} <= set(names)
    recall = next(span for span in spans.get_finished_spans() if span.name == "astrocyte.recall")
    assert recall.attributes["astrocyte.banks"] == "crm"
    assert recall.attributes["astrocyte.principal"] == "agent:scribe"
    assert recall.attributes["astrocyte.hits"] == 1
    stage = next(span for span in spans.get_finished_spans() if span.name == "astrocyte.stage.semantic")
    assert stage.parent is not None
    for span in spans.get_finished_spans():
        assert all(EMAIL not in str(value) and "Erin's" not in str(value) for value in span.attributes.values())


def test_metrics_count_operations_pii_and_rate_limits(observed) -> None:
    brain, _, reader, _ = observed
    brain.sync.retain(f"Write to {EMAIL}.", bank_id="crm")
    for _ in range(3):
        brain.sync.recall("write", bank_id="crm")
    with pytest.raises(RateLimited):
        brain.sync.recall("write", bank_id="crm")
    metrics = _metrics(reader)
    operations = {
        (point.attributes["operation"], point.attributes["outcome"]): point.value
        for point in metrics["astrocyte.operations"]
    }
    assert operations[("retain", "ok")] == 1
    assert operations[("recall", "ok")] == 3
    assert operations[("recall", "RateLimited")] == 1
    assert sum(point.count for point in metrics["astrocyte.operation.duration"]) == 5
    pii = {point.attributes["type"]: point.value for point in metrics["astrocyte.pii.detections"]}
    assert pii == {"email": 1}
    assert metrics["astrocyte.ratelimit.rejections"][0].value == 1


def test_breaker_state_metric(observed) -> None:
    brain, _, reader, faults = observed
    with faults.failing("search_vectors", "search_keywords", "search_entities", error=OSError("gone")):
        for _ in range(3):
            assert brain.sync.recall("anything", bank_id="crm").trace.degraded
    assert brain.breakers["store"].state == "open"
    state = {point.attributes["breaker"]: point.value for point in _metrics(reader)["astrocyte.breaker.state"]}
    assert state["store"] == 2


def test_each_operation_logs_one_structured_record_without_content(observed, caplog) -> None:
    brain, _, _, _ = observed
    caplog.set_level("INFO", logger="astrocyte.operations")
    brain.sync.retain(f"Erin's address is {EMAIL}.", bank_id="crm", context=Context(principal="agent:scribe"))
    brain.sync.recall("Erin", bank_id="crm")
    records = [record for record in caplog.records if record.name == "astrocyte.operations"]
    assert [record.astrocyte["astrocyte.outcome"] for record in records] == ["ok", "ok"]
    assert records[0].astrocyte["astrocyte.principal"] == "agent:scribe"
    assert records[1].astrocyte["astrocyte.banks"] == "crm"
    for record in caplog.records:
        assert EMAIL not in record.getMessage() and EMAIL not in str(getattr(record, "astrocyte", ""))
