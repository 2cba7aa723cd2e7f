"""Deleting single artifact versions (capability ``"retention"``): the other versions keep
their numbers and contents, and the next save still gets a new, higher number; ``prune``
keeps the newest versions, asks ``on_prune`` first and leaves a running session alone."""

from __future__ import annotations

import asyncio

from runners_core.artifacts.base import BaseArtifactService
from runners_core.capabilities import Capability
from runners_core.config import load_config
from runners_core.content import Part
from runners_core.hookspecs import hookimpl
from runners_core.plugins.manager import load_plugins
from runners_core.retention import RetentionPolicy, prune
from runners_core.sessions.in_memory import InMemorySessionService
from runners_core.testing.artifacts.suite import ArtifactSuite

CAPABILITY = Capability.RETENTION


class Retention(ArtifactSuite):
    async def test_delete_artifact_versions_keeps_the_rest(
        self, service: BaseArtifactService
    ) -> None:
        scope = self.scope()
        for i in range(5):
            await service.save_artifact(
                **scope, filename="log.txt", artifact=Part.from_text(f"v{i}")
            )
        await service.save_artifact(**scope, filename="other.txt", artifact=Part.from_text("o"))
        await service.delete_artifact_versions(**scope, filename="log.txt", versions=[0, 1, 2])
        assert await service.list_versions(**scope, filename="log.txt") == [3, 4], (
            "retention: after deleting versions 0-2 of five, versions 3 and 4 must remain"
        )
        kept = await service.load_artifact(**scope, filename="log.txt", version=3)
        assert kept is not None and kept.text == "v3", (
            "retention: a version kept after deleting older ones must load unchanged"
        )
        assert await service.load_artifact(**scope, filename="log.txt", version=1) is None, (
            "retention: a deleted artifact version must no longer load"
        )
        assert await service.list_versions(**scope, filename="other.txt") == [0], (
            "retention: deleting versions of one name touched another name"
        )
        version = await service.save_artifact(
            **scope, filename="log.txt", artifact=Part.from_text("v5")
        )
        assert version == 5, f"retention: the next version after 4 must be 5, got {version}"

    async def test_import_artifact_version_stores_exactly_that_version(
        self, service: BaseArtifactService
    ) -> None:
        from runners_core.artifacts.base import ArtifactData

        scope = self.scope()
        data = ArtifactData("blob", b"\x00\xffimported", "application/x-test", {"k": [1, "v"]})
        stored = await service.import_artifact_version(
            **scope, filename="a.bin", version=3, data=data, create_time=1_700_000_123.5
        )
        again = await service.import_artifact_version(
            **scope, filename="a.bin", version=3, data=data, create_time=1_700_000_123.5
        )
        assert (stored, again) == (True, False), (
            "import_artifact_version: True when stored, False when the version exists already"
        )
        [info] = await service.list_artifact_versions(**scope, filename="a.bin")
        assert (info.version, info.create_time, info.custom_metadata, info.mime_type) == (
            3,
            1_700_000_123.5,
            {"k": [1, "v"]},
            "application/x-test",
        ), f"import_artifact_version: metadata not kept exactly: {info}"
        part = await service.load_artifact(**scope, filename="a.bin", version=3)
        assert part is not None and part.inline_data.data == b"\x00\xffimported", (
            "import_artifact_version: the imported bytes must load back exactly"
        )
        nxt = await service.save_artifact(**scope, filename="a.bin", artifact=Part.from_text("x"))
        assert nxt == 4, f"after an imported version 3 the next save must be 4, got {nxt}"

    async def test_prune_keeps_the_newest_versions_unless_held_or_running(
        self, service: BaseArtifactService
    ) -> None:
        scope = self.scope()
        app, user = scope["app_name"], scope["user_id"]
        sessions = InMemorySessionService()
        for sid in ("free", "held", "busy"):
            await sessions.create_session(app_name=app, user_id=user, session_id=sid)
            for i in range(4):
                await service.save_artifact(
                    app_name=app,
                    user_id=user,
                    session_id=sid,
                    filename="draft.txt",
                    artifact=Part.from_text(f"{sid} v{i}"),
                )
        for i in range(3):
            await service.save_artifact(
                app_name=app, user_id=user, filename="user:profile", artifact=Part.from_text(f"{i}")
            )

        class LegalHold:
            @hookimpl
            def on_prune(self, item: object) -> bool | None:
                return False if getattr(item, "session_id", None) == "held" else None

        loaded = load_plugins(load_config(environ={"RUNNERS_CORE_PLUGINS": ""}))
        loaded.register(LegalHold(), name="legal-hold")
        policy = RetentionPolicy(artifact_versions=2)

        async def versions(sid: str | None, name: str = "draft.txt") -> list[int]:
            return await service.list_versions(
                app_name=app, user_id=user, filename=name, session_id=sid
            )

        dry = await prune(
            app_name=app,
            policy=policy,
            session_service=sessions,
            artifact_service=service,
            hooks=loaded.hooks,
            dry_run=True,
        )
        assert dry.artifact_versions_deleted == 2 + 2 + 1, (
            f"prune --dry-run: expected 5 versions reported (free, busy, user:profile), got "
            f"{dry.artifact_versions_deleted}"
        )
        assert await versions("free") == [0, 1, 2, 3], "prune --dry-run deleted versions"

        holding, release = asyncio.Event(), asyncio.Event()

        async def run_in_progress() -> None:
            async with sessions.lock_session(app_name=app, user_id=user, session_id="busy"):
                holding.set()
                await release.wait()

        task = asyncio.create_task(run_in_progress())
        await holding.wait()
        try:
            report = await prune(
                app_name=app,
                policy=policy,
                session_service=sessions,
                artifact_service=service,
                hooks=loaded.hooks,
            )
        finally:
            release.set()
            await task
        assert await versions("free") == [2, 3], "prune must keep the newest 2 versions"
        kept = await service.load_artifact(**{**scope, "session_id": "free"}, filename="draft.txt")
        assert kept is not None and kept.text == "free v3", "prune changed the newest version"
        assert await versions("held") == [0, 1, 2, 3], "prune deleted versions on_prune held"
        assert await versions("busy") == [0, 1, 2, 3], (
            "prune deleted artifact versions of a session whose run was in progress"
        )
        assert await versions(None, "user:profile") == [1, 2], (
            "prune must trim user-scoped artifacts once, through any free session"
        )
        assert report.sessions_busy == [f"{user}/busy"], (
            f"prune must list the running session as busy, listed {report.sessions_busy}"
        )
        assert report.kept_by_plugins == {"legal-hold": 2}, (
            f"prune must report the 2 versions on_prune held, reported {report.kept_by_plugins}"
        )
        assert report.artifact_versions_deleted == 2 + 1, (
            "prune must report the 3 versions it deleted (free and user:profile), reported "
            f"{report.artifact_versions_deleted}"
        )
