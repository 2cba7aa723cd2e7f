"""The ``otel`` plugin: a span per invocation, per agent run, per transfer; metrics.

The invocation span is made current (through the kernel's ``invocation_context``
hook) in the task that runs the agent, so spans the agent's own libraries start
nest under it. Lock waits arrive before the invocation has a context; they are
kept in a context variable until the invocation span starts, and recorded as
its first child with their real start and end times.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import Span, Status, StatusCode

from runners_core import hookimpl
from runners_core.errors import BackendError
from runners_otel import attributes as attr
from runners_otel.instruments import Instruments
from runners_otel.providers import Telemetry, telemetry_for
from runners_otel.settings import OtelSettings, parse_settings
from runners_otel.sizes import content_bytes
from runners_otel.usage import token_usage


@dataclass
class _LockWait:
    key: tuple[str, str, str]
    start_ns: int
    end_ns: int


_EVENT = "event"

_pending_lock: contextvars.ContextVar[_LockWait | None] = contextvars.ContextVar(
    "runners_otel_pending_lock", default=None
)


@dataclass
class _Invocation:
    """What the plugin tracks for one running invocation."""

    span: Span
    started: float
    attributes: dict[str, str]
    agent_span: Span | None = None
    transfer_span: Span | None = None
    events: int = 0
    agent_events: int = 0
    tokens: list[int] = field(default_factory=lambda: [0, 0])
    # Stored events by author, added to the counter once when the invocation ends.
    stored: dict[str, int] = field(default_factory=dict)
    agent_tokens: list[int] = field(default_factory=lambda: [0, 0])


class OtelPlugin:
    """Traces and metrics of invocations through OpenTelemetry.

    Settings (``[tool.runners_core.plugins.otel]``) are keyword arguments; in code,
    *tracer_provider* and *meter_provider* may be given directly (tests, or an
    application that keeps its providers out of the globals).
    """

    name = "otel"

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        **settings: Any,
    ) -> None:
        self.settings: OtelSettings = parse_settings(settings)
        self.telemetry: Telemetry = telemetry_for(self.settings, tracer_provider, meter_provider)
        self._tracer = self.telemetry.tracer
        meter = self.telemetry.meter if self.settings.metrics else metrics.NoOpMeter("off")
        self._metrics = Instruments(meter)
        self._running: dict[str, _Invocation] = {}
        self._detail = self.settings.event_detail

    # ------------------------------------------------------------------ lock

    @hookimpl
    def on_session_lock(
        self, app_name: str, user_id: str, session_id: str, waited: float, acquired: bool
    ) -> None:
        end_ns = time.time_ns()
        wait = _LockWait((app_name, user_id, session_id), end_ns - int(waited * 1e9), end_ns)
        self._metrics.lock_wait.record(
            waited, {attr.APP_NAME: app_name, attr.LOCK_ACQUIRED: acquired}
        )
        if acquired:
            _pending_lock.set(wait)
            return
        # A rejected invocation never gets a context: its whole trace is made here.
        labels = {attr.APP_NAME: app_name, attr.OUTCOME: attr.BUSY}
        self._metrics.busy_rejections.add(1, {attr.APP_NAME: app_name})
        self._metrics.invocations.add(1, labels)
        self._metrics.duration.record(waited, labels)
        span = self._tracer.start_span(
            f"invocation {app_name}",
            start_time=wait.start_ns,
            attributes={
                attr.APP_NAME: app_name,
                attr.USER_ID: user_id,
                attr.SESSION_ID: session_id,
                attr.GEN_AI_CONVERSATION_ID: session_id,
                attr.OUTCOME: attr.BUSY,
            },
        )
        self._lock_span(span, wait, acquired=False)
        span.set_status(Status(StatusCode.ERROR, "session busy"))
        span.end(end_time=wait.end_ns)

    def _lock_span(self, parent: Span, wait: _LockWait, *, acquired: bool) -> None:
        span = self._tracer.start_span(
            "session_lock",
            context=trace.set_span_in_context(parent),
            start_time=wait.start_ns,
            attributes={
                attr.LOCK_WAITED: (wait.end_ns - wait.start_ns) / 1e9,
                attr.LOCK_ACQUIRED: acquired,
            },
        )
        if not acquired:
            span.set_status(Status(StatusCode.ERROR, "session busy"))
        span.end(end_time=wait.end_ns)

    # ------------------------------------------------------------------ around

    @hookimpl
    def invocation_context(self, ctx: Any) -> _InvocationScope:
        return _InvocationScope(self, ctx)

    @hookimpl
    def agent_context(self, ctx: Any, agent: Any) -> _AgentScope:
        return _AgentScope(self, ctx, agent)

    # ------------------------------------------------------------------ events

    @hookimpl
    def on_event(self, ctx: Any, event: Any) -> None:
        state = self._running.get(ctx.invocation_id)
        if state is None:
            return
        if event.partial:
            # Never stored, so after_append_event will not see it.
            span = state.agent_span
            if self._detail and span is not None and span.is_recording():
                span.add_event(
                    _EVENT,
                    {
                        attr.EVENT_AUTHOR: event.author,
                        attr.EVENT_PARTIAL: True,
                        attr.EVENT_SIZE: content_bytes(event),
                    },
                )
            return
        state.events += 1
        state.agent_events += 1
        usage = token_usage(event)
        if usage is not None:
            for totals in (state.tokens, state.agent_tokens):
                totals[0] += usage[0]
                totals[1] += usage[1]
        target = event.actions.transfer_to_agent
        if target:
            self._end_transfer(state)
            state.transfer_span = self._tracer.start_span(
                f"transfer {ctx.agent.name} -> {target}",
                context=trace.set_span_in_context(state.span),
                attributes={
                    attr.TRANSFER_FROM: ctx.agent.name,
                    attr.TRANSFER_TO: target,
                    attr.INVOCATION_ID: ctx.invocation_id,
                },
            )

    @hookimpl
    def after_append_event(self, session: Any, event: Any) -> None:
        state = self._running.get(event.invocation_id)
        if state is None:
            # Stored outside a traced invocation: count it now.
            self._metrics.events_stored.add(
                1, {attr.APP_NAME: session.app_name, attr.EVENT_AUTHOR: event.author}
            )
            return
        stored = state.stored
        author = event.author
        stored[author] = stored.get(author, 0) + 1
        if not self._detail:
            return
        # Not the current span: an agent may yield from inside a span of its own.
        span = state.agent_span or state.span
        if span.is_recording():
            # Two attributes: the SDK validates each one, one by one. A stored event is
            # final by definition (only partial events carry runners.event.partial), and
            # its id is left out (measured: 0.4 us of CPU a span event, 11% of its cost);
            # the span events of an invocation are in the order its events were stored.
            span.add_event(
                _EVENT, {attr.EVENT_AUTHOR: author, attr.EVENT_SIZE: content_bytes(event)}
            )

    @hookimpl
    def on_runner_close(self) -> None:
        self.telemetry.flush()

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _end_transfer(state: _Invocation) -> None:
        if state.transfer_span is not None:
            state.transfer_span.end()
            state.transfer_span = None


def _make_current(span: Span) -> object | None:
    """Attach *span* as the current span; skip pass-through spans of a no-op tracer.

    Without an SDK the API hands out non-recording spans that repeat the current
    span's context; attaching one would only hide a span another tracer made
    current (say, a second instance of this plugin with its own providers).
    """
    if not span.is_recording() and (
        span.get_span_context() == trace.get_current_span().get_span_context()
    ):
        return None
    return otel_context.attach(trace.set_span_in_context(span))


def _outcome(kind: type[BaseException] | None) -> str:
    if kind is None:
        return attr.OK
    if issubclass(kind, GeneratorExit):
        return attr.STOPPED
    if issubclass(kind, BaseException) and kind.__name__ == "CancelledError":
        return attr.CANCELLED
    return attr.ERROR


def _finish(
    span: Span,
    kind: type[BaseException] | None,
    error: BaseException | None,
    events: int | None,
    tokens: list[int],
) -> str:
    """Set the closing attributes (in one call: the SDK locks the span for each) and the
    status; returns the outcome."""
    outcome = _outcome(kind)
    if not span.is_recording():
        return outcome
    closing: dict[str, str | int] = {attr.OUTCOME: outcome}
    if events is not None:
        closing[attr.EVENTS] = events
    if tokens[0] or tokens[1]:
        closing[attr.GEN_AI_USAGE_INPUT_TOKENS] = tokens[0]
        closing[attr.GEN_AI_USAGE_OUTPUT_TOKENS] = tokens[1]
    if outcome == attr.ERROR and error is not None:
        span.record_exception(error)
        closing[attr.ERROR_TYPE] = type(error).__qualname__
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
    elif outcome != attr.OK:
        span.add_event(f"invocation {outcome}")
    span.set_attributes(closing)
    return outcome


class _InvocationScope:
    """The invocation span, current while the invocation runs."""

    def __init__(self, plugin: OtelPlugin, ctx: Any) -> None:
        self._plugin = plugin
        self._ctx = ctx
        self._token: object | None = None

    def __enter__(self) -> None:
        plugin, ctx = self._plugin, self._ctx
        session = ctx.session
        wait = _pending_lock.get()
        _pending_lock.set(None)
        if wait is not None and wait.key != (session.app_name, session.user_id, session.id):
            wait = None
        labels = {attr.APP_NAME: session.app_name, attr.GEN_AI_AGENT_NAME: ctx.agent.name}
        attributes: dict[str, str | float] = {
            attr.APP_NAME: session.app_name,
            attr.USER_ID: session.user_id,
            attr.SESSION_ID: session.id,
            attr.GEN_AI_CONVERSATION_ID: session.id,
            attr.INVOCATION_ID: ctx.invocation_id,
            attr.GEN_AI_AGENT_NAME: ctx.agent.name,
        }
        waited = 0.0
        if wait is not None:
            waited = (wait.end_ns - wait.start_ns) / 1e9
            attributes[attr.LOCK_WAITED] = waited
        span = plugin._tracer.start_span(
            f"invocation {session.app_name}",
            start_time=wait.start_ns if wait is not None else None,
            attributes=attributes,
        )
        # An uncontended lock is an attribute; a real wait gets its own span.
        if wait is not None and waited >= plugin.settings.lock_span_threshold:
            plugin._lock_span(span, wait, acquired=True)
        started = time.perf_counter() - waited
        plugin._running[ctx.invocation_id] = _Invocation(span, started, labels)
        self._token = _make_current(span)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        plugin = self._plugin
        state = plugin._running.pop(self._ctx.invocation_id, None)
        if self._token is not None:
            otel_context.detach(self._token)
        if state is None:
            return
        plugin._end_transfer(state)
        span = state.span
        outcome = _finish(span, kind, error, state.events, state.tokens)
        span.end()
        labels = {**state.attributes, attr.OUTCOME: outcome}
        metrics_ = plugin._metrics
        metrics_.invocations.add(1, labels)
        metrics_.duration.record(time.perf_counter() - state.started, labels)
        app = state.attributes[attr.APP_NAME]
        for author, count in state.stored.items():
            metrics_.events_stored.add(count, {attr.APP_NAME: app, attr.EVENT_AUTHOR: author})
        if isinstance(error, BackendError):
            metrics_.backend_errors.add(
                1, {**state.attributes, attr.ERROR_TYPE: type(error).__qualname__}
            )


class _AgentScope:
    """One agent's span inside the invocation, current while that agent runs."""

    def __init__(self, plugin: OtelPlugin, ctx: Any, agent: Any) -> None:
        self._plugin = plugin
        self._ctx = ctx
        self._agent = agent
        self._token: object | None = None
        self._span: Span | None = None

    def __enter__(self) -> None:
        plugin, ctx, agent = self._plugin, self._ctx, self._agent
        state = plugin._running.get(ctx.invocation_id)
        if state is None:
            return
        plugin._end_transfer(state)
        attributes = {
            attr.GEN_AI_OPERATION_NAME: attr.INVOKE_AGENT,
            attr.GEN_AI_AGENT_NAME: agent.name,
            attr.GEN_AI_CONVERSATION_ID: ctx.session.id,
            attr.INVOCATION_ID: ctx.invocation_id,
        }
        description = getattr(agent, "description", None)
        if description:
            attributes[attr.GEN_AI_AGENT_DESCRIPTION] = description
        self._span = plugin._tracer.start_span(
            f"{attr.INVOKE_AGENT} {agent.name}", attributes=attributes
        )
        state.agent_span = self._span
        state.agent_tokens = [0, 0]
        state.agent_events = 0
        self._token = _make_current(self._span)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        if self._token is not None:
            otel_context.detach(self._token)
        span = self._span
        if span is None:
            return
        state = self._plugin._running.get(self._ctx.invocation_id)
        if state is not None:
            _finish(span, kind, error, state.agent_events, state.agent_tokens)
            state.agent_span = None
        else:
            _finish(span, kind, error, None, [0, 0])
        span.end()
