"""ADK's memory and artifact semantics on the adapters, over every backend that has them."""

from __future__ import annotations

import pytest
import runners_adk
from google.adk.artifacts.base_artifact_service import BaseArtifactService
from google.adk.events.event import Event
from google.adk.memory.base_memory_service import BaseMemoryService
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.sessions.session import Session
from google.genai import types


def said(author: str, text: str, ts: float) -> Event:
    return Event(
        invocation_id="inv",
        author=author,
        timestamp=ts,
        content=types.Content(
            role="user" if author == "user" else "model", parts=[types.Part(text=text)]
        ),
    )


async def test_memory_remembers_sessions_and_searches_per_user(backend_url):
    memory = runners_adk.memory_service(backend_url)
    try:
        assert isinstance(memory, BaseMemoryService)
        session = Session(
            id="s1",
            app_name="app",
            user_id="u",
            events=[said("user", "my cat is called Tigrou", 1.0), said("agent", "noted", 2.0)],
        )
        await memory.add_session_to_memory(session)
        await memory.add_session_to_memory(session)  # again: nothing doubles
        found = await memory.search_memory(app_name="app", user_id="u", query="cat")
        assert [m.content.parts[0].text for m in found.memories] == ["my cat is called Tigrou"]
        assert found.memories[0].author == "user"
        assert isinstance(found.memories[0].content, types.Content)
        other = await memory.search_memory(app_name="app", user_id="someone", query="cat")
        assert other.memories == []
        await memory.add_memory(
            app_name="app",
            user_id="u",
            memories=[
                MemoryEntry(
                    id="m1",
                    content=types.Content(parts=[types.Part(text="allergic to peanuts")]),
                    custom_metadata={"src": "form"},
                )
            ],
        )
        found = await memory.search_memory(app_name="app", user_id="u", query="peanuts")
        assert [(m.id, m.custom_metadata["src"]) for m in found.memories] == [("m1", "form")]
        await memory.delete_memory(app_name="app", user_id="u", memory_id="m1")
        assert (
            await memory.search_memory(app_name="app", user_id="u", query="peanuts")
        ).memories == []
    finally:
        await memory.close()


@pytest.mark.backends(["sqlite", "postgresql"])
async def test_artifact_versions_scopes_and_metadata(backend_url):
    artifacts = runners_adk.artifact_service(backend_url)
    try:
        assert isinstance(artifacts, BaseArtifactService)
        kw = {"app_name": "app", "user_id": "u", "session_id": "s1"}
        v0 = await artifacts.save_artifact(
            filename="report.txt", artifact=types.Part(text="draft"), **kw
        )
        v1 = await artifacts.save_artifact(
            filename="report.txt",
            artifact=types.Part.from_bytes(data=b"\x00\xff", mime_type="application/pdf"),
            custom_metadata={"by": "agent"},
            **kw,
        )
        assert (v0, v1) == (0, 1)
        latest = await artifacts.load_artifact(filename="report.txt", **kw)
        assert latest.inline_data.data == b"\x00\xff"
        first = await artifacts.load_artifact(filename="report.txt", version=0, **kw)
        assert first.text == "draft"
        assert await artifacts.list_versions(filename="report.txt", **kw) == [0, 1]
        info = await artifacts.get_artifact_version(filename="report.txt", **kw)
        assert info.version == 1 and info.custom_metadata == {"by": "agent"}
        assert [
            v.version for v in await artifacts.list_artifact_versions(filename="report.txt", **kw)
        ] == [0, 1]
        # user: names are shared by all the user's sessions.
        await artifacts.save_artifact(
            filename="user:profile.txt", artifact=types.Part(text="Ana"), **kw
        )
        elsewhere = {"app_name": "app", "user_id": "u", "session_id": "s2"}
        shared = await artifacts.load_artifact(filename="user:profile.txt", **elsewhere)
        assert shared.text == "Ana"
        assert await artifacts.list_artifact_keys(**elsewhere) == ["user:profile.txt"]
        assert await artifacts.list_artifact_keys(**kw) == ["report.txt", "user:profile.txt"]
        await artifacts.delete_artifact(filename="report.txt", **kw)
        assert await artifacts.load_artifact(filename="report.txt", **kw) is None
        assert await artifacts.load_artifact(filename="nope.txt", **kw) is None
    finally:
        await artifacts.close()
