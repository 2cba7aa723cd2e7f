"""``runners run`` saves an agent's artifacts as files when [tool.runners_core] says file://."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
RUNNERS = Path(sys.executable).with_name("runners")


def run_cli(
    *args: str, cwd: Path, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNERS_CORE_")}
    env.update(extra or {})
    return subprocess.run(
        [str(RUNNERS), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_runners_run_keeps_artifacts_under_the_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runners_core]\nartifact_service = "file://.runners/artifacts"\n'
    )
    agent = f"{REPO / 'examples' / 'assistant.py'}:root_agent"
    for text in ("note buy milk", "note call Bob"):
        result = run_cli("run", agent, "-m", text, "--session", "n1", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    folder = tmp_path / ".runners/artifacts/assistant/user/sessions/n1/notes.md"
    assert sorted(p.name for p in folder.iterdir()) == ["0.data", "0.json", "1.data", "1.json"]
    assert "call Bob" in (folder / "1.data").read_text()


def test_the_environment_variable_picks_the_root_too(tmp_path: Path) -> None:
    agent = f"{REPO / 'examples' / 'assistant.py'}:root_agent"
    extra = {"RUNNERS_CORE_ARTIFACT_SERVICE": "file://from-env"}
    result = run_cli("run", agent, "-m", "note env", "--session", "e1", cwd=tmp_path, extra=extra)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = tmp_path / "from-env/assistant/user/sessions/e1/notes.md/0.data"
    assert "env" in stored.read_text()
