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


async def test_exporter_console_prints_json_lines_only(capsys):
    """``exporter = "console"`` end to end: spans and metrics, each one line of JSON."""
    from runners_otel import OtelPlugin

    from runners_core import BaseAgent, Content, InMemoryRunner, load_config, load_plugins

    class Two(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield ctx.event("one")
            yield ctx.event("two")

    # A service name of its own: the plugin shares providers between equal settings.
    plugin = OtelPlugin(exporter="console", service_name="console-lines-test")
    runner = InMemoryRunner(
        Two(name="two"),
        app_name="lines",
        plugins=[plugin],
        plugin_manager=load_plugins(load_config({}, environ={}), entry_points=[]),
        auto_create_session=True,
    )
    async for _ in runner.run_async(
        user_id="u", session_id="s", new_message=Content.from_text("go")
    ):
        pass
    await runner.close()  # flushes the plugin's providers: the metrics are printed now
    # Shut down while stdout is still this test's: no export left for the process's exit.
    plugin.telemetry.tracer_provider.shutdown()
    plugin.telemetry.meter_provider.shutdown()
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    documents = [json.loads(line) for line in lines]
    spans = [d for d in documents if "name" in d]
    assert [s["name"] for s in spans] == ["invoke_agent two", "invocation lines"]
    assert [e["attributes"]["runners.event.author"] for e in spans[0]["events"]] == ["two"] * 2
    # One line per metrics export: the runner's close, then the provider's shutdown.
    metrics, *_ = [d for d in documents if "resource_metrics" in d]
    names = {
        metric["name"]
        for resource in metrics["resource_metrics"]
        for scope in resource["scope_metrics"]
        for metric in scope["metrics"]
    }
    assert {"runners.invocations", "runners.events.stored"} <= names
    assert all("name" in d or "resource_metrics" in d for d in documents)
