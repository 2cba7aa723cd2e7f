"""The example LLM app runs with ``runners run`` on the embedded SQLite default, no key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runners_core import Runner

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = f"{REPO / 'examples' / 'adk_weather.py'}:root_agent"
RUNNERS = Path(sys.executable).with_name("runners")


def runners(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNERS_CORE_")}
    env.pop("GOOGLE_API_KEY", None)
    return subprocess.run(
        [str(RUNNERS), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_runners_run_takes_the_adk_agent_and_keeps_the_session(tmp_path):
    first = runners("run", EXAMPLE, "-m", "hi", "--session", "w1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "weather_assistant: Hi! Ask me about the weather" in first.stdout
    second = runners("run", EXAMPLE, "-m", "weather in Oslo in F?", "--session", "w1", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "calls get_weather" in second.stdout and "That is 39.2°F." in second.stdout
    assert (tmp_path / ".runners").is_dir()  # the embedded SQLite default
    assert "Traceback" not in second.stderr and "Skipping missing" not in second.stderr


def test_an_object_no_plugin_adapts_is_refused_with_the_fix():
    from runners_core import InMemorySessionService
    from runners_core.errors import ValidationError

    with pytest.raises(ValidationError, match="runners-adk for google.adk agents"):
        Runner(app_name="app", agent=object(), session_service=InMemorySessionService())


@pytest.mark.parametrize(
    ("env", "model"),
    [
        ({}, "scripted-weather"),
        ({"GOOGLE_API_KEY": "k"}, "gemini-2.5-flash"),
        ({"GOOGLE_API_KEY": "k", "RUNNERS_EXAMPLE_MODEL": "gemini-2.5-pro"}, "gemini-2.5-pro"),
    ],
)
def test_the_example_uses_gemini_when_google_api_key_is_set(env: dict[str, str], model: str):
    # docs/adk.md: scripted model with no key, Gemini when GOOGLE_API_KEY is set (the
    # model is only named here: nothing is sent).
    base = {
        k: v for k, v in os.environ.items() if k not in {"GOOGLE_API_KEY", "RUNNERS_EXAMPLE_MODEL"}
    }
    path = str(REPO / "examples" / "adk_weather.py")
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('adk_weather', {path!r})\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "m = mod.root_agent.model\n"
        "print(m if isinstance(m, str) else m.model)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == model
