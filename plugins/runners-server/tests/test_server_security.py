"""Security switches: bearer tokens per user, CORS origins, body size limit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

ALICE, BOB = "alice-token-0123456789abcdef", "bob-token-0123456789abcdefgh"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def secured(make_app, tokens_file):
    with TestClient(make_app("saver", auth_tokens_file=tokens_file)) as client:
        yield client


def test_auth_is_off_by_default(client):
    assert client.get("/apps/echo/users/anyone/sessions").status_code == 200


def test_tokens_required_and_open_routes_stay_open(secured):
    assert secured.get("/health").status_code == 200
    assert secured.get("/version").status_code == 200
    denied = secured.get("/apps/saver/users/alice/sessions")
    assert denied.status_code == 401 and denied.headers["WWW-Authenticate"] == "Bearer"
    assert "bearer token" in denied.json()["detail"]
    wrong = secured.get("/apps/saver/users/alice/sessions", headers=bearer("x" * 30))
    assert wrong.status_code == 401
    assert secured.get("/list-apps").status_code == 401
    assert secured.get("/list-apps", headers=bearer(ALICE)).json() == ["saver"]


def test_users_reach_only_their_own_sessions_and_artifacts(secured, h):
    alice = bearer(ALICE)
    created = secured.post(
        "/apps/saver/users/alice/sessions", json={"sessionId": "private"}, headers=alice
    )
    assert created.status_code == 200
    run = secured.post(
        "/run",
        json={
            "appName": "saver",
            "userId": "alice",
            "sessionId": "private",
            "newMessage": h.message("secret plans"),
        },
        headers=alice,
    )
    assert run.status_code == 200
    base = "/apps/saver/users/alice/sessions/private"
    assert secured.get(f"{base}/artifacts/note.txt", headers=alice).json() == {
        "text": "secret plans"
    }

    bob = bearer(BOB)
    crafted = [
        ("get", base),
        ("get", f"{base}/events"),
        ("get", f"{base}/artifacts"),
        ("get", f"{base}/artifacts/note.txt"),
        ("get", f"{base}/artifacts/note.txt/versions/0"),
        ("get", f"{base}/artifacts/note.txt/versions/metadata"),
        ("delete", base),
        ("delete", f"{base}/artifacts/note.txt"),
        ("get", "/apps/saver/users/alice/sessions"),
        ("get", "/apps/saver/users/alice/memory?query=secret"),
    ]
    for method, path in crafted:
        response = secured.request(method, path, headers=bob)
        assert response.status_code == 403, (method, path, response.text)
        assert "secret" not in response.text
    for route in ("/run", "/run_sse"):
        stolen = secured.post(
            route,
            json={
                "appName": "saver",
                "userId": "alice",
                "sessionId": "private",
                "newMessage": h.message("x"),
            },
            headers=bob,
        )
        assert stolen.status_code == 403
    # Bob's own space works and does not show Alice's session.
    assert secured.get("/apps/saver/users/bob/sessions", headers=bob).json() == []
    # Nothing Bob tried changed Alice's data.
    kept = secured.get(base, headers=alice).json()
    assert len(kept["events"]) == 2
    assert secured.get(f"{base}/artifacts", headers=alice).json() == ["note.txt"]


def test_websocket_auth(secured):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as refused:
        with secured.websocket_connect(f"/run_live?user_id=alice&session_id=s&token={BOB}") as ws:
            ws.receive_text()
    assert refused.value.code == 1008


def test_bad_tokens_file_is_refused(make_app, tmp_path):
    from runners_core.errors import ConfigError

    short = tmp_path / "short.json"
    short.write_text('{"abc": "alice"}')
    with pytest.raises(ConfigError, match="shorter than 16") as caught:
        make_app("echo", auth_tokens_file=str(short))
    assert "abc" not in str(caught.value)
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        make_app("echo", auth_tokens_file=str(broken))


def test_cors_origins(make_app):
    with TestClient(make_app("echo", cors_origins=["https://ui.example"])) as client:
        allowed = client.options(
            "/list-apps",
            headers={"Origin": "https://ui.example", "Access-Control-Request-Method": "GET"},
        )
        assert allowed.headers["access-control-allow-origin"] == "https://ui.example"
        other = client.get("/list-apps", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_body_size_limit(make_app, h):
    with TestClient(make_app("echo", max_body_bytes=2000)) as client:
        h.create_session(client, "echo", "u1", "s1")
        big = {
            "appName": "echo",
            "userId": "u1",
            "sessionId": "s1",
            "newMessage": h.message("x" * 5000),
        }
        refused = client.post("/run", json=big)
        assert refused.status_code == 413 and "2000" in refused.json()["detail"]

        def chunks():
            yield b'{"appName": "echo", "userId": "u1", "sessionId": "s1", "state": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}'

        chunked = client.post(
            "/run", content=chunks(), headers={"content-type": "application/json"}
        )
        assert chunked.status_code == 413
        assert client.get("/apps/echo/users/u1/sessions/s1").json()["events"] == []
