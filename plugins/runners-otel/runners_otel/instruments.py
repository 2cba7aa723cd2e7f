"""The plugin's metric instruments, created once per meter."""

from __future__ import annotations

from opentelemetry import metrics


class Instruments:
    """Counters and histograms; attributes are app, agent, outcome, author (never user or
    session ids, which would give every user their own time series)."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.invocations = meter.create_counter(
            "runners.invocations", unit="{invocation}", description="Invocations, by outcome"
        )
        self.duration = meter.create_histogram(
            "runners.invocation.duration",
            unit="s",
            description="Wall time of an invocation, lock wait included",
        )
        self.events_stored = meter.create_counter(
            "runners.events.stored", unit="{event}", description="Events stored in sessions"
        )
        self.lock_wait = meter.create_histogram(
            "runners.session_lock.wait",
            unit="s",
            description="Time an invocation waited for its session's run lock",
        )
        self.busy_rejections = meter.create_counter(
            "runners.busy_rejections",
            unit="{invocation}",
            description="Invocations rejected because their session was busy",
        )
        self.backend_errors = meter.create_counter(
            "runners.backend.errors",
            unit="{error}",
            description="Invocations that failed with a storage backend error",
        )
