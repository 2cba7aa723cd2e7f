"""Whole apps between backends: exact round trips, the export file, resuming, the commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import Invoke, one_line_error
from runners_cli.app_data import AppWriter, Services, Unsupported, app_lines, digest

from runners_core import (
    Content,
    Event,
    EventActions,
    InMemoryArtifactService,
    InMemoryMemoryService,
    InMemorySessionService,
    Part,
    load_config,
    load_plugins,
)
from runners_core.services import service_from_url

APP = "moved"
LABELS = {"session": "sessions", "memory": "memories", "artifact": "artifacts"}


def in_memory() -> Services:
    return Services(InMemorySessionService(), InMemoryMemoryService(), InMemoryArtifactService())


def services_for(url: str) -> Services:
    registry = load_plugins(load_config(environ={})).registry
    scheme = url.split(":", 1)[0]
    built = {
        kind: service_from_url(kind, url) if scheme in registry.schemes(kind) else None
        for kind in LABELS
    }
    services = Services(built["session"], built["memory"], built["artifact"])
    services.missing = [kind for kind, service in built.items() if service is None]
    return services


async def close(services: Services) -> None:
    for service in (services.session, services.memory, services.artifact):
        if service is not None:
            await service.close()


async def seed(services: Services) -> None:
    """Two users, two sessions each: scoped state, events, memory, artifact versions."""
    for user in ("ann", "bob"):
        for k in range(2):
            session = await services.session.create_session(
                app_name=APP,
                user_id=user,
                session_id=f"s{k}",
                state={"topic": f"t{k}", "app:release": "1.0", "user:lang": user},
            )
            for i in range(4):
                await services.session.append_event(
                    session,
                    Event(
                        author="user" if i % 2 == 0 else "helper",
                        invocation_id=f"inv-{k}",
                        content=Content.from_text(f"{user} says {k}.{i} grüße 🚀", role="model"),
                        actions=EventActions(
                            state_delta={"n": i, "app:calls": i, "user:seen": [k, i]}
                        ),
                        custom_metadata={"k": k} if i == 3 else None,
                    ),
                )
            await services.memory.add_session_to_memory(session)
            for v in range(3):
                await services.artifact.save_artifact(
                    app_name=APP,
                    user_id=user,
                    session_id=f"s{k}",
                    filename="notes.md",
                    artifact=Part.from_text(f"{user} notes v{v}"),
                    custom_metadata={"v": v},
                )
        # A gap in the version numbers, as retention leaves them.
        await services.artifact.delete_artifact_versions(
            app_name=APP, user_id=user, session_id="s0", filename="notes.md", versions=[0]
        )
        await services.artifact.save_artifact(
            app_name=APP,
            user_id=user,
            filename="user:avatar.png",
            artifact=Part.from_bytes(bytes(range(256)) * 64, "image/png"),
        )


async def copy(src: Services, dst: Services) -> tuple[object, Unsupported]:
    unsupported = Unsupported()
    writer = AppWriter(dst, APP, unsupported)
    async for line in app_lines(src, APP, unsupported=unsupported):
        await writer.write(line)
    return await writer.finish(), unsupported


def compared(src: Services, dst: Services) -> list[str]:
    skipped = {LABELS[k] for k in (*src.missing, *dst.missing)}
    return [k for k in ("sessions", "events", "artifacts", "memories", "state") if k not in skipped]


async def test_exact_round_trips_across_memory_sqlite_postgres_and_redis(
    tmp_path: Path, pg_url: str, redis_url: str
):
    origin = in_memory()
    await seed(origin)
    sqlite = services_for(f"sqlite:///{tmp_path / 'app.db'}")
    postgres = services_for(pg_url)
    redis = services_for(redis_url)
    back = in_memory()
    try:
        for src, dst in ((origin, sqlite), (sqlite, postgres), (postgres, redis), (postgres, back)):
            _, unsupported = await copy(src, dst)
            before, after = await digest(src, APP), await digest(dst, APP)
            for kind in compared(src, dst):
                assert before.counts[kind] == after.counts[kind], (kind, src, dst)
                assert before.digests()[kind] == after.digests()[kind], (kind, src, dst)
            if dst is redis:
                # Redis offers no artifacts: reported, not silently left out.
                assert redis.missing == ["artifact"]
                assert any(m.startswith("artifacts:") for m in unsupported.messages)
        assert before.counts == {
            "sessions": 4,
            "events": 16,
            "artifacts": 4 * 3 - 2 + 2,
            "memories": 16,
            "state": 3,
        }
        # Read back from the far end: the same events, state, versions and memories.
        for user in ("ann", "bob"):
            for k in range(2):
                key = {"app_name": APP, "user_id": user, "session_id": f"s{k}"}
                a = await origin.session.get_session(**key)
                b = await back.session.get_session(**key)
                assert a.events == b.events and a.state == b.state
            versions = await back.artifact.list_artifact_versions(
                app_name=APP, user_id=user, session_id="s0", filename="notes.md"
            )
            original = await origin.artifact.list_artifact_versions(
                app_name=APP, user_id=user, session_id="s0", filename="notes.md"
            )
            assert [v.version for v in versions] == [1, 2]
            assert versions == original  # metadata and create times too
        assert await origin.memory.list_memories(app_name=APP) == await back.memory.list_memories(
            app_name=APP
        )
    finally:
        for services in (sqlite, postgres, redis):
            await close(services)


class FailingAfter(InMemorySessionService):
    """Fails every append after the first *budget*: an interrupted copy."""

    budget = 5

    async def _append_event(self, **kwargs):
        if self.budget <= 0:
            raise ConnectionError("the network went away")
        self.budget -= 1
        return await super()._append_event(**kwargs)


async def test_an_interrupted_copy_resumes_and_verifies():
    origin = in_memory()
    await seed(origin)
    target = Services(FailingAfter(), InMemoryMemoryService(), InMemoryArtifactService())
    with pytest.raises(ConnectionError):
        await copy(origin, target)
    target.session.budget = 10_000
    summary, _ = await copy(origin, target)
    assert summary.events_present == 5 and summary.events_written == 11
    assert summary.sessions_existing == 2 and summary.sessions_created == 2
    again, _ = await copy(origin, target)  # a rerun changes nothing
    assert again.events_written == 0 and again.artifact_versions_written == 0
    before, after = await digest(origin, APP), await digest(target, APP)
    assert before.end() == after.end()


def seed_sqlite(path: Path) -> None:
    import asyncio

    async def main() -> None:
        services = services_for(f"sqlite:///{path}")
        await seed(services)
        await close(services)

    asyncio.run(main())


def sqlite_options(path: Path) -> list[str]:
    url = f"sqlite:///{path}"
    return ["--session-service", url, "--memory-service", url, "--artifact-service", url]


def test_export_then_import_through_the_commands(cli: Invoke, isolated: Path):
    seed_sqlite(isolated / "a.db")
    done = cli("export", "--app", APP, "-o", "app.jsonl", *sqlite_options(isolated / "a.db"))
    assert done.exit_code == 0, done.output
    lines = [json.loads(x) for x in (isolated / "app.jsonl").read_text().splitlines()]
    assert lines[0]["format"] == "runners-core/app" and lines[0]["version"] == 1
    assert lines[-1]["type"] == "end" and lines[-1]["counts"]["events"] == 16
    first = cli("import", "app.jsonl", *sqlite_options(isolated / "b.db"))
    assert first.exit_code == 0, first.output
    assert "4 sessions created" in first.output
    second = cli("import", "app.jsonl", *sqlite_options(isolated / "b.db"))
    assert "0 sessions created (4 existed), 0 events written (16 present)" in second.output
    check = cli(
        "migrate",
        "--app",
        APP,
        "--from",
        f"sqlite:///{isolated / 'a.db'}",
        "--to",
        f"sqlite:///{isolated / 'b.db'}",
        "--verify-only",
    )
    assert check.exit_code == 0 and "verified: counts and checksums match" in check.output


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda lines: lines[:-1], "the end line is missing"),
        (lambda lines: lines[:5] + lines[6:], "do not match the lines before it"),
        (lambda lines: [*lines[:3], "{not json\n", *lines[4:]], "line 4: not valid JSON"),
        (
            lambda lines: ['{"type": "header", "format": "runners-core/sessions"}\n', *lines[1:]],
            "runners sessions import",
        ),
    ],
)
def test_a_bad_file_is_refused_before_anything_is_written(
    cli: Invoke, isolated: Path, edit, message
):
    seed_sqlite(isolated / "a.db")
    cli("export", "--app", APP, "-o", "app.jsonl", *sqlite_options(isolated / "a.db"))
    lines = (isolated / "app.jsonl").read_text().splitlines(keepends=True)
    (isolated / "bad.jsonl").write_text("".join(edit(lines)))
    result = cli("import", "bad.jsonl", *sqlite_options(isolated / "b.db"))
    assert result.exit_code != 0 and message in result.output, result.output
    assert "nothing was imported" in result.output
    check = cli(
        "migrate",
        "--app",
        APP,
        "--from",
        f"sqlite:///{isolated / 'a.db'}",
        "--to",
        f"sqlite:///{isolated / 'b.db'}",
        "--verify-only",
        "--json",
    )
    assert json.loads(check.output)["target"]["counts"]["sessions"] == 0


def test_migrate_sqlite_to_postgres_never_prints_the_password(
    cli: Invoke, isolated: Path, pg_url: str
):
    seed_sqlite(isolated / "a.db")
    secret_url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:hunter2@")
    result = cli(
        "migrate", "--app", APP, "--from", f"sqlite:///{isolated / 'a.db'}", "--to", secret_url
    )
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and "postgres:***@" in result.output
    assert "verified: counts and checksums match" in result.output
    report = json.loads(
        cli(
            "migrate",
            "--app",
            APP,
            "--from",
            f"sqlite:///{isolated / 'a.db'}",
            "--to",
            secret_url,
            "--json",
        ).output
    )
    assert report["copied"]["events_present"] == 16 and report["verified"] is True
    assert "hunter2" not in json.dumps(report)


async def test_a_large_app_round_trips_through_an_export_file(tmp_path: Path):
    """100,000 events and a 50 MiB artifact: exported, checked, imported, verified."""
    from runners_cli.app_format import Counter, HeaderLine, dump, dump_parts, read_lines

    source = services_for(f"sqlite:///{tmp_path / 'big.db'}")
    target = services_for(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        for n in range(2):
            await source.session.create_session(app_name=APP, user_id="u", session_id=f"s{n}")
            for start in range(0, 50_000, 5_000):
                await source.session.import_events(
                    app_name=APP,
                    user_id="u",
                    session_id=f"s{n}",
                    events=[
                        Event(
                            author="agent",
                            invocation_id=f"inv-{i // 10}",
                            content=Content.from_text(f"event {i}", role="model"),
                            actions=EventActions(state_delta={"i": i}),
                        )
                        for i in range(start, start + 5_000)
                    ],
                )
        big = bytes(range(256)) * (50 * 1024 * 1024 // 256)
        await source.artifact.save_artifact(
            app_name=APP,
            user_id="u",
            session_id="s0",
            filename="big.bin",
            artifact=Part.from_bytes(big, "application/octet-stream"),
        )
        del big
        path = tmp_path / "big.jsonl"
        counter = Counter()
        with path.open("w", encoding="utf-8") as out:
            out.write(dump(HeaderLine(app_name=APP, exported_at=0.0)))
            async for line in app_lines(source, APP):
                # As runners export writes: the artifact's data a chunk at a time.
                counter.add_parts(line, dump_parts(line), out.write)
            out.write(dump(counter.end()))
        assert counter.counts["events"] == 100_000 and counter.counts["artifacts"] == 1

        def lines():
            with path.open(encoding="utf-8") as handle:
                yield from handle

        assert sum(1 for _ in read_lines(lines())) == 1 + sum(counter.counts.values())
        writer = AppWriter(target, APP, Unsupported())
        for _, line in read_lines(lines()):
            if not isinstance(line, HeaderLine):
                await writer.write(line)
        summary = await writer.finish()
        assert summary.events_written == 100_000 and summary.artifact_versions_written == 1
        before, after = await digest(source, APP), await digest(target, APP)
        assert before.digests() == after.digests() and before.counts == after.counts
    finally:
        await close(source)
        await close(target)


def test_an_artifact_line_in_pieces_is_the_same_line():
    from runners_cli.app_format import ArtifactLine, Counter, dump, dump_parts

    line = ArtifactLine(
        user_id="u",
        session_id=None,
        filename='notes "data":"".md',
        version=2,
        kind="blob",
        mime_type="x/y",
        custom_metadata={"data": "", "k": [1, "\u00e9"]},  # a "data" key of its own
        create_time=1.5,
        data=bytes(range(256)) * 40 + b"tail",
    )
    parts = list(dump_parts(line, chunk=3 * 100))
    assert len(parts) > 30  # the data really came in pieces
    assert "".join(parts) == dump(line)
    whole, pieces = Counter(), Counter()
    whole.add(line, dump(line))
    written: list[str] = []
    pieces.add_parts(line, parts, written.append)
    assert written == parts and pieces.end() == whole.end()


def test_export_and_migrate_do_not_create_a_missing_source(cli: Invoke, isolated: Path):
    absent = isolated / "absent.db"
    done = cli("export", "--app", APP, "-o", "app.jsonl", *sqlite_options(absent))
    assert done.exit_code == 1
    message = one_line_error(done.stderr)
    assert "nothing to read" in message and str(absent) in message
    assert "--session-service" in message
    assert not absent.exists()
    assert not (isolated / "app.jsonl").exists()
    assert not (isolated / "app.jsonl.partial").exists()
    moved = cli(
        "migrate",
        "--app",
        APP,
        "--from",
        f"sqlite:///{absent}",
        "--to",
        f"sqlite:///{isolated / 'b.db'}",
    )
    assert moved.exit_code == 1 and "nothing to read" in one_line_error(moved.stderr)
    assert not absent.exists() and not (isolated / "b.db").exists()


def test_export_of_a_store_without_memory_or_artifacts_yet(cli: Invoke, isolated: Path):
    seed_sqlite(isolated / "a.db")
    memory = isolated / "memory.db"
    done = cli(
        "export",
        "--app",
        APP,
        "-o",
        "app.jsonl",
        "--session-service",
        f"sqlite:///{isolated / 'a.db'}",
        "--memory-service",
        f"sqlite:///{memory}",
    )
    assert done.exit_code == 0, done.output
    assert not memory.exists()
    lines = [json.loads(x) for x in (isolated / "app.jsonl").read_text().splitlines()]
    assert lines[-1]["counts"]["events"] == 16
