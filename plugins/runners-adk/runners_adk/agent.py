"""Direction 1: any google.adk agent run by ``runners_core.Runner``.

``AdkAgent(root_agent)`` is a runners-core agent. Each invocation it

1. turns the runner's session into an ADK ``Session`` and its services into
   ADK services (the adapters of this package, wrapped around the runner's own
   service instances), builds an ADK ``InvocationContext``;
2. picks the ADK agent that continues the conversation by ADK's own rules
   (its agent router: function-response callers, transfer targets, the last
   transferable LLM agent, else the root);
3. drives that agent's ``run_async`` (or ``run_live``) and yields each event,
   converted losslessly, to the runner, which runs its hooks and stores it;
4. before the ADK agent resumes, appends the event as stored (after our hooks)
   to the ADK session it reads, so its next model call sees the tool result.

A ``Workflow`` root (ADK 2.x graph workflow) is run by ADK's own Runner instead,
on the runner's session: see runners_adk.workflow.

ADK's plugins (``google.adk.plugins.BasePlugin``) passed as ``plugins=`` run
inside, through ADK's own plugin manager: see docs/adk.md for how their order
combines with runners-core hooks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any, ClassVar

from google.adk.agents import _agent_router
from google.adk.agents.base_agent import BaseAgent as AdkBaseAgent
from google.adk.agents.invocation_context import InvocationContext as AdkInvocationContext
from google.adk.agents.live_request_queue import LiveRequest as AdkLiveRequest
from google.adk.agents.live_request_queue import LiveRequestQueue as AdkLiveRequestQueue
from google.adk.agents.run_config import RunConfig as AdkRunConfig
from google.adk.agents.run_config import StreamingMode as AdkStreamingMode
from google.adk.apps.app import App as AdkApp
from google.adk.events.event import Event as AdkEvent
from google.adk.plugins.base_plugin import BasePlugin as AdkBasePlugin
from google.adk.plugins.plugin_manager import PluginManager as AdkPluginManager
from google.adk.runners import Runner as AdkRunner
from google.adk.sessions.session import Session as AdkSession
from google.adk.sessions.state import State as AdkState
from google.adk.workflow import BaseNode as AdkBaseNode
from pydantic import PrivateAttr

from runners_adk.artifacts import RunnersArtifactService
from runners_adk.cache import HistoryCache
from runners_adk.convert import content_to_adk, event_from_adk, session_to_adk
from runners_adk.live import LiveSessions
from runners_adk.memory import RunnersMemoryService
from runners_adk.sessions import RunnersSessionService
from runners_adk.workflow import InvocationSessions, replace_in_memory
from runners_core.agents.base_agent import BaseAgent
from runners_core.agents.invocation_context import InvocationContext
from runners_core.errors import ValidationError
from runners_core.events import Event


class AdkAgent(BaseAgent):
    """Runs a ``google.adk`` agent (and its whole sub-agent tree) or ``Workflow`` on
    ``runners_core.Runner``.

    ``AdkAgent(root_agent, plugins=[...])``; ``Runner(agent=root_agent, ...)`` and
    ``runners run app.py:root_agent`` wrap an ADK agent in one automatically when
    runners-adk is installed.
    """

    runs_transfers_itself: ClassVar[bool] = True

    adk_agent: Any
    adk_plugins: list[Any] = []
    _adapters: dict[tuple[str, int], Any] = PrivateAttr(default_factory=dict)
    _plugin_manager: AdkPluginManager | None = PrivateAttr(default=None)
    _sessions: InvocationSessions = PrivateAttr(default_factory=InvocationSessions)
    _runners: dict[tuple[Any, ...], AdkRunner] = PrivateAttr(default_factory=dict)
    _history: HistoryCache = PrivateAttr(default_factory=HistoryCache)

    def __init__(
        self,
        adk_agent: Any = None,
        /,
        *,
        plugins: Sequence[AdkBasePlugin] = (),
        **fields: Any,
    ) -> None:
        adk_agent = fields.pop("adk_agent", adk_agent)
        plugins = fields.pop("adk_plugins", plugins)
        if not isinstance(adk_agent, AdkBaseNode):
            raise ValidationError(
                f"AdkAgent wraps a google.adk agent or workflow (LlmAgent, SequentialAgent, "
                f"Workflow, ...), got {type(adk_agent).__name__}"
            )
        for plugin in plugins:
            if not isinstance(plugin, AdkBasePlugin):
                raise ValidationError(
                    f"plugins= takes google.adk BasePlugin objects, got {type(plugin).__name__}; "
                    "give runners-core plugins to the Runner instead"
                )
        fields.setdefault("name", adk_agent.name)
        fields.setdefault("description", adk_agent.description or "")
        super().__init__(adk_agent=adk_agent, adk_plugins=list(plugins), **fields)
        self._plugin_manager = AdkPluginManager(plugins=list(plugins))

    # ------------------------------------------------------------------ running

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        if not isinstance(self.adk_agent, AdkBaseAgent):
            async for event in self._run_workflow(ctx):
                yield event
            return
        adk_ctx = self._adk_context(ctx)
        pm = adk_ctx.plugin_manager
        early = await pm.run_before_run_callback(invocation_context=adk_ctx)
        if early is not None:
            yield event_from_adk(
                AdkEvent(invocation_id=ctx.invocation_id, author="model", content=early)
            )
            return
        failed = False
        try:
            async for event in self._drive(ctx, adk_ctx, adk_ctx.agent.run_async(adk_ctx)):
                yield event
        except Exception as exc:
            failed = True
            await pm.run_on_run_error_callback(invocation_context=adk_ctx, error=exc)
            raise
        finally:
            if not failed:
                await pm.run_after_run_callback(invocation_context=adk_ctx)

    async def _run_live_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        if not isinstance(self.adk_agent, AdkBaseAgent):
            raise ValidationError(
                f"run_live of a {type(self.adk_agent).__name__} root is not hosted by AdkAgent; "
                "use run_async, or ADK's Runner.run_live on runners_adk.session_service(url)"
            )
        adk_ctx = self._adk_context(ctx)
        sessions = LiveSessions(service=ctx.session_service, convert=self._history.events.to_adk)
        adk_ctx.session_service = sessions
        queue = AdkLiveRequestQueue()
        adk_ctx.live_request_queue = queue

        async def forward() -> None:
            # Our queue (the runner stores user content as it is read) -> ADK's queue.
            source = ctx.live_request_queue
            while True:
                request = await source.get()
                if request.close:
                    queue.close()
                    return
                if _adk_appends_a_user_event(request):
                    last = ctx.session.events[-1] if ctx.session.events else None
                    if last is not None and last.author == "user":
                        sessions.taken(last)
                data = request.model_dump(exclude_none=True, exclude_defaults=True)
                if request.content is not None:
                    data["content"] = content_to_adk(request.content)
                queue.send(AdkLiveRequest.model_validate(data))

        pump = asyncio.create_task(forward())
        try:
            async for event in self._drive(ctx, adk_ctx, adk_ctx.agent.run_live(adk_ctx)):
                yield event
        finally:
            pump.cancel()

    async def _drive(
        self,
        ctx: InvocationContext,
        adk_ctx: AdkInvocationContext,
        events: AsyncGenerator[AdkEvent, None],
    ) -> AsyncGenerator[Event, None]:
        pm = adk_ctx.plugin_manager
        session = adk_ctx.session
        full = _full_load(ctx)
        async with _closing(events):
            async for adk_event in events:
                modified = await pm.run_on_event_callback(
                    invocation_context=adk_ctx, event=adk_event
                )
                if modified is not None:
                    adk_event = modified
                ours = event_from_adk(adk_event)
                # temp: keys are never stored, yet the rest of the invocation sees them.
                temp = {
                    k: v
                    for k, v in (adk_event.actions.state_delta or {}).items()
                    if k.startswith(AdkState.TEMP_PREFIX)
                }
                yield ours
                if ours.partial:
                    continue
                # The runner stored the event (after its hooks) into ctx.session before
                # resuming us; the ADK agent must read that same event next.
                stored = ctx.session.events[-1] if ctx.session.events else None
                if stored is None or stored.id != ours.id:
                    continue
                if full:
                    self._cache_stored(ctx)
                _append_in_memory(session, self._history.events.to_adk(stored))
                session.state.update(temp)

    async def _run_workflow(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        """A ``Workflow`` root, driven by ADK's own Runner (see runners_adk.workflow)."""
        session = self._adk_session(ctx)
        runner = self._workflow_runner(ctx)
        full = _full_load(ctx)
        self._sessions.hold(session)
        try:
            events = runner.run_async(
                user_id=session.user_id,
                session_id=session.id,
                invocation_id=ctx.invocation_id,
                new_message=content_to_adk(ctx.user_content),
                run_config=_run_config(ctx),
            )
            async with _closing(events):
                async for adk_event in events:
                    ours = event_from_adk(adk_event)
                    yield ours
                    if ours.partial:
                        continue
                    stored = ctx.session.events[-1] if ctx.session.events else None
                    if stored is None or stored.id != ours.id:
                        continue
                    if full:
                        self._cache_stored(ctx)
                    replace_in_memory(session, adk_event, self._history.events.to_adk(stored))
        finally:
            self._sessions.release(session)

    def _cache_stored(self, ctx: InvocationContext) -> None:
        """The runner just stored the last event of its session: add it to the session's
        cached ADK events if they are the events before it, so the next invocation's
        load checks this event, among the newest stored (see runners_adk.cache). The
        runner's session, unlike the ADK one, holds exactly the events stored (a
        Workflow's ADK Runner adds the user's message again in memory)."""
        ours = ctx.session
        events = ours.events
        count = len(events) - 1
        key = (ours.app_name, ours.user_id, ours.id)
        self._history.extend(key, count, events[-2] if count else None, events[-1])

    def _workflow_runner(self, ctx: InvocationContext) -> AdkRunner:
        artifacts = self._adapter("artifact", ctx.artifact_service)
        memory = self._adapter("memory", ctx.memory_service)
        key = (ctx.session.app_name, id(artifacts), id(memory))
        runner = self._runners.get(key)
        if runner is None:
            app = AdkApp(
                name=ctx.session.app_name, root_agent=self.adk_agent, plugins=self.adk_plugins
            )
            runner = AdkRunner(
                app=app,
                session_service=self._sessions,
                artifact_service=artifacts,
                memory_service=memory,
            )
            self._runners[key] = runner
        return runner

    # ------------------------------------------------------------------ context

    def _adk_session(self, ctx: InvocationContext) -> AdkSession:
        ours = ctx.session
        if _full_load(ctx):
            key = (ours.app_name, ours.user_id, ours.id)
            events = self._history.to_adk(key, ours.events)
        else:  # part of the history only: positions differ from a full load's
            events = [self._history.events.to_adk(e) for e in ours.events]
        return session_to_adk(ours, events)

    def _adk_context(self, ctx: InvocationContext) -> AdkInvocationContext:
        session = self._adk_session(ctx)
        agent = self._agent_to_run(session)
        return AdkInvocationContext(
            session_service=self._adapter("session", ctx.session_service),
            artifact_service=self._adapter("artifact", ctx.artifact_service),
            memory_service=self._adapter("memory", ctx.memory_service),
            plugin_manager=self._plugin_manager,
            invocation_id=ctx.invocation_id,
            agent=agent,
            session=session,
            user_content=content_to_adk(ctx.user_content),
            run_config=_run_config(ctx),
        )

    def _agent_to_run(self, session: AdkSession) -> AdkBaseAgent:
        """The ADK agent that continues the conversation, by ADK's own router."""
        return _agent_router.find_agent_to_run(session=session, root_agent=self.adk_agent)

    def _adapter(self, kind: str, service: Any) -> Any:
        if service is None:
            return None
        key = (kind, id(service))
        adapter = self._adapters.get(key)
        if adapter is None or adapter.service is not service:
            cls = {
                "session": RunnersSessionService,
                "artifact": RunnersArtifactService,
                "memory": RunnersMemoryService,
            }[kind]
            adapter = cls(service=service)
            self._adapters[key] = adapter
        return adapter


def _append_in_memory(session: AdkSession, event: AdkEvent) -> None:
    """What ADK's base ``append_event`` does to the session object, without storing."""
    delta = event.actions.state_delta if event.actions else None
    if delta:
        for key, value in delta.items():
            session.state[key] = value
        event.actions.state_delta = {
            k: v for k, v in delta.items() if not k.startswith(AdkState.TEMP_PREFIX)
        }
    session.events.append(event)
    session.last_update_time = event.timestamp


def _full_load(ctx: InvocationContext) -> bool:
    """Whether the runner loaded the session's whole history (not part of it)."""
    return getattr(ctx.run_config, "get_session_config", None) is None


def _adk_appends_a_user_event(request: Any) -> bool:
    """Whether ADK's live flow appends a user event for *request* (as its send loop does)."""
    content = request.content
    answers = bool(content and any(p.function_response for p in content.parts))
    return bool(content and not request.partial and not answers) or bool(request.state_delta)


def _run_config(ctx: InvocationContext) -> AdkRunConfig:
    ours = ctx.run_config
    mode = getattr(getattr(ours, "streaming_mode", None), "value", None) or "none"
    fields: dict[str, Any] = {"streaming_mode": AdkStreamingMode[mode.upper()]}
    max_calls = getattr(ours, "max_llm_calls", None)
    if max_calls is not None:
        fields["max_llm_calls"] = max_calls
    return AdkRunConfig(**fields)


class _closing:
    """``contextlib.aclosing`` for an async generator typed loosely by ADK."""

    def __init__(self, agen: Any) -> None:
        self._agen = agen

    async def __aenter__(self) -> Any:
        return self._agen

    async def __aexit__(self, *exc: object) -> None:
        await self._agen.aclose()
