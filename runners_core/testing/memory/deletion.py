"""Forgetting memories: one by id, one session's, or all of a user's (capability "delete")."""

from __future__ import annotations

from runners_core.capabilities import Capability
from runners_core.memory.base import BaseMemoryService
from runners_core.testing.builders import unique
from runners_core.testing.memory.suite import MemorySuite, texts

CAPABILITY = Capability.DELETE


class Deletion(MemorySuite):
    async def _remember(self, service: BaseMemoryService, app: str, user: str) -> list[str]:
        one = self.session_with("otter memo one", "otter memo two", app_name=app, user_id=user)
        two = self.session_with("otter memo three", app_name=app, user_id=user)
        await service.add_session_to_memory(one)
        await service.add_session_to_memory(two)
        return [one.id, two.id, one.events[0].id]

    async def _left(self, service: BaseMemoryService, app: str, user: str) -> list[str]:
        return sorted(texts(await service.search_memory(app_name=app, user_id=user, query="otter")))

    async def test_delete_one_memory_by_id(self, service: BaseMemoryService) -> None:
        app = unique("app")
        _, _, first_event = await self._remember(service, app, "u")
        await service.delete_memory(app_name=app, user_id="u", memory_id=first_event)
        left = await self._left(service, app, "u")
        assert left == ["otter memo three", "otter memo two"], (
            f"delete_memory(memory_id=...): must forget exactly that memory; left {left}"
        )

    async def test_delete_one_sessions_memories(self, service: BaseMemoryService) -> None:
        app = unique("app")
        first_session, _, _ = await self._remember(service, app, "u")
        await service.delete_memory(app_name=app, user_id="u", session_id=first_session)
        left = await self._left(service, app, "u")
        assert left == ["otter memo three"], (
            f"delete_memory(session_id=...): must forget that session's memories; left {left}"
        )

    async def test_delete_all_of_a_users_memories_only(self, service: BaseMemoryService) -> None:
        app = unique("app")
        await self._remember(service, app, "alice")
        await self._remember(service, app, "bob")
        await service.delete_memory(app_name=app, user_id="alice")
        assert await self._left(service, app, "alice") == [], (
            "delete_memory(): must forget all of the user's memories"
        )
        assert len(await self._left(service, app, "bob")) == 3, (
            "delete_memory(): deleting one user's memories removed another user's"
        )

    async def test_deleted_memories_can_be_added_again(self, service: BaseMemoryService) -> None:
        app = unique("app")
        session = self.session_with("otter comeback", app_name=app, user_id="u")
        await service.add_session_to_memory(session)
        await service.delete_memory(app_name=app, user_id="u")
        await service.add_session_to_memory(session)
        assert await self._left(service, app, "u") == ["otter comeback"], (
            "delete_memory: a forgotten event added again must be remembered again"
        )

    async def test_deleting_nothing_is_not_an_error(self, service: BaseMemoryService) -> None:
        await service.delete_memory(app_name=unique("app"), user_id="u", memory_id="missing")
