"""Sessions in Redis: storage primitives only; the base class does the rest."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from redis.exceptions import WatchError

from runners_core.errors import BackendError, LeaseLostError, SessionExistsError
from runners_core.sessions.base import (
    BaseSessionService,
    EventRecord,
    StoredSession,
    missing_session,
    session_busy_error,
)
from runners_core.state_ops import MISSING
from runners_redis.connections import RedisConnections
from runners_redis.keys import KeySpace, index_member, split_member, user_range
from runners_redis.lease import Lease, hold_lease
from runners_redis.session_scripts import (
    APPEND,
    CREATE,
    DELETE_EVENTS,
    LOAD,
    LOAD_TAIL,
    PRUNE_INDEX,
)
from runners_redis.settings import RedisSettings, parse_redis_url
from runners_redis.values import decode_hash, encode_float, encode_pairs

# How many of the newest events a load fetches; older ones are fetched when read.
_TAIL = 32

# How many records of a batched append share one attempt id (the receipt in the
# session's meta keeps one status character per record of the attempt).
_RECEIPT_SLOTS = 256


class RedisSessionService(BaseSessionService):
    """Sessions, events and scoped state in one Redis database, shared by many processes.

    *url* is ``redis://[user:password@]host[:port][/db][?prefix=...&ttl=...&lease=...]``
    (``rediss://`` for TLS); *prefix*, *ttl* and *lease* override the URL's options.
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"cross_process_lock", "ttl", "retention"})

    def __init__(
        self,
        url: str,
        *,
        prefix: str | None = None,
        ttl: float | None = None,
        lease: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.settings: RedisSettings = parse_redis_url(url, prefix=prefix, ttl=ttl, lease=lease)
        self.keys = KeySpace(self.settings.prefix)
        self._connections = RedisConnections(self.settings)
        # The leases this service holds, by session: their tokens fence its appends.
        self._leases: dict[tuple[str, str, str], Lease] = {}

    def __repr__(self) -> str:
        return f"RedisSessionService({self.settings.redacted_url!r})"

    async def close(self) -> None:
        await self._connections.close()

    # ------------------------------------------------------------------ primitives

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
        keys = self.keys.session(app_name, user_id, session_id)
        args = [
            index_member(user_id, session_id),
            encode_float(now),
            secrets.token_hex(8),
            self.settings.ttl_ms,
            len(state),
            len(app_delta),
            len(user_delta),
            *encode_pairs(state),
            *encode_pairs(app_delta),
            *encode_pairs(user_delta),
        ]
        async with self._connections.client() as client:
            reply = await CREATE(
                client,
                [
                    *keys.expiring,
                    self.keys.session_index(app_name),
                    self.keys.app_state(app_name),
                    self.keys.user_state(app_name, user_id),
                ],
                args,
            )
        if reply[0] == 0:
            raise SessionExistsError(app_name, user_id, session_id)
        return StoredSession(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=dict(state),
            app_state=decode_hash(reply[1]),
            user_state=decode_hash(reply[2]),
            last_update_time=now,
        )

    async def _get_scoped_state(
        self, *, app_name: str, user_id: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        async with self._connections.client() as client:
            app_state = await client.hgetall(self.keys.app_state(app_name))
            user_state = (
                await client.hgetall(self.keys.user_state(app_name, user_id))
                if user_id is not None
                else {}
            )
        return decode_hash(app_state), decode_hash(user_state) if user_state else {}

    async def _get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        num_recent_events: int | None,
        after_timestamp: float | None,
    ) -> StoredSession | None:
        keys = self.keys.session(app_name, user_id, session_id)
        script_keys = [
            keys.meta,
            keys.state,
            keys.events,
            self.keys.app_state(app_name),
            self.keys.user_state(app_name, user_id),
        ]
        if after_timestamp is not None:
            # The window is found by reading timestamps from the tail: fetched whole.
            args = [-1 if num_recent_events is None else num_recent_events]
            reply = await self._connections.run(
                LOAD, script_keys, [*args, encode_float(after_timestamp)], repeats=True
            )
            if not reply:
                return None
            updated, scopes, *payloads = reply
            events = self.history(payloads)
        else:
            wanted = _TAIL if num_recent_events is None else min(_TAIL, num_recent_events)
            reply = await self._connections.run(LOAD_TAIL, script_keys, [wanted], repeats=True)
            if not reply:
                return None
            updated, count, scopes, *payloads = reply
            window = count if num_recent_events is None else min(count, num_recent_events)
            older = max(0, window - len(payloads))
            loader = None
            if older:
                loader = self._older_loader(keys.events, count - window, older, payloads[0])
            events = self.history(payloads, older=older, loader=loader)
        state, app_state, user_state = json.loads(scopes)
        return StoredSession(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=state,
            app_state=app_state,
            user_state=user_state,
            last_update_time=float(updated),
            events=events,
        )

    def _older_loader(
        self, events_key: str, first: int, count: int, boundary: str
    ) -> Callable[[], list[str]]:
        """Reads list items ``first .. first+count-1`` of a loaded session when first needed.

        Appends only add items after these, so their indexes hold; the item after
        them must still be the oldest event the load fetched (*boundary*), else events
        were deleted (or the session replaced) since the load and indexes moved.
        """

        def read(client: Any) -> list[str]:
            return client.lrange(events_key, first, first + count)

        def load() -> list[str]:
            items = self._connections.call_blocking(read)
            if len(items) != count + 1 or items[-1] != boundary:
                raise BackendError(
                    f"the older events of this session changed in Redis "
                    f"({self.settings.redacted_url}) after it was loaded (events deleted, "
                    "or the session deleted or expired); load it again"
                )
            return items[:-1]

        return load

    async def _list_sessions(
        self, *, app_name: str, user_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[StoredSession]:
        index = self.keys.session_index(app_name)
        start, stop = user_range(user_id) if user_id is not None else ("-", "+")
        if after is not None:
            start = _later(start, "(" + index_member(*after))
        found: list[tuple[str, str, str, dict[str, Any]]] = []
        async with self._connections.client() as client:
            # Expired sessions linger in the index until seen: skip them and prune.
            while len(found) < limit:
                want = limit - len(found)
                members = await client.zrange(index, start, stop, bylex=True, offset=0, num=want)
                if not members:
                    break
                pipe = client.pipeline(transaction=True)
                for member in members:
                    keys = self.keys.session(app_name, *split_member(member))
                    pipe.hget(keys.meta, "updated")
                    pipe.hgetall(keys.state)
                rows = await pipe.execute()
                stale = []
                for i, member in enumerate(members):
                    updated, state = rows[2 * i], rows[2 * i + 1]
                    if updated is None:
                        stale.append(member)
                    else:
                        found.append((*split_member(member), updated, state))
                if stale:
                    await self._prune(client, app_name, stale)
                start = "(" + members[-1]
                if len(members) < want:
                    break
            scopes = await self._scopes(client, app_name, {user for user, *_ in found})
        return [
            StoredSession(
                id=session_id,
                app_name=app_name,
                user_id=user,
                state=decode_hash(state),
                app_state=scopes[None],
                user_state=scopes[user],
                last_update_time=float(updated),
            )
            for user, session_id, updated, state in found
        ]

    async def _list_events(
        self, *, app_name: str, user_id: str, session_id: str, limit: int, after: int
    ) -> list[tuple[int, str]]:
        keys = self.keys.session(app_name, user_id, session_id)
        async with self._connections.client() as client:
            pipe = client.pipeline(transaction=True)
            pipe.exists(keys.meta)
            pipe.lrange(keys.events, after, after + limit - 1)
            exists, payloads = await pipe.execute()
        if not exists:
            raise missing_session(app_name, user_id, session_id)
        return [(after + n, payload) for n, payload in enumerate(payloads, start=1)]

    async def _delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        keys = self.keys.session(app_name, user_id, session_id)
        async with self._connections.client() as client:
            pipe = client.pipeline(transaction=True)
            pipe.unlink(*keys.expiring)
            pipe.zrem(self.keys.session_index(app_name), index_member(user_id, session_id))
            await pipe.execute()

    async def _delete_events(
        self, *, app_name: str, user_id: str, session_id: str, event_ids: Sequence[str]
    ) -> int:
        keys = self.keys.session(app_name, user_id, session_id)
        async with self._connections.client() as client:
            removed = await DELETE_EVENTS(
                client,
                [keys.events, keys.event_ids, keys.meta],
                [secrets.token_hex(8), *event_ids],
            )
        return int(removed)

    async def _append_events(
        self, *, app_name: str, user_id: str, session_id: str, records: Sequence[EventRecord]
    ) -> int:
        # The append script once per event, in one pipelined round trip: the server runs
        # them in order, each exactly as a single append would.
        if any(record.has_ops for record in records):  # each needs its own WATCH round
            stored = 0
            for record in records:
                stored += await self._append_event(
                    app_name=app_name, user_id=user_id, session_id=session_id, record=record
                )
            return stored
        keys = self._append_keys(app_name, user_id, session_id)
        token = self._lease_token(app_name, user_id, session_id)
        async with self._connections.client() as client:
            await APPEND.load(client)
            pipe = client.pipeline(transaction=False)
            for n, record in enumerate(records):
                # One attempt id per _RECEIPT_SLOTS records bounds the receipt kept in meta.
                slot = n % _RECEIPT_SLOTS
                if slot == 0:
                    attempt = secrets.token_hex(8)
                args = self._append_args(record, token, attempt, slot)
                pipe.evalsha(APPEND.sha, len(keys), *keys, *args)
            statuses = await pipe.execute()
        for status in statuses:
            self._check_status(status, app_name, user_id, session_id, records[0])
        return sum(1 for status in statuses if status == 1)

    def _append_keys(self, app_name: str, user_id: str, session_id: str) -> list[str]:
        keys = self.keys.session(app_name, user_id, session_id)
        return [
            *keys.expiring,
            self.keys.app_state(app_name),
            self.keys.user_state(app_name, user_id),
            self.keys.lock(app_name, user_id, session_id),
        ]

    def _lease_token(self, app_name: str, user_id: str, session_id: str) -> str:
        """The token of the lease this service holds on the session ('' if none)."""
        lease = self._leases.get((app_name, user_id, session_id))
        return "" if lease is None else lease.token

    def _check_status(
        self, status: int, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> None:
        if status == -2:
            raise LeaseLostError(
                f"event {record.event.id} was not stored: this process lost its run lease "
                f"on session {session_id!r} (app {app_name!r}, user {user_id!r}), which "
                f"expired after {self.settings.lease:g}s without renewal (the event loop "
                "was blocked, e.g. by a synchronous model call) and another process may "
                "have taken the session over. Retry the invocation; use a longer lease "
                "(?lease=seconds in the Redis URL) or run blocking calls off the event "
                "loop (asyncio.to_thread)"
            )
        if status == -1:
            raise missing_session(app_name, user_id, session_id)

    def _append_args(
        self,
        record: EventRecord,
        token: str,
        attempt: str,
        slot: int = 0,
        deltas: tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]] | None = None,
    ) -> list[Any]:
        """The append script's ARGV; *deltas* (app, user, session) replace the record's.

        *attempt* and *slot* name this record's run for the script's receipt: a retried
        command (the same attempt and slot) gets the status of the run that happened.
        """
        app_delta, user_delta, session_delta = deltas or (
            record.app_delta,
            record.user_delta,
            record.session_delta,
        )
        return [
            record.event.id,
            record.json,
            encode_float(record.event.timestamp),
            self.settings.ttl_ms,
            len(session_delta),
            len(app_delta),
            len(user_delta),
            token,
            attempt,
            slot,
            *encode_pairs(session_delta),
            *encode_pairs(app_delta),
            *encode_pairs(user_delta),
        ]

    async def _append_event(
        self, *, app_name: str, user_id: str, session_id: str, record: EventRecord
    ) -> bool:
        keys = self._append_keys(app_name, user_id, session_id)
        token = self._lease_token(app_name, user_id, session_id)
        if record.has_ops:
            async with self._connections.client() as client:
                status = await self._append_with_ops(client, keys, record, token)
        else:
            args = self._append_args(record, token, secrets.token_hex(8))
            status = await self._connections.run(APPEND, keys, args)
        self._check_status(status, app_name, user_id, session_id, record)
        return status == 1

    async def _append_with_ops(
        self, client: Any, script_keys: list[str], record: EventRecord, token: str
    ) -> int:
        """Apply the record's state operations optimistically: WATCH, read, MULTI, append.

        If another writer changes a watched state hash in between, EXEC does nothing
        and the operations are computed again from the new values. A connection lost
        while watching (EXEC's reply too) ends in a WatchError as well, but then the
        transaction may have run: each later round first reads the append's receipt, and if
        an earlier round stored the event, its results stand (``record.op_results``
        still holds them) instead of the operations being applied to their own output.
        """
        meta_key, state_key, app_key, user_key = (
            script_keys[0],
            script_keys[1],
            script_keys[4],
            script_keys[5],
        )
        app_keys, user_keys, session_keys = record.op_keys()
        attempt = secrets.token_hex(8)
        first = True
        while True:
            async with client.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(state_key, app_key, user_key)
                    if not first:
                        seen, statuses = await pipe.hmget(meta_key, ["attempt", "statuses"])
                        if seen == attempt and statuses and statuses[0] in "01":
                            return int(statuses[0])  # an earlier round ran: its reply was lost
                    first = False
                    read = {}
                    for key, fields in ((app_key, app_keys), (user_key, user_keys)):
                        values = await pipe.hmget(key, fields) if fields else []
                        read[key] = _stored(fields, values)
                    values = await pipe.hmget(state_key, session_keys) if session_keys else []
                    read[state_key] = _stored(session_keys, values)
                    app_delta, user_delta, session_delta = record.deltas_with_ops(
                        _reader(read[app_key]), _reader(read[user_key]), _reader(read[state_key])
                    )
                    deltas = (app_delta, user_delta, session_delta)
                    args = self._append_args(record, token, attempt, deltas=deltas)
                    pipe.multi()
                    # EVAL, not EVALSHA: a NOSCRIPT reply would only show after EXEC.
                    pipe.eval(APPEND.source, len(script_keys), *script_keys, *args)
                    (status,) = await pipe.execute()
                    return int(status)
                except WatchError:
                    continue

    @asynccontextmanager
    async def _process_lock(
        self, *, app_name: str, user_id: str, session_id: str, timeout: float | None
    ) -> AsyncIterator[None]:
        session = (app_name, user_id, session_id)
        async with hold_lease(
            self._connections.run,
            self.keys.lock(app_name, user_id, session_id),
            lease_ms=self.settings.lease_ms,
            timeout=timeout,
            busy=lambda: session_busy_error(app_name, user_id, session_id, timeout),
        ) as lease:
            # The base class's in-process lock makes this service the session's only holder.
            self._leases[session] = lease
            try:
                yield
            finally:
                del self._leases[session]

    def held_lease(self, app_name: str, user_id: str, session_id: str) -> Lease | None:
        """The run lease this service holds on the session now, if any."""
        return self._leases.get((app_name, user_id, session_id))

    # ------------------------------------------------------------------ helpers

    async def _prune(self, client: Any, app_name: str, members: list[str]) -> None:
        metas = [self.keys.session(app_name, *split_member(m)).meta for m in members]
        await PRUNE_INDEX(client, [self.keys.session_index(app_name), *metas], members)

    async def _scopes(
        self, client: Any, app_name: str, users: set[str]
    ) -> Mapping[str | None, dict[str, Any]]:
        """App state (under None) and each user's state, read in one round trip."""
        ordered = sorted(users)
        pipe = client.pipeline(transaction=True)
        pipe.hgetall(self.keys.app_state(app_name))
        for user in ordered:
            pipe.hgetall(self.keys.user_state(app_name, user))
        app_state, *user_states = await pipe.execute()
        scopes: dict[str | None, dict[str, Any]] = {None: decode_hash(app_state)}
        for user, raw in zip(ordered, user_states, strict=True):
            scopes[user] = decode_hash(raw)
        return scopes


def _later(first: str, second: str) -> str:
    """The later of two ZRANGE BYLEX start bounds (``[x`` inclusive, ``(x`` exclusive).

    A page token can never move a user-filtered listing before that user's range.
    """
    if first == "-":
        return second
    return first if first[1:] > second[1:] else second


def _stored(fields: list[str], values: list[str | None]) -> dict[str, Any]:
    """HMGET results as a dict of decoded values; fields not stored are left out."""
    return {f: json.loads(v) for f, v in zip(fields, values, strict=True) if v is not None}


def _reader(stored: dict[str, Any]) -> Callable[[str], Any]:
    return lambda key: stored.get(key, MISSING)
