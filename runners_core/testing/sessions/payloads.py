"""Round-tripping: every Part kind, every Event field, non-ASCII text and large payloads."""

from __future__ import annotations

from runners_core.content import Content, Part
from runners_core.events import Event, EventActions
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import GetSessionConfig
from runners_core.testing.builders import NON_ASCII, every_part_kind, state_event, user_event
from runners_core.testing.every_field import every_field_event
from runners_core.testing.sessions.suite import SessionSuite, ids, paged_event_ids

CAPABILITY = None

MIB = 1024 * 1024
LONG_SESSION = 10_000


def _dump(event: Event) -> dict:
    return event.model_dump(mode="json", exclude_none=True)


class Payloads(SessionSuite):
    async def test_every_part_kind_round_trips(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        event = Event(
            author="agent",
            invocation_id="inv-1",
            content=Content(role="model", parts=every_part_kind()),
        )
        await service.append_event(session, event)
        (loaded,) = (await self.reload(service, session)).events
        for sent, got in zip(event.content.parts, loaded.content.parts, strict=True):
            kind = next(k for k, v in sent.model_dump(exclude_none=True).items() if v)
            assert got == sent, f"part round-trip: a {kind} part came back changed: {got!r}"

    async def test_every_event_field_round_trips(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        event = Event(
            author="planner",
            invocation_id="inv-42",
            content=Content(role="model", parts=[Part(text="done")]),
            actions=EventActions(
                state_delta={"plan": ["a", "b"]},
                artifact_delta={"report.pdf": 2},
                transfer_to_agent="writer",
                escalate=True,
                skip_summarization=True,
                end_invocation=False,
            ),
            turn_complete=True,
            interrupted=False,
            branch="root.planner",
            timestamp=1_700_000_123.456789,
            error_code="E_TOOL",
            error_message="tool failed: ö",
            custom_metadata={"trace": {"id": "abc", "n": 3}},
            long_running_tool_ids=["t1", "t2"],
        )
        await service.append_event(session, event)
        (loaded,) = (await self.reload(service, session)).events
        sent, got = _dump(event), _dump(loaded)
        changed = sorted(k for k in sent.keys() | got.keys() if sent.get(k) != got.get(k))
        assert not changed, f"event round-trip: these Event fields came back changed: {changed}"

    async def test_an_adk_event_with_every_field_round_trips(
        self, service: BaseSessionService
    ) -> None:
        # The event ADK 2.13 itself writes with every field set (model response,
        # thought signatures, grounding, workflow node info, tool confirmations...).
        session = await self.new_session(service)
        event = every_field_event()
        await service.append_event(session, event)
        (loaded,) = (await self.reload(service, session)).events
        sent, got = _dump(event), _dump(loaded)
        changed = sorted(k for k in sent.keys() | got.keys() if sent.get(k) != got.get(k))
        assert not changed, f"ADK event round-trip: these Event fields came back changed: {changed}"
        assert loaded == event, "ADK event round-trip: the event came back changed"

    async def test_non_ascii_text_and_state_round_trip(self, service: BaseSessionService) -> None:
        session = await self.new_session(service, state={"名前": NON_ASCII})
        delta = {
            "ключ": NON_ASCII,
            "user:emoji🚀": "✓",
            "nested": {"list": [1, 2.5, None, True, "ü"], "big": 2**53},
        }
        await service.append_event(session, user_event(NON_ASCII))
        await service.append_event(session, state_event(delta))
        loaded = await self.reload(service, session)
        assert loaded.events[0].content.text == NON_ASCII, (
            f"non-ASCII: event text came back as {loaded.events[0].content.text!r}"
        )
        assert loaded.state == {"名前": NON_ASCII, **delta}, (
            f"non-ASCII: state came back as {loaded.state!r}"
        )

    async def test_one_mebibyte_event_round_trips(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        blob = bytes(range(256)) * (MIB // 256)
        event = Event(
            author="user",
            content=Content(
                role="user", parts=[Part(text="é" * (MIB // 2)), Part.from_bytes(blob, "x/y")]
            ),
        )
        await service.append_event(session, event)
        (loaded,) = (await self.reload(service, session)).events
        assert loaded.content == event.content, "large payload: a 1 MiB event came back changed"

    async def test_ten_thousand_event_session_loads_completely(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        appended = []
        for i in range(LONG_SESSION):
            event = Event(author="user", id=f"e{i:05d}", timestamp=1_700_000_000.0 + i)
            appended.append((await service.append_event(session, event)).id)
        full = await self.reload(service, session)
        assert ids(full) == appended, (
            f"long session: get_session loaded {len(full.events)} of {LONG_SESSION} events "
            "(or out of order)"
        )
        recent = await self.reload(service, session, GetSessionConfig(num_recent_events=50))
        assert ids(recent) == appended[-50:], (
            f"long session: num_recent_events=50 gave {len(recent.events)} events, not the "
            "last 50 in order"
        )
        seen = await paged_event_ids(service, session, 2_500, limit=LONG_SESSION)
        assert seen == appended, f"long session: list_events paged {len(seen)} events"
