"""Direction 2 through ADK's own CLI: ``adk api_server`` serving an agent on our SQLite.

A tmp agents dir holds an agent package (an ``LlmAgent`` with one tool and a scripted
model defined in the package: no network, no key) and either the ``services.py`` of
docs/adk.md or its ``services.yaml`` form. The real ``adk api_server`` runs as a
subprocess on a free loopback port; the test talks HTTP to it, stops it, then reads
the SQLite file with runners-core's own services to see what ADK stored through ours.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    import google.adk  # noqa: F401
except ImportError:  # pragma: no cover - google-adk is a dependency of runners-adk
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(
        "google-adk is not installed (scripts/setup.sh installs it)", allow_module_level=True
    )

import httpx
from runners_sqlite.artifacts import SqliteArtifactService
from runners_sqlite.sessions import SqliteSessionService

APP = "weather"
START_DEADLINE = 30.0  # seconds for the server to answer /health (it imports ADK: ~3-5 s)

AGENT_PY = '''
"""A weather agent whose model is scripted from the request: no network."""

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_response import LlmResponse
from google.adk.tools.tool_context import ToolContext
from google.genai import types


async def get_weather(city: str, tool_context: ToolContext) -> dict:
    """The weather in *city*; keeps a report artifact and names the services it ran on."""
    await tool_context.save_artifact(
        "report.txt", types.Part(text=f"report for {city}")
    )
    ctx = tool_context.get_invocation_context()
    return {
        "city": city,
        "temp_c": 21,
        "services": {
            "session": type(ctx.session_service).__name__,
            "memory": type(ctx.memory_service).__name__,
            "artifact": type(ctx.artifact_service).__name__,
        },
    }


class ScriptedWeatherLlm(BaseLlm):
    """Calls get_weather for the user's city, then answers from the tool's result.

    The answer counts the user messages in the request, so a second message on the
    same session shows whether the server loaded the earlier history.
    """

    model: str = "scripted-weather"

    @classmethod
    def supported_models(cls) -> list[str]:
        return [r"scripted-weather"]

    async def generate_content_async(self, llm_request, stream: bool = False):
        last = llm_request.contents[-1]
        answered = [p.function_response for p in last.parts if p.function_response]
        if answered:
            result = answered[0].response
            turns = sum(
                1
                for c in llm_request.contents
                if c.role == "user" and any(p.text for p in c.parts)
            )
            text = f"{result['temp_c']} C in {result['city']} (message {turns})."
            part = types.Part(text=text)
        else:
            city = last.parts[0].text.strip()
            part = types.Part(
                function_call=types.FunctionCall(name="get_weather", args={"city": city})
            )
        yield LlmResponse(content=types.Content(role="model", parts=[part]))


root_agent = LlmAgent(
    name="weather",
    model=ScriptedWeatherLlm(),
    instruction="Answer weather questions with the get_weather tool.",
    tools=[get_weather],
)
'''

DOC = Path(__file__).resolve().parents[3] / "docs" / "adk.md"


def _doc_blocks(language: str) -> list[str]:
    """The ``language`` code blocks of docs/adk.md's "Direction 2" section."""
    text = DOC.read_text()
    start = text.index("## Direction 2")
    end = text.find("\n## ", start + 1)
    return re.findall(rf"```{language}\n(.*?)```", text[start:end], flags=re.DOTALL)


def _doc_snippets() -> dict[str, str]:
    python = [b for b in _doc_blocks("python") if "register_adk_services()" in b]
    yaml = [b for b in _doc_blocks("yaml") if "runners_adk.RunnersSessionService" in b]
    commands = [
        line.removeprefix("$ ")
        for block in _doc_blocks("console")
        for line in block.splitlines()
        if line.startswith("$ adk api_server ")
    ]
    assert len(python) == len(yaml) == len(commands) == 1, "docs/adk.md lost a CLI snippet"
    return {"services.py": python[0], "services.yaml": yaml[0], "command": commands[0]}


@dataclass
class Served:
    base: str
    db: Path
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _adk_command() -> list[str]:
    script = Path(sys.executable).with_name("adk")
    if script.exists():
        return [str(script)]
    found = shutil.which("adk")
    return [found] if found else [sys.executable, "-m", "google.adk.cli"]


def _write_agents(agents: Path, form: str, snippet: str) -> None:
    package = agents / APP
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from . import agent\n")
    (package / "agent.py").write_text(textwrap.dedent(AGENT_PY))
    (agents / form).write_text(snippet)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(params=["services.py", "services.yaml"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """``adk api_server`` on the agents dir, all three services on one SQLite file."""
    snippets = _doc_snippets()
    _write_agents(tmp_path / "agents", request.param, snippets[request.param])
    # The documented command, run from the folder holding agents/ (its relative
    # runners+sqlite:///sessions.db lands there), on a free loopback port.
    program, subcommand, *args = shlex.split(snippets["command"])
    assert (program, subcommand) == ("adk", "api_server")
    assert args[-1] == "agents/"
    port = _free_port()
    command = [
        *_adk_command(),
        "api_server",
        "--host=127.0.0.1",
        f"--port={port}",
        "--no-reload",
        *args,
    ]
    db = tmp_path / "sessions.db"
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Served(base=f"http://127.0.0.1:{port}", db=db, log=log, process=process)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"adk api_server exited with {process.returncode}:\n{server.log_tail()}"
                )
            try:
                if httpx.get(f"{server.base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"adk api_server did not answer in {START_DEADLINE} s:\n{server.log_tail()}"
                )
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


async def _run(client: httpx.AsyncClient, session_id: str, text: str) -> list[dict]:
    response = await client.post(
        "/run",
        json={
            "appName": APP,
            "userId": "u",
            "sessionId": session_id,
            "newMessage": {"role": "user", "parts": [{"text": text}]},
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def _parts(event: dict, kind: str) -> list[dict]:
    return [p[kind] for p in event.get("content", {}).get("parts", []) if kind in p]


async def test_adk_api_server_serves_an_agent_on_our_sqlite(served: Served):
    async with httpx.AsyncClient(base_url=served.base, timeout=20.0) as client:
        created = await client.post(
            f"/apps/{APP}/users/u/sessions", json={"state": {"topic": "wx"}}
        )
        assert created.status_code == 200, created.text
        session_id = created.json()["id"]

        events = await _run(client, session_id, "Oslo")
        # The tool-calling turn: the model's call, the tool's response, the answer.
        assert [e["author"] for e in events] == ["weather"] * 3
        (call,) = _parts(events[0], "functionCall")
        assert (call["name"], call["args"]) == ("get_weather", {"city": "Oslo"})
        (response,) = _parts(events[1], "functionResponse")
        assert response["name"] == "get_weather"
        assert response["response"]["services"] == {
            "session": "RunnersSessionService",
            "memory": "RunnersMemoryService",
            "artifact": "RunnersArtifactService",
        }
        assert _parts(events[2], "text") == ["21 C in Oslo (message 1)."]

        # A second message continues the same session: the model saw both messages.
        again = await _run(client, session_id, "Bergen")
        assert _parts(again[-1], "text") == ["21 C in Bergen (message 2)."]

        fetched = await client.get(f"/apps/{APP}/users/u/sessions/{session_id}")
        assert fetched.status_code == 200, fetched.text
        assert len(fetched.json()["events"]) == 8
        names = await client.get(f"/apps/{APP}/users/u/sessions/{session_id}/artifacts")
        assert names.json() == ["report.txt"]

    _stop(served.process)
    assert served.process.returncode is not None

    # What ADK stored through our adapter, read back with runners-core's own services.
    url = f"sqlite:///{served.db}"
    sessions = SqliteSessionService(url)
    artifacts = SqliteArtifactService(url)
    try:
        (stored,) = (await sessions.list_sessions(app_name=APP, user_id="u")).sessions
        assert stored.id == session_id
        session = await sessions.get_session(app_name=APP, user_id="u", session_id=session_id)
        assert session is not None
        assert session.state["topic"] == "wx"
        history = session.events
        assert [e.id for e in history] == [e["id"] for e in fetched.json()["events"]]
        assert [e.author for e in history] == ["user", "weather", "weather", "weather"] * 2
        for first, city in ((0, "Oslo"), (4, "Bergen")):
            user, call_event, response_event, answer = history[first : first + 4]
            assert user.content.text == city
            (stored_call,) = call_event.get_function_calls()
            assert (stored_call.name, stored_call.args) == ("get_weather", {"city": city})
            (stored_response,) = response_event.get_function_responses()
            assert stored_response.id == stored_call.id
            assert stored_response.response["city"] == city
            assert answer.is_final_response()
            assert answer.content.text == f"21 C in {city} (message {first // 4 + 1})."
        assert [e.invocation_id for e in history[:4]] == [history[0].invocation_id] * 4
        assert history[4].invocation_id != history[0].invocation_id
        report = await artifacts.load_artifact(
            app_name=APP, user_id="u", session_id=session_id, filename="report.txt"
        )
        assert report is not None and report.text == "report for Bergen"
    finally:
        await sessions.close()
        await artifacts.close()
