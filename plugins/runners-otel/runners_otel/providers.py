"""The tracer and meter the plugin records with: the application's, or its own."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace

from runners_otel.console import SpanLines, metrics_line
from runners_otel.settings import OtelSettings

SCOPE = "runners_otel"


@dataclass
class Telemetry:
    tracer: trace.Tracer
    meter: metrics.Meter
    # Providers the plugin built (None when it uses the application's).
    tracer_provider: Any = None
    meter_provider: Any = None

    def flush(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                provider.force_flush()


_built: dict[OtelSettings, Telemetry] = {}
_built_lock = threading.Lock()


def telemetry_for(
    settings: OtelSettings,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> Telemetry:
    """Providers given in code win; then the configured exporter; then the globals.

    Providers built for an exporter are shared by every plugin instance with the
    same settings: plugins are instantiated for each ``load_plugins()``, and an
    application must not end up with one exporter thread per runner.
    """
    if tracer_provider is not None or meter_provider is not None:
        return Telemetry(
            tracer=(tracer_provider or trace.get_tracer_provider()).get_tracer(SCOPE),
            meter=(meter_provider or metrics.get_meter_provider()).get_meter(SCOPE),
        )
    if settings.exporter == "global":
        return Telemetry(tracer=trace.get_tracer(SCOPE), meter=metrics.get_meter(SCOPE))
    with _built_lock:
        found = _built.get(settings)
        if found is None:
            found = _built[settings] = _build(settings)
        return found


def _build(settings: OtelSettings) -> Telemetry:
    # Imported here: the SDK is only needed when the plugin owns its providers.
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    resource = Resource.create({SERVICE_NAME: settings.service_name})
    tracer_provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.sampling))
    )
    readers = []
    interval_ms = settings.metric_interval * 1000
    if settings.exporter == "console":
        # Printed as each span ends, so a short script shows its trace at once. A batch
        # processor would only move the formatting to its thread, in this same process
        # (measured: no less CPU), and drop spans when its queue is full.
        # sys.stdout as it is now (the SDK's default is the one of its import).
        exporter = ConsoleSpanExporter(out=sys.stdout, formatter=SpanLines())
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        if settings.metrics:
            readers.append(
                PeriodicExportingMetricReader(
                    ConsoleMetricExporter(out=sys.stdout, formatter=metrics_line),
                    export_interval_millis=interval_ms,
                )
            )
    elif settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = settings.endpoint.rstrip("/") if settings.endpoint else None
        tracer_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces" if base else None))
        )
        if settings.metrics:
            exporter = OTLPMetricExporter(endpoint=f"{base}/v1/metrics" if base else None)
            readers.append(
                PeriodicExportingMetricReader(exporter, export_interval_millis=interval_ms)
            )
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    return Telemetry(
        tracer=tracer_provider.get_tracer(SCOPE),
        meter=meter_provider.get_meter(SCOPE),
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )
