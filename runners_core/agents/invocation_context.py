"""The context of one invocation: what an agent can see and do while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from runners_core.agents.run_config import RunConfig
from runners_core.content import Content, Part
from runners_core.errors import RunnersError
from runners_core.events import Event, EventActions
from runners_core.sessions.state import State
from runners_core.state_ops import StateOp

if TYPE_CHECKING:
    from runners_core.agents.base_agent import BaseAgent
    from runners_core.artifacts.base import BaseArtifactService
    from runners_core.live import LiveRequestQueue
    from runners_core.memory.base import BaseMemoryService, SearchMemoryResponse
    from runners_core.sessions.base import BaseSessionService
    from runners_core.sessions.session import Session


class LlmCallsLimitExceededError(RunnersError):
    """An invocation made more model calls than ``RunConfig.max_llm_calls`` allows."""


@dataclass
class _Pending:
    """State and artifact changes not yet attached to an event."""

    state_delta: dict[str, Any] = field(default_factory=dict)
    state_ops: list[StateOp] = field(default_factory=list)
    artifact_delta: dict[str, int] = field(default_factory=dict)


@dataclass
class _Shared:
    """Invocation-wide state every per-agent copy of the context shares.

    Pending changes are kept per branch, so that agents running concurrently
    (``ParallelAgent``) each have their writes stored with their own events.
    """

    end_invocation: bool = False
    llm_calls: int = 0
    pending: dict[str | None, _Pending] = field(default_factory=dict)

    def for_branch(self, branch: str | None) -> _Pending:
        return self.pending.setdefault(branch, _Pending())


@dataclass
class InvocationContext:
    """Everything one invocation needs; agents receive it as ``ctx``.

    Writes through :attr:`state` and :meth:`save_artifact` are recorded as
    pending actions; the runner attaches them to the next event the agent
    yields, so they are stored with it (or with a closing event if none follows).
    """

    session_service: BaseSessionService
    invocation_id: str
    agent: BaseAgent
    session: Session
    run_config: RunConfig = field(default_factory=RunConfig)
    memory_service: BaseMemoryService | None = None
    artifact_service: BaseArtifactService | None = None
    user_content: Content | None = None
    branch: str | None = None
    live_request_queue: LiveRequestQueue | None = None
    adk_plugins: tuple[object, ...] = ()
    _shared: _Shared = field(default_factory=_Shared, repr=False)

    def __post_init__(self) -> None:
        if self.run_config is None:  # ADK's InvocationContext accepts run_config=None
            self.run_config = RunConfig()

    # ------------------------------------------------------------------ identity

    @property
    def app_name(self) -> str:
        return self.session.app_name

    @property
    def user_id(self) -> str:
        return self.session.user_id

    # ------------------------------------------------------------------ control

    @property
    def end_invocation(self) -> bool:
        return self._shared.end_invocation

    @end_invocation.setter
    def end_invocation(self, value: bool) -> None:
        self._shared.end_invocation = value

    def for_agent(self, agent: BaseAgent) -> InvocationContext:
        """A copy of this context for *agent*, sharing the invocation-wide state."""
        return replace(self, agent=agent)

    def for_branch(self, branch: str) -> InvocationContext:
        """A copy of this context on *branch* (its pending changes are kept apart)."""
        return replace(self, branch=branch)

    def increment_llm_call_count(self) -> None:
        """Count a model call; raise once ``run_config.max_llm_calls`` is exceeded."""
        self._shared.llm_calls += 1
        limit = self.run_config.max_llm_calls
        if limit > 0 and self._shared.llm_calls > limit:
            raise LlmCallsLimitExceededError(
                f"invocation {self.invocation_id} exceeded max_llm_calls={limit}; raise "
                "RunConfig.max_llm_calls or check the agent for a loop"
            )

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> State:
        """The session state; assignments are stored with the agent's next event."""
        pending = self._shared.for_branch(self.branch)
        return State(self.session.state, pending.state_delta, pending.state_ops)

    # ------------------------------------------------------------------ events

    def event(
        self, text: str | None = None, *, content: Content | None = None, **fields: Any
    ) -> Event:
        """An event from the current agent, with this invocation's id and branch."""
        if text is not None:
            content = Content(role="model", parts=[Part(text=text)])
        fields.setdefault("author", self.agent.name)
        fields.setdefault("branch", self.branch)
        return Event(invocation_id=self.invocation_id, content=content, **fields)

    def take_pending_actions(self, event: Event) -> Event:
        """Return *event* with its branch's pending state and artifact changes merged in."""
        pending = self._shared.pending.get(event.branch)
        if pending is None or not (
            pending.state_delta or pending.state_ops or pending.artifact_delta
        ):
            return event
        actions = event.actions
        merged = actions.model_copy(
            update={
                "state_delta": {**pending.state_delta, **actions.state_delta},
                "state_ops": [*pending.state_ops, *(actions.state_ops or [])] or None,
                "artifact_delta": {**pending.artifact_delta, **actions.artifact_delta},
            }
        )
        pending.state_delta = {}
        pending.state_ops.clear()  # in place: State views of this context hold the list
        pending.artifact_delta = {}
        return event.model_copy(update={"actions": merged})

    def has_pending_actions(self) -> bool:
        pending = self._shared.pending.get(self.branch)
        return pending is not None and bool(
            pending.state_delta or pending.state_ops or pending.artifact_delta
        )

    def pending_actions_event(self) -> Event:
        """An event carrying only the pending actions (used when the agent ends with some)."""
        return self.take_pending_actions(self.event(actions=EventActions()))

    # ------------------------------------------------------------------ services

    def _artifacts(self) -> BaseArtifactService:
        if self.artifact_service is None:
            raise RunnersError(
                "this runner has no artifact service; pass artifact_service=... to Runner "
                "or set artifact_service in [tool.runners_core]"
            )
        return self.artifact_service

    async def save_artifact(
        self, filename: str, artifact: Part, custom_metadata: dict[str, Any] | None = None
    ) -> int:
        """Save a new version of an artifact and record it in the next event's actions."""
        version = await self._artifacts().save_artifact(
            app_name=self.app_name,
            user_id=self.user_id,
            session_id=self.session.id,
            filename=filename,
            artifact=artifact,
            custom_metadata=custom_metadata,
        )
        self._shared.for_branch(self.branch).artifact_delta[filename] = version
        return version

    async def load_artifact(self, filename: str, version: int | None = None) -> Part | None:
        return await self._artifacts().load_artifact(
            app_name=self.app_name,
            user_id=self.user_id,
            session_id=self.session.id,
            filename=filename,
            version=version,
        )

    async def list_artifacts(self) -> list[str]:
        return await self._artifacts().list_artifact_keys(
            app_name=self.app_name, user_id=self.user_id, session_id=self.session.id
        )

    async def search_memory(self, query: str) -> SearchMemoryResponse:
        """Search the user's memories across their earlier sessions."""
        if self.memory_service is None:
            raise RunnersError(
                "this runner has no memory service; pass memory_service=... to Runner "
                "or set memory_service in [tool.runners_core]"
            )
        return await self.memory_service.search_memory(
            app_name=self.app_name, user_id=self.user_id, query=query
        )
