"""Tracing overhead of the otel plugin (issue 17).

    .venv/bin/python benchmarks/bench_otel.py [--invocations 300] [--rounds 5]

Workload: InMemoryRunner, an agent yielding 10 small events per invocation, each
invocation on a fresh session (so history does not grow); no installed plugin is
loaded, so ``off`` is the kernel alone. Modes, interleaved round by round so machine
noise hits them alike; the best round of each counts. Each mode is the plugin as a user
configures it (``[tool.runners_core.plugins.otel]``), so it measures what users get:

* ``off``: the otel plugin not loaded;
* ``global``: the default settings and no application provider (the OpenTelemetry API's
  no-op tracer: what every install gets until the application sets OpenTelemetry up);
* ``none``: ``exporter = "none"``: the plugin's own SDK providers; every span is
  sampled and recorded in full (attributes validated, span events kept), then dropped;
* ``console``: ``exporter = "console"``: as ``none``, and each span printed as a line
  of JSON as it ends (standard output goes to /dev/null while measuring);
* ``none-lean``, ``console-lean``: the same with ``event_detail = false`` (no span
  event per stored event; spans, counts and metrics stay);
* ``none-sampled``: ``none`` with ``sampling = 0.1`` (the plugin's own sampler,
  ``ParentBased(TraceIdRatioBased(0.1))``): nine traces in ten are not recorded,
  metrics still count every invocation.

Rates are events per second of this process's CPU time (the machine is shared), the
runner's close included (it flushes the plugin's providers). Prints events/s per mode
and the overhead against ``off`` as JSON, then the plugin's own cost per invocation with
its hooks called directly (``plugin_hooks_us_per_invocation``), next to what a whole
invocation costs without the plugin (``off_us_per_invocation``) and what the
OpenTelemetry SDK alone costs for the same spans, span events and metric updates
(``sdk_floor_us_per_invocation``: the part no plugin code can remove).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import IO

from runners_otel import OtelPlugin

from runners_core import (
    BaseAgent,
    Content,
    Event,
    EventActions,
    InMemoryRunner,
    load_config,
    load_plugins,
)

EVENTS_PER_INVOCATION = 10
MODES = ("off", "global", "none", "none-lean", "none-sampled", "console", "console-lean")


class TenEvents(BaseAgent):
    async def _run_async_impl(self, ctx):
        for i in range(EVENTS_PER_INVOCATION):
            yield ctx.event(f"event {i}", actions=EventActions(state_delta={f"k{i}": i}))


# The plugin as users configure it ([tool.runners_core.plugins.otel]); None: not loaded.
SETTINGS: dict[str, dict[str, object] | None] = {
    "off": None,
    "global": {},
    "none": {"exporter": "none"},
    "none-lean": {"exporter": "none", "event_detail": False},
    "none-sampled": {"exporter": "none", "sampling": 0.1},
    "console": {"exporter": "console"},
    "console-lean": {"exporter": "console", "event_detail": False},
}


def plugin_for(mode: str) -> list[object]:
    settings = SETTINGS[mode]
    return [] if settings is None else [OtelPlugin(**settings)]


async def one_round(mode: str, invocations: int) -> float:
    # No installed plugin is loaded in any mode (the example redaction plugin would be):
    # the otel plugin is passed in code, so "off" is the kernel alone.
    manager = load_plugins(load_config({}, environ={}), entry_points=[])
    runner = InMemoryRunner(
        TenEvents(name="ten"),
        app_name="bench",
        plugins=plugin_for(mode),
        plugin_manager=manager,
        auto_create_session=True,
    )
    message = Content.from_text("go")
    events = 0
    # CPU time of this process: on a shared machine, wall time mostly measures the neighbours.
    start = time.process_time()
    for i in range(invocations):
        async for _ in runner.run_async(user_id="u", session_id=f"s{i}", new_message=message):
            events += 1
    # Closing flushes the plugin's providers: spans a batch processor still holds are
    # exported (and paid for) inside the measured time.
    await runner.close()
    elapsed = time.process_time() - start
    return events / elapsed


async def measure(invocations: int, rounds: int) -> dict[str, float]:
    best = dict.fromkeys(MODES, 0.0)
    await one_round("off", 20)  # warm-up
    for _ in range(rounds):
        for mode in MODES:
            best[mode] = max(best[mode], await one_round(mode, invocations))
    return best


def hook_cost(modes: tuple[str, ...], rounds: int) -> dict[str, float]:
    """The plugin's own cost: its hooks called directly, as the runner calls them for one
    invocation (lock, invocation, agent, the user's event and the agent's events stored),
    in microseconds of CPU per invocation, best of *rounds*. Steadier than the rates above
    on a busy machine: no runner, no event loop, no hook dispatch."""
    from runners_core.sessions.session import Session

    agent = TenEvents(name="ten")
    user = Event(invocation_id="", author="user", content=Content.from_text("go"))
    events = [
        Event(invocation_id="", author="ten", content=Content.from_text(f"event {i}"))
        for i in range(EVENTS_PER_INVOCATION)
    ]

    class Ctx:  # what the hooks read of an InvocationContext
        def __init__(self, i: int) -> None:
            self.invocation_id = f"inv-{i}"
            self.agent = agent
            self.session = Session(id=f"s{i}", app_name="bench", user_id="u")

    def one(plugin, i: int) -> None:
        ctx = Ctx(i)
        plugin.on_session_lock("bench", "u", ctx.session.id, 0.00001, True)
        with plugin.invocation_context(ctx):
            user.invocation_id = ctx.invocation_id
            plugin.after_append_event(ctx.session, user)
            with plugin.agent_context(ctx, agent):
                for event in events:
                    event.invocation_id = ctx.invocation_id
                    plugin.on_event(ctx, event)
                    plugin.after_append_event(ctx.session, event)

    plugins = {mode: plugin_for(mode)[0] for mode in modes}
    best = dict.fromkeys(modes, float("inf"))
    for _ in range(rounds):
        for mode, plugin in plugins.items():
            start = time.process_time()
            for i in range(200):
                one(plugin, i)
            best[mode] = min(best[mode], (time.process_time() - start) / 200 * 1e6)
    return best


def sdk_floor(mode: str, rounds: int) -> float:
    """What the OpenTelemetry SDK alone costs for what the plugin records of one invocation,
    in microseconds of CPU, best of *rounds*: the same calls on the plugin's own tracer and
    instruments, with no plugin code around them (two spans with their attributes, made
    current in turn, a span event of two attributes per stored event, the closing
    attributes, five metric updates). No plugin can record all of it for less."""
    from opentelemetry import context, trace

    plugin = plugin_for(mode)[0]
    tracer = plugin.telemetry.tracer
    instruments = plugin._metrics  # the plugin's own instruments, on its own meter
    events = EVENTS_PER_INVOCATION
    app = {"runners.app_name": "bench"}
    lock = {**app, "runners.session_lock.acquired": True}
    labels = {**app, "gen_ai.agent.name": "ten", "runners.outcome": "ok"}
    closing = {"runners.outcome": "ok", "runners.events": events}

    def one(i: int) -> None:
        instruments.lock_wait.record(0.00001, lock)
        invocation = tracer.start_span(
            "invocation bench",
            attributes={
                **app,
                "runners.user_id": "u",
                "runners.session_id": f"s{i}",
                "gen_ai.conversation.id": f"s{i}",
                "runners.invocation_id": f"inv-{i}",
                "gen_ai.agent.name": "ten",
                "runners.session_lock.waited_s": 0.00001,
            },
        )
        outer = context.attach(trace.set_span_in_context(invocation))
        invocation.add_event("event", {"runners.event.author": "user", "runners.event.size": 2})
        agent = tracer.start_span(
            "invoke_agent ten",
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "ten",
                "gen_ai.conversation.id": f"s{i}",
                "runners.invocation_id": f"inv-{i}",
            },
        )
        inner = context.attach(trace.set_span_in_context(agent))
        for _ in range(events):
            agent.add_event("event", {"runners.event.author": "ten", "runners.event.size": 7})
        context.detach(inner)
        agent.set_attributes(closing)
        agent.end()
        context.detach(outer)
        invocation.set_attributes(closing)
        invocation.end()
        instruments.invocations.add(1, labels)
        instruments.duration.record(0.0003, labels)
        instruments.events_stored.add(1, {**app, "runners.event.author": "user"})
        instruments.events_stored.add(events, {**app, "runners.event.author": "ten"})

    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for i in range(200):
            one(i)
        best = min(best, (time.process_time() - start) / 200 * 1e6)
    return best


def _stdout_to_devnull() -> IO[str]:
    """Send file descriptor 1 (where the console exporter writes, the metric exporter too
    when the process exits) to /dev/null for good; returns a file on the real stdout."""
    sys.stdout.flush()
    real = os.fdopen(os.dup(1), "w")
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
    return real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    out = _stdout_to_devnull()
    best = asyncio.run(measure(args.invocations, args.rounds))
    plugin_us = hook_cost(("global", "none", "none-lean", "none-sampled", "console"), 10)
    floor_us = {mode: sdk_floor(mode, 10) for mode in ("none", "console")}
    off_us = EVENTS_PER_INVOCATION / best["off"] * 1e6
    report = {
        "events_per_invocation": EVENTS_PER_INVOCATION,
        "invocations": args.invocations,
        "events_per_s": {mode: round(rate) for mode, rate in best.items()},
        "overhead_vs_off": {
            mode: f"{(1 - best[mode] / best['off']) * 100:.1f}%" for mode in MODES if mode != "off"
        },
        "off_us_per_invocation": round(off_us),
        "plugin_hooks_us_per_invocation": {mode: round(us) for mode, us in plugin_us.items()},
        "sdk_floor_us_per_invocation": {mode: round(us) for mode, us in floor_us.items()},
    }
    print(json.dumps(report, indent=2), file=out, flush=True)


if __name__ == "__main__":
    main()
