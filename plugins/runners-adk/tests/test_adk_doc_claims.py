"""docs/adk.md claims not covered elsewhere, checked the way a user meets them.

- the URLs users type for ADK's CLI (``runners+postgresql://...?schema=...&pool_max=15``,
  ``runners+redis://...?prefix=...``) reach the backend with every option kept;
- ``list_sessions`` returns every session (past one internal page), oldest update first;
- ``RunConfig(max_llm_calls=...)`` given to our Runner limits the ADK agent's model calls;
- the kernel never imports google-adk.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import runners_adk
from google.adk.agents import LlmAgent
from google.adk.agents.invocation_context import LlmCallsLimitExceededError
from google.adk.cli.service_registry import ServiceRegistry
from google.adk.events.event import Event as AdkEvent
from psycopg import sql
from runners_adk.scripted import ScriptedLlm, call

from runners_core import Content, RunConfig, Runner, session_service_from_url


def get_weather(city: str) -> dict:
    """The weather in *city*."""
    return {"city": city, "temp_c": 21}


@pytest.mark.backends(["postgresql", "redis"])
async def test_runners_urls_from_adks_registry_keep_their_options(backend_url: str):
    # What `adk api_server --session_service_uri runners+postgresql://...?schema=app&pool_max=15`
    # builds: the service must use the schema (or Redis prefix) and pool size typed.
    registry = ServiceRegistry()
    runners_adk.register_adk_services(registry)
    typed = "runners+" + backend_url
    if backend_url.startswith("postgresql"):
        typed += "&pool_max=15"
    sessions = registry.create_session_service(typed, agents_dir="agents")
    assert isinstance(sessions, runners_adk.RunnersSessionService)
    if backend_url.startswith("postgresql"):
        assert sessions.service._db.settings.pool_max == 15
    created = await sessions.create_session(app_name="app", user_id="u", session_id="s1")
    await sessions.append_event(created, AdkEvent(invocation_id="i", author="bot"))
    await sessions.close()
    # Read back through a plain runners-core service on the same schema / prefix.
    ours = session_service_from_url(backend_url)
    try:
        stored = await ours.get_session(app_name="app", user_id="u", session_id="s1")
        assert stored is not None and [e.author for e in stored.events] == ["bot"]
    finally:
        await ours.close()
    # Another schema / prefix does not see it: the option was not dropped on the way.
    namespace = f"radk_other_{secrets.token_hex(4)}"
    other = session_service_from_url(backend_url.rsplit("=", 1)[0] + "=" + namespace)
    try:
        assert await other.get_session(app_name="app", user_id="u", session_id="s1") is None
    finally:
        await other.close()
        if backend_url.startswith("postgresql"):
            with psycopg.connect(backend_url.split("?", 1)[0], autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(namespace))
                )


async def test_list_sessions_returns_all_oldest_update_first(backend_url: str):
    sessions = runners_adk.session_service(backend_url)
    try:
        first = await sessions.create_session(app_name="app", user_id="u", session_id="a")
        await sessions.create_session(app_name="app", user_id="u", session_id="b")
        await sessions.create_session(app_name="app", user_id="u", session_id="c")
        # Updating the oldest session moves it last.
        await sessions.append_event(first, AdkEvent(invocation_id="i", author="bot"))
        listed = await sessions.list_sessions(app_name="app", user_id="u")
        assert [s.id for s in listed.sessions] == ["b", "c", "a"]
        times = [s.last_update_time for s in listed.sessions]
        assert times == sorted(times)
    finally:
        await sessions.close()


@pytest.mark.backends(["sqlite"])
async def test_list_sessions_reads_past_one_internal_page(backend_url: str):
    # The adapter reads 1,000 sessions a page; ADK's signature returns them all.
    sessions = runners_adk.session_service(backend_url)
    try:
        for i in range(1001):
            await sessions.create_session(app_name="app", user_id="u", session_id=f"s{i:04d}")
        listed = await sessions.list_sessions(app_name="app")
        assert sorted(s.id for s in listed.sessions) == [f"s{i:04d}" for i in range(1001)]
    finally:
        await sessions.close()


async def test_run_config_max_llm_calls_limits_the_adk_agent(tmp_path: Path):
    model = ScriptedLlm(script=[call("get_weather", city="Oslo"), "4°C in Oslo."])
    runner = Runner.from_config(
        LlmAgent(name="bot", model=model, tools=[get_weather]),
        app_name="app",
        session_service=f"sqlite:///{tmp_path / 'a.db'}",
        auto_create_session=True,
    )
    seen = []
    try:
        with pytest.raises(LlmCallsLimitExceededError, match="limit of `1`"):
            async for event in runner.run_async(
                user_id="u",
                session_id="s",
                new_message=Content.from_text("weather?"),
                run_config=RunConfig(max_llm_calls=1),
            ):
                seen.append(event)
        # The tool call and its response were made; the second model call was refused.
        assert len(model.requests) == 1
        assert [bool(e.get_function_calls()) for e in seen] == [True, False]
    finally:
        await runner.close()


def test_the_kernel_never_imports_google_adk():
    kernel = Path(__file__).resolve().parents[3] / "runners_core"
    importers = sorted(
        str(path.relative_to(kernel))
        for path in kernel.rglob("*.py")
        for line in path.read_text().splitlines()
        if line.lstrip().startswith(("import google.adk", "from google.adk"))
    )
    assert importers == []
    probe = (
        "import runners_core, runners_core.runner, runners_core.testing, sys\n"
        "from runners_core import Runner, load_plugins\n"
        "print(sorted(m for m in sys.modules if m.startswith('google')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "google.adk" not in out, out
