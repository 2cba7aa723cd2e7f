"""An agent that runs its sub-agents one after another in the same invocation."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from runners_core.agents.base_agent import BaseAgent
from runners_core.agents.invocation_context import InvocationContext
from runners_core.events import Event


class SequentialAgent(BaseAgent):
    """Runs each sub-agent in order; stops early if one ends the invocation."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        for sub in self.sub_agents:
            if ctx.end_invocation:
                return
            async with aclosing(sub.run_async(ctx)) as events:
                async for event in events:
                    yield event

    async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        for sub in self.sub_agents:
            if ctx.end_invocation:
                return
            async with aclosing(sub.run_live(ctx)) as events:
                async for event in events:
                    yield event
