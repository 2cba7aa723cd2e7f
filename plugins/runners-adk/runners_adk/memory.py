"""A google.adk memory service backed by any runners-core memory backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.adk.events.event import Event as AdkEvent
from google.adk.memory.base_memory_service import BaseMemoryService as AdkBaseMemoryService
from google.adk.memory.base_memory_service import (
    SearchMemoryResponse as AdkSearchMemoryResponse,
)
from google.adk.memory.memory_entry import MemoryEntry as AdkMemoryEntry
from google.adk.sessions.session import Session as AdkSession

from runners_adk.convert import content_from_adk, content_to_adk, event_from_adk, session_from_adk
from runners_adk.urls import backend_url
from runners_core.errors import ValidationError
from runners_core.memory.base import BaseMemoryService, MemoryEntry


class RunnersMemoryService(AdkBaseMemoryService):
    """An ADK ``BaseMemoryService`` that remembers in a runners-core backend."""

    def __init__(
        self,
        uri: str | None = None,
        *,
        service: BaseMemoryService | None = None,
        agents_dir: str | None = None,
        **options: Any,
    ) -> None:
        # ADK's CLI builds services.yaml classes as cls(uri=..., agents_dir=...);
        # the agents folder means nothing to a backend URL, so it is not passed on.
        del agents_dir
        if (uri is None) == (service is None):
            raise ValidationError(
                "RunnersMemoryService takes a backend URL or service=..., exactly one of them"
            )
        if service is None:
            from runners_core.services import memory_service_from_url

            service = memory_service_from_url(backend_url(uri), **options)  # type: ignore[arg-type]
        if not isinstance(service, BaseMemoryService):
            raise ValidationError(
                f"service must be a runners_core BaseMemoryService, got {type(service).__name__}"
            )
        self._owned = uri is not None
        self.service = service

    async def add_session_to_memory(self, session: AdkSession) -> None:
        await self.service.add_session_to_memory(session_from_adk(session))

    async def add_events_to_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[AdkEvent],
        session_id: str | None = None,
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        await self.service.add_events_to_memory(
            app_name=app_name,
            user_id=user_id,
            events=[event_from_adk(e) for e in events],
            session_id=session_id,
            custom_metadata=custom_metadata,
        )

    async def add_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[AdkMemoryEntry],
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        ours = [
            MemoryEntry(
                content=content_from_adk(m.content),
                custom_metadata=dict(m.custom_metadata),
                id=m.id,
                author=m.author,
                timestamp=m.timestamp,
            )
            for m in memories
        ]
        await self.service.add_memory(
            app_name=app_name, user_id=user_id, memories=ours, custom_metadata=custom_metadata
        )

    async def search_memory(
        self, *, app_name: str, user_id: str, query: str
    ) -> AdkSearchMemoryResponse:
        found = await self.service.search_memory(app_name=app_name, user_id=user_id, query=query)
        return AdkSearchMemoryResponse(
            memories=[
                AdkMemoryEntry(
                    content=content_to_adk(m.content),
                    custom_metadata=dict(m.custom_metadata),
                    id=m.id,
                    author=m.author,
                    timestamp=m.timestamp,
                )
                for m in found.memories
            ]
        )

    async def delete_memory(
        self, *, app_name: str, user_id: str, memory_id: str | None = None
    ) -> None:
        await self.service.delete_memory(app_name=app_name, user_id=user_id, memory_id=memory_id)

    async def close(self) -> None:
        if self._owned:
            await self.service.close()
