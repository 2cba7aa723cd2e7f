"""Runner.hold_session: the public way to act under a session's run lock before a run."""

from __future__ import annotations

import asyncio

import pytest

from runners_core import BaseAgent, Content, InMemorySessionService, InvocationContext, Runner
from runners_core.errors import SessionBusyError


class Echo(BaseAgent):
    async def _run_async_impl(self, ctx: InvocationContext):  # type: ignore[override]
        yield ctx.event("echo")


def runner(service: InMemorySessionService) -> Runner:
    return Runner(
        app_name="app",
        agent=Echo(name="echo"),
        session_service=service,
        auto_create_session=True,
        session_busy="reject",  # a second taking of the lock would fail at once
        plugins=(),
    )


async def texts(run: Runner, session_id: str = "s") -> list[str]:
    events = run.run_async(user_id="u", session_id=session_id, new_message=Content.from_text("hi"))
    return [e.content.text async for e in events if e.content]


async def test_runs_inside_the_block_use_the_held_lock() -> None:
    async with runner(InMemorySessionService()) as run:
        async with run.hold_session(user_id="u", session_id="s"):
            assert await texts(run) == ["echo"]
            assert await texts(run) == ["echo"]
            closed = await run.close_session(user_id="u", session_id="s")
        assert [e.content.text for e in closed.events if e.content] == ["hi", "echo"] * 2


async def test_others_find_the_session_busy_while_it_is_held() -> None:
    service = InMemorySessionService()
    async with runner(service) as run, runner(service) as other:
        async with run.hold_session(user_id="u", session_id="s"):
            with pytest.raises(SessionBusyError):
                await texts(other)
            # Another task of the same runner does not hold it either.
            with pytest.raises(SessionBusyError):
                await asyncio.create_task(texts(run))
            assert await texts(run, "elsewhere") == ["echo"]  # other sessions are free
        assert await texts(other) == ["echo"]


async def test_the_timeout_applies_to_taking_the_lock() -> None:
    service = InMemorySessionService()
    async with runner(service) as run:
        async with service.lock_session(app_name="app", user_id="u", session_id="s"):
            with pytest.raises(SessionBusyError, match="waited 0.05s"):
                async with run.hold_session(user_id="u", session_id="s", timeout=0.05):
                    pass


async def test_a_rewind_inside_the_block_uses_the_held_lock() -> None:
    """configuration.md: runs, rewinds and close_session inside the block use the held lock."""
    service = InMemorySessionService()
    async with runner(service) as run:
        async with run.hold_session(user_id="u", session_id="s"):
            assert await texts(run) == ["echo"]
            session = await service.get_session(app_name="app", user_id="u", session_id="s")
            first = session.events[0].invocation_id
            await run.rewind_async(user_id="u", session_id="s", rewind_before_invocation_id=first)
        session = await service.get_session(app_name="app", user_id="u", session_id="s")
        # The rewind ran (under session_busy="reject" a second lock would have failed).
        assert [e.content.text for e in session.events if e.content] == ["hi", "echo"]
        assert session.events[-1].actions.rewind_before_invocation_id == first
