"""examples/live_echo.py: the documented live agent works, imported and as a script."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.live.live_kit import label, live_runner, stored

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "live_echo.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("live_echo_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_example_agent_echoes_chunks_and_summarises_each_turn():
    example = load_example()
    runner = live_runner(example.LiveEchoAgent(name="live_echo"))
    events = await example.converse(
        runner, user_id="u", session_id="s", turns=[["a", "b"], ["c"]], pace=0
    )
    first = "live_echo:heard 2 chunk(s): a b (+160 bytes of audio)[turn_complete]"
    second = "live_echo:heard 1 chunk(s): c (+160 bytes of audio)[turn_complete]"
    assert [label(e) for e in events] == [
        "live_echo:a[partial]",
        "live_echo:b[partial]",
        first,
        "live_echo:c[partial]",
        second,
    ]
    assert await stored(runner) == ["user:a", "user:b", first, "user:c", second]


def test_the_example_runs_as_a_script():
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "live_echo: heard 4 chunk(s): how are you today" in done.stdout
    assert "stored 8 events" in done.stdout
