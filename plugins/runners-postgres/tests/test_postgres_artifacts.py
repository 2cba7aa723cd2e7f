"""PostgreSQL artifact specifics: exact bytes, distinct versions for concurrent saves."""

from __future__ import annotations

import asyncio

from runners_postgres import PostgresArtifactService

from runners_core import Part


async def test_binary_payloads_round_trip_byte_for_byte(pg_url: str) -> None:
    service = PostgresArtifactService(pg_url)
    payload = bytes(range(256)) * 4096  # 1 MiB with every byte value, NUL included
    try:
        version = await service.save_artifact(
            app_name="a",
            user_id="u",
            session_id="s",
            filename="blob.bin",
            artifact=Part.from_bytes(payload, "application/octet-stream"),
        )
        loaded = await service.load_artifact(
            app_name="a", user_id="u", session_id="s", filename="blob.bin"
        )
    finally:
        await service.close()
    assert version == 0
    assert loaded is not None and loaded.inline_data is not None
    assert loaded.inline_data.data == payload
    assert loaded.inline_data.mime_type == "application/octet-stream"


async def test_concurrent_saves_from_several_services_take_distinct_versions(pg_url: str) -> None:
    services = [PostgresArtifactService(pg_url) for _ in range(4)]
    try:

        async def save(service: PostgresArtifactService, n: int) -> int:
            return await service.save_artifact(
                app_name="a", user_id="u", filename="user:notes.txt", artifact=Part(text=str(n))
            )

        versions = await asyncio.gather(*(save(services[n % 4], n) for n in range(24)))
        listed = await services[0].list_versions(
            app_name="a", user_id="u", filename="user:notes.txt"
        )
        texts = [
            (
                await services[0].load_artifact(
                    app_name="a", user_id="u", filename="user:notes.txt", version=v
                )
            ).text
            for v in listed
        ]
    finally:
        for service in services:
            await service.close()
    assert sorted(versions) == list(range(24)) == listed
    assert sorted(texts, key=int) == [str(n) for n in range(24)]
