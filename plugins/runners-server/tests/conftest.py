"""Fixtures for the runners-server tests: an app on in-memory services, a real server.

``client`` drives the ASGI app in-process (Starlette's TestClient); ``live_server``
runs it under uvicorn on a free loopback port in a thread, for what needs real
connections (concurrent requests, a client that disconnects, WebSockets).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from runners_server import ServerSettings, create_app

HERE = Path(__file__).parent
AGENTS = HERE / "server_test_agents.py"
TOKENS = {"alice-token-0123456789abcdef": "alice", "bob-token-0123456789abcdefgh": "bob"}


def agent_ref(name: str) -> str:
    return f"{AGENTS}:{name}"


def settings_for(*agents: str, **options: Any) -> ServerSettings:
    options.setdefault("session_service", "memory://")
    options.setdefault("memory_service", "memory://")
    options.setdefault("artifact_service", "memory://")
    return ServerSettings(agents=[agent_ref(a) for a in agents], **options)


@pytest.fixture
def make_app() -> Callable[..., FastAPI]:
    return lambda *agents, **options: create_app(settings_for(*agents, **options))


@pytest.fixture
def client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """A client of a server with the echo, saver and failing agents."""
    with TestClient(make_app("echo", "saver", "failing")) as test_client:
        yield test_client


@pytest.fixture
def tokens_file(tmp_path: Path) -> str:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(TOKENS), encoding="utf-8")
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    app: FastAPI
    url: str

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)


@pytest.fixture
def live_server() -> Iterator[Callable[[FastAPI], LiveServer]]:
    """Start an app under uvicorn in a thread; stopped at the end of the test."""
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> LiveServer:
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread))
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return LiveServer(app, f"http://127.0.0.1:{port}")

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=20)


def create_session(client: Any, app: str, user: str, session: str, **body: Any) -> dict:
    response = client.post(
        f"/apps/{app}/users/{user}/sessions", json={"sessionId": session, **body}
    )
    assert response.status_code == 200, response.text
    return response.json()


def message(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def sse_frames(body: str) -> list[dict[str, Any]]:
    """The JSON of each ``data:`` frame, checking ADK's framing on the way."""
    frames = []
    for block in body.split("\n\n"):
        if not block:
            continue
        assert block.startswith("data: "), block
        assert "\n" not in block, block
        frames.append(json.loads(block[len("data: ") :]))
    return frames


@pytest.fixture
def h() -> Any:
    """The helpers above, for test modules (conftest is not importable by name)."""
    import types

    return types.SimpleNamespace(
        create_session=create_session,
        message=message,
        sse_frames=sse_frames,
        agent_ref=agent_ref,
        settings_for=settings_for,
        tokens=TOKENS,
        free_port=free_port,
    )
