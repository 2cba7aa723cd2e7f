"""The session service contract, with all shared logic in one thick base class.

A backend implements a handful of storage primitives (the ``_``-prefixed
methods below). Identifier validation, state-scope splitting and merging,
``temp:`` trimming, partial-event skipping, idempotent appends, payload limits
and run serialisation live here once, so every backend behaves the same.

A service written for ADK overrides the public methods instead (``create_session``,
``get_session``, ``list_sessions``, ``delete_session`` and usually ``append_event``,
calling ``super().append_event`` to update the in-memory session as ADK's does).
"""

from __future__ import annotations

import secrets
import time
from abc import ABC
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from pydantic_core import PydanticSerializationError

from runners_core.errors import SessionBusyError, SessionNotFoundError, ValidationError
from runners_core.events import Event
from runners_core.identifiers import validate_id
from runners_core.paging import (
    EVENT_CURSOR,
    SESSION_CURSOR,
    decode_page_token,  # noqa: F401 (backends written before runners_core.paging import it here)
    encode_page_token,  # noqa: F401
    next_page,
    read_page_token,
)
from runners_core.service_routes import Route, service_route
from runners_core.sessions.decoding import decode_events
from runners_core.sessions.history import EventHistory, Loader, Payload
from runners_core.sessions.locks import KeyedLock
from runners_core.sessions.session import (
    GetSessionConfig,
    ListEventsResponse,
    ListSessionsResponse,
    Session,
)
from runners_core.sessions.state import State, merge_state, split_state_delta, without_temp
from runners_core.sessions.storable import check_event_storable, check_no_nul, check_state
from runners_core.state_ops import MISSING, StateOp, apply_op, check_op, resolve_ops

DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 10_000
_PLAIN_DATA = "store strings, numbers, booleans, None, and lists and dicts of them"


@dataclass
class StoredSession:
    """What a backend returns for one session: raw scopes, not yet merged."""

    id: str
    app_name: str
    user_id: str
    state: dict[str, Any]
    app_state: dict[str, Any]
    user_state: dict[str, Any]
    last_update_time: float
    events: Sequence[Event] = field(default_factory=list)  # often an EventHistory


@dataclass(frozen=True)
class EventRecord:
    """An event ready to store: the model, its JSON form and its split state delta.

    Events with atomic operations (``actions.state_ops``) carry them split by scope
    too. A backend applies them inside the append's transaction: it reads the
    stored values of :meth:`op_keys` and stores :meth:`deltas_with_ops` instead
    of the plain deltas; ``op_results`` then holds what the operations stored.
    """

    event: Event
    json: str
    app_delta: dict[str, Any]
    user_delta: dict[str, Any]
    session_delta: dict[str, Any]
    app_ops: list[StateOp] = field(default_factory=list)
    user_ops: list[StateOp] = field(default_factory=list)
    session_ops: list[StateOp] = field(default_factory=list)
    op_results: dict[str, Any] = field(default_factory=dict)

    @property
    def has_ops(self) -> bool:
        return bool(self.app_ops or self.user_ops or self.session_ops)

    def op_keys(self) -> tuple[list[str], list[str], list[str]]:
        """The (unprefixed) app, user and session keys the operations read."""
        return (
            list(dict.fromkeys(op.key for op in self.app_ops)),
            list(dict.fromkeys(op.key for op in self.user_ops)),
            list(dict.fromkeys(op.key for op in self.session_ops)),
        )

    def deltas_with_ops(
        self,
        read_app: Callable[[str], Any],
        read_user: Callable[[str], Any],
        read_session: Callable[[str], Any],
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The app, user and session deltas with the operations applied to stored values.

        Each ``read_*(key)`` returns the value stored now, or ``MISSING``; call this
        inside the transaction that stores the result.
        """
        self.op_results.clear()
        scopes = []
        for prefix, delta, ops, read in (
            (State.APP_PREFIX, self.app_delta, self.app_ops, read_app),
            (State.USER_PREFIX, self.user_delta, self.user_ops, read_user),
            ("", self.session_delta, self.session_ops, read_session),
        ):
            results = resolve_ops(ops, delta, read) if ops else {}
            self.op_results.update({prefix + key: value for key, value in results.items()})
            scopes.append({**delta, **results} if results else delta)
        return scopes[0], scopes[1], scopes[2]


def new_session_id() -> str:
    return secrets.token_hex(16)


class BaseSessionService(ABC):
    """Stores sessions, their events and their scoped state.

    Optional capabilities a backend can claim in ``capabilities``:
    ``"cross_process_lock"`` (``lock_session`` serialises runs across processes),
    ``"ttl"`` (sessions expire).
    """

    capabilities: ClassVar[frozenset[str]] = frozenset()
    state_allows_nul: ClassVar[bool] = True
    """False for a backend whose state storage cannot hold the NUL character (PostgreSQL's
    jsonb): state holding it is then refused up front, naming the key."""
    _route: Route

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        route = service_route(
            cls, BaseSessionService, kind="session", public=_PUBLIC, primitives=_PRIMITIVES
        )
        self = super().__new__(cls)
        self._route = route
        # Services written for ADK define __init__ without calling ours.
        BaseSessionService.__init__(self)
        return self

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._run_locks = KeyedLock()

    # ------------------------------------------------------------------ public API

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        """Create a session; ``app:``/``user:`` keys in *state* update those scopes."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        session_id = validate_id("session_id", session_id) if session_id else new_session_id()
        check_state(state or {})
        if not self.state_allows_nul:
            check_no_nul(state or {}, "state", type(self).__name__)
        scoped = split_state_delta(state or {})
        stored = await self._create_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            state=scoped.session,
            app_delta=scoped.app,
            user_delta=scoped.user,
            now=time.time(),
        )
        return self._to_session(stored)

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: GetSessionConfig | None = None,
    ) -> Session | None:
        """Load a session with (some of) its history, or None if it does not exist."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        validate_id("session_id", session_id)
        config = config or GetSessionConfig()
        stored = await self._get_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            num_recent_events=config.num_recent_events,
            after_timestamp=config.after_timestamp,
        )
        return None if stored is None else self._to_session(stored)

    async def list_sessions(
        self,
        *,
        app_name: str,
        user_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> ListSessionsResponse:
        """A page of an app's sessions (of one user, if given), without events.

        Sessions are ordered by ``(user_id, id)``; the order is stable under
        concurrent writes, so paging never skips or repeats a session.
        """
        validate_id("app_name", app_name)
        if user_id is not None:
            validate_id("user_id", user_id)
        limit = _page_size(page_size)
        after = read_page_token(page_token, SESSION_CURSOR)
        rows = await self._list_sessions(
            app_name=app_name,
            user_id=user_id,
            limit=limit + 1,
            after=None if after is None else (after[0], after[1]),
        )
        stored, token = next_page(rows, limit, lambda s: (s.user_id, s.id))
        return ListSessionsResponse(
            sessions=[self._to_session(s) for s in stored], next_page_token=token
        )

    async def list_events(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> ListEventsResponse:
        """A page of a session's stored events, oldest first."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        validate_id("session_id", session_id)
        limit = _page_size(page_size)
        cursor = read_page_token(page_token, EVENT_CURSOR)
        after = 0 if cursor is None else cursor[0]
        rows = await self._list_events(
            app_name=app_name, user_id=user_id, session_id=session_id, limit=limit + 1, after=after
        )
        page, token = next_page(rows, limit, lambda row: (row[0],))
        items = [item for _, item in page]
        stored = [item for item in items if not isinstance(item, Event)]
        if stored:  # stored JSON: only the page is decoded
            decoded = iter(self.decode_events(stored))
            items = [item if isinstance(item, Event) else next(decoded) for item in items]
        return ListEventsResponse(events=items, next_page_token=token)

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        """Delete a session and its events; deleting a missing session is not an error."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        validate_id("session_id", session_id)
        await self._delete_session(app_name=app_name, user_id=user_id, session_id=session_id)

    async def import_events(
        self, *, app_name: str, user_id: str, session_id: str, events: Sequence[Event]
    ) -> int:
        """Store exported events in order, as ``append_event`` would one by one (ids
        already stored are skipped, state deltas applied), in as few writes as the backend
        can; returns how many were new. For import and migration of whole sessions."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        validate_id("session_id", session_id)
        records = []
        for event in events:
            if event.partial:
                raise ValidationError(f"event {event.id} is partial; partial events are not stored")
            check_event(event)
            if any(k.startswith(State.TEMP_PREFIX) for k in event.actions.state_delta):
                event = event.model_copy(deep=True)
                event.actions.state_delta = without_temp(event.actions.state_delta)
            records.append(self.encode_event(event))
        if self._route == "public":
            session = await self.get_session(
                app_name=app_name, user_id=user_id, session_id=session_id
            )
            if session is None:
                raise missing_session(app_name, user_id, session_id)
            known = {e.id for e in session.events}
            new = [r.event for r in records if r.event.id not in known]
            for event in new:
                await self.append_event(session, event)
            return len(new)
        return await self._append_events(
            app_name=app_name, user_id=user_id, session_id=session_id, records=records
        )

    async def delete_events(
        self, *, app_name: str, user_id: str, session_id: str, event_ids: Sequence[str]
    ) -> int:
        """Delete these stored events of a session (retention); returns how many went.

        State stays as the events left it; ids not stored are ignored. Callers that
        must not race a running invocation hold ``lock_session`` (``runners prune`` does).
        """
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        validate_id("session_id", session_id)
        ids = list(dict.fromkeys(event_ids))
        if any(not isinstance(i, str) or not i for i in ids):
            raise ValidationError("event_ids must be non-empty strings (ids of stored events)")
        if not ids:
            return 0
        return await self._delete_events(
            app_name=app_name, user_id=user_id, session_id=session_id, event_ids=ids
        )

    async def append_event(self, session: Session, event: Event) -> Event:
        """Store *event* in *session* and apply its state delta; return what was stored.

        Partial events are returned untouched and not stored. ``temp:`` keys are
        applied to the in-memory *session* (so later steps of the same invocation
        see them) and, as in ADK, removed from *event*'s own ``state_delta`` before
        it is stored. Re-appending an event whose id is already stored changes nothing.

        On the public-method route (a service written for ADK) this only updates
        the in-memory *session*, as ADK's base class does; the subclass stores.
        """
        if event.partial:
            return event
        delta = event.actions.state_delta
        temp = {k: v for k, v in delta.items() if k.startswith(State.TEMP_PREFIX)}
        kept = without_temp(delta) if temp else delta
        check_state(kept, "state_delta")  # temp: values are never stored: anything goes
        given_ops = event.actions.state_ops
        ops = given_ops or []
        temp_ops = [op for op in ops if check_op(op).key.startswith(State.TEMP_PREFIX)]
        check_event_storable(event)
        if temp:
            event.actions.state_delta = kept
        if temp_ops:
            event.actions.state_ops = [op for op in ops if op not in temp_ops] or None
        if self._route == "public":
            session.state.update(temp)
            session.state.update(event.actions.state_delta)
            _apply_locally(session.state, ops)  # not atomic: the service stores on its own
            session.events.append(event)
            return event
        try:
            record = self.encode_event(event)
        except BaseException:
            # Refused: the caller's event is left as it was given.
            event.actions.state_delta, event.actions.state_ops = delta, given_ops
            raise
        inserted = await self._append_event(
            app_name=session.app_name,
            user_id=session.user_id,
            session_id=session.id,
            record=record,
        )
        # Only now: a refused event must not change the live session, not even temp: keys.
        session.state.update(temp)
        _apply_locally(session.state, temp_ops)
        if inserted:
            session.state.update(record.event.actions.state_delta)
            session.state.update(record.op_results)
            session.events.append(record.event)
            session.last_update_time = record.event.timestamp
        return record.event

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        """App-wide state (``app:`` keys, prefixed as in ``session.state``); no session needed."""
        validate_id("app_name", app_name)
        app_state, _ = await self._get_scoped_state(app_name=app_name, user_id=None)
        return {State.APP_PREFIX + key: value for key, value in app_state.items()}

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        """A user's state (``user:`` keys, prefixed as in ``session.state``); no session needed."""
        validate_id("app_name", app_name)
        validate_id("user_id", user_id)
        _, user_state = await self._get_scoped_state(app_name=app_name, user_id=user_id)
        return {State.USER_PREFIX + key: value for key, value in user_state.items()}

    @asynccontextmanager
    async def lock_session(
        self, *, app_name: str, user_id: str, session_id: str, timeout: float | None = None
    ) -> AsyncIterator[None]:
        """Hold a session exclusively: the runner wraps each invocation in this.

        *timeout* is how long to wait for another holder (None: forever, 0: not at
        all); past it :class:`SessionBusyError` is raised. The base class locks
        within this process; backends with ``"cross_process_lock"`` extend it
        across processes through :meth:`_process_lock`.
        """
        key = (app_name, user_id, session_id)
        async with self._run_locks.hold(key, timeout) as acquired:
            if not acquired:
                raise session_busy_error(app_name, user_id, session_id, timeout)
            async with self._process_lock(
                app_name=app_name, user_id=user_id, session_id=session_id, timeout=timeout
            ) as held:
                if held is False:
                    raise session_busy_error(
                        app_name, user_id, session_id, timeout, self._process_lock_holder()
                    )
                yield

    async def close(self) -> None:
        """Release connections and files; the service is unusable afterwards."""

    async def __aenter__(self) -> BaseSessionService:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ helpers for backends

    def encode_event(self, event: Event) -> EventRecord:
        """Serialise *event* once, enforce the size limit and split its state delta."""
        try:
            payload = event.model_dump_json(exclude_none=True)
        except PydanticSerializationError as exc:
            raise ValidationError(
                f"event {event.id} cannot be stored as JSON ({exc}); {_PLAIN_DATA}"
            ) from None
        # A character is at most 4 UTF-8 bytes: count bytes only when it could matter.
        size = len(payload) if len(payload) * 4 <= self.max_event_bytes else len(payload.encode())
        if size > self.max_event_bytes:
            raise ValidationError(
                f"event {event.id} is {size} bytes serialised (UTF-8); the limit is "
                f"{self.max_event_bytes} (max_event_bytes). Store large data as an artifact "
                "and reference it from the event"
            )
        if not self.state_allows_nul:
            where = f"event {event.id} state_delta"
            check_no_nul(event.actions.state_delta, where, type(self).__name__)
            for op in event.actions.state_ops or []:
                check_no_nul({op.key: [op.value, op.expected]}, f"{where} op", type(self).__name__)
        scoped = split_state_delta(event.actions.state_delta)
        app_ops, user_ops, session_ops = _split_ops(event.actions.state_ops or [])
        return EventRecord(
            event, payload, scoped.app, scoped.user, scoped.session, app_ops, user_ops, session_ops
        )

    @staticmethod
    def decode_event(payload: str | bytes) -> Event:
        return Event.model_validate_json(payload)

    def decode_events(self, payloads: Sequence[str]) -> list[Event]:
        """Decode a batch of stored events now (a page of ``list_events``)."""
        return decode_events(payloads, where=type(self).__name__)

    def history(
        self, payloads: Sequence[Payload], *, older: int = 0, loader: Loader | None = None
    ) -> EventHistory:
        """A loaded session's events from their stored JSON, decoded as they are read.

        *payloads* are the newest events, oldest first. A backend that fetched only
        those passes how many *older* events precede them and a *loader* returning
        their JSON (called at most once, synchronously, if something reads that far).
        """
        return EventHistory(payloads, older=older, loader=loader, where=type(self).__name__)

    @staticmethod
    def _to_session(stored: StoredSession) -> Session:
        # The session takes the history: *stored* may outlive this call (the result of
        # a finished future that the event loop's handle or a worker's frame still
        # holds), and must not keep a whole decoded history alive past its session.
        events, stored.events = stored.events, []
        return Session.model_construct(
            id=stored.id,
            app_name=stored.app_name,
            user_id=stored.user_id,
            state=merge_state(stored.state, stored.app_state, stored.user_state),
            events=events,
            last_update_time=stored.last_update_time,
        )

    @asynccontextmanager
    async def _process_lock(
        self, *, app_name: str, user_id: str, session_id: str, timeout: float | None
    ) -> AsyncIterator[bool | None]:
        """Override to serialise runs across processes: an async context manager holding
        the session's lock for its block.

        Yield True once the lock is held, or False if another holder kept it past
        *timeout* (None: wait forever, 0: do not wait); the base class then raises
        :class:`SessionBusyError` naming :meth:`_process_lock_holder`. Release on exit.
        """
        yield True

    def _process_lock_holder(self) -> str:
        """Where a lock :meth:`_process_lock` could not take is held, for the busy error."""
        return "in another process"

    # ------------------------------------------------------------------ storage primitives

    async def _create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        state: dict[str, Any],
        app_delta: dict[str, Any],
        user_delta: dict[str, Any],
        now: float,
    ) -> StoredSession:
        """Insert a session (raise SessionExistsError if taken) and apply the scope deltas."""
        raise _not_implemented(self, "_create_session")

    async def _get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        num_recent_events: int | None,
        after_timestamp: float | None,
    ) -> StoredSession | None:
        """Load one session; events oldest first, limited as asked (see GetSessionConfig)."""
        raise _not_implemented(self, "_get_session")

    async def _list_sessions(
        self, *, app_name: str, user_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[StoredSession]:
        """Up to *limit* sessions in (user_id, id) order after *after* (the ``(user_id,
        id)`` of the previous page's last session, None for the first), no events.

        The base class asks for one more than a page and makes the page tokens.
        """
        raise _not_implemented(self, "_list_sessions")

    async def _list_events(
        self, *, app_name: str, user_id: str, session_id: str, limit: int, after: int
    ) -> list[tuple[int, str | Event]]:
        """Up to *limit* stored events after position *after* (0 for the first page), oldest
        first, each as ``(position, stored JSON)`` (or a decoded Event); raise
        SessionNotFoundError if no such session.

        A position is any increasing non-negative integer the backend can resume from
        (a sequence number, or the count of events before and including it). The base
        class asks for one more than a page, makes the page tokens and decodes only the
        page (a damaged event just past it does not fail the page). On the
        public-method route this pages through ``get_session``'s events.
        """
        if self._route != "public":
            raise _not_implemented(self, "_list_events")
        session = await self.get_session(app_name=app_name, user_id=user_id, session_id=session_id)
        if session is None:
            raise SessionNotFoundError(app_name, user_id, session_id)
        page = session.events[after : after + limit]
        return [(after + n, event) for n, event in enumerate(page, start=1)]

    async def _delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        """Remove the session and its events (app and user state stay)."""
        raise _not_implemented(self, "_delete_session")

    async def _get_scoped_state(
        self, *, app_name: str, user_id: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The app state and (if *user_id*) the user state, unprefixed; ``{}`` when unset.

        The default reads them from one of the app's (or user's) sessions, so it
        finds nothing once they are all deleted; backends override it to read the
        scope tables directly.
        """
        if self._route == "public":
            listed = await self.list_sessions(app_name=app_name, user_id=user_id)
            merged = listed.sessions[0].state if listed.sessions else {}
        else:
            stored = await self._list_sessions(
                app_name=app_name, user_id=user_id, limit=1, after=None
            )
            merged = merge_state({}, stored[0].app_state, stored[0].user_state) if stored else {}
        app = {k[len(State.APP_PREFIX) :]: v for k, v in merged.items() if k.startswith("app:")}
        user = {k[len(State.USER_PREFIX) :]: v for k, v in merged.items() if k.startswith("user:")}
        return app, user if user_id is not None else {}

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        """Atomically store the event and apply its deltas; False if its id is already stored.

        Raise SessionNotFoundError if the session does not exist (e.g. was deleted).
        """
        raise _not_implemented(self, "_append_event")

    async def _append_events(
        self, *, app_name: str, user_id: str, session_id: str, records: Sequence[EventRecord]
    ) -> int:
        """Append *records* in order, each as ``_append_event`` would; return how many were
        new. Override to store a batch in one transaction (import speed)."""
        stored = 0
        for record in records:
            stored += await self._append_event(
                app_name=app_name, user_id=user_id, session_id=session_id, record=record
            )
        return stored

    async def _delete_events(
        self, *, app_name: str, user_id: str, session_id: str, event_ids: Sequence[str]
    ) -> int:
        """Remove the stored events with these ids (and their ids from the idempotency
        record); return how many were removed. Optional: retention needs it."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot delete single events (it does not implement "
            "_delete_events), so retention cannot trim its sessions"
        )


_PUBLIC = ("create_session", "get_session", "list_sessions", "delete_session")
_PRIMITIVES = (
    "_create_session",
    "_get_session",
    "_list_sessions",
    "_list_events",
    "_delete_session",
    "_append_event",
)


def _not_implemented(service: object, method: str) -> NotImplementedError:
    return NotImplementedError(
        f"{type(service).__name__} does not implement {method}; it overrides ADK's public "
        "methods, so call those (or implement the storage primitives, docs/plugins.md)"
    )


def _split_ops(ops: list[StateOp]) -> tuple[list[StateOp], list[StateOp], list[StateOp]]:
    """Operations by scope, app and user keys without their prefix (as deltas are split)."""
    app: list[StateOp] = []
    user: list[StateOp] = []
    session: list[StateOp] = []
    for op in ops:
        if op.key.startswith(State.APP_PREFIX):
            app.append(op.model_copy(update={"key": op.key[len(State.APP_PREFIX) :]}))
        elif op.key.startswith(State.USER_PREFIX):
            user.append(op.model_copy(update={"key": op.key[len(State.USER_PREFIX) :]}))
        else:
            session.append(op)
    return app, user, session


def _apply_locally(state: dict[str, Any], ops: list[StateOp]) -> None:
    """Apply ``temp:`` operations to the live session (they are never stored)."""
    for op in ops:
        state[op.key] = apply_op(op, state.get(op.key, MISSING))


def _page_size(page_size: int | None) -> int:
    if page_size is None:
        return DEFAULT_PAGE_SIZE
    if not isinstance(page_size, int) or page_size < 1 or page_size > MAX_PAGE_SIZE:
        raise ValidationError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}")
    return page_size


def check_event(event: Event) -> None:
    """Raise ValidationError unless *event* may be stored (author, invocation id)."""
    if not event.author:
        raise ValidationError(
            f"event {event.id} has no author; set author='user' or the agent's name"
        )
    if event.author != "user" and not event.invocation_id:
        raise ValidationError(
            f"event {event.id} from {event.author!r} has no invocation_id; events from agents "
            "must carry the invocation_id of the run that produced them (ctx.invocation_id)"
        )


def session_busy_error(
    app_name: str,
    user_id: str,
    session_id: str,
    timeout: float | None,
    holder: str = "",
) -> SessionBusyError:
    """The error a run gets when its session stays busy; *holder* says where it is held.

    The base class raises it when ``_process_lock`` yields False, with the holder
    ``_process_lock_holder()`` names, e.g. "in another process (lock files in
    /srv/db-locks)".
    """
    waited = "did not wait" if not timeout else f"waited {timeout:g}s"
    where = f" {holder}" if holder else ""
    return SessionBusyError(
        f"session {session_id!r} (app {app_name!r}, user {user_id!r}) is running another "
        f"invocation{where} and the runner {waited}; retry later, or create the Runner with "
        "session_busy='wait' and a longer busy_timeout"
    )


def missing_session(app_name: str, user_id: str, session_id: str) -> SessionNotFoundError:
    """The error a backend raises when asked to write to a session that does not exist."""
    return SessionNotFoundError(
        app_name, user_id, session_id, "create it first with create_session"
    )
