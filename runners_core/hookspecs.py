"""The hooks plugins implement: the contract between the kernel and its plugins.

Implement any of these with ``@hookimpl`` on a module, class or instance that
is registered through the ``runners_core.plugins`` entry-point group or passed
as ``Runner(plugins=[...])``. Implementations may be plain functions or
``async def``; they may accept a subset of the arguments. Hooks that "may
return" a replacement are chained: each plugin sees what the previous returned,
and returning None keeps the value unchanged.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from runners_core.agents.base_agent import BaseAgent
    from runners_core.agents.invocation_context import InvocationContext
    from runners_core.artifacts.base import BaseArtifactService
    from runners_core.content import Content
    from runners_core.events import Event
    from runners_core.memory.base import BaseMemoryService
    from runners_core.plugins.registry import ServiceRegistry
    from runners_core.retention.items import PruneItem
    from runners_core.sessions.base import BaseSessionService
    from runners_core.sessions.session import Session

PROJECT_NAME = "runners_core"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class RunnerView(Protocol):
    """What a hook sees of a runner (``on_runner_close``).

    A protocol rather than ``Runner`` itself, so the contract does not depend
    on the class that calls it; :class:`runners_core.Runner` satisfies it.
    """

    @property
    def app_name(self) -> str: ...

    @property
    def agent(self) -> BaseAgent: ...

    @property
    def session_service(self) -> BaseSessionService: ...

    @property
    def memory_service(self) -> BaseMemoryService: ...

    @property
    def artifact_service(self) -> BaseArtifactService: ...


@hookspec
def register_services(registry: ServiceRegistry) -> None:
    """Add session, memory or artifact service factories for URL schemes to *registry*."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add subcommands to the ``runners`` command; *cli* is its ``typer.Typer`` app."""


@hookspec
def adapt_agent(obj: Any) -> BaseAgent | None:
    """Return a ``BaseAgent`` that runs *obj*, an agent object of another framework, or None.

    Called (plain function, not async) when a ``Runner`` or ``runners run`` is given
    something that is not a ``BaseAgent``; the first non-None answer is used. This is
    how ``runners-adk`` lets ``runners run app.py:root_agent`` take a google.adk agent
    without the kernel importing google-adk.
    """


@hookspec
def on_session_lock(
    app_name: str, user_id: str, session_id: str, waited: float, acquired: bool
) -> None:
    """After an invocation tried to take its session's run lock: *waited* seconds, and
    whether it got it (False: the session was busy and the invocation is rejected)."""


@hookspec
def invocation_context(
    ctx: InvocationContext,
) -> AbstractContextManager[Any] | AbstractAsyncContextManager[Any] | None:
    """May return a (sync or async) context manager the runner enters around the whole
    invocation, in the invocation's own task: it sees how the invocation ended."""


@hookspec
def agent_context(
    ctx: InvocationContext, agent: BaseAgent
) -> AbstractContextManager[Any] | AbstractAsyncContextManager[Any] | None:
    """May return a context manager the runner enters around one agent's run within an
    invocation (the first agent, and each agent transferred to)."""


@hookspec
def on_user_message(ctx: InvocationContext, message: Content) -> Content | None:
    """Inspect the user's message before it is stored; may return a replacement."""


@hookspec
def before_run(ctx: InvocationContext) -> Content | None:
    """Called before the agent runs; returning content ends the run with it instead."""


@hookspec
def on_event(ctx: InvocationContext, event: Event) -> Event | None:
    """Called for every event the agent yields, before storage; may return a replacement."""


@hookspec
def before_append_event(session: Session, event: Event) -> Event | None:
    """Transform an event just before it is stored (redaction, encryption)."""


@hookspec
def after_append_event(session: Session, event: Event) -> None:
    """Observe an event just after it was stored (audit, replication, metrics)."""


@hookspec
def after_run(ctx: InvocationContext) -> None:
    """Called when an invocation has finished successfully."""


@hookspec
def on_run_error(ctx: InvocationContext, error: BaseException) -> None:
    """Called when an invocation fails; the error is re-raised to the caller afterwards."""


@hookspec
def on_close_session(session: Session) -> None:
    """Called when ``Runner.close_session`` finalises a session, before it goes to memory."""


@hookspec
def on_prune(item: PruneItem) -> bool | None:
    """Retention is about to delete *item* (or would, in a dry run); return False to
    keep it (a legal hold, say). Every implementation sees every item."""


@hookspec
def on_runner_close(runner: RunnerView) -> None:
    """Called once when a runner shuts down (``close()`` or leaving ``async with``)."""
