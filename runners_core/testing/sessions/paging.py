"""Paging of list_sessions and list_events: stable order, no skips, no repeats."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from runners_core.errors import ValidationError
from runners_core.paging import encode_page_token
from runners_core.sessions.base import BaseSessionService
from runners_core.sessions.session import Session
from runners_core.testing.builders import unique, user_event
from runners_core.testing.sessions.suite import SessionSuite, key_of, paged_event_ids

CAPABILITY = None

BAD_TOKENS = ("not-a-token", "!!!", "eyJ4IjogMX0")
# Well-formed tokens with the wrong content, and tokens of the wrong type: forged or
# damaged input must be a ValidationError naming the token, never a driver's error.
FORGED_TOKENS: tuple[object, ...] = (
    encode_page_token(1, 2),  # numbers where session cursors hold strings
    encode_page_token("a", "b"),  # strings where event cursors hold a number
    encode_page_token(10**30),  # beyond any database integer
    encode_page_token(-1),
    encode_page_token(1.5),
    encode_page_token(True),
    encode_page_token(),
    encode_page_token("a", "b", "c"),
    base64.urlsafe_b64encode(b"[1e999]").decode(),  # infinity
    base64.urlsafe_b64encode(b'{"after": 1}').decode(),  # an object, not a list
    base64.urlsafe_b64encode(b"[[[[[[[[[[1]]]]]]]]]]").decode(),
    base64.urlsafe_b64encode(b"[" * 3000).decode(),  # too deep to parse
    "é" * 10,  # not ASCII
    "A" * 100_000,  # too long
    123,
    b"abc",
    ["a", "b"],
)


async def _all_sessions(
    service: BaseSessionService, app_name: str, user_id: str | None, page_size: int
) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    token = None
    for _ in range(1000):
        page = await service.list_sessions(
            app_name=app_name, user_id=user_id, page_size=page_size, page_token=token
        )
        assert len(page.sessions) <= page_size, (
            f"session paging: a page held {len(page.sessions)} sessions, page_size={page_size}"
        )
        seen.extend((s.user_id, s.id) for s in page.sessions)
        token = page.next_page_token
        if token is None:
            return seen
    raise AssertionError("session paging: next_page_token never became None")


async def _both_listings_refuse(
    service: BaseSessionService, session: Session, **paging: Any
) -> None:
    match = "page_token" if "page_token" in paging else None
    with pytest.raises(ValidationError, match=match):
        await service.list_sessions(app_name=session.app_name, **paging)
    with pytest.raises(ValidationError, match=match):
        await service.list_events(**key_of(session), **paging)


class Paging(SessionSuite):
    async def test_list_sessions_pages_cover_everything_once(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        made = set()
        for user in ("u-b", "u-a", "u-c"):
            for _ in range(3):
                s = await service.create_session(app_name=app, user_id=user)
                made.add((user, s.id))
        for size in (1, 2, 4, 100):
            seen = await _all_sessions(service, app, None, size)
            assert len(seen) == len(set(seen)), (
                f"session paging: page_size={size} repeated sessions: {seen}"
            )
            assert set(seen) == made, (
                f"session paging: page_size={size} skipped {sorted(made - set(seen))}"
            )
            assert seen == sorted(seen), (
                f"session paging: sessions must be ordered by (user_id, id); got {seen}"
            )

    async def test_list_sessions_of_one_user(self, service: BaseSessionService) -> None:
        app = unique("app")
        mine = {(await service.create_session(app_name=app, user_id="me")).id for _ in range(3)}
        await service.create_session(app_name=app, user_id="someone-else")
        seen = await _all_sessions(service, app, "me", 2)
        assert {sid for _, sid in seen} == mine and {u for u, _ in seen} == {"me"}, (
            f"list_sessions(user_id=...): must list exactly that user's sessions, got {seen}"
        )

    async def test_listed_sessions_carry_no_events(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        await service.append_event(session, user_event())
        listed = await service.list_sessions(app_name=session.app_name)
        assert [s.id for s in listed.sessions] == [session.id], (
            f"list_sessions: expected just {session.id}, got {[s.id for s in listed.sessions]}"
        )
        assert listed.sessions[0].events == [], (
            "list_sessions: listed sessions must come without events (load them with "
            "get_session or list_events)"
        )

    async def test_list_sessions_paging_survives_concurrent_creates(
        self, service: BaseSessionService
    ) -> None:
        app = unique("app")
        before = {(await service.create_session(app_name=app, user_id="u")).id for _ in range(6)}
        first = await service.list_sessions(app_name=app, page_size=3)
        for _ in range(4):
            await service.create_session(app_name=app, user_id="u")
        seen = [s.id for s in first.sessions]
        token = first.next_page_token
        while token is not None:
            page = await service.list_sessions(app_name=app, page_size=3, page_token=token)
            seen.extend(s.id for s in page.sessions)
            token = page.next_page_token
        assert len(seen) == len(set(seen)), (
            f"session paging: sessions created between pages made paging repeat some: {seen}"
        )
        assert before <= set(seen), (
            "session paging: sessions created between pages made paging skip existing ones: "
            f"{sorted(before - set(seen))}"
        )

    async def test_list_events_pages_in_order(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        appended = [
            (await service.append_event(session, user_event(f"m{i}"))).id for i in range(23)
        ]
        for size in (1, 5, 10, 23, 50):
            seen = await paged_event_ids(service, session, size, limit=len(appended))
            assert seen == appended, (
                f"event paging: page_size={size} must return every event once, oldest first; "
                f"got {len(seen)} events ({len(set(seen))} distinct) out of {len(appended)}"
            )

    async def test_list_events_paging_survives_appends_between_pages(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        appended = [(await service.append_event(session, user_event(f"m{i}"))).id for i in range(6)]
        key = key_of(session)
        page = await service.list_events(**key, page_size=4)
        seen = [e.id for e in page.events]
        appended += [(await service.append_event(session, user_event("late"))).id for _ in range(3)]
        token = page.next_page_token
        while token is not None:
            page = await service.list_events(**key, page_size=4, page_token=token)
            seen.extend(e.id for e in page.events)
            token = page.next_page_token
        assert seen == appended, (
            "event paging: events appended between pages must not cause skips or repeats; "
            f"expected {appended}, got {seen}"
        )

    async def test_bad_page_token_raises_validation_error(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        await service.append_event(session, user_event())
        for token in BAD_TOKENS:
            await _both_listings_refuse(service, session, page_token=token)

    async def test_forged_page_tokens_raise_validation_error_naming_the_token(
        self, service: BaseSessionService
    ) -> None:
        session = await self.new_session(service)
        await service.append_event(session, user_event())
        for token in FORGED_TOKENS:
            if token == encode_page_token("a", "b"):  # a valid session cursor
                with pytest.raises(ValidationError, match="page_token"):
                    await service.list_events(**key_of(session), page_token=token)  # type: ignore[arg-type]
                continue
            await _both_listings_refuse(service, session, page_token=token)

    async def test_bad_page_size_raises_validation_error(self, service: BaseSessionService) -> None:
        session = await self.new_session(service)
        for size in (0, -1, 10_001):
            await _both_listings_refuse(service, session, page_size=size)

    async def test_unknown_app_lists_nothing(self, service: BaseSessionService) -> None:
        page = await service.list_sessions(app_name=unique("app"))
        assert page.sessions == [] and page.next_page_token is None, (
            "list_sessions: an app with no sessions must give an empty last page"
        )
