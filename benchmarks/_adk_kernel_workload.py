"""Google ADK 2.13 side of bench_kernel.py; run with the ADK virtualenv's Python.

Prints one JSON object: per-invocation seconds for the same workload as ours, and
get_session timings of a 10,000-event in-memory session.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from google.adk.agents import BaseAgent
from google.adk.events import Event, EventActions
from google.adk.runners import InMemoryRunner
from google.adk.sessions import InMemorySessionService
from google.adk.sessions.base_session_service import GetSessionConfig
from google.genai import types


class TenEvents(BaseAgent):
    async def _run_async_impl(self, ctx):
        for i in range(10):
            yield Event(
                author=self.name,
                invocation_id=ctx.invocation_id,
                content=types.Content(role="model", parts=[types.Part(text=f"event {i}")]),
                actions=EventActions(state_delta={f"k{i}": i}),
            )


async def workload(invocations: int) -> list[float]:
    runner = InMemoryRunner(agent=TenEvents(name="ten"), app_name="bench")
    await runner.session_service.create_session(app_name="bench", user_id="u", session_id="s")
    message = types.Content(role="user", parts=[types.Part(text="go")])
    times = []
    for _ in range(invocations):
        start = time.perf_counter()
        async for _ in runner.run_async(user_id="u", session_id="s", new_message=message):
            pass
        times.append(time.perf_counter() - start)
    return times


async def big_session(n: int) -> dict[str, float]:
    service = InMemorySessionService()
    session = await service.create_session(app_name="bench", user_id="u", session_id="big")
    for i in range(n):
        await service.append_event(
            session,
            Event(
                author="a",
                invocation_id="i",
                content=types.Content(role="model", parts=[types.Part(text=f"e{i}")]),
            ),
        )
    out = {}
    for label, config in (("full", None), ("recent10", GetSessionConfig(num_recent_events=10))):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            await service.get_session(
                app_name="bench", user_id="u", session_id="big", config=config
            )
            best = min(best, time.perf_counter() - start)
        out[label] = best
    return out


async def main() -> None:
    invocations, events = int(sys.argv[1]), int(sys.argv[2])
    result = {"invocations": await workload(invocations), "get_session": await big_session(events)}
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
