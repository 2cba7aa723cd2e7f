"""ADK-style plugin objects (``BasePlugin`` subclasses) mapped onto our hooks.

An ADK plugin overrides ``*_callback`` methods called with keyword arguments.
:func:`adapt` wraps one in an object whose ``@hookimpl`` methods call them, so
it registers into the plugin manager like any other plugin:

=============================  =====================================
ADK plugin callback            runners-core hook
=============================  =====================================
``on_user_message_callback``   ``on_user_message(ctx, message)``
``before_run_callback``        ``before_run(ctx)``
``on_event_callback``          ``on_event(ctx, event)``
``after_run_callback``         ``after_run(ctx)``
``on_run_error_callback``      ``on_run_error(ctx, error)``
``close``                      ``on_runner_close(runner)``
``before_agent_callback``      run by each agent before its own callbacks
``after_agent_callback``       run by each agent before its own callbacks
``on_agent_error_callback``    run by each agent when it raises
=============================  =====================================

Model and tool callbacks have no counterpart in the kernel (it runs no model).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from runners_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from runners_core.agents.base_agent import BaseAgent
    from runners_core.agents.callback_context import CallbackContext
    from runners_core.agents.invocation_context import InvocationContext
    from runners_core.content import Content
    from runners_core.events import Event

RUN_CALLBACKS = (
    "on_user_message_callback",
    "before_run_callback",
    "on_event_callback",
    "after_run_callback",
    "on_run_error_callback",
)
AGENT_CALLBACKS = ("before_agent_callback", "after_agent_callback", "on_agent_error_callback")


class BasePlugin:
    """The shape of ADK's ``BasePlugin``: override the callbacks you need.

    Every callback is async and returns None unless it means to change
    something; what a returned value does is what ADK documents (a message or
    event replaces the original, content from ``before_run_callback`` ends the
    run, content from ``before_agent_callback`` replaces the agent's turn).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    async def on_user_message_callback(
        self, *, invocation_context: InvocationContext, user_message: Content
    ) -> Content | None:
        return None

    async def before_run_callback(self, *, invocation_context: InvocationContext) -> Content | None:
        return None

    async def on_event_callback(
        self, *, invocation_context: InvocationContext, event: Event
    ) -> Event | None:
        return None

    async def after_run_callback(self, *, invocation_context: InvocationContext) -> None:
        return None

    async def on_run_error_callback(
        self, *, invocation_context: InvocationContext, error: Exception
    ) -> None:
        return None

    async def before_agent_callback(
        self, *, agent: BaseAgent, callback_context: CallbackContext
    ) -> Content | None:
        return None

    async def after_agent_callback(
        self, *, agent: BaseAgent, callback_context: CallbackContext
    ) -> Content | None:
        return None

    async def on_agent_error_callback(
        self, *, agent: BaseAgent, callback_context: CallbackContext, error: Exception
    ) -> None:
        return None

    async def close(self) -> None:
        return None


def is_adk_style(plugin: object) -> bool:
    """Whether *plugin* is an ADK-style plugin (by class, or by its callback methods)."""
    if isinstance(plugin, BasePlugin):
        return True
    if inspect.ismodule(plugin) or isinstance(plugin, type):
        return False
    return any(callable(getattr(plugin, name, None)) for name in (*RUN_CALLBACKS, *AGENT_CALLBACKS))


async def _call(plugin: object, method: str, **kwargs: Any) -> Any:
    callback = getattr(plugin, method, None)
    if callback is None:
        return None
    result = callback(**kwargs)
    return await result if inspect.isawaitable(result) else result


class AdkPluginAdapter:
    """Our hook implementations, each calling the ADK plugin's matching callback."""

    def __init__(self, plugin: object) -> None:
        self.plugin = plugin
        self.name = getattr(plugin, "name", None) or type(plugin).__name__

    @hookimpl
    async def on_user_message(self, ctx: InvocationContext, message: Content) -> Content | None:
        return await _call(
            self.plugin, "on_user_message_callback", invocation_context=ctx, user_message=message
        )

    @hookimpl
    async def before_run(self, ctx: InvocationContext) -> Content | None:
        return await _call(self.plugin, "before_run_callback", invocation_context=ctx)

    @hookimpl
    async def on_event(self, ctx: InvocationContext, event: Event) -> Event | None:
        return await _call(self.plugin, "on_event_callback", invocation_context=ctx, event=event)

    @hookimpl
    async def after_run(self, ctx: InvocationContext) -> None:
        await _call(self.plugin, "after_run_callback", invocation_context=ctx)

    @hookimpl
    async def on_run_error(self, ctx: InvocationContext, error: BaseException) -> None:
        if isinstance(error, Exception):
            await _call(self.plugin, "on_run_error_callback", invocation_context=ctx, error=error)

    @hookimpl
    async def on_runner_close(self, runner: Any) -> None:
        await _call(self.plugin, "close")


async def run_agent_callbacks(
    plugins: tuple[object, ...], method: str, **kwargs: Any
) -> Content | None:
    """Each ADK-style plugin's agent callback in order; the first content wins."""
    for plugin in plugins:
        result = await _call(plugin, method, **kwargs)
        if result is not None:
            return result  # type: ignore[no-any-return]
    return None
