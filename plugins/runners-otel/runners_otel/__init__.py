"""OpenTelemetry traces and metrics for runners-core, as the ``otel`` plugin."""

from runners_otel.plugin import OtelPlugin
from runners_otel.settings import OtelSettings

__all__ = ["OtelPlugin", "OtelSettings"]
