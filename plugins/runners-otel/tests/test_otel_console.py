"""The console exporter's format: one line of JSON per span, the SDK's fields."""

from __future__ import annotations

import io
import json

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode, set_span_in_context
from runners_otel.console import SpanLines


def _provider(out: io.StringIO, service: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(
        SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=SpanLines()))
    )
    return provider


def test_each_span_is_one_json_line_with_the_sdk_fields():
    out = io.StringIO()
    tracer = _provider(out, "lines").get_tracer("test")
    parent = tracer.start_span("parent", attributes={"a": "x", "n": 3, "seq": (1, 2)})
    child = tracer.start_span("child", context=set_span_in_context(parent))
    child.add_event("event", {"runners.event.author": "ten", "runners.event.size": 7})
    child.set_status(Status(StatusCode.ERROR, "boom"))
    child.end(end_time=child.start_time + 1_234_567)
    parent.end()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {
        "name",
        "context",
        "kind",
        "parent_id",
        "start_time",
        "end_time",
        "status",
        "attributes",
        "events",
        "links",
        "resource",
    }
    assert first["name"] == "child" and second["name"] == "parent"
    assert first["parent_id"] == second["context"]["span_id"]
    assert second["parent_id"] is None
    assert first["context"]["trace_id"] == second["context"]["trace_id"]
    assert first["status"] == {"status_code": "ERROR", "description": "boom"}
    assert second["status"] == {"status_code": "UNSET"}
    assert second["attributes"] == {"a": "x", "n": 3, "seq": [1, 2]}
    assert [(e["name"], e["attributes"]) for e in first["events"]] == [
        ("event", {"runners.event.author": "ten", "runners.event.size": 7})
    ]
    # ISO 8601 in UTC with microseconds, as the SDK's own format.
    start, end = first["start_time"], first["end_time"]
    assert len(start) == len("2026-01-02T03:04:05.123456Z") and start.endswith("Z")
    seconds = lambda iso: int(iso[11:13]) * 3600 + int(iso[14:16]) * 60 + float(iso[17:-1])  # noqa: E731
    assert abs(seconds(end) - seconds(start) - 0.001234) < 2e-6
    assert second["resource"]["attributes"]["service.name"] == "lines"


def test_a_new_resource_is_printed_as_such():
    out = io.StringIO()
    formatter = SpanLines()
    for service in ("one", "two"):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(
            SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=formatter))
        )
        provider.get_tracer("test").start_span(service).end()
    names = [
        json.loads(line)["resource"]["attributes"]["service.name"]
        for line in out.getvalue().splitlines()
    ]
    assert names == ["one", "two"]
