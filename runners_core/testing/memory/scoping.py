"""Memories are scoped per app and user: search never returns another's memories."""

from __future__ import annotations

from runners_core.memory.base import BaseMemoryService
from runners_core.testing.builders import unique
from runners_core.testing.memory.suite import MemorySuite, texts

CAPABILITY = None


class Scoping(MemorySuite):
    async def test_search_is_scoped_per_user(self, service: BaseMemoryService) -> None:
        app = unique("app")
        await service.add_session_to_memory(
            self.session_with("alice's pin is 1234", app_name=app, user_id="alice")
        )
        await service.add_session_to_memory(
            self.session_with("bob's pin is 9999", app_name=app, user_id="bob")
        )
        found = await service.search_memory(app_name=app, user_id="bob", query="pin")
        assert texts(found) == ["bob's pin is 9999"], (
            f"memory scope: search for user bob returned another user's memories: {texts(found)}"
        )

    async def test_search_is_scoped_per_app(self, service: BaseMemoryService) -> None:
        one, two = unique("app"), unique("app")
        await service.add_session_to_memory(
            self.session_with("quarterly budget draft", app_name=one, user_id="u")
        )
        found = await service.search_memory(app_name=two, user_id="u", query="budget")
        assert found.memories == [], f"memory scope: search in another app returned {texts(found)}"

    async def test_same_event_id_for_two_users_is_two_memories(
        self, service: BaseMemoryService
    ) -> None:
        app = unique("app")
        session = self.session_with("shared walrus fact", app_name=app, user_id="alice")
        await service.add_session_to_memory(session)
        await service.add_session_to_memory(session.model_copy(update={"user_id": "bob"}))
        for user in ("alice", "bob"):
            found = await service.search_memory(app_name=app, user_id=user, query="walrus")
            assert len(found.memories) == 1, (
                f"memory scope: the same event remembered for two users must exist for each; "
                f"{user} has {len(found.memories)}"
            )
