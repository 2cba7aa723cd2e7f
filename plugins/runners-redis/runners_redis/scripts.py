"""Running Lua scripts by digest (EVALSHA), loading them on a server that lacks them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError

try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # hiredis is redis[hiredis]'s; before 2.1 it could not pack
    _hiredis_pack = None

_PACKED_LIMIT = 1024
"""How many packed read commands a script keeps (a few hundred bytes each)."""


def pack(connection: AbstractConnection, command: tuple[Any, ...]) -> Any:
    """*command* in the wire format, as redis-py's ``pack_command`` would write it.

    redis-py's asyncio connections pack in Python (about 19 µs for an append's 20
    arguments here); ``hiredis.pack_command`` writes the same bytes in about 2.5 µs for
    UTF-8 text and integers, the only argument types these scripts are given.
    """
    encoder = connection.encoder
    if (
        _hiredis_pack is not None
        and encoder.encoding == "utf-8"
        and encoder.encoding_errors == "strict"
    ):
        try:
            return _hiredis_pack(command)
        except (TypeError, ValueError, UnicodeError):
            pass  # redis-py's packer says what is wrong
    return connection.pack_command(*command)


class LuaScript:
    """A Lua script sent once per server and afterwards run by its SHA1 digest.

    Unlike redis-py's ``register_script`` this is not bound to a client, so one
    instance serves the clients of every event loop.
    """

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
        # The wire form of recent read commands: a session's load repeats the same
        # command (its keys and tail size), and packing it costs about as much client
        # CPU as the rest of the call's Python. Bounded; only bytes, no connection state.
        self._packed: dict[tuple[Any, ...], Any] = {}

    async def __call__(
        self, client: Redis, keys: Sequence[str] = (), args: Sequence[Any] = ()
    ) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            # A restarted or different server: load it (EVAL caches it) and run it.
            return await client.eval(self.source, len(keys), *keys, *args)

    async def exchange(
        self,
        connection: AbstractConnection,
        keys: Sequence[str],
        args: Sequence[Any],
        repeats: bool = False,
    ) -> Any:
        """Send it on *connection* (held by the caller alone) and read the reply.

        For the per-turn commands (see :class:`~runners_redis.connections.ScriptChannel`).
        *repeats*: keep the packed command, since the same one is likely sent again (a
        session's load), and packing costs about as much client CPU as the rest of it.
        """
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        if repeats:
            cached = (connection.encoder.encoding, *command)  # services may differ in encoding
            packed = self._packed.get(cached)
            if packed is None:
                if len(self._packed) >= _PACKED_LIMIT:
                    self._packed.clear()
                packed = self._packed[cached] = pack(connection, command)
        else:
            packed = pack(connection, command)
        await connection.send_packed_command(packed)
        try:
            return await connection.read_response()
        except NoScriptError:
            await connection.send_command("EVAL", self.source, len(keys), *keys, *args)
            return await connection.read_response()

    async def load(self, client: Redis) -> None:
        """Make sure the server has the script, so pipelines can run it by digest."""
        await client.script_load(self.source)
