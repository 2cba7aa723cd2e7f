"""Session expiry (capability ``"ttl"``): idle sessions disappear, every write refreshes them.

The suite needs a service built with a short TTL: define ``ttl_service`` (yielding a
service whose sessions expire ``ttl_seconds`` after their last write; the same
storage as ``service`` is not required) and, if 1 second is too short or long for
the backend, override ``ttl_seconds``. These tests wait for real time to pass;
they assert what happened, never how long it took.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from runners_core.capabilities import Capability
from runners_core.errors import SessionNotFoundError
from runners_core.sessions.base import BaseSessionService
from runners_core.testing.builders import user_event
from runners_core.testing.contract import UNTESTABLE
from runners_core.testing.sessions.suite import SessionSuite, ids, key_of

CAPABILITY = Capability.TTL

REFRESHES = 8


class Ttl(SessionSuite):
    @pytest.fixture
    def ttl_seconds(self) -> float:
        """The TTL ``ttl_service`` is built with (override to suit the backend)."""
        return 1.0

    @pytest.fixture
    def ttl_service(self) -> Any:
        """Override: a service whose sessions expire ``ttl_seconds`` after their last write."""
        return None

    @pytest.fixture
    def expiring(self, ttl_service: BaseSessionService | None) -> BaseSessionService:
        if ttl_service is None:
            pytest.skip(
                f"{UNTESTABLE}ttl (the service claims it, but the suite has no ttl_service "
                "fixture building it with a short TTL)"
            )
        return ttl_service

    async def test_idle_session_expires_everywhere(
        self, expiring: BaseSessionService, ttl_seconds: float
    ) -> None:
        session = await self.new_session(expiring, state={"k": 1})
        await expiring.append_event(session, user_event("soon gone"))
        # Generous: expiry may be lazy or swept periodically, but it must happen.
        deadline = time.monotonic() + 10 * ttl_seconds + 5
        while await expiring.get_session(**key_of(session)) is not None:
            assert time.monotonic() < deadline, (
                f"ttl: a session idle for 10x its TTL ({ttl_seconds}s) still loads"
            )
            await asyncio.sleep(ttl_seconds / 4)
        listed = await expiring.list_sessions(app_name=session.app_name)
        assert session.id not in [s.id for s in listed.sessions], (
            "ttl: an expired session must not be listed by list_sessions"
        )
        with pytest.raises(SessionNotFoundError):
            await expiring.append_event(session, user_event("too late"))

    async def test_every_write_refreshes_the_ttl(
        self, expiring: BaseSessionService, ttl_seconds: float
    ) -> None:
        session = await self.new_session(expiring)
        appended = []
        # Writes come every TTL/4 for twice the TTL: each one must keep the session alive.
        for n in range(REFRESHES):
            await asyncio.sleep(ttl_seconds / 4)
            try:
                appended.append((await expiring.append_event(session, user_event(f"{n}"))).id)
            except SessionNotFoundError:
                raise AssertionError(
                    f"ttl: the session expired after {n} writes {ttl_seconds / 4:g}s apart; "
                    f"each write must refresh the TTL ({ttl_seconds}s)"
                ) from None
        loaded = await expiring.get_session(**key_of(session))
        assert loaded is not None and ids(loaded) == appended, (
            "ttl: a session written to within every TTL period must keep all its events"
        )
