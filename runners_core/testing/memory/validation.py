"""Bad identifiers are refused with ValidationError."""

from __future__ import annotations

import pytest

from runners_core.errors import ValidationError
from runners_core.memory.base import BaseMemoryService
from runners_core.testing.builders import BAD_IDS, bad_ids
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
