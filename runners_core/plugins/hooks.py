"""The typed facade over pluggy: the only code that calls hook implementations.

Every hook gets a typed method here. Implementations are called one by one
(in pluggy's order: last registered first, honouring ``tryfirst``/``trylast``)
so that replacement hooks can be chained, ``async def`` implementations are
awaited, and a raising implementation is reported with its plugin's name.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import pluggy

from runners_core.content import Content
from runners_core.errors import PluginHookError
from runners_core.events import Event

if TYPE_CHECKING:
    from pluggy import HookImpl

    from runners_core.agents.base_agent import BaseAgent
    from runners_core.agents.invocation_context import InvocationContext
    from runners_core.hookspecs import RunnerView
    from runners_core.plugins.registry import ServiceRegistry
    from runners_core.retention.items import PruneItem
    from runners_core.sessions.session import Session

log = logging.getLogger("runners_core.plugins")


class PluginHooks:
    """Typed, async entry points to every hook in :mod:`runners_core.hookspecs`."""

    def __init__(self, pm: pluggy.PluginManager, distributions: dict[str, str] | None = None):
        self._pm = pm
        self._distributions = distributions if distributions is not None else {}
        self._cache: dict[str, list[HookImpl]] = {}

    # ------------------------------------------------------------------ machinery

    def plugins_changed(self) -> None:
        """Forget cached call lists; whoever (un)registers a plugin on the manager calls it."""
        self._cache.clear()

    def implementations(self, hook: str) -> list[HookImpl]:
        """Implementations of *hook* in call order (cached until :meth:`plugins_changed`)."""
        impls = self._cache.get(hook)
        if impls is None:
            caller = getattr(self._pm.hook, hook)
            impls = [i for i in reversed(caller.get_hookimpls()) if not _is_wrapper(i)]
            self._cache[hook] = impls
        return impls

    @staticmethod
    def _args(impl: HookImpl, kwargs: dict[str, Any]) -> Iterator[Any]:
        return map(kwargs.__getitem__, impl.argnames)

    async def _call(self, impl: HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
        try:
            result = impl.function(*self._args(impl, kwargs))
            # None first: most implementations are plain functions returning nothing, and
            # isawaitable costs more than the call of a trivial hook.
            if result is not None and inspect.isawaitable(result):
                result = await result
            return result
        except Exception as exc:
            raise PluginHookError(impl.plugin_name, hook, exc) from exc

    def _call_sync(self, impl: HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
        try:
            result = impl.function(*self._args(impl, kwargs))
        except Exception as exc:
            raise PluginHookError(impl.plugin_name, hook, exc) from exc
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise PluginHookError(
                impl.plugin_name, hook, TypeError(f"{hook} must be a plain function, not async")
            )
        return result

    async def _chain(
        self, hook: str, key: str, value: Any, kwargs: dict[str, Any], kind: type
    ) -> Any:
        for impl in self.implementations(hook):
            kwargs[key] = value
            # _call inlined: this runs for every event, and each coroutine layer costs.
            try:
                result = impl.function(*map(kwargs.__getitem__, impl.argnames))
                if result is None:
                    continue
                if inspect.isawaitable(result):
                    result = await result
                    if result is None:
                        continue
            except Exception as exc:
                raise PluginHookError(impl.plugin_name, hook, exc) from exc
            if not isinstance(result, kind):
                raise PluginHookError(
                    impl.plugin_name,
                    hook,
                    TypeError(
                        f"returned {type(result).__name__}; return a {kind.__name__} or None"
                    ),
                )
            value = result
        return value

    async def _notify(self, hook: str, kwargs: dict[str, Any]) -> None:
        for impl in self.implementations(hook):
            # _call inlined, as in _chain.
            try:
                result = impl.function(*map(kwargs.__getitem__, impl.argnames))
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception as exc:
                raise PluginHookError(impl.plugin_name, hook, exc) from exc

    async def _notify_logged(self, hook: str, kwargs: dict[str, Any]) -> list[PluginHookError]:
        """Call every implementation even if some fail; log and return the failures."""
        failures = []
        for impl in self.implementations(hook):
            try:
                await self._call(impl, hook, kwargs)
            except PluginHookError as exc:
                log.error("%s", exc, exc_info=exc.error)
                failures.append(exc)
        return failures

    async def _enter_contexts(
        self, stack: AsyncExitStack, hook: str, kwargs: dict[str, Any]
    ) -> None:
        """Enter each context manager the implementations return, first one outermost."""
        for impl in self.implementations(hook):
            # _call inlined (twice an invocation with a tracing plugin).
            try:
                manager = impl.function(*map(kwargs.__getitem__, impl.argnames))
                if manager is not None and inspect.isawaitable(manager):
                    manager = await manager
            except Exception as exc:
                raise PluginHookError(impl.plugin_name, hook, exc) from exc
            if manager is None:
                continue
            if hasattr(manager, "__aenter__") and hasattr(manager, "__aexit__"):
                await stack.enter_async_context(manager)
            elif hasattr(manager, "__enter__") and hasattr(manager, "__exit__"):
                stack.enter_context(manager)
            else:
                raise PluginHookError(
                    impl.plugin_name,
                    hook,
                    TypeError(
                        f"returned {type(manager).__name__}; return a context manager "
                        "(sync or async) or None"
                    ),
                )

    # ------------------------------------------------------------------ registration

    def register_services(self, registry: ServiceRegistry) -> list[PluginHookError]:
        """Let each plugin fill *registry*; returns failures instead of raising.

        Each plugin fills a registry of its own, committed into *registry* only
        if its hook returns: a plugin that raises half-way leaves nothing behind.
        """
        from runners_core.plugins.registry import ServiceRegistry

        failures = []
        for impl in self.implementations("register_services"):
            staged = ServiceRegistry()
            try:
                self._call_sync(impl, "register_services", {"registry": staged})
            except PluginHookError as exc:
                failures.append(exc)
                continue
            distribution = self._distributions.get(impl.plugin_name, impl.plugin_name)
            registry.commit(staged, impl.plugin_name, distribution)
        return failures

    def register_commands(self, cli: Any) -> list[PluginHookError]:
        """Let each plugin add subcommands; returns failures instead of raising."""
        failures = []
        for impl in self.implementations("register_commands"):
            try:
                self._call_sync(impl, "register_commands", {"cli": cli})
            except PluginHookError as exc:
                failures.append(exc)
        return failures

    def adapt_agent(self, obj: object) -> BaseAgent | None:
        """*obj* if it is a ``BaseAgent``, else the first plugin's adaptation, else None."""
        from runners_core.agents.base_agent import BaseAgent

        if isinstance(obj, BaseAgent):
            return obj
        for impl in self.implementations("adapt_agent"):
            result = self._call_sync(impl, "adapt_agent", {"obj": obj})
            if result is None:
                continue
            if not isinstance(result, BaseAgent):
                raise PluginHookError(
                    impl.plugin_name,
                    "adapt_agent",
                    TypeError(f"returned {type(result).__name__}; return a BaseAgent or None"),
                )
            return result
        return None

    # ------------------------------------------------------------------ invocation hooks

    async def on_session_lock(
        self, app_name: str, user_id: str, session_id: str, waited: float, acquired: bool
    ) -> None:
        if not self.implementations("on_session_lock"):
            return
        kwargs = {
            "app_name": app_name,
            "user_id": user_id,
            "session_id": session_id,
            "waited": waited,
            "acquired": acquired,
        }
        if acquired:
            await self._notify("on_session_lock", kwargs)
        else:
            # The caller gets the busy error; an observer failing must not replace it.
            await self._notify_logged("on_session_lock", kwargs)

    async def invocation_context(self, stack: AsyncExitStack, ctx: InvocationContext) -> None:
        """Enter the plugins' invocation context managers on *stack* (exited with it)."""
        if self.implementations("invocation_context"):
            await self._enter_contexts(stack, "invocation_context", {"ctx": ctx})

    async def agent_context(
        self, stack: AsyncExitStack, ctx: InvocationContext, agent: BaseAgent
    ) -> None:
        """Enter the plugins' context managers for one agent's run on *stack*."""
        if self.implementations("agent_context"):
            await self._enter_contexts(stack, "agent_context", {"ctx": ctx, "agent": agent})

    async def on_user_message(self, ctx: InvocationContext, message: Content) -> Content:
        if not self.implementations("on_user_message"):
            return message
        return await self._chain("on_user_message", "message", message, {"ctx": ctx}, Content)

    async def before_run(self, ctx: InvocationContext) -> Content | None:
        """The first content a plugin returns (the run then ends with it), or None."""
        for impl in self.implementations("before_run"):
            result = await self._call(impl, "before_run", {"ctx": ctx})
            if result is not None:
                if not isinstance(result, Content):
                    raise PluginHookError(
                        impl.plugin_name,
                        "before_run",
                        TypeError(f"returned {type(result).__name__}; return Content or None"),
                    )
                return result
        return None

    async def on_event(self, ctx: InvocationContext, event: Event) -> Event:
        impls = self.implementations("on_event")
        if not impls:
            return event
        # _chain inlined: once per event, and a coroutine layer costs more than a trivial
        # implementation (measured: 0.5 us of CPU an event).
        kwargs = {"ctx": ctx, "event": event}
        for impl in impls:
            try:
                result = impl.function(*map(kwargs.__getitem__, impl.argnames))
                if result is None:
                    continue
                if inspect.isawaitable(result):
                    result = await result
                    if result is None:
                        continue
            except Exception as exc:
                raise PluginHookError(impl.plugin_name, "on_event", exc) from exc
            if not isinstance(result, Event):
                raise PluginHookError(
                    impl.plugin_name,
                    "on_event",
                    TypeError(f"returned {type(result).__name__}; return a Event or None"),
                )
            kwargs["event"] = result
        return kwargs["event"]

    async def before_append_event(self, session: Session, event: Event) -> Event:
        if not self.implementations("before_append_event"):
            return event
        return await self._chain("before_append_event", "event", event, {"session": session}, Event)

    async def after_append_event(self, session: Session, event: Event) -> None:
        impls = self.implementations("after_append_event")
        if not impls:
            return  # once per stored event: not even the arguments when nobody listens
        # _notify inlined, as in on_event.
        kwargs = {"session": session, "event": event}
        for impl in impls:
            try:
                result = impl.function(*map(kwargs.__getitem__, impl.argnames))
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception as exc:
                raise PluginHookError(impl.plugin_name, "after_append_event", exc) from exc

    async def after_run(self, ctx: InvocationContext) -> None:
        await self._notify("after_run", {"ctx": ctx})

    async def on_run_error(self, ctx: InvocationContext, error: BaseException) -> None:
        # Never mask the run's own error: failures here are logged only.
        await self._notify_logged("on_run_error", {"ctx": ctx, "error": error})

    async def on_close_session(self, session: Session) -> None:
        await self._notify("on_close_session", {"session": session})

    async def on_prune(self, item: PruneItem) -> list[str]:
        """Names of the plugins that veto deleting *item* (empty: go ahead)."""
        vetoes = []
        for impl in self.implementations("on_prune"):
            result = await self._call(impl, "on_prune", {"item": item})
            if result is False:
                vetoes.append(impl.plugin_name)
            elif result not in (None, True):
                raise PluginHookError(
                    impl.plugin_name,
                    "on_prune",
                    TypeError(f"returned {type(result).__name__}; return True, False or None"),
                )
        return vetoes

    async def on_runner_close(self, runner: RunnerView) -> Sequence[PluginHookError]:
        return await self._notify_logged("on_runner_close", {"runner": runner})


def _is_wrapper(impl: HookImpl) -> bool:
    return bool(getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False))
