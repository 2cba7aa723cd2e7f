"""Under a real uvicorn server: busy sessions, serialised runs, client disconnects, live runs."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from runners_core import hookimpl


class Recorder:
    """Records how invocations ended."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.finished = 0
        self.ended = threading.Event()

    @hookimpl
    def on_run_error(self, ctx, error):
        self.errors.append(type(error).__name__)
        self.ended.set()

    @hookimpl
    def after_run(self, ctx):
        self.finished += 1
        self.ended.set()


def run_body(app, session, text, **extra):
    return {
        "appName": app,
        "userId": "u1",
        "sessionId": session,
        "newMessage": {"role": "user", "parts": [{"text": text}]},
        **extra,
    }


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_busy_session_rejected_with_retry_after_and_waiter_blocked(make_app, live_server, h):
    server = live_server(make_app("slow", "echo"))
    recorder = Recorder()
    server.app.state.apps.runner("slow").plugins.register(recorder)
    with server.client() as client:
        h.create_session(client, "slow", "u1", "s1")
        with client.stream("POST", "/run_sse", json=run_body("slow", "s1", "go")) as stream:
            lines = stream.iter_lines()  # keep it: a dropped iterator closes the stream
            first = next(lines)
            assert json.loads(first[len("data: ") :])["content"]["parts"][0]["text"] == "started"
            busy = client.post("/run", json=run_body("slow", "s1", "again", sessionBusy="reject"))
            assert busy.status_code == 409
            assert busy.headers["Retry-After"] == "1"
            assert "running another invocation" in busy.json()["detail"]
            # Under 'wait' the second request is blocked while the first holds the session.
            waited = client.post(
                "/run", json=run_body("slow", "s1", "wait", sessionBusy="wait", busyTimeout=0.3)
            )
            assert waited.status_code == 409
            with ThreadPoolExecutor(1) as pool:
                patching = pool.submit(
                    client.patch, "/apps/slow/users/u1/sessions/s1", json={"stateDelta": {"x": 1}}
                )
                time.sleep(0.5)
                assert not patching.done(), "PATCH did not wait for the running invocation"
                stream.close()
                assert patching.result(timeout=15).status_code == 200
        # It got in only once the stream above was closed and its run cancelled.
        assert recorder.errors == ["CancelledError"]
        events = client.get("/apps/slow/users/u1/sessions/s1").json()["events"]
        assert [e["author"] for e in events] == ["user", "slow", "user"]
        assert events[-1]["actions"]["stateDelta"] == {"x": 1}


def test_client_disconnect_cancels_the_invocation_cleanly(make_app, live_server, h):
    server = live_server(make_app("slow"))
    recorder = Recorder()
    server.app.state.apps.runner("slow").plugins.register(recorder)
    with server.client() as client:
        h.create_session(client, "slow", "u1", "s1")
        with client.stream("POST", "/run_sse", json=run_body("slow", "s1", "go")) as stream:
            lines = stream.iter_lines()
            next(lines)
            assert not recorder.ended.is_set()
        assert recorder.ended.wait(10), "the invocation did not end after the client left"
        assert recorder.errors == ["CancelledError"] and recorder.finished == 0
        stored = client.get("/apps/slow/users/u1/sessions/s1").json()["events"]
        assert [e["author"] for e in stored] == ["user", "slow"]
        # The lock was released: a run that refuses to wait gets in.
        recorder.ended.clear()
        with client.stream(
            "POST", "/run_sse", json=run_body("slow", "s1", "again", sessionBusy="reject")
        ) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            next(lines)
        assert recorder.ended.wait(10)

        # /run too: a client that times out cancels its invocation.
        recorder.ended.clear()
        try:
            client.post("/run", json=run_body("slow", "s1", "third"), timeout=0.5)
        except httpx.TimeoutException:
            pass
        assert recorder.ended.wait(10)
        assert recorder.errors == ["CancelledError"] * 3


def test_concurrent_runs_on_one_session_never_interleave(make_app, live_server, h):
    server = live_server(make_app("steps"))
    with server.client() as client:
        h.create_session(client, "steps", "u1", "one")
        for index in range(4):
            h.create_session(client, "steps", "u1", f"many{index}")

        def run(args):
            session, text = args
            response = client.post("/run", json=run_body("steps", session, text))
            assert response.status_code == 200, response.text
            return response.json()

        jobs = [("one", f"r{i}") for i in range(4)] + [(f"many{i}", "m") for i in range(4)]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(run, jobs))
        assert all(len(r) == 3 for r in results)
        stored = client.get("/apps/steps/users/u1/sessions/one").json()["events"]
        assert len(stored) == 16
        for start in range(0, 16, 4):
            block = stored[start : start + 4]
            assert len({e["invocationId"] for e in block}) == 1, "runs interleaved"
            text = block[0]["content"]["parts"][0]["text"]
            assert [e["content"]["parts"][0]["text"].split(" pid ")[0] for e in block[1:]] == [
                f"{text} step {i}" for i in range(3)
            ]
        for index in range(4):
            assert (
                len(client.get(f"/apps/steps/users/u1/sessions/many{index}").json()["events"]) == 4
            )


def test_run_live_websocket(make_app, live_server, h):
    from websockets.sync.client import connect

    settings = h.settings_for("echo")
    live_agent = str(__import__("pathlib").Path(__file__).parents[3] / "examples" / "live_echo.py")
    settings.agents.append(f"{live_agent}:root_agent")
    from runners_server import create_app

    server = live_server(create_app(settings))
    with server.client() as client:
        h.create_session(client, "live_echo", "u1", "s1")
    url = server.url.replace("http", "ws") + "/run_live?app_name=live_echo&user_id=u1&session_id=s1"
    with connect(url) as ws:
        for word in ("hello", "there"):
            ws.send(json.dumps({"content": {"role": "user", "parts": [{"text": word}]}}))
        ws.send(json.dumps({"activityEnd": {}}))
        received = [json.loads(ws.recv(timeout=10)) for _ in range(3)]
        ws.send(json.dumps({"close": True}))
    assert [e.get("partial") for e in received] == [True, True, None]
    assert received[-1]["turnComplete"] is True
    assert received[-1]["content"]["parts"][0]["text"] == "heard 2 chunk(s): hello there"
    with server.client() as client:
        stored = client.get("/apps/live_echo/users/u1/sessions/s1").json()["events"]
    assert [e["author"] for e in stored] == ["user", "user", received[-1]["author"]]
    missing = server.url.replace("http", "ws") + "/run_live?app_name=echo&user_id=u1&session_id=no"
    with connect(missing) as ws:
        try:
            ws.recv(timeout=10)
        except Exception:
            pass
        assert ws.close_code == 1002


@pytest.mark.parametrize("option", [{"session_busy": "reject"}, {"busy_timeout": 0.2}])
def test_run_live_on_a_busy_session_closes_with_1013(make_app, live_server, h, option):
    """The server's --session-busy / --busy-timeout apply to /run_live too (close code 1013)."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    settings = h.settings_for(**option)
    live_agent = str(__import__("pathlib").Path(__file__).parents[3] / "examples" / "live_echo.py")
    settings.agents.append(f"{live_agent}:root_agent")
    from runners_server import create_app

    server = live_server(create_app(settings))
    with server.client() as client:
        h.create_session(client, "live_echo", "u1", "s1")
    url = server.url.replace("http", "ws") + "/run_live?app_name=live_echo&user_id=u1&session_id=s1"
    with connect(url) as first:
        # The first live run holds the session: prove it is running before the second comes.
        first.send(json.dumps({"content": {"role": "user", "parts": [{"text": "hi"}]}}))
        first.send(json.dumps({"activityEnd": {}}))
        assert json.loads(first.recv(timeout=10))["author"]
        with connect(url) as second, pytest.raises(ConnectionClosed) as closed:
            second.recv(timeout=10)
        assert closed.value.rcvd.code == 1013
        first.send(json.dumps({"close": True}))
