"""An OtelPlugin recording into the SDK's in-memory span exporter and metric reader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from runners_otel import OtelPlugin

UNCONTENDED = 0.02  # seconds: longer than any uncontended lock wait, shorter than a real one


@dataclass
class Recorded:
    plugin: OtelPlugin
    tracer_provider: TracerProvider
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, f"{len(found)} spans named {name!r}: {self.tree()}"
        return found[0]

    def tree(self) -> list[Any]:
        """Finished spans as nested (name, [children]) in start order."""
        spans = sorted(self.spans(), key=lambda s: s.start_time)
        ids = {s.context.span_id for s in spans}

        def parent_of(span: ReadableSpan) -> int | None:
            if span.parent is None or span.parent.span_id not in ids:
                return None
            return span.parent.span_id

        def children(parent_id: int | None) -> list[Any]:
            return [
                (s.name, children(s.context.span_id)) for s in spans if parent_of(s) == parent_id
            ]

        return children(None)

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> its data points, from one collection."""
        data = self.reader.get_metrics_data()
        found: dict[str, list[Any]] = {}
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found.setdefault(metric.name, []).extend(metric.data.data_points)
        return found


@pytest.fixture
def otel() -> Recorded:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    # An uncontended lock takes microseconds, but a loaded machine may pause the test for
    # over the default 1 ms threshold; the tests' real waits last 50 ms.
    plugin = OtelPlugin(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        lock_span_threshold=UNCONTENDED,
    )
    yield Recorded(plugin, tracer_provider, exporter, reader)
    tracer_provider.shutdown()
    meter_provider.shutdown()
