"""docs/migrating-from-adk.md: every runners-core name its import table promises exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import runners_core
from runners_core import (
    App,
    BaseAgent,
    Content,
    Event,
    InMemoryRunner,
    InMemorySessionService,
    RunConfig,
    Runner,
    session_service_from_url,
)
from runners_core.errors import RunnersError, SessionNotFoundError, ValidationError
from runners_core.identifiers import validate_id

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "migrating-from-adk.md"


def promised_names() -> set[str]:
    names: set[str] = set()
    for line in GUIDE.read_text().splitlines():
        cells = line.split("|")
        if len(cells) < 4 or "ADK import" in line or set(cells[1].strip()) <= {"-"}:
            continue
        adk, ours = cells[1], cells[2]
        adk_names = {n.rsplit(".", 1)[-1] for n in re.findall(r"`([\w.]+)`", adk)}
        ours_names = {n.removeprefix("runners_core.") for n in re.findall(r"`([\w.]+)`", ours)}
        if "same names" in ours:
            names |= {n for n in adk_names if n[0].isupper()}
        names |= {n for n in ours_names if "." not in n and n != "runners_core"}
    return names


def test_every_promised_name_is_exported():
    names = promised_names()
    assert {"Runner", "App", "ParallelAgent", "BasePlugin", "CallbackContext"} <= names
    missing = sorted(n for n in names if not hasattr(runners_core, n))
    assert not missing, f"docs/migrating-from-adk.md promises names runners_core lacks: {missing}"


# The guide's "Remaining differences", each as a user meets it.


async def test_generated_session_ids_are_32_hex_and_adk_ids_are_accepted():
    # Kernel tests run with plugins off; the backends share this id generator.
    service = session_service_from_url("memory://")
    try:
        made = await service.create_session(app_name="app", user_id="u")
        assert re.fullmatch(r"[0-9a-f]{32}", made.id)
        adk_style = await service.create_session(
            app_name="app", user_id="u", session_id="0b9c6f3e-2d4a-4f7e-9a51-3c2d1e0f4b6a"
        )
        event = Event(id="8f14e45f-ceea-467f-a8f9-1b2c3d4e5f60", author="bot", invocation_id="i")
        await service.append_event(adk_style, event)
        loaded = await service.get_session(app_name="app", user_id="u", session_id=adk_style.id)
        assert [e.id for e in loaded.events] == [event.id]
    finally:
        await service.close()


async def test_list_sessions_pages_by_100_by_default():
    service = InMemorySessionService()
    for i in range(101):
        await service.create_session(app_name="app", user_id="u", session_id=f"s{i:03d}")
    first = await service.list_sessions(app_name="app", user_id="u")
    assert len(first.sessions) == 100 and first.next_page_token
    rest = await service.list_sessions(
        app_name="app", user_id="u", page_token=first.next_page_token
    )
    assert len(rest.sessions) == 1 and rest.next_page_token is None
    seen = {s.id for s in first.sessions} | {s.id for s in rest.sessions}
    assert seen == {f"s{i:03d}" for i in range(101)}


async def test_a_missing_session_is_a_lookup_error_and_a_runners_error():
    runner = Runner(
        app_name="app", agent=_Quiet(name="quiet"), session_service=InMemorySessionService()
    )
    with pytest.raises(SessionNotFoundError) as missing:
        async for _ in runner.run_async(
            user_id="u", session_id="nope", new_message=Content.from_text("hi")
        ):
            pass
    assert isinstance(missing.value, LookupError) and isinstance(missing.value, RunnersError)
    with pytest.raises(ValidationError) as bad:
        await InMemorySessionService().create_session(app_name="app", user_id="a b")
    assert isinstance(bad.value, ValueError) and isinstance(bad.value, RunnersError)
    await runner.close()


def test_identifier_limits_are_as_the_guide_states():
    assert validate_id("user_id", "a" * 256) == "a" * 256
    with pytest.raises(ValidationError, match="limit is 256"):
        validate_id("user_id", "a" * 257)
    for bad in (".hidden", "_x", "a/b", "a b", "a#b"):
        with pytest.raises(ValidationError, match="letters, digits"):
            validate_id("session_id", bad)
    engine = "projects/p-1/locations/us-central1/reasoningEngines/123"
    assert validate_id("app_name", engine) == engine
    for bad in ("projects/../x", "a//b", "/a"):
        with pytest.raises(ValidationError, match="segments"):
            validate_id("app_name", bad)


def test_adk_max_llm_calls_is_not_read():
    probe = "from runners_core import RunConfig; print(RunConfig().max_llm_calls)"
    env = {**os.environ, "ADK_MAX_LLM_CALLS": "3"}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "500"


class _Quiet(BaseAgent):
    async def _run_async_impl(self, ctx):
        return
        yield


async def test_model_facing_settings_are_accepted_and_the_run_goes_on():
    # "accepted so definitions carry over, but the kernel runs no model and does not act on
    # them": an ADK App/RunConfig definition with these fields runs unchanged.
    class Hello(BaseAgent):
        async def _run_async_impl(self, ctx):
            yield Event(author=self.name, content=Content.from_text("hello", role="model"))

    app = App(
        name="app",
        root_agent=Hello(name="hello"),
        resumability_config={"is_resumable": True},
        events_compaction_config={"compaction_interval": 2, "overlap_size": 1},
        context_cache_config={"cache_intervals": 5},
    )
    runner = InMemoryRunner(app=app, auto_create_session=True)
    config = RunConfig(
        speech_config={"voice_config": {"prebuilt_voice_config": {"voice_name": "Kore"}}},
        response_modalities=["AUDIO"],
        output_audio_transcription={},
        input_audio_transcription={},
    )
    for _ in range(3):
        events = [
            e
            async for e in runner.run_async(
                user_id="u", session_id="s", new_message=Content.from_text("hi"), run_config=config
            )
        ]
        assert [e.content.text for e in events] == ["hello"]
    session = await runner.session_service.get_session(app_name="app", user_id="u", session_id="s")
    assert len(session.events) == 6  # nothing compacted
    await runner.close()
