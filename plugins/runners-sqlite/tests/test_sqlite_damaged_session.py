"""A session holding an event written before writes were validated stays reachable.

Older versions stored an event with ``timestamp: inf`` as ``"timestamp": null``,
which no version can decode. Such a session must name the bad event, let the
events before it be exported and let the session be deleted.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from runners_sqlite import SqliteSessionService

from runners_core.errors import UnreadableEventError
from runners_core.events import Event


async def test_a_damaged_event_is_named_and_the_rest_stays_reachable(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    service = SqliteSessionService(f"sqlite:///{path}")
    key = {"app_name": "a", "user_id": "u", "session_id": "s"}
    session = await service.create_session(**key)
    for n in range(3):
        await service.append_event(session, Event(author="user", id=f"good-{n}"))
    damaged = json.loads(Event(author="user", id="bad-one").model_dump_json(exclude_none=True))
    damaged["timestamp"] = None  # what `inf` became when it was not refused
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE events SET payload = ? WHERE event_id = 'good-2'", (json.dumps(damaged),)
        )
    loaded = await service.get_session(**key)
    assert [e.id for e in loaded.events[:2]] == ["good-0", "good-1"]
    with pytest.raises(UnreadableEventError) as failed:
        list(loaded.events)
    message = str(failed.value)
    assert failed.value.event_id == "bad-one" and failed.value.position == 3
    assert "stored event 3 of 3 (id 'bad-one')" in message
    assert "timestamp" in message and "list_events(..., page_size=2)" in message
    assert "session.events[:2]" in message and "delete_session" in message
    with pytest.raises(UnreadableEventError, match="bad-one"):
        await service.list_events(**key)
    before = await service.list_events(**key, page_size=2)
    assert [e.id for e in before.events] == ["good-0", "good-1"]
    await service.delete_session(**key)
    assert await service.get_session(**key) is None
    await service.close()
