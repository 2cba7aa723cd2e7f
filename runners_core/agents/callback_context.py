"""What agent callbacks receive: ADK's ``ReadonlyContext`` and ``CallbackContext``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runners_core.agents.invocation_context import InvocationContext
    from runners_core.agents.run_config import RunConfig
    from runners_core.content import Content, Part
    from runners_core.memory.base import SearchMemoryResponse
    from runners_core.sessions.session import Session
    from runners_core.sessions.state import State


class ReadonlyContext:
    """A read-only view of the invocation, for callbacks and instruction providers."""

    def __init__(self, invocation_context: InvocationContext) -> None:
        self._invocation_context = invocation_context

    @property
    def invocation_id(self) -> str:
        return self._invocation_context.invocation_id

    @property
    def agent_name(self) -> str:
        return self._invocation_context.agent.name

    @property
    def branch(self) -> str | None:
        return self._invocation_context.branch

    @property
    def user_content(self) -> Content | None:
        return self._invocation_context.user_content

    @property
    def session(self) -> Session:
        return self._invocation_context.session

    @property
    def user_id(self) -> str:
        return self._invocation_context.user_id

    @property
    def app_name(self) -> str:
        return self._invocation_context.app_name

    @property
    def run_config(self) -> RunConfig:
        return self._invocation_context.run_config

    @property
    def state(self) -> Mapping[str, Any]:
        """The session state including this invocation's unsaved writes; read-only."""
        return MappingProxyType(self._invocation_context.state.to_dict())


class CallbackContext(ReadonlyContext):
    """What ``before_agent_callback`` / ``after_agent_callback`` receive.

    State writes are recorded as a delta and stored with the callback's event
    (or the agent's next one); saved artifacts are recorded the same way.
    """

    @property
    def state(self) -> State:  # type: ignore[override]
        return self._invocation_context.state

    async def load_artifact(self, filename: str, version: int | None = None) -> Part | None:
        return await self._invocation_context.load_artifact(filename, version)

    async def save_artifact(
        self, filename: str, artifact: Part, custom_metadata: dict[str, Any] | None = None
    ) -> int:
        return await self._invocation_context.save_artifact(filename, artifact, custom_metadata)

    async def list_artifacts(self) -> list[str]:
        return await self._invocation_context.list_artifacts()

    async def search_memory(self, query: str) -> SearchMemoryResponse:
        return await self._invocation_context.search_memory(query)
