"""A separate process for the multi-process tests (run as a script, not collected).

python redis_worker.py run URL APP WORKER COUNT SESSION...
    COUNT invocations through Runner.run, cycling over the sessions.
python redis_worker.py hold URL APP USER SESSION
    take the session's run lease, print LOCKED, and sleep until killed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator

from runners_redis.sessions import RedisSessionService

from runners_core import BaseAgent, Content, Event, InvocationContext, Runner

USER = "worker-user"


class Tally(BaseAgent):
    """Three events per invocation; reads and bumps ``count`` (a lost update would show)."""

    worker: str

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        count = ctx.state.get("count", 0) + 1
        ctx.state["count"] = count
        yield ctx.event(f"{self.worker} a {count}")
        await asyncio.sleep(0)  # give other processes a chance to interleave, if they could
        ctx.state[f"last_{self.worker}"] = count
        yield ctx.event(f"{self.worker} b {count}")
        ctx.state["app:touched_by"] = self.worker
        yield ctx.event(f"{self.worker} c {count}")


def run(url: str, app: str, worker: str, count: int, sessions: list[str]) -> None:
    service = RedisSessionService(url)
    runner = Runner(app_name=app, agent=Tally(name="tally", worker=worker), session_service=service)
    for i in range(count):
        session_id = sessions[i % len(sessions)]
        message = Content.from_text(f"{worker} message {i}")
        for _ in runner.run(user_id=USER, session_id=session_id, new_message=message):
            pass

    async def close() -> None:
        await runner.close()
        await service.close()

    asyncio.run(close())


async def hold(url: str, app: str, user: str, session_id: str) -> None:
    service = RedisSessionService(url)
    async with service.lock_session(app_name=app, user_id=user, session_id=session_id):
        print("LOCKED", flush=True)
        await asyncio.sleep(3600)


def main(argv: list[str]) -> None:
    mode, url, app, *rest = argv
    if mode == "run":
        worker, count, *sessions = rest
        run(url, app, worker, int(count), sessions)
    elif mode == "hold":
        user, session_id = rest
        asyncio.run(hold(url, app, user, session_id))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
