"""A full adapter load after an invocation that stored many events (runners-adk).

    .venv/bin/python benchmarks/bench_adk_history_tail.py [--events 30000] [--stored 40]
        [--rounds 6]

Two ``runners_adk.session_service`` adapters on one SQLite file, each with its own
session of --events events, loaded once. Each round, each adapter stores --stored
events through ``append_event`` (as ADK's Runner does in an invocation) and then loads
its session in full (as ADK's Runner does at the next one); the load's CPU and wall ms
are printed. One adapter is as shipped; the other has ``HistoryCache.extend``
disabled, as before it existed: its cache check then reads an event older than the
newest 32 a load fetches, so the load fetches every older row. The adapters alternate
(A B, then B A) in one process, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import runners_adk
from google.adk.events.event import Event as AdkEvent
from google.genai import types

from runners_core import Content, Event


def said(text: str) -> AdkEvent:
    return AdkEvent(
        invocation_id="inv",
        author="agent",
        content=types.Content(role="model", parts=[types.Part(text=text)]),
    )


async def main(events: int, stored: int, rounds: int) -> None:
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'tail.db'}"
    adapters = {"extend": runners_adk.session_service(url), "no-extend": None}
    adapters["no-extend"] = runners_adk.session_service(url)
    adapters["no-extend"]._history.extend = lambda *args: None  # type: ignore[method-assign]
    loaded = {}
    for name, adapter in adapters.items():
        await adapter.create_session(app_name="app", user_id="u", session_id=name)
        old = [
            Event(author="agent", invocation_id="old", content=Content.from_text(f"m{i}"))
            for i in range(events)
        ]
        await adapter.service.import_events(
            app_name="app", user_id="u", session_id=name, events=old
        )
        loaded[name] = await adapter.get_session(app_name="app", user_id="u", session_id=name)
    cpu: dict[str, list[float]] = {name: [] for name in adapters}
    wall: dict[str, list[float]] = {name: [] for name in adapters}
    for r in range(rounds):
        order = list(adapters) if r % 2 == 0 else list(reversed(adapters))
        for name in order:
            adapter = adapters[name]
            for i in range(stored):
                await adapter.append_event(loaded[name], said(f"round {r} event {i}"))
            cpu0, wall0 = time.process_time(), time.perf_counter()
            loaded[name] = await adapter.get_session(app_name="app", user_id="u", session_id=name)
            cpu[name].append((time.process_time() - cpu0) * 1e3)
            wall[name].append((time.perf_counter() - wall0) * 1e3)
    for name in adapters:
        print(
            f"{name:>9}: load CPU ms {[round(v, 2) for v in cpu[name]]}, "
            f"wall ms {[round(v, 2) for v in wall[name]]}"
        )
    before, after = statistics.median(cpu["no-extend"]), statistics.median(cpu["extend"])
    print(f"median load CPU: {before:.2f} ms -> {after:.2f} ms ({before / after:.0f}x less)")
    for adapter in adapters.values():
        await adapter.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--stored", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.stored, args.rounds))
