"""Child process of test_sqlite_durability.py: append events until killed.

    python sqlite_kill_writer.py URL ROUND

Holds the session's run lock (as a runner would) and appends events ``r<ROUND>-0``,
``r<ROUND>-1``, ... each with a state delta, printing each id only after
``append_event`` returned: a printed id is an acknowledged one. Every fifth event
carries 64 KiB of text, so a kill often lands inside a longer write.
"""

from __future__ import annotations

import asyncio
import sys

from runners_core import Content, Event, EventActions
from runners_core.errors import SessionExistsError
from runners_core.services import session_service_from_url

KEY = {"app_name": "app", "user_id": "u", "session_id": "durable"}


async def main(url: str, round_number: int) -> None:
    service = session_service_from_url(url)
    try:
        await service.create_session(**KEY)
    except SessionExistsError:
        pass
    async with service.lock_session(**KEY, timeout=30):
        session = await service.get_session(**KEY)
        assert session is not None
        i = 0
        while True:
            text = "x" * 65536 if i % 5 == 4 else f"event {i}"
            event = Event(
                id=f"r{round_number}-{i}",
                author="writer",
                invocation_id=f"inv-{round_number}",
                content=Content.from_text(text, role="model"),
                actions=EventActions(state_delta={"count": i, "user:round": round_number}),
            )
            await service.append_event(session, event)
            print(event.id, flush=True)
            i += 1


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
