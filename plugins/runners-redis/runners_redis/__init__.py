"""runners-redis: session and memory services for runners-core on Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from runners_redis.memory import RedisMemoryService
    from runners_redis.sessions import RedisSessionService

__all__ = ["RedisMemoryService", "RedisSessionService"]


def __getattr__(name: str) -> Any:
    # Lazy, so plugin discovery does not import redis-py until a service is built.
    if name == "RedisSessionService":
        from runners_redis.sessions import RedisSessionService

        return RedisSessionService
    if name == "RedisMemoryService":
        from runners_redis.memory import RedisMemoryService

        return RedisMemoryService
    raise AttributeError(f"module 'runners_redis' has no attribute {name!r}")
