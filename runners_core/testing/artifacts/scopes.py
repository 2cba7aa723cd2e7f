"""Scopes: session artifacts stay in their session; ``user:`` names and session_id=None
are shared by all of the user's sessions; apps and users never see each other's."""

from __future__ import annotations

from runners_core.artifacts.base import BaseArtifactService
from runners_core.content import Part
from runners_core.testing.artifacts.suite import ArtifactSuite
from runners_core.testing.builders import unique

CAPABILITY = None


class Scopes(ArtifactSuite):
    async def test_session_artifacts_stay_in_their_session(
        self, service: BaseArtifactService
    ) -> None:
        at = self.scope("s1")
        await service.save_artifact(**at, filename="draft.txt", artifact=Part(text="mine"))
        other = {**at, "session_id": "s2"}
        assert await service.load_artifact(**other, filename="draft.txt") is None, (
            "artifact scope: a session artifact was visible from another session"
        )
        assert await service.list_artifact_keys(**other) == [], (
            "artifact scope: another session listed this session's artifact"
        )

    async def test_user_prefixed_names_are_shared_across_sessions(
        self, service: BaseArtifactService
    ) -> None:
        at = self.scope("s1")
        await service.save_artifact(**at, filename="user:profile.json", artifact=Part(text="p"))
        other = {**at, "session_id": "s2"}
        got = await service.load_artifact(**other, filename="user:profile.json")
        assert got == Part(text="p"), (
            "user: scope: an artifact named user:... must be loadable from the user's other "
            "sessions"
        )
        keys = await service.list_artifact_keys(**other)
        assert keys == ["user:profile.json"], (
            f"user: scope: the user's other sessions must list user: names, got {keys}"
        )
        version = await service.save_artifact(
            **other, filename="user:profile.json", artifact=Part(text="p2")
        )
        assert version == 1, f"user: scope: versions are shared across sessions, got {version}"

    async def test_no_session_id_means_user_scope(self, service: BaseArtifactService) -> None:
        at = self.scope(None)
        await service.save_artifact(**at, filename="cv.pdf", artifact=Part(text="cv"))
        in_session = {**at, "session_id": "any-session"}
        assert await service.load_artifact(**in_session, filename="user:cv.pdf") is None, (
            "session_id=None: the name is stored as given, not with a user: prefix added"
        )
        assert "cv.pdf" in await service.list_artifact_keys(**in_session), (
            "session_id=None: an artifact saved without a session is user-scoped (as in ADK) "
            "and must be listed in every session of the user"
        )
        assert await service.load_artifact(**at, filename="cv.pdf") == Part(text="cv"), (
            "session_id=None: an artifact saved without a session must load without one"
        )

    async def test_keys_list_session_and_user_names_sorted(
        self, service: BaseArtifactService
    ) -> None:
        at = self.scope("s1")
        for name in ("b.txt", "user:z.txt", "a/nested.txt", "user:a.txt"):
            await service.save_artifact(**at, filename=name, artifact=Part(text=name))
        keys = await service.list_artifact_keys(**at)
        assert keys == sorted(["b.txt", "user:z.txt", "a/nested.txt", "user:a.txt"]), (
            f"list_artifact_keys: expected the session's and the user's names, sorted: {keys}"
        )

    async def test_apps_and_users_are_isolated(self, service: BaseArtifactService) -> None:
        app = unique("app")
        await service.save_artifact(
            app_name=app,
            user_id="alice",
            session_id="s",
            filename="user:key.txt",
            artifact=Part(text="alice"),
        )
        await service.save_artifact(
            app_name=app,
            user_id="alice",
            session_id="s",
            filename="doc.txt",
            artifact=Part(text="alice"),
        )
        for where in (
            {"app_name": app, "user_id": "bob", "session_id": "s"},
            {"app_name": unique("app"), "user_id": "alice", "session_id": "s"},
        ):
            assert await service.list_artifact_keys(**where) == [], (
                f"artifact isolation: {where} sees another app's or user's artifacts"
            )
            for name in ("user:key.txt", "doc.txt"):
                assert await service.load_artifact(**where, filename=name) is None, (
                    f"artifact isolation: {where} loaded another app's or user's {name}"
                )
            version = await service.save_artifact(
                **where, filename="doc.txt", artifact=Part(text="x")
            )
            assert version == 0, "artifact isolation: versions are counted per app and user"
