"""A per-session run lease in Redis: mutual exclusion across processes and hosts.

The holder writes a random token with ``SET key token NX PX lease`` and renews
it every third of the lease from a background task; release deletes the key
only if it still holds our token. A holder that dies (SIGKILL, lost host) stops
renewing, and the key expires after at most one lease, so a crash never locks
a session for good. Waiters poll with capped exponential backoff.

Renewal alone cannot keep a lease: a holder whose event loop is blocked (a
synchronous model call) longer than the lease loses it without noticing, and
another process may take the session. So the lease is also a *fence*: the
writes made under it (the append script) check that the lock key still holds
this holder's token, atomically with the write, and refuse otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from runners_core.errors import BackendError
from runners_redis.scripts import LuaScript

log = logging.getLogger("runners_redis.lease")

_FIRST_WAIT = 0.002
_MAX_WAIT = 0.05

ACQUIRE = LuaScript(
    "lease_acquire",
    """
-- Idempotent, so a retried command after a lost reply still finds the lease ours.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
""",
)

RENEW = LuaScript(
    "lease_renew",
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
""",
)

RELEASE = LuaScript(
    "lease_release",
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
""",
)

RunScript = Callable[[LuaScript, Sequence[str], Sequence[Any]], Awaitable[Any]]
"""Runs a script by digest: :meth:`~runners_redis.connections.RedisConnections.run`."""


@dataclass
class Lease:
    """A held lease: its key and token (the fence writes check), and what the renewer saw."""

    key: str
    token: str
    renewals: int = 0
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the renewer finds the lease gone (expired, or taken by another holder)."""
    _tick: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    async def wait_renewals(self, count: int) -> None:
        """Return once the renewer has renewed the lease *count* times in all."""
        while self.renewals < count:
            tick = self._tick
            await tick.wait()

    def _renewed(self) -> None:
        self.renewals += 1
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()


@asynccontextmanager
async def hold_lease(
    run: RunScript,
    key: str,
    *,
    lease_ms: int,
    timeout: float | None,
    busy: Callable[[], Exception],
) -> AsyncIterator[Lease]:
    """Hold the lease *key* inside the block; raise ``busy()`` after *timeout* seconds.

    *timeout* None waits forever, 0 tries once. The block gets the :class:`Lease`,
    whose token fences the writes made under it.
    """
    token = secrets.token_hex(16)
    deadline = None if timeout is None else time.monotonic() + timeout
    wait = _FIRST_WAIT
    while True:
        if await run(ACQUIRE, [key], [token, lease_ms]):
            break
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise busy()
        pause = wait * (0.5 + random.random())
        await asyncio.sleep(pause if remaining is None else min(pause, remaining))
        wait = min(wait * 2, _MAX_WAIT)

    lease = Lease(key, token)
    renewer = asyncio.create_task(_renew(run, lease, lease_ms))
    try:
        yield lease
    finally:
        renewer.cancel()
        await asyncio.wait([renewer])  # unlike `await renewer`, keeps our own cancellation
        try:
            await run(RELEASE, [key], [token])
        except BackendError as exc:
            # The lease expires on its own; nothing is left locked for good.
            log.warning("could not release run lease %s (it will expire): %s", key, exc)


async def _renew(run: RunScript, lease: Lease, lease_ms: int) -> None:
    interval = lease_ms / 3000
    while True:
        await asyncio.sleep(interval)
        try:
            kept = await run(RENEW, [lease.key], [lease.token, lease_ms])
        except BackendError as exc:
            log.warning("could not renew run lease %s, will retry: %s", lease.key, exc)
            continue
        if not kept:
            lease.lost.set()
            log.error(
                "run lease %s was lost (expired before renewal: the process stalled for "
                "longer than the lease); another process may now run this session, and "
                "this run's further writes are refused. Use a longer lease (?lease=seconds "
                "in the Redis URL) or keep blocking calls off the event loop",
                lease.key,
            )
            return
        lease._renewed()
