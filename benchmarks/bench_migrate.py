"""Migration speed (issue 17): events/s of ``runners migrate``'s copy between backends.

    .venv/bin/python benchmarks/bench_migrate.py [--sessions 20] [--events 1000] [--to postgresql]

Seeds an app in a SQLite file (sessions x events, each event with a state delta, plus a
1 MiB artifact per session and the sessions in memory), then copies it with the same code
as ``runners migrate`` to SQLite, PostgreSQL and Redis (fresh schema / key prefix, removed
afterwards; a server that is not reachable is reported and skipped), and verifies each copy.
Prints events/s of the copy and seconds of the verification pass as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import tempfile
import time
from pathlib import Path

from runners_cli.app_data import AppWriter, Services, Unsupported, app_lines, digest

from runners_core import Content, Event, EventActions, Part, load_config, load_plugins
from runners_core.services import service_from_url

APP = "bench"
PG = os.environ.get("RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("RUNNERS_REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def services_for(url: str) -> Services:
    registry = load_plugins(load_config(environ={})).registry
    scheme = url.split(":", 1)[0]
    built = {
        kind: service_from_url(kind, url) if scheme in registry.schemes(kind) else None
        for kind in ("session", "memory", "artifact")
    }
    services = Services(built["session"], built["memory"], built["artifact"])
    services.missing = [kind for kind, service in built.items() if service is None]
    return services


async def close(services: Services) -> None:
    for service in (services.session, services.memory, services.artifact):
        if service is not None:
            await service.close()


async def seed(services: Services, sessions: int, events: int) -> None:
    for n in range(sessions):
        session = await services.session.create_session(
            app_name=APP, user_id=f"user{n % 4}", session_id=f"s{n}"
        )
        batch = [
            Event(
                author="agent",
                invocation_id=f"inv-{i // 10}",
                content=Content.from_text(f"session {n} event {i}", role="model"),
                actions=EventActions(state_delta={"i": i}),
            )
            for i in range(events)
        ]
        await services.session.import_events(
            app_name=APP, user_id=session.user_id, session_id=session.id, events=batch
        )
        loaded = await services.session.get_session(
            app_name=APP, user_id=session.user_id, session_id=session.id
        )
        await services.memory.add_session_to_memory(loaded)
        await services.artifact.save_artifact(
            app_name=APP,
            user_id=session.user_id,
            session_id=session.id,
            filename="data.bin",
            artifact=Part.from_bytes(os.urandom(1024 * 1024), "application/octet-stream"),
        )


async def migrate(source: Services, url: str, events: int) -> dict[str, object]:
    target = services_for(url)
    try:
        writer = AppWriter(target, APP, Unsupported())
        started = time.perf_counter()
        async for line in app_lines(source, APP):
            await writer.write(line)
        summary = await writer.finish()
        copied = time.perf_counter() - started
        started = time.perf_counter()
        a, b = await digest(source, APP), await digest(target, APP)
        verified = time.perf_counter() - started
        skipped = {"memory": "memories", "artifact": "artifacts"}
        kinds = [k for k in a.counts if k not in {skipped[m] for m in target.missing}]
        return {
            "events_per_s": round(summary.events_written / copied),
            "copy_s": round(copied, 2),
            "verify_s": round(verified, 2),
            "verified": all(a.digests()[k] == b.digests()[k] for k in kinds),
            "not_offered": target.missing,
        }
    finally:
        await close(target)


async def main(sessions: int, events: int, only: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = services_for(f"sqlite:///{Path(folder) / 'source.db'}")
        await seed(source, sessions, events)
        results: dict[str, object] = {"events": sessions * events, "sessions": sessions}
        schema = f"bench_{secrets.token_hex(4)}"
        prefix = f"bench-{secrets.token_hex(4)}"
        targets = {
            "sqlite": f"sqlite:///{Path(folder) / 'target.db'}",
            "postgresql": f"{PG}?schema={schema}",
            "redis": f"{REDIS}{'&' if '?' in REDIS else '?'}prefix={prefix}",
        }
        for name, url in targets.items():
            if only and name not in only:
                continue
            try:
                results[f"sqlite->{name}"] = await migrate(source, url, sessions * events)
            except Exception as exc:  # an unreachable server is reported, not fatal
                results[f"sqlite->{name}"] = f"skipped: {type(exc).__name__}: {exc}"[:200]
        await close(source)
        await _cleanup(schema, prefix)
    print(json.dumps(results, indent=2))


async def _cleanup(schema: str, prefix: str) -> None:
    try:
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    except Exception:
        pass
    try:
        import redis

        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=f"{prefix}/*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    except Exception:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument(
        "--to",
        action="append",
        choices=["sqlite", "postgresql", "redis"],
        help="only these targets (repeatable; default: all three)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.events, args.to or []))
