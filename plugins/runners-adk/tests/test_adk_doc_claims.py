"""docs/adk.md claims not covered elsewhere, checked the way a user meets them.

- the URLs users type for ADK's CLI (``runners+postgresql://...?schema=...&pool_max=15``,
  ``runners+redis://...?prefix=...``) reach the backend with every option kept;
- ``list_sessions`` returns every session (past one internal page), oldest update first;
- ``RunConfig(max_llm_calls=...)`` given to our Runner limits the ADK agent's model calls;
- the kernel never imports google-adk.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import runners_adk
import runners_adk.cache
from google.adk.agents import LlmAgent, LoopAgent, ParallelAgent
from google.adk.agents.invocation_context import LlmCallsLimitExceededError
from google.adk.cli.service_registry import ServiceRegistry
from google.adk.events.event import Event as AdkEvent
from google.adk.plugins.base_plugin import BasePlugin
from google.adk.workflow import START, Workflow
from psycopg import sql
from runners_adk import AdkAgent
from runners_adk.scripted import ScriptedLlm, call

from runners_core import (
    Content,
    LiveRequestQueue,
    RunConfig,
    Runner,
    StreamingMode,
    hookimpl,
    session_service_from_url,
)
from runners_core.errors import ConfigError, ValidationError


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


async def test_plugin_order_within_an_invocation_is_as_documented(tmp_path: Path):
    # docs/adk.md, "Plugins, both kinds".
    order: list[str] = []

    class AdkSide(BasePlugin):
        def __init__(self) -> None:
            super().__init__(name="adk_side")

        async def on_user_message_callback(self, *, invocation_context, user_message):
            order.append("adk.on_user_message_callback")

        async def before_run_callback(self, *, invocation_context):
            order.append("adk.before_run_callback")

        async def before_model_callback(self, *, callback_context, llm_request):
            order.append("adk.before_model_callback")

        async def on_event_callback(self, *, invocation_context, event):
            order.append("adk.on_event_callback")

        async def after_run_callback(self, *, invocation_context):
            order.append("adk.after_run_callback")

    class OurSide:
        @hookimpl
        def on_user_message(self, ctx, message):
            order.append("on_user_message")

        @hookimpl
        def before_run(self, ctx):
            order.append("before_run")

        @hookimpl
        def on_event(self, ctx, event):
            order.append(f"on_event:{event.author}")

        @hookimpl
        def before_append_event(self, session, event):
            order.append(f"before_append_event:{event.author}")

        @hookimpl
        def after_append_event(self, session, event):
            order.append(f"after_append_event:{event.author}")

        @hookimpl
        def after_run(self, ctx):
            order.append("after_run")

    agent = AdkAgent(LlmAgent(name="bot", model=ScriptedLlm(script=["hello"])), plugins=[AdkSide()])
    runner = Runner.from_config(
        agent,
        app_name="app",
        session_service=f"sqlite:///{tmp_path / 'a.db'}",
        auto_create_session=True,
        plugins=[OurSide()],
    )
    try:
        async for _ in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text("hi")
        ):
            pass
    finally:
        await runner.close()
    assert order == [
        "on_user_message",
        "before_append_event:user",
        "after_append_event:user",
        "before_run",
        "adk.before_run_callback",
        "adk.before_model_callback",
        "adk.on_event_callback",
        "on_event:bot",
        "before_append_event:bot",
        "after_append_event:bot",
        "adk.after_run_callback",
        "after_run",
    ]


async def test_run_live_of_a_workflow_root_is_refused_with_the_fix(tmp_path: Path):
    writer = LlmAgent(name="writer", model=ScriptedLlm(script=["hi"]))
    runner = Runner.from_config(
        Workflow(name="pipeline", edges=[(START, writer)]),
        app_name="app",
        session_service=f"sqlite:///{tmp_path / 'a.db'}",
        auto_create_session=True,
    )
    queue = LiveRequestQueue()
    queue.send_content(Content.from_text("hi"))
    queue.close()
    try:
        with pytest.raises(ValidationError, match="run_live of a Workflow root.*use run_async"):
            async for _ in runner.run_live(user_id="u", session_id="s", live_request_queue=queue):
                pass
    finally:
        await runner.close()


async def test_runner_takes_an_adk_agent_as_it_is(tmp_path: Path):
    # `Runner(...)` as well as `Runner.from_config(...)`: the adapt_agent hook wraps it.
    from runners_core import InMemorySessionService

    runner = Runner(
        app_name="app",
        agent=LlmAgent(name="bot", model=ScriptedLlm(script=["hello"])),
        session_service=InMemorySessionService(),
        auto_create_session=True,
    )
    try:
        assert isinstance(runner.agent, AdkAgent)
        events = [
            e
            async for e in runner.run_async(
                user_id="u", session_id="s", new_message=Content.from_text("hi")
            )
        ]
        assert [e.content.text for e in events] == ["hello"]
    finally:
        await runner.close()


@pytest.mark.backends(["sqlite"])
async def test_the_history_cache_holds_at_most_its_size(backend_url: str, monkeypatch):
    # docs/adk.md: "Cache size: 100,000 events per adapter". The bound is checked on a
    # cache of 4 events: loading a second session evicts the first, which converts again.
    writer = runners_adk.session_service(backend_url)
    reader = runners_adk.session_service(backend_url)
    assert reader._history._size == 100_000 and reader._history.events._size == 100_000
    reader._history = runners_adk.cache.HistoryCache(size=4)
    converted: list[str] = []
    convert = runners_adk.cache.event_to_adk
    monkeypatch.setattr(
        runners_adk.cache, "event_to_adk", lambda e: converted.append(e.id) or convert(e)
    )
    try:
        for sid in ("a", "b"):
            session = await writer.create_session(app_name="app", user_id="u", session_id=sid)
            for i in range(3):
                await writer.append_event(session, AdkEvent(invocation_id="i", author=f"{sid}{i}"))
        converted.clear()
        await reader.get_session(app_name="app", user_id="u", session_id="a")
        assert len(converted) == 3
        await reader.get_session(app_name="app", user_id="u", session_id="a")
        assert len(converted) == 3, "a session within the bound is served from the cache"
        await reader.get_session(app_name="app", user_id="u", session_id="b")
        assert reader._history._total <= 4
        converted.clear()
        loaded = await reader.get_session(app_name="app", user_id="u", session_id="a")
        assert [e.author for e in loaded.events] == ["a0", "a1", "a2"]
        assert converted, "the evicted session was converted again"
    finally:
        await writer.close()
        await reader.close()


async def test_run_config_streaming_mode_reaches_the_adk_agent(tmp_path: Path):
    # docs/adk.md: "RunConfig is mapped for streaming_mode and max_llm_calls only".
    seen: list[tuple[str, int]] = []

    class Look(BasePlugin):
        def __init__(self) -> None:
            super().__init__(name="look")

        async def before_run_callback(self, *, invocation_context):
            config = invocation_context.run_config
            seen.append((config.streaming_mode.name, config.max_llm_calls))

    agent = AdkAgent(LlmAgent(name="bot", model=ScriptedLlm(script=["hello"])), plugins=[Look()])
    runner = Runner.from_config(
        agent,
        app_name="app",
        session_service=f"sqlite:///{tmp_path / 'a.db'}",
        auto_create_session=True,
    )
    try:
        for mode in (StreamingMode.SSE, StreamingMode.NONE):
            async for _ in runner.run_async(
                user_id="u",
                session_id="s",
                new_message=Content.from_text("hi"),
                run_config=RunConfig(streaming_mode=mode, max_llm_calls=7),
            ):
                pass
    finally:
        await runner.close()
    assert seen == [("SSE", 7), ("NONE", 7)]


@pytest.mark.parametrize(
    ("typed", "error", "named"),
    [
        (
            "runners+postgresql://app:s3cret-pw@127.0.0.1:5432/test?pool_max=0",
            ConfigError,
            "pool_max",
        ),
        ("runners+redis://:s3cret-pw@127.0.0.1:6379/0?ttl=abc", ConfigError, "ttl"),
        ("runners+sqlite:/sessions.db", ValidationError, "runners+sqlite:///app.db"),
    ],
)
def test_a_mistyped_runners_url_is_a_typed_error_naming_it_without_the_password(
    typed: str, error: type[Exception], named: str
):
    # What `adk api_server --session_service_uri ...` hands the registered factories.
    registry = ServiceRegistry()
    runners_adk.register_adk_services(registry)
    for build in (
        registry.create_session_service,
        registry.create_memory_service,
        lambda uri: runners_adk.artifact_service(uri),
    ):
        if "redis" in typed and build is not registry.create_session_service:
            if build is not registry.create_memory_service:
                continue  # runners-redis serves sessions and memory, no artifacts
        with pytest.raises(error, match=re.escape(named)) as raised:
            build(typed)
        assert "s3cret" not in str(raised.value)


async def test_run_live_stores_each_user_message_through_on_user_message_hooks(tmp_path: Path):
    # docs/adk.md, run_live: "Our Runner stores each user message ... (with
    # on_user_message hooks)"; the live model gets the stored version, not the original.
    class Redact:
        @hookimpl
        def on_user_message(self, ctx, message):
            if "secret" in message.text:
                return Content.from_text("[redacted]")
            return None

    model = ScriptedLlm(script=["ok."])
    runner = Runner.from_config(
        LlmAgent(name="bot", model=model),
        app_name="app",
        session_service=f"sqlite:///{tmp_path / 'a.db'}",
        auto_create_session=True,
        plugins=[Redact()],
    )
    queue = LiveRequestQueue()
    queue.send_content(Content.from_text("my secret is 42"))

    async def consume() -> None:
        async for event in runner.run_live(user_id="u", session_id="s", live_request_queue=queue):
            if event.content and event.content.text == "ok.":
                queue.close()

    try:
        await asyncio.wait_for(consume(), timeout=60)
        session = await runner.session_service.get_session(
            app_name="app", user_id="u", session_id="s"
        )
        user = [e.content.text for e in session.events if e.author == "user"]
        assert user == ["[redacted]"]
        sent = [p.text for request in model.requests for c in request.contents for p in c.parts]
        assert sent == ["[redacted]"]
    finally:
        await runner.close()


@pytest.mark.filterwarnings("ignore:(Parallel|Loop)Agent is deprecated:DeprecationWarning")
@pytest.mark.parametrize("kind", ["parallel", "loop"])
async def test_parallel_and_loop_agents_run_directly(tmp_path: Path, kind: str):
    # docs/adk.md: SequentialAgent/ParallelAgent/LoopAgent run directly (agent.run_async),
    # every event stored, node_info.path left empty.
    def llm(name: str, text: str) -> LlmAgent:
        return LlmAgent(name=name, model=ScriptedLlm(script=[text], loop=True))

    if kind == "parallel":
        root = ParallelAgent(name="both", sub_agents=[llm("a", "from a"), llm("b", "from b")])
        expected = {("a", "from a"), ("b", "from b")}
    else:
        root = LoopAgent(name="again", max_iterations=2, sub_agents=[llm("a", "from a")])
        expected = {("a", "from a")}
    runner = Runner.from_config(
        root,
        app_name="app",
        session_service=f"sqlite:///{tmp_path / 'a.db'}",
        auto_create_session=True,
    )
    try:
        events = [
            e
            async for e in runner.run_async(
                user_id="u", session_id="s", new_message=Content.from_text("go")
            )
        ]
        said = [(e.author, e.content.text) for e in events if e.content]
        assert set(said) == expected and len(said) == 2
        assert all(e.node_info is None or not e.node_info.path for e in events)
        session = await runner.session_service.get_session(
            app_name="app", user_id="u", session_id="s"
        )
        assert [e.id for e in session.events[1:]] == [e.id for e in events]
    finally:
        await runner.close()
