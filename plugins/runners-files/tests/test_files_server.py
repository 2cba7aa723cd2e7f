"""``runners serve``'s API keeps artifacts as files when the server is given a file:// URL."""

from __future__ import annotations

from pathlib import Path

import pytest

server = pytest.importorskip("runners_server", reason="runners-server is not installed")
testclient = pytest.importorskip("fastapi.testclient")

REPO = Path(__file__).resolve().parents[3]


def test_the_api_saves_and_loads_artifacts_as_files(tmp_path: Path) -> None:
    settings = server.ServerSettings(
        agents=[f"{REPO / 'examples' / 'assistant.py'}:root_agent"],
        session_service="memory://",
        memory_service="memory://",
        artifact_service=f"file://{tmp_path}/artifacts",
    )
    with testclient.TestClient(server.create_app(settings)) as client:
        created = client.post("/apps/assistant/users/u1/sessions", json={"sessionId": "s1"})
        assert created.status_code == 200, created.text
        base = "/apps/assistant/users/u1/sessions/s1/artifacts"
        for text in ("v0", "v1"):
            saved = client.post(base, json={"filename": "docs/a.txt", "artifact": {"text": text}})
            assert saved.status_code == 200, saved.text
        assert client.get(base).json() == ["docs/a.txt"]
        assert client.get(f"{base}/docs/a.txt", params={"version": 0}).json() == {"text": "v0"}
        meta = client.get(f"{base}/docs/a.txt/versions/latest/metadata").json()
        assert meta["version"] == 1 and meta["canonicalUri"].startswith("file://")
    folder = tmp_path / "artifacts/assistant/u1/sessions/s1/docs%2Fa.txt"
    assert (folder / "1.data").read_text() == "v1"
