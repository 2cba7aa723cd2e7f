"""Applying a retention policy to one app, in batches, never touching a running session.

Sessions are visited page by page. Each change to a session (deleting it, trimming
its oldest events) happens under its run lock taken without waiting: a session
whose invocation is running is skipped and reported, never blocked on. Each lock
hold covers one batch, so live traffic waits at most one batch. Artifacts and
memory have no run lock; they are deleted in batches too. Every deletion is first
offered to the ``on_prune`` hooks, which may veto it, in dry runs as well.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runners_core.errors import SessionBusyError
from runners_core.retention.items import PruneItem
from runners_core.retention.policy import DAY, RetentionPolicy

if TYPE_CHECKING:
    from runners_core.artifacts.base import BaseArtifactService
    from runners_core.events import Event
    from runners_core.memory.base import BaseMemoryService
    from runners_core.plugins.hooks import PluginHooks
    from runners_core.sessions.base import BaseSessionService
    from runners_core.sessions.session import Session

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(stage, done, total)``; total None when not known."""


@dataclass
class PruneReport:
    """What a prune deleted (or, in a dry run, would delete), and what it left alone."""

    dry_run: bool
    sessions_deleted: int = 0
    events_deleted: int = 0
    events_to_memory: int = 0
    artifact_versions_deleted: int = 0
    memories_deleted: int = 0
    sessions_busy: list[str] = field(default_factory=list)
    kept_by_plugins: dict[str, int] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, int]]:
        return [
            ("sessions", self.sessions_deleted),
            ("events", self.events_deleted),
            ("events moved to memory", self.events_to_memory),
            ("artifact versions", self.artifact_versions_deleted),
            ("memories", self.memories_deleted),
        ]


async def prune(
    *,
    app_name: str,
    policy: RetentionPolicy,
    session_service: BaseSessionService,
    memory_service: BaseMemoryService | None = None,
    artifact_service: BaseArtifactService | None = None,
    hooks: PluginHooks | None = None,
    dry_run: bool = False,
    now: float | None = None,
    progress: Progress | None = None,
) -> PruneReport:
    """Apply *policy* to *app_name*'s data; return what was (or would be) deleted."""
    run = _Prune(
        app_name,
        policy,
        session_service,
        memory_service,
        artifact_service,
        hooks,
        dry_run,
        time.time() if now is None else now,
        progress or (lambda stage, done, total: None),
    )
    await run.sessions()
    await run.memories()
    return run.report


class _Prune:
    def __init__(
        self,
        app_name: str,
        policy: RetentionPolicy,
        sessions: BaseSessionService,
        memory: BaseMemoryService | None,
        artifacts: BaseArtifactService | None,
        hooks: PluginHooks | None,
        dry_run: bool,
        now: float,
        progress: Progress,
    ) -> None:
        self.app = app_name
        self.policy = policy
        self.sessions_service = sessions
        self.memory = memory
        self.artifacts = artifacts
        self.hooks = hooks
        self.dry_run = dry_run
        self.now = now
        self.progress = progress
        self.report = PruneReport(dry_run=dry_run)
        self._users_done: set[str] = set()
        if policy.trimmed_events == "memory" and memory is None:
            from runners_core.errors import ConfigError

            raise ConfigError(
                "retention moves trimmed events to memory (trimmed_events = 'memory'), but no "
                "memory service is configured; configure one or set trimmed_events = 'drop'"
            )

    # ------------------------------------------------------------------ helpers

    async def allowed(self, item: PruneItem) -> bool:
        if self.hooks is None:
            return True
        vetoes = await self.hooks.on_prune(item)
        for plugin in vetoes:
            self.report.kept_by_plugins[plugin] = (
                self.report.kept_by_plugins.get(plugin, 0) + item.count
            )
        return not vetoes

    def unsupported(self, what: str, error: NotImplementedError) -> None:
        message = f"{what}: {error}"
        if message not in self.report.unsupported:
            self.report.unsupported.append(message)

    def item(self, kind: str, session: Session | None = None, **fields: object) -> PruneItem:
        return PruneItem(
            kind=kind,  # type: ignore[arg-type]
            app_name=self.app,
            user_id=fields.pop("user_id", None) or (session.user_id if session else ""),  # type: ignore[arg-type]
            session_id=session.id if session else None,
            dry_run=self.dry_run,
            **fields,  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------------ sessions

    async def sessions(self) -> None:
        policy = self.policy
        if (
            policy.session_idle_days is None
            and policy.max_events_per_session is None
            and policy.artifact_versions is None
        ):
            return
        total = await self._count_sessions()
        done = 0
        token: str | None = None
        self.progress("sessions", 0, total)
        while True:
            page = await self.sessions_service.list_sessions(
                app_name=self.app, page_size=policy.batch_size, page_token=token
            )
            for session in page.sessions:
                await self._one_session(session)
                done += 1
                self.progress("sessions", done, total)
            token = page.next_page_token
            if token is None:
                return

    async def _count_sessions(self) -> int:
        count, token = 0, None
        while True:
            page = await self.sessions_service.list_sessions(
                app_name=self.app, page_size=1000, page_token=token
            )
            count += len(page.sessions)
            token = page.next_page_token
            if token is None:
                return count

    async def _one_session(self, session: Session) -> None:
        idle_days = self.policy.session_idle_days
        if idle_days is not None and session.last_update_time < self.now - idle_days * DAY:
            if await self._delete_session(session, idle_days):
                return
        if self.policy.max_events_per_session is not None:
            await self._trim_events(session, self.policy.max_events_per_session)
        if self.policy.artifact_versions is not None and self.artifacts is not None:
            await self._trim_artifacts(session, self.policy.artifact_versions)

    async def _delete_session(self, session: Session, idle_days: float) -> bool:
        item = self.item("session", session, reason=f"idle for more than {idle_days:g} days")
        if not await self.allowed(item):
            return False
        if self.dry_run:
            self.report.sessions_deleted += 1
            return True
        key = {"app_name": self.app, "user_id": session.user_id, "session_id": session.id}
        try:
            async with self.sessions_service.lock_session(**key, timeout=0):
                # It may have been used since the page was read.
                fresh = await self.sessions_service.get_session(**key)
                if fresh is None or fresh.last_update_time >= self.now - idle_days * DAY:
                    return fresh is None
                await self._delete_session_artifacts(session)
                await self.sessions_service.delete_session(**key)
        except SessionBusyError:
            self.report.sessions_busy.append(f"{session.user_id}/{session.id}")
            return True
        self.report.sessions_deleted += 1
        return True

    async def _delete_session_artifacts(self, session: Session) -> None:
        if self.artifacts is None:
            return
        names = await self.artifacts.list_artifact_keys(
            app_name=self.app, user_id=session.user_id, session_id=session.id
        )
        for name in names:
            if not name.startswith("user:"):
                await self.artifacts.delete_artifact(
                    app_name=self.app,
                    user_id=session.user_id,
                    filename=name,
                    session_id=session.id,
                )

    async def _trim_events(self, session: Session, keep: int) -> None:
        key = {"app_name": self.app, "user_id": session.user_id, "session_id": session.id}
        events: list[Event] = []
        token: str | None = None
        while True:
            page = await self.sessions_service.list_events(
                **key, page_size=10_000, page_token=token
            )
            events.extend(page.events)
            token = page.next_page_token
            if token is None:
                break
        doomed = events[: max(0, len(events) - keep)]
        batch = self.policy.batch_size
        for start in range(0, len(doomed), batch):
            chunk = doomed[start : start + batch]
            item = self.item(
                "events",
                session,
                ids=tuple(e.id for e in chunk),
                reason=f"beyond the newest {keep} events of the session",
            )
            if not await self.allowed(item):
                continue
            if self.dry_run:
                self._count_trimmed(len(chunk))
                continue
            try:
                async with self.sessions_service.lock_session(**key, timeout=0):
                    if self.policy.trimmed_events == "memory" and self.memory is not None:
                        await self.memory.add_events_to_memory(
                            app_name=self.app,
                            user_id=session.user_id,
                            events=chunk,
                            session_id=session.id,
                        )
                    deleted = await self.sessions_service.delete_events(**key, event_ids=item.ids)
            except SessionBusyError:
                self._busy(session)
                return
            except NotImplementedError as exc:
                self.unsupported("events", exc)
                return
            self._count_trimmed(deleted)

    def _count_trimmed(self, count: int) -> None:
        self.report.events_deleted += count
        if self.policy.trimmed_events == "memory":
            self.report.events_to_memory += count

    async def _trim_artifacts(self, session: Session, keep: int) -> None:
        assert self.artifacts is not None
        names = await self.artifacts.list_artifact_keys(
            app_name=self.app, user_id=session.user_id, session_id=session.id
        )
        user_done = session.user_id in self._users_done
        key = {"app_name": self.app, "user_id": session.user_id, "session_id": session.id}
        for name in names:
            user_scoped = name.startswith("user:")
            if user_scoped and user_done:
                continue
            scope = None if user_scoped else session.id
            versions = await self.artifacts.list_versions(
                app_name=self.app, user_id=session.user_id, filename=name, session_id=scope
            )
            doomed = tuple(versions[: max(0, len(versions) - keep)])
            if not doomed:
                continue
            item = self.item(
                "artifact_versions",
                session if not user_scoped else None,
                user_id=session.user_id,
                filename=name,
                versions=doomed,
                reason=f"older than the newest {keep} versions",
            )
            if not await self.allowed(item):
                continue
            if not self.dry_run:
                try:
                    # An invocation may load or save these artifacts: like events, they are
                    # trimmed only while no run holds the session (user-wide names: the
                    # session they were found through).
                    async with self.sessions_service.lock_session(**key, timeout=0):
                        await self.artifacts.delete_artifact_versions(
                            app_name=self.app,
                            user_id=session.user_id,
                            filename=name,
                            versions=doomed,
                            session_id=scope,
                        )
                except SessionBusyError:
                    self._busy(session)
                    return  # user-wide names stay for another session of the user
                except NotImplementedError as exc:
                    self.unsupported("artifact versions", exc)
                    return
            self.report.artifact_versions_deleted += len(doomed)
        self._users_done.add(session.user_id)

    def _busy(self, session: Session) -> None:
        where = f"{session.user_id}/{session.id}"
        if where not in self.report.sessions_busy:
            self.report.sessions_busy.append(where)

    # ------------------------------------------------------------------ memory

    async def memories(self) -> None:
        days = self.policy.memory_days
        if days is None or self.memory is None:
            return
        cutoff = self.now - days * DAY
        token: str | None = None
        done = 0
        self.progress("memories", 0, None)
        while True:
            try:
                page, token = await self.memory.list_memories(
                    app_name=self.app,
                    older_than=cutoff,
                    page_size=self.policy.batch_size,
                    page_token=token,
                )
            except NotImplementedError as exc:
                self.unsupported("memories", exc)
                return
            by_user: dict[str, list[str]] = {}
            for user_id, record in page:
                by_user.setdefault(user_id, []).append(record.id)
            for user_id, ids in by_user.items():
                item = self.item(
                    "memories",
                    user_id=user_id,
                    ids=tuple(ids),
                    reason=f"stored more than {days:g} days ago",
                )
                if not await self.allowed(item):
                    continue
                if not self.dry_run:
                    for memory_id in ids:
                        await self.memory.delete_memory(
                            app_name=self.app, user_id=user_id, memory_id=memory_id
                        )
                self.report.memories_deleted += len(ids)
            done += len(page)
            self.progress("memories", done, None)
            if token is None:
                return
