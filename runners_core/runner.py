"""The runner: orchestrates one invocation of an agent on a session.

Order inside an invocation (``run_async``):

1. take the session's run lock (a second invocation waits, or is rejected),
   then ``on_session_lock``;
2. load the session (create it if ``auto_create_session``), then enter the
   plugins' ``invocation_context`` managers (exited when the invocation ends);
3. ``on_user_message`` hooks, then store the user's event (with ``state_delta``);
4. ``before_run`` hooks; content returned by one ends the run with it;
5. run the agent inside the plugins' ``agent_context`` managers; for each
   event: pending actions merged, ``on_event`` hooks, then (unless partial)
   ``before_append_event``, store, ``after_append_event``; yield it;
6. ``after_run``, or ``on_run_error`` if anything failed.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
import warnings
import weakref
from contextlib import AsyncExitStack, aclosing, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Literal

from runners_core.content import Content
from runners_core.errors import (
    InvocationNotFoundError,
    RunnersError,
    SessionBusyError,
    SessionNotFoundError,
    ValidationError,
)
from runners_core.events import Event, EventActions
from runners_core.identifiers import validate_id

# Importing the runner builds nothing it does not need to define its classes: the
# plugin manager (pluggy, entry points), asyncio, the services' base classes and the
# agent machinery are imported where first used (building a runner, starting a run),
# which keeps ``from runners_core import Runner`` cheap (docs/performance.md).
if TYPE_CHECKING:
    import logging
    from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Sequence

    from runners_core.agents.base_agent import BaseAgent
    from runners_core.agents.invocation_context import InvocationContext
    from runners_core.agents.run_config import RunConfig
    from runners_core.app import App
    from runners_core.artifacts.base import BaseArtifactService
    from runners_core.config import Config
    from runners_core.live import LiveRequest, LiveRequestQueue
    from runners_core.memory.base import BaseMemoryService
    from runners_core.plugins.manager import LoadedPlugins
    from runners_core.sessions.base import BaseSessionService
    from runners_core.sessions.session import Session

SessionBusy = Literal["wait", "reject"]
# The session run locks the current task holds through Runner.hold_session, as
# (id of the runner, app_name, user_id, session_id, id of the task).
_HELD: contextvars.ContextVar[frozenset[tuple[int, str, str, str, int]]] = contextvars.ContextVar(
    "runners_core_held_sessions", default=frozenset()
)
_POLICY: Any = object()  # hold_session's default timeout: the runner's busy policy
MAX_TRANSFERS = 100


def _log() -> logging.Logger:
    import logging  # on first use: only failures log here

    return logging.getLogger("runners_core.runner")


class Runner:
    """Runs an agent against session, memory and artifact services, with plugins.

    Installed plugins (entry points in ``runners_core.plugins``, filtered by
    ``[tool.runners_core]`` and ``RUNNERS_CORE_*``) are loaded when the runner
    is built; objects in *plugins* run alongside them. A given *plugin_manager*
    may be shared by several runners: each runner's own *plugins* go into a
    copy of it, so no runner runs another's plugins.
    """

    def __init__(
        self,
        *,
        app_name: str | None = None,
        agent: BaseAgent | None = None,
        session_service: BaseSessionService,
        memory_service: BaseMemoryService | None = None,
        artifact_service: BaseArtifactService | None = None,
        plugins: Sequence[object] = (),
        auto_create_session: bool = False,
        session_busy: SessionBusy = "wait",
        busy_timeout: float | None = None,
        plugin_manager: LoadedPlugins | None = None,
        app: App | None = None,
    ) -> None:
        from runners_core.plugins.adk_style import AdkPluginAdapter, is_adk_style
        from runners_core.plugins.manager import load_plugins
        from runners_core.sessions.base import BaseSessionService

        if app is not None:
            from runners_core.app import App

            if agent is not None:
                raise ValidationError("pass either app=App(...) or agent=..., not both")
            if not isinstance(app, App):
                raise ValidationError(f"app must be a runners_core.App, got {type(app).__name__}")
            agent = app.root_agent
            app_name = app_name or app.name
            plugins = [*app.plugins, *plugins]
        if app_name is None:
            raise ValidationError("Runner needs app_name=... when it is given agent=...")
        validate_id("app_name", app_name)
        # ADK-style plugin objects register through an adapter onto our hooks.
        adk_plugins = tuple(p for p in plugins if is_adk_style(p))
        registered = [AdkPluginAdapter(p) if is_adk_style(p) else p for p in plugins]
        # A given manager may be shared with other runners: this runner's own
        # plugins go into a copy, never into the shared one.
        shared = plugin_manager if plugin_manager is not None else load_plugins()
        loaded = shared.with_plugins(registered)
        agent = _adapted(agent, loaded)
        if not isinstance(session_service, BaseSessionService):
            raise ValidationError(
                "session_service must be a BaseSessionService (e.g. InMemorySessionService() "
                f"or session_service_from_url(...)), got {type(session_service).__name__}"
            )
        if session_busy not in ("wait", "reject"):
            raise ValidationError(f"session_busy must be 'wait' or 'reject', not {session_busy!r}")
        self.app_name = app_name
        self.agent = agent
        self.session_service = session_service
        self.memory_service = memory_service
        self.artifact_service = artifact_service
        self.auto_create_session = auto_create_session
        self.session_busy: SessionBusy = session_busy
        self.busy_timeout = busy_timeout
        self.app = app
        self._adk_plugins = adk_plugins
        self.plugins = loaded
        self._hooks = self.plugins.hooks
        self._owned: list[Any] = []
        self._closed = False
        self._loop_thread: _LoopThread | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_config(
        cls,
        agent: BaseAgent,
        *,
        app_name: str | None = None,
        session_service: str | BaseSessionService | None = None,
        memory_service: str | BaseMemoryService | None = None,
        artifact_service: str | BaseArtifactService | None = None,
        plugins: Sequence[object] = (),
        config: Config | None = None,
        plugin_manager: LoadedPlugins | None = None,
        auto_create_session: bool = False,
    ) -> Runner:
        """A runner whose services and plugins come from configuration.

        Service arguments may be URLs or ready services; unset ones come from
        the environment, then ``[tool.runners_core]``, then the same default as the
        ``runners`` command: the embedded SQLite files under the project's
        ``.runners/`` when runners-sqlite is installed, else ``memory://`` (with a
        warning). A ready *config* or *plugin_manager* (from ``load_plugins``) is
        used as given.
        """
        from runners_core.config import load_config
        from runners_core.default_services import choose_services, ephemeral_warning
        from runners_core.plugins.manager import load_plugins
        from runners_core.services import service_from_url

        overrides = {
            key: value
            for key, value in (
                ("app_name", app_name),
                ("session_service", session_service),
                ("memory_service", memory_service),
                ("artifact_service", artifact_service),
            )
            if isinstance(value, str)
        }
        config = config if config is not None else load_config(overrides)
        loaded = plugin_manager if plugin_manager is not None else load_plugins(config)
        agent = _adapted(agent, loaded)
        built: list[Any] = []
        defaults = choose_services(config, loaded)
        unset = {
            kind: choice
            for kind, choice in defaults.items()
            if {"session": session_service, "memory": memory_service, "artifact": artifact_service}[
                kind
            ]
            is None
        }
        warning = ephemeral_warning(unset, loaded)
        if warning:
            _log().warning("%s", warning)

        def resolve(kind: Literal["session", "memory", "artifact"], given: Any) -> Any:
            if given is not None and not isinstance(given, str):
                return given
            url = given or defaults[kind].url
            service = service_from_url(kind, url, plugins=loaded)
            built.append(service)
            return service

        runner = cls(
            app_name=app_name or config.app_name or agent.name,
            agent=agent,
            session_service=resolve("session", session_service),
            memory_service=resolve("memory", memory_service),
            artifact_service=resolve("artifact", artifact_service),
            plugins=plugins,
            auto_create_session=auto_create_session,
            session_busy=config.session_busy,
            busy_timeout=config.busy_timeout,
            plugin_manager=loaded,
        )
        runner._owned = built
        return runner

    # ------------------------------------------------------------------ running

    def run(
        self,
        *,
        user_id: str,
        session_id: str,
        new_message: Content,
        state_delta: dict[str, Any] | None = None,
        run_config: RunConfig | None = None,
    ) -> Generator[Event, None, None]:
        """Synchronous ``run_async``, for scripts and tests.

        The invocation runs on this runner's background event loop; leaving the
        loop early (``break``) cancels it and waits until it has stopped.
        """
        import asyncio
        import queue

        loop_thread = self._background_loop()
        events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

        async def pump() -> None:
            try:
                async with aclosing(
                    self.run_async(
                        user_id=user_id,
                        session_id=session_id,
                        new_message=new_message,
                        state_delta=state_delta,
                        run_config=run_config,
                    )
                ) as stream:
                    async for event in stream:
                        events.put(("event", event))
            except BaseException as exc:
                events.put(("error", exc))
                if isinstance(exc, asyncio.CancelledError):
                    raise
            else:
                events.put(("done", None))

        future = asyncio.run_coroutine_threadsafe(pump(), loop_thread.loop)
        finished = False
        try:
            while True:
                kind, value = events.get()
                if kind == "event":
                    yield value
                    continue
                finished = True
                if kind == "error":
                    if isinstance(value, Exception):
                        raise value
                    # As ADK: re-raising a CancelledError here would tell the caller's
                    # own event loop that the caller was cancelled.
                    raise RuntimeError(
                        f"Agent run terminated by {type(value).__name__}."
                    ) from value
                return
        finally:
            if not finished:
                future.cancel()
                while events.get()[0] == "event":
                    pass

    async def run_async(
        self,
        *,
        user_id: str,
        session_id: str,
        new_message: Content | None = None,
        state_delta: dict[str, Any] | None = None,
        run_config: RunConfig | None = None,
        invocation_id: str | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Run the agent for one user turn and yield its events as they happen."""
        self._check_open()
        if run_config is None:
            from runners_core.agents.run_config import RunConfig

            run_config = RunConfig()
        if new_message is not None:
            _check_user_message(new_message)
        async with AsyncExitStack() as scope:
            await self._take_lock(scope, user_id, session_id)
            session = await self._load_session(user_id, session_id, run_config)
            ctx = self._new_context(session, run_config, new_message, invocation_id)
            try:
                await self._hooks.invocation_context(scope, ctx)
                if invocation_id and _has_user_message(session, invocation_id):
                    new_message = None  # re-running an invocation: its message is stored
                if new_message is not None or state_delta:
                    await self._store_user_event(ctx, new_message, state_delta)
                async with aclosing(self._run_agents(ctx, live=False)) as stream:
                    async for event in stream:
                        yield event
            except BaseException as exc:
                # Includes the caller stopping early (GeneratorExit) and cancellation.
                await self._hooks.on_run_error(ctx, exc)
                raise
            await self._hooks.after_run(ctx)

    async def run_live(
        self,
        *,
        user_id: str,
        session_id: str,
        live_request_queue: LiveRequestQueue,
        run_config: RunConfig | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Run the agent's live mode, fed by *live_request_queue* (experimental, as in ADK).

        The agent's ``_run_live_impl`` reads the queue as ``ctx.live_request_queue``.
        Where this differs from ``run_async`` (docs/live.md has the whole story):
        ``before_run`` fires once, before the agent reads anything; each user
        message the agent takes from the queue goes through ``on_user_message``
        and is stored then, as a user event; realtime blobs and activity signals
        are never stored; the queue is closed when the run ends, however it ends.
        """
        from runners_core.agents.run_config import RunConfig, StreamingMode
        from runners_core.live import LiveRequestQueue

        self._check_open()
        if not isinstance(live_request_queue, LiveRequestQueue):
            raise ValidationError(
                "live_request_queue must be a runners_core.LiveRequestQueue, got "
                f"{type(live_request_queue).__name__}"
            )
        run_config = run_config or RunConfig(streaming_mode=StreamingMode.BIDI)
        inbox = _LiveInbox(self, live_request_queue)
        live_request_queue._attach(inbox.take)
        try:
            async with AsyncExitStack() as scope:
                await self._take_lock(scope, user_id, session_id)
                session = await self._load_session(user_id, session_id, run_config)
                ctx = self._new_context(session, run_config, None, None)
                ctx.live_request_queue = live_request_queue
                inbox.ctx = ctx
                try:
                    await self._hooks.invocation_context(scope, ctx)
                    async with aclosing(self._run_agents(ctx, live=True)) as stream:
                        async for event in stream:
                            yield event
                    inbox.raise_failure()
                except BaseException as exc:
                    await self._hooks.on_run_error(ctx, exc)
                    raise
                await self._hooks.after_run(ctx)
        finally:
            live_request_queue.close()
            live_request_queue._detach()

    # ------------------------------------------------------------------ sessions

    async def close_session(
        self, *, user_id: str, session_id: str, timeout: float | None = None
    ) -> Session:
        """Finalise a session: wait for its running invocation, run ``on_close_session``
        hooks, and add it to the memory service. Returns the final session."""
        self._check_open()
        async with self._session_lock(user_id, session_id, timeout):
            session = await self.session_service.get_session(
                app_name=self.app_name, user_id=user_id, session_id=session_id
            )
            if session is None:
                raise SessionNotFoundError(self.app_name, user_id, session_id)
            await self._hooks.on_close_session(session)
            if self.memory_service is not None:
                await self.memory_service.add_session_to_memory(session)
            return session

    async def rewind_async(
        self,
        *,
        user_id: str,
        session_id: str,
        rewind_before_invocation_id: str,
        run_config: RunConfig | None = None,
    ) -> None:
        """Rewind a session to just before an invocation, as ADK's ``rewind_async``.

        Appends one event (author ``user``) carrying ``rewind_before_invocation_id``,
        a state delta that restores the session-scoped keys to their values before
        that invocation (keys added since are set to None) and an artifact delta
        that saves each session artifact changed since as a new version holding its
        earlier content (an artifact that did not exist yet gets an empty version
        flagged as rewound, which loads as None). ``app:``,
        ``user:`` keys and ``user:`` artifacts are shared, so they are not rewound.
        Later turns ignore the rewound events when choosing the agent.
        """
        from runners_core.agents.run_config import RunConfig
        from runners_core.sessions.rewind import rewound_state

        self._check_open()
        async with self._session_lock(user_id, session_id):
            session = await self._load_session(user_id, session_id, RunConfig())
            start = next(
                (
                    i
                    for i, e in enumerate(session.events)
                    if e.invocation_id == rewind_before_invocation_id
                ),
                None,
            )
            if start is None:
                raise InvocationNotFoundError(
                    f"session {session_id!r} has no event of invocation "
                    f"{rewind_before_invocation_id!r}; pass the invocation_id of one of its events"
                )
            ctx = self._new_context(session, run_config or RunConfig(), None, None)
            event = Event(
                invocation_id=ctx.invocation_id,
                author="user",
                actions=EventActions(
                    rewind_before_invocation_id=rewind_before_invocation_id,
                    state_delta=rewound_state(session, start),
                    artifact_delta=await self._rewind_artifacts(session, start),
                ),
            )
            await self._persist(ctx, event)

    async def _rewind_artifacts(self, session: Session, start: int) -> dict[str, int]:
        if self.artifact_service is None:
            return {}
        from runners_core.artifacts.base import rewind_tombstone

        before: dict[str, int] = {}
        now: dict[str, int] = {}
        for index, event in enumerate(session.events):
            now.update(event.actions.artifact_delta)
            if index < start:
                before.update(event.actions.artifact_delta)
        delta: dict[str, int] = {}
        for filename, version in now.items():
            if filename.startswith("user:") or before.get(filename) == version:
                continue
            earlier = before.get(filename)
            part, metadata = rewind_tombstone()
            if earlier is not None:
                found = await self.artifact_service.load_artifact(
                    app_name=self.app_name,
                    user_id=session.user_id,
                    session_id=session.id,
                    filename=filename,
                    version=earlier,
                )
                if found is not None:
                    part, metadata = found, {}
            delta[filename] = await self.artifact_service.save_artifact(
                app_name=self.app_name,
                user_id=session.user_id,
                session_id=session.id,
                filename=filename,
                artifact=part,
                custom_metadata=metadata,
            )
        return delta

    # ------------------------------------------------------------------ shutdown

    async def close(self) -> None:
        """Shut down: ``on_runner_close`` hooks, then the services this runner built."""
        if self._closed:
            return
        self._closed = True
        failures = await self._hooks.on_runner_close(self)
        for service in self._owned:
            try:
                await service.close()
            except Exception:
                _log().exception("closing %s failed", type(service).__name__)
        if self._loop_thread is not None:
            self._loop_thread.stop()
            self._loop_thread = None
        if failures:
            raise RunnersError(
                f"{len(failures)} plugin(s) failed while the runner closed: "
                + "; ".join(str(f) for f in failures)
            )

    async def __aenter__(self) -> Runner:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc is None:
            await self.close()
            return
        # The body's exception is what the caller must see: a failing close hook is
        # logged and attached to it as a note, never put in its place.
        try:
            await self.close()
        except Exception as close_error:
            _log().error(
                "closing the runner failed while %s was propagating: %s",
                type(exc).__name__,
                close_error,
            )
            exc.add_note(f"while handling it, closing the runner also failed: {close_error}")

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise RunnersError("this runner is closed; create a new Runner")

    def _background_loop(self) -> _LoopThread:
        self._check_open()
        if self._loop_thread is None:
            loop_thread = _LoopThread(f"runners-core-{self.app_name}")
            # A runner dropped without close() must not keep its thread and descriptors.
            loop_thread.finalizer = weakref.finalize(
                self, _release_unclosed, loop_thread, f"{type(self).__name__}({self.app_name!r})"
            )
            self._loop_thread = loop_thread
        return self._loop_thread

    @asynccontextmanager
    async def hold_session(
        self, *, user_id: str, session_id: str, timeout: float | None = _POLICY
    ) -> AsyncIterator[None]:
        """Hold the session's run lock for the block, as every invocation does.

        Runs, rewinds and ``close_session`` calls this runner makes on the session inside
        the block, from the same task, use the lock held here instead of taking it again;
        nobody else runs the session meanwhile. For code that must act under the lock
        before an invocation starts (an HTTP server deciding whether a retried request
        already ran). *timeout*: how long to wait for another holder (None: forever, 0:
        not at all; by default the runner's ``session_busy`` / ``busy_timeout``);
        :class:`SessionBusyError` past it.
        """
        self._check_open()
        key = self._held_key(user_id, session_id)
        async with self._session_lock(user_id, session_id, timeout):
            token = _HELD.set(_HELD.get() | {key})
            try:
                yield
            finally:
                _HELD.reset(token)

    def _held_key(self, user_id: str, session_id: str) -> tuple[int, str, str, str, int]:
        import asyncio  # loaded by now: only called from a running loop

        # The task is part of the key: tasks started inside the block inherit the
        # context variable, but not the right to skip the lock.
        return (id(self), self.app_name, user_id, session_id, id(asyncio.current_task()))

    def _session_lock(self, user_id: str, session_id: str, timeout: float | None = _POLICY) -> Any:
        validate_id("user_id", user_id)
        validate_id("session_id", session_id)
        if _HELD.get() and self._held_key(user_id, session_id) in _HELD.get():
            return nullcontext()  # held by this task through hold_session
        if timeout is _POLICY:
            timeout = 0 if self.session_busy == "reject" else self.busy_timeout
        return self.session_service.lock_session(
            app_name=self.app_name, user_id=user_id, session_id=session_id, timeout=timeout
        )

    async def _take_lock(self, scope: AsyncExitStack, user_id: str, session_id: str) -> None:
        """Take the session's run lock on *scope*, telling ``on_session_lock`` how it went."""
        lock = self._session_lock(user_id, session_id)
        started = time.perf_counter()
        try:
            await scope.enter_async_context(lock)
        except SessionBusyError:
            waited = time.perf_counter() - started
            await self._hooks.on_session_lock(self.app_name, user_id, session_id, waited, False)
            raise
        waited = time.perf_counter() - started
        await self._hooks.on_session_lock(self.app_name, user_id, session_id, waited, True)

    async def _load_session(self, user_id: str, session_id: str, run_config: RunConfig) -> Session:
        session = await self.session_service.get_session(
            app_name=self.app_name,
            user_id=user_id,
            session_id=session_id,
            config=run_config.get_session_config,
        )
        if session is not None:
            return session
        if not self.auto_create_session:
            raise SessionNotFoundError(
                self.app_name,
                user_id,
                session_id,
                "create it with session_service.create_session(...) first, or build the "
                "Runner with auto_create_session=True",
            )
        return await self.session_service.create_session(
            app_name=self.app_name, user_id=user_id, session_id=session_id
        )

    def _new_context(
        self,
        session: Session,
        run_config: RunConfig,
        new_message: Content | None,
        invocation_id: str | None,
    ) -> InvocationContext:
        from runners_core.agents.invocation_context import InvocationContext

        return InvocationContext(
            session_service=self.session_service,
            memory_service=self.memory_service,
            artifact_service=self.artifact_service,
            invocation_id=invocation_id or f"e-{os.urandom(8).hex()}",
            agent=self.agent,
            session=session,
            run_config=run_config,
            user_content=new_message,
            adk_plugins=self._adk_plugins,
        )

    async def _store_user_event(
        self, ctx: InvocationContext, message: Content | None, state_delta: dict[str, Any] | None
    ) -> None:
        if message is not None:
            message = await self._hooks.on_user_message(ctx, message)
            _check_user_message(message)
            ctx.user_content = message
        event = Event(
            invocation_id=ctx.invocation_id,
            author="user",
            content=message,
            actions=EventActions(state_delta=dict(state_delta or {})),
        )
        _stamp_run_metadata(event, ctx.run_config)
        await self._persist(ctx, event)

    async def _persist(self, ctx: InvocationContext, event: Event) -> Event:
        """The one place an event is stored: persistence hooks around ``append_event``."""
        if event.partial:
            return event
        event = await self._hooks.before_append_event(ctx.session, event)
        stored = await self.session_service.append_event(ctx.session, event)
        await self._hooks.after_append_event(ctx.session, stored)
        return stored

    async def _emit(self, ctx: InvocationContext, event: Event) -> Event:
        if not event.invocation_id:
            event.invocation_id = ctx.invocation_id
        if not event.partial:
            event = ctx.take_pending_actions(event)
        _stamp_run_metadata(event, ctx.run_config)
        event = await self._hooks.on_event(ctx, event)
        _stamp_run_metadata(event, ctx.run_config)
        return await self._persist(ctx, event)

    async def _run_agents(
        self, ctx: InvocationContext, *, live: bool
    ) -> AsyncGenerator[Event, None]:
        """Run the selected agent, then any agent it transfers to, emitting each event."""
        early = await self._hooks.before_run(ctx)
        if early is not None:
            yield await self._emit(
                ctx, Event(invocation_id=ctx.invocation_id, author="model", content=early)
            )
            return
        agent: BaseAgent | None = self._find_agent_to_run(ctx.session)
        transfers = 0
        while agent is not None:
            ctx.agent = agent
            target: str | None = None
            async with AsyncExitStack() as agent_scope:
                await self._hooks.agent_context(agent_scope, ctx, agent)
                stream = agent.run_live(ctx) if live else agent.run_async(ctx)
                async with aclosing(stream) as events:
                    async for event in events:
                        emitted = await self._emit(ctx, event)
                        if (
                            not emitted.partial
                            and emitted.actions.transfer_to_agent
                            and not agent.runs_transfers_itself
                        ):
                            target = emitted.actions.transfer_to_agent
                        yield emitted
                        if ctx.end_invocation:
                            break
                if ctx.has_pending_actions():
                    yield await self._emit(ctx, ctx.pending_actions_event())
            if target is None or ctx.end_invocation:
                return
            agent = self.agent.find_agent(target)
            if agent is None:
                known = ", ".join(a.name for a in self.agent.iter_agents())
                raise RunnersError(
                    f"agent {ctx.agent.name!r} transferred to {target!r}, which is not in the "
                    f"agent tree (known agents: {known}); fix transfer_to_agent"
                )
            transfers += 1
            if transfers > MAX_TRANSFERS:
                raise RunnersError(
                    f"invocation {ctx.invocation_id} made more than {MAX_TRANSFERS} agent "
                    "transfers; check the agents for a transfer loop"
                )

    def _find_agent_to_run(self, session: Session) -> BaseAgent:
        """The agent that continues the conversation, by ADK's rules.

        A user message answering a function call goes to the agent that made the
        call. Otherwise the latest agent event decides: the target of a transfer,
        or its author, keeps the conversation only if it may transfer back up the
        tree (see :func:`is_transferable`); the root agent always may. An author
        that may not (e.g. a step of a workflow agent) is passed over, and the root
        agent runs when nothing qualifies.
        """
        from runners_core.sessions.rewind import newest_first

        root = self.agent
        caller = _function_call_author(newest_first(session.events))
        if caller is not None and (agent := root.find_agent(caller)) is not None:
            return agent
        for event in newest_first(session.events):
            if event.author == "user" or not event.author:
                continue
            target = event.actions.transfer_to_agent
            if target and (found := root.find_agent(target)) is not None:
                if is_transferable(found):
                    return found
            if event.author == root.name:
                return root
            agent = root.find_sub_agent(event.author)
            if agent is not None and is_transferable(agent):
                return agent
        return root


def _adapted(agent: object, loaded: LoadedPlugins) -> BaseAgent:
    """*agent*, or the BaseAgent an installed plugin wraps it in (``adapt_agent`` hook)."""
    adapted = loaded.hooks.adapt_agent(agent)
    if adapted is None:
        raise ValidationError(
            f"agent must be a runners_core.BaseAgent, got {type(agent).__name__}; for an agent "
            "of another framework install the plugin that adapts it (runners-adk for "
            "google.adk agents)"
        )
    return adapted


def is_transferable(agent: BaseAgent) -> bool:
    """Whether *agent* may keep the conversation across turns (ADK's rule).

    It and every ancestor must be an LLM-style agent, one that has a
    ``disallow_transfer_to_parent`` attribute, and none may set it. Workflow
    agents (sequential, parallel, loop) and plain custom agents have no such
    attribute, so the conversation returns to the root agent.
    """
    current: BaseAgent | None = agent
    while current is not None:
        if getattr(current, "disallow_transfer_to_parent", True):
            return False
        current = current.parent_agent
    return True


def _function_call_author(newest: Iterator[Event]) -> str | None:
    """The author of the call the latest (user) event answers, matched by call id."""
    last = next(newest, None)
    if last is None or last.author != "user":
        return None
    responses = last.get_function_responses()
    call_id = responses[0].id if responses else None
    if not call_id:
        return None
    for event in newest:
        if any(call.id == call_id for call in event.get_function_calls()):
            return event.author
    return None


def _has_user_message(session: Session, invocation_id: str) -> bool:
    return any(
        event.author == "user"
        and event.invocation_id == invocation_id
        and event.content is not None
        and not event.get_function_responses()
        for event in session.events
    )


def _stamp_run_metadata(event: Event, run_config: RunConfig) -> None:
    """Merge ``run_config.custom_metadata`` into *event* (the event's own keys win), as ADK."""
    if run_config.custom_metadata:
        event.custom_metadata = {**run_config.custom_metadata, **(event.custom_metadata or {})}


class InMemoryRunner(Runner):
    """A runner on in-memory session, memory and artifact services, for tests and prototypes."""

    def __init__(
        self,
        agent: BaseAgent | None = None,
        *,
        app_name: str | None = None,
        plugins: Sequence[object] | None = (),
        app: App | None = None,
        **options: Any,
    ) -> None:
        from runners_core.artifacts.in_memory import InMemoryArtifactService
        from runners_core.memory.in_memory import InMemoryMemoryService
        from runners_core.sessions.in_memory import InMemorySessionService

        super().__init__(
            agent=agent,
            session_service=InMemorySessionService(),
            memory_service=InMemoryMemoryService(),
            artifact_service=InMemoryArtifactService(),
            plugins=plugins or (),
            app=app,
            app_name=app_name or (None if app is not None else "InMemoryRunner"),
            **options,
        )


class _LiveInbox:
    """The runner's side of a live queue: stores each user message the agent takes.

    Installed as the queue's tap, so storing happens inside the agent's ``get()``,
    in the order the agent sees messages. A failure (a hook raising, an invalid
    message) closes the queue and is kept: later messages raise it again and
    ``run_live`` raises it at the end, so an agent that swallows it cannot hide it.
    """

    def __init__(self, runner: Runner, queue: LiveRequestQueue) -> None:
        self._runner = runner
        self._queue = queue
        self.ctx: InvocationContext | None = None
        self._failure: Exception | None = None

    async def take(self, request: LiveRequest) -> LiveRequest:
        self.raise_failure()
        if (request.content is None and request.state_delta is None) or self.ctx is None:
            return request
        try:
            await self._runner._store_user_event(self.ctx, request.content, request.state_delta)
        except Exception as exc:
            self._failure = exc
            self._queue.close()
            raise
        if request.content is None:
            return request
        return request.model_copy(update={"content": self.ctx.user_content})

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure


class _LoopThread:
    """A daemon thread running an event loop, for the synchronous ``Runner.run``."""

    def __init__(self, name: str) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        self.finalizer: weakref.finalize[Any, Any] | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        import asyncio

        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def stop(self) -> None:
        if self.finalizer is not None:
            self.finalizer.detach()  # closed properly: nothing to warn about
        if self._thread is threading.current_thread():
            self.loop.stop()
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()

    def stop_soon(self) -> None:
        """Stop without waiting (the garbage collector may call this on any thread)."""
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # the loop is closed already
            pass


def _release_unclosed(loop_thread: _LoopThread, name: str) -> None:
    """A runner that ran synchronously was garbage-collected unclosed: free its loop."""
    warnings.warn(
        f"unclosed {name}: its background event loop thread was still running; call "
        "runner.close() (or use `async with runner:`) when done with it",
        ResourceWarning,
        stacklevel=2,
    )
    loop_thread.stop_soon()


def _check_user_message(message: Content) -> None:
    if not isinstance(message, Content):
        raise ValidationError(
            f"new_message must be a runners_core.Content, got {type(message).__name__}; "
            "build one with Content.from_text('...')"
        )
    if any(part.function_call for part in message.parts):
        raise ValidationError(
            "the user's message contains a function_call part; only the model calls "
            "functions. Send the tool's result as a function_response part instead"
        )
