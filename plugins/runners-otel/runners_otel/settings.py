"""The plugin's settings, from ``[tool.runners_core.plugins.otel]``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from runners_core.errors import ConfigError

TABLE = "[tool.runners_core.plugins.otel]"

Exporter = Literal["global", "console", "otlp", "none"]


class OtelSettings(BaseModel):
    """What the ``otel`` plugin records and where it sends it.

    ``exporter = "global"`` (the default) records through the tracer and meter
    providers the application installed with OpenTelemetry; without one nothing
    is recorded or exported. The other exporters give the plugin providers of
    its own: ``console`` prints spans and metrics to stdout, ``otlp`` sends them
    over OTLP/HTTP, ``none`` records spans (sampling, attributes) but exports
    nothing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    service_name: str = Field(default="runners-core", min_length=1)
    exporter: Exporter = "global"
    endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP base URL (default: OTEL_EXPORTER_OTLP_ENDPOINT or localhost:4318)",
    )
    sampling: float = Field(
        default=1.0, ge=0.0, le=1.0, description="share of new traces sampled (own providers)"
    )
    metrics: bool = True
    event_detail: bool = Field(
        default=True, description="a span event per stored (and partial) event"
    )
    lock_span_threshold: float = Field(
        default=0.001,
        ge=0,
        description="seconds of run-lock wait from which the wait gets its own span",
    )
    metric_interval: float = Field(
        default=60.0, gt=0, description="seconds between metric exports (own providers)"
    )


def parse_settings(values: dict[str, Any]) -> OtelSettings:
    """Validate *values*, or raise ConfigError naming the setting and the table."""
    try:
        return OtelSettings(**values)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"{TABLE} is invalid: {problems}. Settings: service_name, exporter "
            "(global, console, otlp, none), endpoint, sampling (0..1), metrics, metric_interval, "
            "event_detail, lock_span_threshold"
        ) from None
