"""Real ``runners serve`` processes: the example app, and several processes on one database.

Two separate server processes on one database stand for workers behind a load
balancer, with the test choosing which process gets each request; one test also
runs uvicorn's own ``--workers``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from runners_server.testing import serve_process

REPO = Path(__file__).resolve().parents[3]
RUNNERS = Path(sys.executable).parent / "runners"


def _unreachable(what: str, error: str) -> None:
    reason = f"{what} is unreachable ({error[:200]})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires it (.ci/run starts it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """``serve(*args)`` starts ``runners serve *args`` in tmp_path; returns its base URL."""
    with ExitStack() as started:

        def start(*args: str, env: dict[str, str] | None = None, log_level: str = "warning") -> str:
            return started.enter_context(
                serve_process(
                    *args, cwd=tmp_path, env={**os.environ, **(env or {})}, log_level=log_level
                )
            )

        yield start


def run_body(app: str, session: str, text: str, **extra: object) -> dict:
    return {
        "appName": app,
        "userId": "u1",
        "sessionId": session,
        "newMessage": {"role": "user", "parts": [{"text": text}]},
        **extra,
    }


def test_serve_the_example_assistant(serve, tmp_path, h):
    url = serve(f"{REPO}/examples/assistant.py:root_agent")
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/list-apps").json() == ["assistant"]
        h.create_session(client, "assistant", "u1", "demo")
        hello = client.post("/run", json=run_body("assistant", "demo", "hello")).json()
        assert hello[-1]["content"]["parts"][0]["text"].startswith("Hello!")
        note = client.post("/run_sse", json=run_body("assistant", "demo", "note milk"))
        frames = h.sse_frames(note.text)
        assert frames[-1]["actions"]["artifactDelta"] == {"notes.md": 0}
        notes = client.get("/apps/assistant/users/u1/sessions/demo/artifacts/notes.md").json()
        assert "- milk" in notes["text"]
        page = client.get("/ui/")
        assert page.status_code == 200 and page.text.lower().startswith("<!doctype html>")
        assert client.get("/", follow_redirects=False).headers["location"] == "/ui/"
        assert "/run_sse" in client.get("/openapi.json").json()["paths"]
    # The embedded SQLite default, as for `runners run`.
    assert (tmp_path / ".runners" / "sessions.db").is_file()


def test_serve_refuses_memory_backends_for_several_workers(tmp_path):
    done = subprocess.run(
        [
            str(RUNNERS),
            "serve",
            f"{REPO}/examples/assistant.py:root_agent",
            "--workers",
            "2",
            "--session-service",
            "memory://",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "--workers 2 needs backends every process shares" in done.stderr


def test_serve_reports_a_bad_agent_reference(tmp_path):
    done = subprocess.run(
        [str(RUNNERS), "serve", "missing.py:root_agent"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "missing.py does not exist" in done.stderr


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def shared_url(request, tmp_path) -> Iterator[str]:
    """A session backend URL every server process of the test shares."""
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/shared.db"
        return
    if kind == "postgresql":
        import psycopg

        server = os.environ.get(
            "RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
        try:
            psycopg.connect(server, connect_timeout=5).close()
        except psycopg.Error as exc:
            _unreachable(f"PostgreSQL at {server}", str(exc))
        schema = f"srv_{os.getpid()}_{secrets.token_hex(4)}"
        yield f"{server}?schema={schema}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        return
    import redis

    server = os.environ.get("RUNNERS_REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(server, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unreachable(f"Redis at {server}", str(exc))
    prefix = f"srv-{secrets.token_hex(6)}"
    yield f"{server}?prefix={prefix}"
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_processes_on_one_database_serialise_each_session(serve, shared_url, tmp_path, h):
    options = [
        "--agent",
        h.agent_ref("slow"),
        "--session-service",
        shared_url,
        "--memory-service",
        f"sqlite:///{tmp_path}/memory.db",
        "--artifact-service",
        f"sqlite:///{tmp_path}/artifacts.db",
    ]
    first = serve(h.agent_ref("steps"), *options)
    second = serve(h.agent_ref("steps"), *options)
    clients = [httpx.Client(base_url=u, timeout=60) for u in (first, second)]
    try:
        h.create_session(clients[0], "steps", "u1", "one")
        for index in range(6):
            h.create_session(clients[index % 2], "steps", "u1", f"many{index}")

        def run(job: tuple[int, str, str]) -> list[dict]:
            index, session, text = job
            response = clients[index % 2].post("/run", json=run_body("steps", session, text))
            assert response.status_code == 200, response.text
            return response.json()

        jobs = [(i, "one", f"r{i}") for i in range(6)]
        jobs += [(i + 1, f"many{i}", f"m{i}") for i in range(6)]
        with ThreadPoolExecutor(12) as pool:
            acknowledged = [e for events in pool.map(run, jobs) for e in events]
        pids = {e["content"]["parts"][0]["text"].rsplit(" ", 1)[1] for e in acknowledged}
        assert len(pids) == 2, "both processes served runs"

        stored = clients[1].get("/apps/steps/users/u1/sessions/one").json()["events"]
        assert len(stored) == 6 * 4
        for start in range(0, len(stored), 4):
            block = stored[start : start + 4]
            assert block[0]["author"] == "user"
            assert len({e["invocationId"] for e in block}) == 1, "runs interleaved"
        stored_ids = [e["id"] for e in stored]
        for index in range(6):
            events = clients[0].get(f"/apps/steps/users/u1/sessions/many{index}").json()["events"]
            assert len(events) == 4
            stored_ids += [e["id"] for e in events]
        # Every acknowledged event is stored exactly once.
        assert sorted(stored_ids).count(acknowledged[0]["id"]) == 1
        assert {e["id"] for e in acknowledged} <= set(stored_ids)
        assert len(stored_ids) == len(set(stored_ids))

        # A run held by one process makes the other answer 409 under 'reject'.
        h.create_session(clients[0], "slow", "u1", "busy")
        with clients[0].stream("POST", "/run_sse", json=run_body("slow", "busy", "go")) as stream:
            lines = stream.iter_lines()
            next(lines)
            refused = clients[1].post(
                "/run", json=run_body("slow", "busy", "x", sessionBusy="reject")
            )
            assert refused.status_code == 409 and refused.headers["Retry-After"]
            assert "another invocation" in refused.json()["detail"]
    finally:
        for client in clients:
            client.close()


def test_uvicorn_workers_share_one_database(serve, tmp_path, h):
    url = serve(
        h.agent_ref("steps"),
        "--workers",
        "2",
        "--session-service",
        f"sqlite:///{tmp_path}/sessions.db",
        "--memory-service",
        f"sqlite:///{tmp_path}/memory.db",
        "--artifact-service",
        f"sqlite:///{tmp_path}/artifacts.db",
    )
    with httpx.Client(base_url=url, timeout=60) as client:
        h.create_session(client, "steps", "u1", "one")

        def run(index: int) -> list[dict]:
            with httpx.Client(base_url=url, timeout=60) as own:
                response = own.post("/run", json=run_body("steps", "one", f"r{index}"))
                assert response.status_code == 200, response.text
                return response.json()

        with ThreadPoolExecutor(8) as pool:
            acknowledged = [e for events in pool.map(run, range(8)) for e in events]
        stored = client.get("/apps/steps/users/u1/sessions/one").json()["events"]
    assert len(stored) == 8 * 4
    for start in range(0, len(stored), 4):
        assert len({e["invocationId"] for e in stored[start : start + 4]}) == 1
    assert {e["id"] for e in acknowledged} <= {e["id"] for e in stored}


ALICE = "alice-token-0123456789abcdef"
AGENT_FILE = (
    "from runners_core import BaseAgent\n"
    "class Named(BaseAgent):\n"
    "    async def _run_async_impl(self, ctx):\n"
    "        yield ctx.event('from ' + self.name)\n"
    "root_agent = Named(name='{name}')\n"
)


def test_options_take_effect_on_a_real_server(serve, tmp_path, h):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps(h.tokens))
    url = serve(
        h.agent_ref("echo"),
        "--app",
        "renamed",
        "--no-ui",
        "--auth-tokens",
        str(tokens),
        "--max-body-bytes",
        "3000",
        "--cors-origin",
        "https://ui.example",
        log_level="info",
    )
    alice = {"Authorization": f"Bearer {ALICE}"}
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/list-apps").status_code == 401
        assert client.get("/list-apps", headers=alice).json() == ["renamed"]
        assert client.get("/ui/").status_code == 404
        assert client.get("/", follow_redirects=False).status_code == 404
        h.create_session(client.__class__(base_url=url, headers=alice), "renamed", "alice", "s1")
        ok = client.post(
            "/run", json={**run_body("renamed", "s1", "hi"), "userId": "alice"}, headers=alice
        )
        assert ok.status_code == 200 and ok.json()[-1]["content"]["parts"][0]["text"] == "echo: hi"
        big = {**run_body("renamed", "s1", "x" * 4000), "userId": "alice"}
        too_big = client.post("/run", json=big, headers=alice)
        assert too_big.status_code == 413 and "3000" in too_big.json()["detail"]
        allowed = client.get("/health", headers={"Origin": "https://ui.example"}).headers.get(
            "access-control-allow-origin"
        )
        assert allowed == "https://ui.example"
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # The live route takes the token as a query parameter; it must not reach the log.
        with httpx.Client(base_url=url, timeout=30, headers=alice) as authed:
            listed = authed.get("/apps/renamed/users/alice/sessions", params={"token": ALICE})
            assert listed.status_code == 200
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        ws_url = url.replace("http", "ws") + (
            f"/run_live?app_name=renamed&user_id=alice&session_id=s1&token={ALICE}"
        )
        with connect(ws_url) as ws, pytest.raises(ConnectionClosed) as closed:
            ws.recv()  # the echo agent has no live mode: the run fails with 1011
        assert closed.value.rcvd.code == 1011
    log = "".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
    assert "runners serve: http://127.0.0.1:" in log and "1 worker(s)" in log
    assert "token=<redacted>" in log  # the access log is on at info, the token blanked
    for token in h.tokens:
        assert token not in log


def test_agents_dir_serves_every_app_folder(serve, tmp_path, h):
    agents = tmp_path / "agents"
    (agents / "alpha").mkdir(parents=True)
    (agents / "alpha" / "agent.py").write_text(AGENT_FILE.format(name="alpha_agent"))
    (agents / "beta").mkdir()
    (agents / "beta" / "__init__.py").write_text(AGENT_FILE.format(name="beta_agent"))
    for skipped in ("_private", ".hidden"):
        (agents / skipped).mkdir()
        (agents / skipped / "agent.py").write_text("raise SystemExit('must not load')\n")
    url = serve("--agents-dir", str(agents))
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/list-apps").json() == ["alpha", "beta"]
        h.create_session(client, "beta", "u1", "s1")
        reply = client.post("/run", json=run_body("beta", "s1", "hi")).json()
        assert reply[-1]["content"]["parts"][0]["text"] == "from beta_agent"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--agent", "{saver}", "--app", "one"], "--app one renames a single agent"),
        (["--agents-dir", "nowhere"], "agents folder nowhere does not exist"),
        (["--session-busy", "later"], "--session-busy must be 'wait' or 'reject'"),
        (["--workers", "2", "--reload"], "--reload runs one process; drop --workers or --reload"),
        (["--agent", "{echo}"], "two agents would be served as app 'echo'"),
    ],
)
def test_bad_options_are_refused_before_listening(tmp_path, h, args, expected):
    args = [a.format(saver=h.agent_ref("saver"), echo=h.agent_ref("echo")) for a in args]
    done = subprocess.run(
        [str(RUNNERS), "serve", h.agent_ref("echo"), *args, "--port", str(h.free_port())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_plugins_from_pyproject_fire_for_every_served_invocation(serve, tmp_path, h):
    """serve.md: plugins load from [tool.runners_core]; their hooks fire for every invocation."""
    pyproject = tmp_path / "pyproject.toml"
    # An allow-list without "server" leaves no 'serve' command: the CLI says which plugin is off.
    pyproject.write_text('[tool.runners_core]\nenable = ["redact", "sqlite"]\n')
    missing = subprocess.run(
        [str(RUNNERS), "serve", h.agent_ref("echo")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "No such command 'serve'" in missing.stderr
    assert "installed but disabled by the configuration: " in missing.stderr
    assert "server" in missing.stderr.split("disabled by the configuration: ", 1)[1]
    pyproject.write_text(
        '[tool.runners_core]\nenable = ["redact", "sqlite", "server"]\n'
        "[tool.runners_core.plugins.redact]\n"
        'patterns = ["\\\\bACCT-\\\\d{8}\\\\b"]\nreplacement = "[hidden]"\n'
    )
    url = serve(h.agent_ref("echo"))
    with httpx.Client(base_url=url, timeout=30) as client:
        h.create_session(client, "echo", "u1", "s1")
        text = "pay ACCT-12345678 with 4111 1111 1111 1111"
        for route in ("/run", "/run_sse"):
            assert client.post(route, json=run_body("echo", "s1", text)).status_code == 200
        stored = client.get("/apps/echo/users/u1/sessions/s1").json()["events"]
    texts = [e["content"]["parts"][0]["text"] for e in stored]
    assert len(texts) == 4
    for stored_text in texts:
        assert "12345678" not in stored_text and "4111" not in stored_text, stored_text
        assert "[hidden]" in stored_text
    assert (tmp_path / ".runners" / "sessions.db").is_file()  # the project's embedded store
