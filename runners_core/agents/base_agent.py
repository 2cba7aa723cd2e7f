"""The agent base class users subclass: implement ``_run_async_impl`` and yield events."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from runners_core.agents.callback_context import CallbackContext
from runners_core.agents.invocation_context import InvocationContext
from runners_core.content import Content
from runners_core.errors import ValidationError
from runners_core.events import Event
from runners_core.live import is_audio_chunk
from runners_core.plugins.adk_style import run_agent_callbacks

AgentCallback = Callable[..., Any]
"""``callback(callback_context=CallbackContext) -> Content | None`` (may be async)."""


class BaseAgent(BaseModel):
    """An agent: a name, optional sub-agents, and an async generator of events.

    Subclasses implement :meth:`_run_async_impl` (and :meth:`_run_live_impl`
    for ``Runner.run_live``). Events should be made with ``ctx.event(...)`` so
    that they carry the author and the invocation id.

    ``before_agent_callback`` / ``after_agent_callback`` (one callable or a list,
    plain or async) receive ``callback_context=CallbackContext``. The first to
    return :class:`Content` wins: before the agent, that content replaces the
    agent's turn; after it, the content is added as one more event from the
    agent. State written in a callback is stored with its event.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid", defer_build=True)

    runs_transfers_itself: ClassVar[bool] = False
    """True for an agent that runs the targets of its own transfers (e.g. one hosting a
    foreign agent tree, such as ``runners_adk.AdkAgent``): the runner then stores the
    ``transfer_to_agent`` event but does not look the target up and run it again."""

    name: str
    description: str = ""
    sub_agents: list[BaseAgent] = Field(default_factory=list)
    before_agent_callback: AgentCallback | list[AgentCallback] | None = None
    after_agent_callback: AgentCallback | list[AgentCallback] | None = None
    _parent_agent: BaseAgent | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        if not name.isidentifier():
            raise ValueError(
                f"agent name {name!r} must be a Python identifier (letters, digits, "
                "underscores; not starting with a digit)"
            )
        if name == "user":
            raise ValueError("agent name 'user' is reserved for the user's own events")
        return name

    def model_post_init(self, context: Any, /) -> None:
        seen: set[str] = set()
        for sub in self.sub_agents:
            if sub._parent_agent is not None and sub._parent_agent is not self:
                raise ValueError(
                    f"agent {sub.name!r} already has parent {sub._parent_agent.name!r}; an "
                    "agent can have one parent only, so create a separate instance"
                )
            if sub.name in seen:
                raise ValueError(f"agent {self.name!r} has two sub-agents named {sub.name!r}")
            seen.add(sub.name)
            sub._parent_agent = self

    # ------------------------------------------------------------------ tree

    @property
    def parent_agent(self) -> BaseAgent | None:
        return self._parent_agent

    @property
    def root_agent(self) -> BaseAgent:
        agent = self
        while agent._parent_agent is not None:
            agent = agent._parent_agent
        return agent

    def find_agent(self, name: str) -> BaseAgent | None:
        """This agent or a descendant named *name*."""
        if self.name == name:
            return self
        return self.find_sub_agent(name)

    def find_sub_agent(self, name: str) -> BaseAgent | None:
        for sub in self.sub_agents:
            found = sub.find_agent(name)
            if found is not None:
                return found
        return None

    def iter_agents(self) -> list[BaseAgent]:
        """This agent and all descendants, depth first."""
        agents: list[BaseAgent] = [self]
        for sub in self.sub_agents:
            agents.extend(sub.iter_agents())
        return agents

    # ------------------------------------------------------------------ running

    async def run_async(self, parent_context: InvocationContext) -> AsyncGenerator[Event, None]:
        """Run this agent in *parent_context*; called by the runner and by parent agents."""
        ctx = parent_context.for_agent(self)
        if ctx.end_invocation:
            return
        async with aclosing(self._run_with_callbacks(ctx, self._run_async_impl(ctx))) as events:
            async for event in events:
                yield event
                if ctx.end_invocation:
                    return

    async def run_live(self, parent_context: InvocationContext) -> AsyncGenerator[Event, None]:
        """Run this agent in live (bidirectional) mode, fed by ``ctx.live_request_queue``.

        An event whose content is only inline audio is a stream chunk: it is
        marked partial, so it reaches the caller but is never stored.
        """
        ctx = parent_context.for_agent(self)
        async with aclosing(self._run_with_callbacks(ctx, self._run_live_impl(ctx))) as events:
            async for event in events:
                if not event.partial and is_audio_chunk(event):
                    event = event.model_copy(update={"partial": True})
                yield event
                if ctx.end_invocation:
                    return

    async def _run_with_callbacks(
        self, ctx: InvocationContext, impl: AsyncGenerator[Event, None]
    ) -> AsyncGenerator[Event, None]:
        """*impl* between the agent's before and after callbacks (ADK's order)."""
        try:
            async with aclosing(impl) as events:
                event, replaced = await self._callback_event(
                    ctx, "before_agent_callback", self.before_agent_callback
                )
                if event is not None:
                    yield event
                if replaced or ctx.end_invocation:
                    return
                async for event in events:
                    yield event
            if ctx.end_invocation:
                return
            event, _ = await self._callback_event(
                ctx, "after_agent_callback", self.after_agent_callback
            )
            if event is not None:
                yield event
        except Exception as error:
            if ctx.adk_plugins:
                await run_agent_callbacks(
                    ctx.adk_plugins,
                    "on_agent_error_callback",
                    agent=self,
                    callback_context=CallbackContext(ctx),
                    error=error,
                )
            raise

    async def _callback_event(
        self,
        ctx: InvocationContext,
        kind: str,
        callbacks: AgentCallback | list[AgentCallback] | None,
    ) -> tuple[Event | None, bool]:
        """ADK-style plugins' *kind* callbacks, then the agent's *callbacks*, until one
        returns content; the event to yield, and whether content replaced the turn."""
        if callbacks is None and not ctx.adk_plugins:
            return None, False
        context = CallbackContext(ctx)
        from_plugin = await run_agent_callbacks(
            ctx.adk_plugins, kind, agent=self, callback_context=context
        )
        if from_plugin is not None:
            return self._content_event(ctx, from_plugin, "a plugin's " + kind), True
        listed = (
            [] if callbacks is None else callbacks if isinstance(callbacks, list) else [callbacks]
        )
        for callback in listed:
            result = callback(callback_context=context)
            if inspect.isawaitable(result):
                result = await result
            if result is None:
                continue
            name = f"callback {getattr(callback, '__name__', callback)!r}"
            return self._content_event(ctx, result, name), True
        if ctx.has_pending_actions():
            return ctx.pending_actions_event(), False
        return None, False

    def _content_event(self, ctx: InvocationContext, result: object, source: str) -> Event:
        if not isinstance(result, Content):
            raise ValidationError(
                f"agent {self.name!r}: {source} returned {type(result).__name__}; return a "
                "runners_core.Content to replace the agent's reply, or None to carry on"
            )
        return ctx.event(content=result)

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        raise NotImplementedError(
            f"{type(self).__name__} does not implement _run_async_impl(ctx); define it as "
            "an async generator that yields ctx.event(...)"
        )
        yield  # pragma: no cover - makes this an async generator

    async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        raise NotImplementedError(
            f"{type(self).__name__} does not support live runs; implement "
            "_run_live_impl(ctx) reading from ctx.live_request_queue"
        )
        yield  # pragma: no cover
