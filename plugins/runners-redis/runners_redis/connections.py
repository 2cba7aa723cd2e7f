"""One redis-py client per running event loop, with clear errors for every failure.

redis-py's asyncio connections belong to the loop that opened them, and
``Runner.run`` drives ``run_async`` on a background loop in another thread, so
a service may be called from several loops. Each loop gets its own client (and
pool), through the kernel's :class:`~runners_core.loop_local.LoopLocal`;
:meth:`RedisConnections.close` closes them all, on their own loops.
"""

from __future__ import annotations

import asyncio
import builtins
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    AuthenticationError,
    AuthenticationWrongNumberOfArgsError,
    ConnectionError,
    NoPermissionError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TimeoutError,
)
from redis.retry import Retry

from runners_core.errors import BackendError, ConfigError, RetryableBackendError, RunnersError
from runners_core.loop_local import LoopLocal
from runners_core.redaction import redact, secrets_in
from runners_redis.scripts import LuaScript
from runners_redis.settings import RedisSettings

T = TypeVar("T")

MIN_SERVER_VERSION = (6, 2)
"""ZRANGE ... BYLEX LIMIT (list_sessions) needs Redis 6.2."""

SAFE_POLICY = "noeviction"
"""The only ``maxmemory-policy`` under which the server never drops a key we wrote."""


class RedisConnections:
    """Hands out the current loop's client and turns redis-py errors into ours."""

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings
        self._clients: LoopLocal[Redis] = LoopLocal(
            self._open, Redis.aclose, name=settings.redacted_url, closed=self._closed_error
        )
        self._channels: LoopLocal[ScriptChannel] = LoopLocal(
            self._open_channel,
            ScriptChannel.aclose,
            name=settings.redacted_url,
            closed=self._closed_error,
        )
        self._mutex = threading.Lock()  # guards the blocking client
        self._checked = False
        self._closed = False
        self._blocking: redis.Redis | None = None

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Redis]:
        """The client of the running loop; Redis failures inside become BackendErrors."""
        try:
            client = await self._clients.get()
            if not self._checked:
                await self._check_server(client)
            yield client
        except RedisError as exc:
            raise self._translate(exc) from exc

    def _closed_error(self) -> RunnersError:
        return RunnersError(
            f"this Redis service ({self.settings.redacted_url}) is closed; create a new one"
        )

    async def run(
        self,
        script: LuaScript,
        keys: Sequence[str],
        args: Sequence[Any],
        *,
        repeats: bool = False,
    ) -> Any:
        """Run *script* by digest on the running loop's :class:`ScriptChannel`.

        For the per-turn commands (loads, appends, the run lease). *repeats*: the same
        command is likely sent again (a load), so its packed form is kept. Redis
        failures become BackendErrors, as inside :meth:`client`.
        """
        try:
            channel = await self._channels.get()
            if not self._checked:
                # On the channel's connection: a process that only loads opens no other.
                await channel.bounded(self._check_server(Redis(connection_pool=channel.pool)))
            return await channel.run(script, keys, args, repeats)
        except RedisError as exc:
            raise self._translate(exc) from exc

    def call_blocking(self, operation: Callable[[redis.Redis], T]) -> T:
        """Run *operation* with a synchronous client on the calling thread.

        For reads that cannot await: the older events of a loaded session, read when
        a list index first reaches them. One client (a thread-safe pool) serves every
        thread; after :meth:`close` a client is made for the call alone, so a session
        loaded before the service closed stays readable.
        """
        try:
            with self._mutex:
                client = self._blocking
                if client is None:
                    client = self._new_blocking()
                    if not self._closed:
                        self._blocking = client
            try:
                return operation(client)
            finally:
                if client is not self._blocking:
                    client.close()
        except RedisError as exc:
            raise self._translate(exc) from exc

    def _new_blocking(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.settings.connection_url,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            **self.settings.connection_kwargs(),
        )

    def _pool(self) -> ConnectionPool:
        # The asyncio Retry: redis-py's asyncio connections await call_with_retry, and the
        # synchronous one would hand back the coroutine unawaited, so nothing is retried.
        return ConnectionPool.from_url(
            self.settings.connection_url,
            retry=AsyncRetry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            **self.settings.connection_kwargs(),
        )

    async def _open(self) -> Redis:
        return Redis.from_pool(self._pool())  # owns the pool: aclose() disconnects it

    async def _open_channel(self) -> ScriptChannel:
        pool = self._pool()
        # The channel bounds each exchange itself (see ScriptChannel): its connections get none.
        timeout = pool.connection_kwargs.get("socket_timeout")
        pool.connection_kwargs["socket_timeout"] = None
        return ScriptChannel(pool, timeout)

    async def _check_server(self, client: Redis) -> None:
        info = await client.info("server")
        version = str(info.get("redis_version", "0"))
        if parse_version(version) < MIN_SERVER_VERSION:
            wanted = ".".join(map(str, MIN_SERVER_VERSION))
            raise BackendError(
                f"the Redis server at {self.settings.redacted_url} is version {version}; "
                f"runners-redis needs Redis {wanted} or newer. Upgrade the server"
            )
        if not self.settings.allow_eviction:
            await self._check_eviction_policy(client)
        self._checked = True

    async def _check_eviction_policy(self, client: Redis) -> None:
        """Refuse a server that may evict keys: it would drop acknowledged events, leave
        sessions half-written (one key of four gone) and free held run leases."""
        url = self.settings.redacted_url
        policy, why_unknown = await _eviction_policy(client)
        why_unknown = redact(why_unknown, secrets_in(self.settings.connection_url))
        if policy == SAFE_POLICY:
            return
        opt_out = "add ?allow_eviction=true to the URL"
        if policy is None:
            raise ConfigError(
                f"cannot read the maxmemory-policy of the Redis server at {url} ({why_unknown}); "
                f"runners-redis needs {SAFE_POLICY!r}, or evicted keys lose acknowledged "
                "events. Allow CONFIG GET or INFO for this user, or, once you have made "
                f"sure the server uses {SAFE_POLICY} (managed services set it in their "
                f"parameter group), {opt_out}"
            )
        raise ConfigError(
            f"the Redis server at {url} has maxmemory-policy {policy!r}, which evicts keys "
            "when memory runs out: acknowledged events would be dropped and sessions left "
            f"half-written. Set `maxmemory-policy {SAFE_POLICY}` on the server (redis.conf, "
            "or your provider's parameter group), or, if losing sessions is acceptable "
            f"(a cache), {opt_out}"
        )

    def _translate(self, exc: RedisError) -> BackendError:
        url = self.settings.redacted_url
        detail = redact(str(exc), secrets_in(self.settings.connection_url)).rstrip(". ")
        if isinstance(exc, AuthenticationError | AuthenticationWrongNumberOfArgsError) or (
            isinstance(exc, ResponseError) and "WRONGPASS" in str(exc)
        ):
            return BackendError(
                f"the Redis server at {url} rejected the credentials ({detail}); fix the "
                "user name and password in the URL (redis://user:password@host:port/db)"
            )
        if isinstance(exc, NoPermissionError):
            return BackendError(
                f"the Redis user of {url} lacks a permission ({detail}); grant it keys, "
                "scripting and read/write commands (ACL SETUSER ... ~* +@all)"
            )
        if isinstance(exc, ReadOnlyError):
            return BackendError(
                f"the Redis server at {url} is a read-only replica ({detail}); point the "
                "URL at the primary"
            )
        if isinstance(exc, ResponseError) and (
            str(exc).startswith("OOM") or "used memory > 'maxmemory'" in str(exc)
        ):
            # Inside a script the server drops the "OOM" code; both forms mean the same.
            return BackendError(
                f"the Redis server at {url} is out of memory (OOM command not allowed: "
                f"{detail}); nothing of this write was stored. Raise the server's maxmemory "
                "or free memory (delete old sessions, `runners prune`), then retry"
            )
        if isinstance(exc, ResponseError) and "DB index is out of range" in str(exc):
            return BackendError(
                f"the Redis server at {url} has no database with that number ({detail}); "
                "use a number below the server's `databases` setting (default 16), e.g. /0"
            )
        if isinstance(exc, ConnectionError | TimeoutError):
            return RetryableBackendError(
                f"cannot talk to the Redis server at {url}: {detail}. Check that it is "
                "running and that host, port and TLS (rediss://) are right; the call can be "
                "retried (appends are idempotent by event id)"
            )
        return BackendError(f"the Redis server at {url} failed: {detail}")

    async def close(self) -> None:
        """Close every loop's client, each on its own loop."""
        with self._mutex:
            self._closed = True
            blocking, self._blocking = self._blocking, None
        if blocking is not None:
            blocking.close()
        await self._channels.close()
        await self._clients.close()


class ScriptChannel:
    """One event loop's connections for the scripts every turn runs (the session load,
    each append, the run lease).

    redis-py bounds a send on a connection with a ``socket_timeout`` by
    ``asyncio.wait_for``, which on Python 3.11 makes a task and an extra event-loop
    pass per command (measured: about a third of a load's client CPU). These
    connections have no socket timeout; each exchange (sending, reading the reply, a
    retry's reconnect) runs under ``asyncio.timeout`` of the service's socket timeout
    instead, the same bound on a stalled server without the task. A timed-out or
    failed connection is disconnected (redis-py does so when a read is interrupted)
    and reconnects on its next use, under the same retry policy and error translation
    as every other command. Connections stay with the channel between commands instead
    of going back to the pool (taking one from the pool costs a lock and its
    bookkeeping), so this loop holds as many as it ever ran such commands at once
    (``max_connections`` bounds them, apart from the service's other commands).
    """

    def __init__(self, pool: ConnectionPool, timeout: float | None) -> None:
        self.pool = pool
        """Where its connections come from (they have no socket timeout: see :meth:`bounded`)."""
        self._timeout = timeout
        self._idle: list[AbstractConnection] = []
        self._closed = False

    async def run(
        self, script: LuaScript, keys: Sequence[str], args: Sequence[Any], repeats: bool
    ) -> Any:
        """The reply of *script*, run by digest on a connection of this channel."""
        idle = self._idle
        connection = idle.pop() if idle else await self.pool.get_connection()
        try:
            return await connection.retry.call_with_retry(
                lambda: self.bounded(script.exchange(connection, keys, args, repeats)),
                lambda _error: connection.disconnect(),
            )
        finally:
            if self._closed:
                await connection.disconnect()
            else:
                idle.append(connection)

    async def bounded(self, operation: Awaitable[T]) -> T:
        """Await *operation* (on this channel's connections) within the socket timeout."""
        bound = asyncio.timeout(self._timeout)
        try:
            async with bound:
                return await operation
        except builtins.TimeoutError:
            if not bound.expired():
                raise
            # Interrupted mid-exchange, redis-py disconnected it: no reply is left behind.
            raise TimeoutError(
                f"no reply from the Redis server within {self._timeout:g}s (socket_timeout)"
            ) from None

    async def aclose(self) -> None:
        self._closed = True
        self._idle.clear()
        await self.pool.disconnect()


async def _eviction_policy(client: Redis) -> tuple[str | None, str]:
    """The server's maxmemory-policy, or None and why it cannot be read.

    CONFIG is often disabled or renamed on managed servers; INFO memory reports the
    policy too and is usually still allowed.
    """
    reasons = []
    try:
        found = await client.config_get("maxmemory-policy")
        policy = found.get("maxmemory-policy")
        if policy:
            return str(policy), ""
        reasons.append("CONFIG GET returned no maxmemory-policy")
    except ResponseError as exc:
        reasons.append(f"CONFIG GET is not allowed: {exc}")
    try:
        info = await client.info("memory")
        policy = info.get("maxmemory_policy")
        if policy:
            return str(policy), ""
        reasons.append("INFO memory has no maxmemory_policy")
    except ResponseError as exc:
        reasons.append(f"INFO is not allowed: {exc}")
    return None, "; ".join(reasons)


def parse_version(text: str) -> tuple[int, ...]:
    """``"7.0.15"`` -> ``(7, 0, 15)``; text without a leading number -> ``(0,)``."""
    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if match is None:
        return (0,)
    return tuple(int(part) for part in match.groups() if part is not None)
