"""The ``redis`` plugin: registers ``redis://`` and ``rediss://`` session and memory services."""

from __future__ import annotations

from typing import Any

from runners_core.hookspecs import hookimpl
from runners_core.plugins.registry import ServiceRegistry

SCHEMES = ("redis", "rediss")


def _session_service(url: str, **options: Any) -> Any:
    from runners_redis.sessions import RedisSessionService

    return RedisSessionService(url, **options)


def _memory_service(url: str, **options: Any) -> Any:
    from runners_redis.memory import RedisMemoryService

    return RedisMemoryService(url, **options)


@hookimpl
def register_services(registry: ServiceRegistry) -> None:
    for scheme in SCHEMES:
        registry.add_session_service(scheme, _session_service)
        registry.add_memory_service(scheme, _memory_service)
