"""``runners serve``'s API keeps artifacts in S3 when the server is given an s3:// URL."""

from __future__ import annotations

from pathlib import Path

import pytest

server = pytest.importorskip("runners_server", reason="runners-server is not installed")
testclient = pytest.importorskip("fastapi.testclient")

REPO = Path(__file__).resolve().parents[3]


def test_the_api_saves_and_loads_artifacts_in_s3(s3_url: str) -> None:
    settings = server.ServerSettings(
        agents=[f"{REPO / 'examples' / 'assistant.py'}:root_agent"],
        session_service="memory://",
        memory_service="memory://",
        artifact_service=s3_url,
    )
    with testclient.TestClient(server.create_app(settings)) as client:
        created = client.post("/apps/assistant/users/u1/sessions", json={"sessionId": "s1"})
        assert created.status_code == 200, created.text
        base = "/apps/assistant/users/u1/sessions/s1/artifacts"
        for text in ("v0", "v1"):
            saved = client.post(base, json={"filename": "user:a.txt", "artifact": {"text": text}})
            assert saved.status_code == 200, saved.text
        other = "/apps/assistant/users/u1/sessions/s2/artifacts"
        client.post("/apps/assistant/users/u1/sessions", json={"sessionId": "s2"})
        assert client.get(other).json() == ["user:a.txt"]
        assert client.get(f"{other}/user:a.txt").json() == {"text": "v1"}
        meta = client.get(f"{base}/user:a.txt/versions/0/metadata").json()
        assert meta["canonicalUri"].endswith("/art/assistant/u1/user/user:a.txt/0.data")
        assert client.delete(f"{base}/user:a.txt").status_code == 200
        assert client.get(other).json() == []
