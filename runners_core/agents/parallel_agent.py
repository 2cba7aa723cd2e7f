"""An agent that runs its sub-agents concurrently, each on its own branch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing

from runners_core.agents.base_agent import BaseAgent
from runners_core.agents.invocation_context import InvocationContext
from runners_core.events import Event

_DONE = object()


class ParallelAgent(BaseAgent):
    """Runs every sub-agent at once, as ADK's ``ParallelAgent``.

    Events are yielded as they come, interleaved. Each sub-agent runs on its
    own branch, ``<branch>.<parallel>.<sub>`` (ADK's naming), so its events say
    where they came from and its state writes are stored with its own events.
    A branch waits until the runner has handled (stored) each event it yields
    before it continues. The first failure cancels the other branches and is
    raised; an escalation from a direct sub-agent stops the others too.
    """

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        if not self.sub_agents:
            return
        inbox: asyncio.Queue[tuple[object, object]] = asyncio.Queue()
        names = {sub.name for sub in self.sub_agents}

        async def run_branch(sub: BaseAgent) -> None:
            prefix = f"{ctx.branch}." if ctx.branch else ""
            branch_ctx = ctx.for_branch(f"{prefix}{self.name}.{sub.name}")
            try:
                async with aclosing(sub.run_async(branch_ctx)) as events:
                    async for event in events:
                        await _handed_over(inbox, event)
                if branch_ctx.has_pending_actions():
                    flushed = branch_ctx.for_agent(sub).pending_actions_event()
                    await _handed_over(inbox, flushed)
            except Exception as exc:
                await inbox.put((_DONE, exc))
            else:
                await inbox.put((_DONE, None))

        tasks = [asyncio.create_task(run_branch(sub)) for sub in self.sub_agents]
        try:
            running = len(tasks)
            while running:
                item, extra = await inbox.get()
                if item is _DONE:
                    running -= 1
                    if isinstance(extra, BaseException):
                        raise extra
                    continue
                assert isinstance(item, Event) and isinstance(extra, asyncio.Event)
                yield item
                if item.actions.escalate and item.author in names:
                    return
                extra.set()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _handed_over(inbox: asyncio.Queue[tuple[object, object]], event: Event) -> None:
    """Queue *event* and wait until the parent has yielded it (and the runner stored it)."""
    handled = asyncio.Event()
    await inbox.put((event, handled))
    await handled.wait()
