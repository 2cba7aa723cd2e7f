"""Bad identifiers and content that cannot be stored are refused with ValidationError."""

from __future__ import annotations

import pytest

from runners_core.errors import ValidationError
from runners_core.memory.base import BaseMemoryService
from runners_core.testing.builders import BAD_IDS, bad_ids, unique, user_event
from runners_core.testing.memory.suite import MemorySuite

CAPABILITY = None


class Validation(MemorySuite):
    async def test_bad_identifiers_raise_validation_error(self, service: BaseMemoryService) -> None:
        for bad in bad_ids("user_id"):
            if bad in BAD_IDS:
                with pytest.raises(ValidationError):
                    await service.search_memory(app_name=bad, user_id="u", query="x")  # type: ignore[arg-type]
            with pytest.raises(ValidationError):
                await service.search_memory(app_name="a", user_id=bad, query="x")  # type: ignore[arg-type]
            with pytest.raises(ValidationError):
                await service.add_events_to_memory(app_name="a", user_id=bad, events=[])  # type: ignore[arg-type]
            session = self.session_with("x")
            with pytest.raises(ValidationError):
                await service.add_session_to_memory(session.model_copy(update={"id": bad}))

    async def test_content_that_cannot_be_stored_is_refused_naming_the_event(
        self, service: BaseMemoryService
    ) -> None:
        """A lone surrogate in the text, bytes in free-form metadata: a ValidationError
        naming the event, not a serialiser's error, and nothing remembered."""
        app = unique("app")
        bad = [user_event("lone \udcff surrogate"), user_event("bad metadata")]
        bad[1].content.parts[0].part_metadata = {"raw": b"\x80"}  # type: ignore[index]
        for event in bad:
            with pytest.raises(ValidationError, match=event.id):
                await service.add_events_to_memory(app_name=app, user_id="u", events=[event])
        found = await service.search_memory(app_name=app, user_id="u", query="surrogate metadata")
        assert found.memories == [], "memory validation: refused content was remembered"
