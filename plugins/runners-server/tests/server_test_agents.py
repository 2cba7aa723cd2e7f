"""Agents the runners-server tests serve (loaded by path, like a user's agent file)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator

from runners_core import BaseAgent, Event, InvocationContext, Part, StreamingMode


def _text(ctx: InvocationContext) -> str:
    return ctx.user_content.text if ctx.user_content else ""


class Echo(BaseAgent):
    """Replies 'echo: <text>'; streams it word by word first when asked to stream."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        reply = f"echo: {_text(ctx)}"
        if ctx.run_config.streaming_mode == StreamingMode.SSE:
            for word in reply.split(" "):
                yield ctx.event(word + " ", partial=True)
        ctx.state["echoes"] = ctx.state.get("echoes", 0) + 1
        yield ctx.event(reply)


class Steps(BaseAgent):
    """Yields three events with a pause between them (interleaving shows up in the store).

    Each names the process that ran it, so tests see which server worker did.
    """

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        for step in range(3):
            await asyncio.sleep(0.02)
            yield ctx.event(f"{_text(ctx)} step {step} pid {os.getpid()}")


class Slow(BaseAgent):
    """Says 'started', then works for a long time (tests cancel or wait for it)."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        yield ctx.event("started")
        for _ in range(300):
            await asyncio.sleep(0.1)
        yield ctx.event("finished")


class Saver(BaseAgent):
    """Saves the user's text as a new version of 'note.txt' and says so."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        version = await ctx.save_artifact("note.txt", Part(text=_text(ctx)))
        yield ctx.event(f"saved version {version}")


class Failing(BaseAgent):
    """Says one thing, then fails."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        yield ctx.event("about to fail")
        raise RuntimeError("the agent broke")


echo = Echo(name="echo")
steps = Steps(name="steps")
slow = Slow(name="slow")
saver = Saver(name="saver")
failing = Failing(name="failing")
