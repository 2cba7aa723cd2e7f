"""An agent that runs its sub-agents in a loop until one escalates or a limit is reached."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from runners_core.agents.base_agent import BaseAgent
from runners_core.agents.invocation_context import InvocationContext
from runners_core.events import Event


class LoopAgent(BaseAgent):
    """Runs the sub-agents in order, again and again, as ADK's ``LoopAgent``.

    The loop ends when a sub-agent yields an event with ``actions.escalate``
    (after that sub-agent finishes), after ``max_iterations`` rounds, or when the
    invocation ends. Without ``max_iterations`` it runs until an escalation; a
    value of zero or less runs no round at all.
    """

    max_iterations: int | None = None

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        rounds = 0
        while self.sub_agents and (self.max_iterations is None or rounds < self.max_iterations):
            for sub in self.sub_agents:
                escalated = False
                async with aclosing(sub.run_async(ctx)) as events:
                    async for event in events:
                        yield event
                        escalated = escalated or bool(event.actions.escalate)
                if escalated or ctx.end_invocation:
                    return
            rounds += 1
