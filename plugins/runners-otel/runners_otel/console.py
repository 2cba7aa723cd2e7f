"""The console exporter's output: one line of JSON per finished span, and one per
metrics export.

The SDK's default console format (``ReadableSpan.to_json``) indents its JSON, which
makes Python's encoder fall back from C to pure Python, and serialises and re-parses
the provider's resource for every span: about 300 µs per span of this plugin, more
than a whole invocation of an agent that does little. :func:`span_line` writes the
same fields (name, context, kind, parent_id, start and end time, status, attributes,
events, links, resource) on one line, JSON Lines that ``jq`` reads, with the
resource's part encoded once per resource.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import ns_to_iso_str
from opentelemetry.trace import SpanContext

_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode


class SpanLines:
    """A ``ConsoleSpanExporter`` formatter; keeps the last resource's JSON."""

    def __init__(self) -> None:
        self._resource: Resource | None = None
        self._resource_json = ""
        self._second = -1
        self._second_iso = ""
        # The last trace's id and state as printed: a trace's spans end one after another.
        self._trace: tuple[int, object] = (0, None)
        self._trace_json: tuple[str, str] = ("", "")

    def __call__(self, span: ReadableSpan) -> str:
        parent = span.parent
        status = span.status
        status_json = {"status_code": status.status_code.name}
        if status.description:
            status_json["description"] = status.description
        line = {
            "name": span.name,
            "context": self._context(span.context) if span.context is not None else None,
            "kind": str(span.kind),
            "parent_id": f"0x{trace.format_span_id(parent.span_id)}" if parent else None,
            "start_time": self._iso(span.start_time),
            "end_time": self._iso(span.end_time),
            "status": status_json,
            "attributes": _attributes(span.attributes),
            "events": self._events(span.events),
            "links": [
                {"context": _context(link.context), "attributes": _attributes(link.attributes)}
                for link in span.links
            ],
        }
        # The resource is the same for every span: spliced in as encoded once, the last field.
        return f'{_encode(line)[:-1]},"resource":{self._resource_of(span.resource)}}}\n'

    def _events(self, events: Sequence[Event]) -> list[dict[str, Any]]:
        # A loop of its own (this runs for every event of every span): the second's ISO
        # prefix and the attribute copy inlined (see _iso and _attributes).
        lines = []
        for event in events:
            ns = event.timestamp
            if ns:
                second, fraction = divmod(ns, 1_000_000_000)
                if second != self._second:
                    self._second_iso = ns_to_iso_str(second * 1_000_000_000)[:19]
                    self._second = second
                timestamp: str | None = f"{self._second_iso}.{fraction // 1000:06d}Z"
            else:
                timestamp = None
            attributes = event.attributes
            lines.append(
                {
                    "name": event.name,
                    "timestamp": timestamp,
                    "attributes": {key: attributes[key] for key in attributes}
                    if attributes
                    else {},
                }
            )
        return lines

    def _context(self, context: SpanContext) -> dict[str, str]:
        trace_id, state = context.trace_id, context.trace_state
        if trace_id != self._trace[0] or state is not self._trace[1]:
            self._trace = (trace_id, state)
            self._trace_json = (f"0x{trace.format_trace_id(trace_id)}", repr(state))
        return {
            "trace_id": self._trace_json[0],
            "span_id": f"0x{trace.format_span_id(context.span_id)}",
            "trace_state": self._trace_json[1],
        }

    def _iso(self, ns: int | None) -> str | None:
        """As ``ns_to_iso_str`` (UTC, microseconds), the date and time formatted once a second."""
        if not ns:
            return None
        second, fraction = divmod(ns, 1_000_000_000)
        if second != self._second:
            self._second_iso = ns_to_iso_str(second * 1_000_000_000)[:19]
            self._second = second
        return f"{self._second_iso}.{fraction // 1000:06d}Z"

    def _resource_of(self, resource: Resource) -> str:
        if resource is not self._resource:
            self._resource_json = _encode(
                {"attributes": dict(resource.attributes), "schema_url": resource.schema_url}
            )
            self._resource = resource
        return self._resource_json


def _context(context: SpanContext) -> dict[str, str]:
    return {
        "trace_id": f"0x{trace.format_trace_id(context.trace_id)}",
        "span_id": f"0x{trace.format_span_id(context.span_id)}",
        "trace_state": repr(context.trace_state),
    }


def _attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    # The SDK's BoundedAttributes is a Mapping, not a dict: dict() of one takes the generic
    # path (measured: 2 us for three attributes), a comprehension a third of that.
    return {key: attributes[key] for key in attributes} if attributes else {}


def metrics_line(metrics: MetricsData) -> str:
    """A ``ConsoleMetricExporter`` formatter: the SDK's JSON on one line, not indented, so
    that the console output is JSON Lines throughout."""
    return metrics.to_json(indent=None) + "\n"
