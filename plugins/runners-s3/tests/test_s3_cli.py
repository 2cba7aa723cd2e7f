"""``runners run`` saves an agent's artifacts to S3 when [tool.runners_core] says s3://."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from runners_s3 import S3ArtifactService

REPO = Path(__file__).resolve().parents[3]
RUNNERS = Path(sys.executable).with_name("runners")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNERS_CORE_")}
    return subprocess.run(
        [str(RUNNERS), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


async def test_runners_run_keeps_artifacts_in_s3(s3_url: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.runners_core]\nartifact_service = "{s3_url}"\n'
    )
    agent = f"{REPO / 'examples' / 'assistant.py'}:root_agent"
    result = run_cli("run", agent, "-m", "note buy milk", "--session", "n1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    service = S3ArtifactService(s3_url)
    try:
        part = await service.load_artifact(
            app_name="assistant", user_id="user", session_id="n1", filename="notes.md"
        )
    finally:
        await service.close()
    assert part is not None and "buy milk" in (part.text or "")
