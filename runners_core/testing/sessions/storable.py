"""What is stored always loads again: unloadable values are refused before any write.

A value nested too deeply, a non-finite float, a lone surrogate, bytes or an
arbitrary object in state (or in an event field) would make the whole session
unreadable once stored. Every backend must refuse it with ValidationError naming
the key or field, and store nothing, not even in the live session object.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from runners_core.errors import ValidationError
from runners_core.events import Event
from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import agent_event, state_event, user_event
from runners_core.testing.sessions.suite import SessionSuite, ids, key_of

CAPABILITY = None


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"d": value}
    return value


UNLOADABLE_VALUES: tuple[tuple[str, Any], ...] = (
    ("nested 200 levels", _nested(200)),
    ("infinity", math.inf),
    ("NaN", math.nan),
    ("a list holding -inf", [1, -math.inf]),
    ("a lone surrogate", "ab\ud800cd"),
    ("non-UTF-8 bytes", b"\xff\xfe"),
    ("an object", object()),
    ("a set", {1, 2}),
    ("a dict with int keys", {1: "one"}),
)
"""State values that must be refused: ``(description, value)``."""


class Storable(SessionSuite):
    async def test_unloadable_state_values_are_refused_naming_the_key(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service, state={"kept": 1})
        for label, value in UNLOADABLE_VALUES:
            for key in ("bad_key", "user:bad_key", "app:bad_key"):
                with pytest.raises(ValidationError, match="bad_key") as refused:
                    await service.append_event(session, state_event({"ok": 1, key: value}))
                assert "bad_key" in str(refused.value), (
                    f"state validation: the error for {label} does not name the key"
                )
                with pytest.raises(ValidationError, match="bad_key"):
                    await self.new_session(service, app_name=session.app_name, state={key: value})
        loaded = await self.reload(service, session)
        assert ids(loaded) == [], f"state validation: refused events were stored: {ids(loaded)}"
        assert loaded.state == {"kept": 1}, (
            f"state validation: refused writes changed the stored state: {loaded.state}"
        )
        assert session.state == {"kept": 1}, (
            f"state validation: refused writes changed the live session: {session.state}"
        )
        listed = await service.list_sessions(app_name=session.app_name)
        assert [s.id for s in listed.sessions] == [session.id], (
            "state validation: a refused create_session stored a session"
        )

    async def test_unloadable_event_fields_are_refused_naming_the_field(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        bad_events = {
            "timestamp": user_event(timestamp=math.inf),
            "custom_metadata": user_event(custom_metadata={"score": math.nan}),
            "content": agent_event("\udcff"),
            # Free-form metadata types nothing: bytes would come back as text, or not at all.
            "custom_metadata[": user_event(custom_metadata={"raw": b"\x80"}),
            "args": Event(
                author="agent",
                invocation_id="inv-1",
                content=user_event().content.model_copy(
                    update={"parts": [_call_part(_nested(200))]}
                ),
            ),
        }
        for field_name, event in bad_events.items():
            with pytest.raises(ValidationError) as refused:
                await service.append_event(session, event)
            assert field_name in str(refused.value) or event.id in str(refused.value), (
                f"event validation: the error for a bad {field_name} names neither the "
                f"field nor the event: {refused.value}"
            )
        await service.append_event(session, user_event("still fine"))
        loaded = await self.reload(service, session)
        assert len(loaded.events) == 1, (
            f"event validation: refused events were stored or the session became "
            f"unreadable: {ids(loaded)}"
        )

    async def test_a_refused_event_leaves_the_live_session_unchanged(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        limit = service.max_event_bytes
        service.max_event_bytes = 16 * 1024
        try:
            big = state_event({"temp:scratch": "seen", "note": "x" * (17 * 1024)})
            with pytest.raises(ValidationError):
                await service.append_event(session, big)
        finally:
            service.max_event_bytes = limit
        assert "temp:scratch" not in session.state, (
            "validate before mutate: a temp: key of a refused event reached session.state"
        )
        assert "temp:scratch" in big.actions.state_delta, (
            "validate before mutate: a refused event's temp: keys were trimmed from the "
            "caller's event"
        )
        assert session.events == [] and "note" not in session.state, (
            "validate before mutate: a refused event reached the live session"
        )

    async def test_max_event_bytes_counts_utf8_bytes(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        limit = service.max_event_bytes
        service.max_event_bytes = 16 * 1024
        try:
            # 6,000 characters but 24,000 bytes of UTF-8: over the limit.
            with pytest.raises(ValidationError, match="bytes"):
                await service.append_event(session, user_event("\U0001f680" * 6000))
            await service.append_event(session, user_event("a" * 6000))
        finally:
            service.max_event_bytes = limit
        stored = await service.list_events(**key_of(session))
        assert len(stored.events) == 1, (
            "max_event_bytes: an event of 24,000 UTF-8 bytes passed a 16 KiB limit "
            "(characters were counted instead of bytes)"
        )


def _call_part(args: Any) -> Any:
    from runners_core.content import Part

    return Part.from_function_call("tool", {"deep": args})
