"""Child process of test_sqlite_multiprocess.py: many sessions at once, each run under its lock.

    python sqlite_busy_worker.py URL WORKER SESSIONS ROUNDS

For every round, runs one "invocation" per session concurrently (asyncio.gather):
lock the session, load it, append an event counting up a state key. Prints the
number of events appended.
"""

from __future__ import annotations

import asyncio
import sys

from runners_core import Event, EventActions
from runners_core.services import session_service_from_url


async def main(url: str, worker: int, sessions: int, rounds: int) -> None:
    service = session_service_from_url(url)

    async def invocation(n: int, round_number: int) -> None:
        key = {"app_name": "app", "user_id": "u", "session_id": f"s{n}"}
        async with service.lock_session(**key, timeout=120):
            session = await service.get_session(**key)
            assert session is not None
            count = session.state.get("count", 0)
            event = Event(
                id=f"w{worker}-r{round_number}",
                author="agent",
                invocation_id=f"inv-{worker}-{round_number}",
                actions=EventActions(state_delta={"count": count + 1}),
            )
            await service.append_event(session, event)

    for round_number in range(rounds):
        await asyncio.gather(*(invocation(n, round_number) for n in range(sessions)))
    await service.close()
    print(sessions * rounds)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], *map(int, sys.argv[2:5])))
