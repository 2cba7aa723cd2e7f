"""Direction 2 end to end: ADK's own Runner, unchanged but for session_service=."""

from __future__ import annotations

import asyncio

import runners_adk
from google.adk.agents import LlmAgent
from google.adk.cli.service_registry import ServiceRegistry, get_service_registry
from google.adk.runners import Runner as AdkRunner
from google.genai import types
from runners_adk.scripted import ScriptedLlm, call


def get_weather(city: str) -> dict:
    """The weather in *city*."""
    return {"city": city, "temp_c": 21}


def message(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


async def test_adk_runner_on_our_backend_runs_tools_and_reloads(backend_url):
    model = ScriptedLlm(script=[call("get_weather", city="Oslo"), "4°C in Oslo."], loop=True)
    sessions = runners_adk.session_service(backend_url)
    runner = AdkRunner(
        app_name="app",
        agent=LlmAgent(name="weather", model=model, tools=[get_weather]),
        session_service=sessions,
    )
    try:
        session = await sessions.create_session(app_name="app", user_id="u")
        produced = [
            e
            async for e in runner.run_async(
                user_id="u", session_id=session.id, new_message=message("weather?")
            )
        ]
        assert produced[-1].content.parts[0].text == "4°C in Oslo."
        loaded = await sessions.get_session(app_name="app", user_id="u", session_id=session.id)
        assert loaded.events[1:] == produced
        # Concurrent invocations on one session: no stale-session error, nothing lost.
        results = await asyncio.gather(
            *(
                _collect(
                    runner.run_async(
                        user_id="u", session_id=session.id, new_message=message(f"q{i}")
                    )
                )
                for i in range(4)
            )
        )
        assert all(r[-1].content.parts[0].text == "4°C in Oslo." for r in results)
        loaded = await sessions.get_session(app_name="app", user_id="u", session_id=session.id)
        assert len(loaded.events) == 4 * 5
    finally:
        await runner.close()
        await sessions.close()


async def _collect(agen):
    return [e async for e in agen]


def test_registry_schemes_are_ours_and_adk_builtins_stay(tmp_path):
    registry = ServiceRegistry()
    schemes = runners_adk.register_adk_services(registry)
    assert {"runners+sqlite", "runners+postgresql", "runners+redis"} <= set(schemes)
    built = registry.create_session_service(f"runners+sqlite:///{tmp_path / 'a.db'}")
    assert isinstance(built, runners_adk.RunnersSessionService)
    assert registry.create_session_service(f"sqlite:///{tmp_path / 'b.db'}") is None
    memory = registry.create_memory_service(f"runners+sqlite:///{tmp_path / 'a.db'}")
    assert isinstance(memory, runners_adk.RunnersMemoryService)
    # ADK's global registry keeps its own sqlite/postgresql after ours are added.
    global_registry = get_service_registry()
    runners_adk.register_adk_services()
    adk_own = global_registry.create_session_service(f"sqlite:///{tmp_path / 'c.db'}")
    assert adk_own is not None
    assert not isinstance(adk_own, runners_adk.RunnersSessionService)


async def test_services_yaml_class_form_builds_from_uri(tmp_path):
    # ADK's services.yaml instantiates MyService(uri="...", agents_dir="..."); the
    # agents folder is not a backend option (test_adk_cli_serve.py runs the real CLI).
    uri = f"runners+sqlite:///{tmp_path / 'y.db'}"
    for cls in (
        runners_adk.RunnersSessionService,
        runners_adk.RunnersMemoryService,
        runners_adk.RunnersArtifactService,
    ):
        service = cls(uri=uri, agents_dir=str(tmp_path))
        assert service.service is not None
        await service.close()
