"""A Runner whose session lock the server can take itself, for the length of a request.

The server needs to act inside the session lock before the invocation starts:
an idempotent retry (same invocation id) must find the first attempt's events
under the lock, or two workers could both decide to run it; and the busy policy
is chosen per request. So the server holds ``lock_session`` itself and tells the
runner, through a context variable, that this task already holds it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from runners_core.identifiers import validate_id
from runners_core.runner import Runner

# (app_name, user_id, session_id) of the lock the current task holds, if any.
_held: ContextVar[tuple[str, str, str] | None] = ContextVar("runners_server_held", default=None)


class ServerRunner(Runner):
    """A Runner that skips taking the session lock when the serving task holds it."""

    def _session_lock(self, user_id: str, session_id: str) -> Any:
        if _held.get() == (self.app_name, user_id, session_id):
            return _already_held()
        return super()._session_lock(user_id, session_id)

    @asynccontextmanager
    async def hold_session(
        self, *, user_id: str, session_id: str, timeout: float | None
    ) -> AsyncIterator[None]:
        """Hold the session's run lock (SessionBusyError past *timeout*; 0: don't wait)."""
        validate_id("user_id", user_id)
        validate_id("session_id", session_id)
        async with self.session_service.lock_session(
            app_name=self.app_name, user_id=user_id, session_id=session_id, timeout=timeout
        ):
            token = _held.set((self.app_name, user_id, session_id))
            try:
                yield
            finally:
                _held.reset(token)


@asynccontextmanager
async def _already_held() -> AsyncIterator[None]:
    yield
