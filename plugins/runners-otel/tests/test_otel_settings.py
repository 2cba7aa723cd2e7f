"""Settings from [tool.runners_core.plugins.otel], the default (the application's providers),
and the plugin's own providers."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.sampling import ParentBased
from runners_otel import OtelPlugin

from runners_core import BaseAgent, Content, InMemoryRunner, load_config, load_plugins
from runners_core.errors import ConfigError


class Peek(BaseAgent):
    """Reports whether a recording span is current while it runs."""

    async def _run_async_impl(self, ctx):
        yield ctx.event(f"recording={trace.get_current_span().is_recording()}")


def reply(runner) -> str:
    events = list(runner.run(user_id="u", session_id="s", new_message=Content.from_text("x")))
    return events[-1].content.parts[0].text


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"exporter": "jaeger"}, "exporter"),
        ({"sampling": 1.5}, "sampling"),
        ({"service": "x"}, "service"),
        ({"service_name": ""}, "service_name"),
    ],
)
def test_bad_settings_name_the_setting_and_the_table(settings, named):
    with pytest.raises(ConfigError) as info:
        OtelPlugin(**settings)
    message = str(info.value)
    assert "[tool.runners_core.plugins.otel]" in message and named in message


def test_settings_reach_the_installed_plugin_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runners_core.plugins.otel]\nexporter = "none"\nsampling = 0.25\n'
        'service_name = "billing"\n'
    )
    loaded = load_plugins(load_config(pyproject=tmp_path / "pyproject.toml", environ={}))
    plugin = loaded.pm.get_plugin("otel")
    assert isinstance(plugin, OtelPlugin)
    assert plugin.settings.sampling == 0.25
    provider = plugin.telemetry.tracer_provider
    assert provider.resource.attributes["service.name"] == "billing"
    assert isinstance(provider.sampler, ParentBased)
    assert "0.25" in provider.sampler.get_description()
    # Plugins with the same settings share providers (one exporter, not one per runner).
    again = load_plugins(load_config(pyproject=tmp_path / "pyproject.toml", environ={}))
    assert again.pm.get_plugin("otel").telemetry is plugin.telemetry


def test_by_default_nothing_is_recorded_without_an_application_provider():
    # This test process never installs a global tracer provider.
    plugin = OtelPlugin()
    assert plugin.settings.exporter == "global" and plugin.telemetry.tracer_provider is None
    runner = InMemoryRunner(Peek(name="peek"), plugins=[plugin], auto_create_session=True)
    assert reply(runner) == "recording=False"


def test_own_provider_spans_are_current_in_the_agent():
    plugin = OtelPlugin(exporter="none", service_name="own-provider-test")
    runner = InMemoryRunner(Peek(name="peek"), plugins=[plugin], auto_create_session=True)
    assert reply(runner) == "recording=True"


def test_metrics_can_be_turned_off():
    reader = InMemoryMetricReader()
    plugin = OtelPlugin(meter_provider=MeterProvider(metric_readers=[reader]), metrics=False)
    runner = InMemoryRunner(Peek(name="peek"), plugins=[plugin], auto_create_session=True)
    reply(runner)
    data = reader.get_metrics_data()
    assert data is None or all(
        not scope.metrics for rm in data.resource_metrics for scope in rm.scope_metrics
    )


def test_event_detail_off_keeps_spans_but_drops_per_event_records(otel):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    plugin = OtelPlugin(tracer_provider=provider, event_detail=False)
    runner = InMemoryRunner(Peek(name="peek"), plugins=[plugin], auto_create_session=True)
    reply(runner)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"invocation InMemoryRunner", "invoke_agent peek"}
    assert all(not s.events for s in spans.values())
    assert spans["invoke_agent peek"].attributes["runners.events"] == 1
