"""Isolation between users and between apps, on every route (docs/serve.md, "Auth").

The routes are enumerated from the application itself, so a route added later is
checked too: with auth on, every route under ``/apps/{app}/users/{user}`` answers
403 to another user's token and 401 without one, and nothing another user sends
changes the owner's data. With auth off, the user and the app in the path still
scope everything: one user's (or app's) session id, artifacts and memories are
invisible under another user (or app), on one shared SQLite store per kind.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

ALICE, BOB = "alice-token-0123456789abcdef", "bob-token-0123456789abcdefgh"
OPEN = {"/health", "/version", "/", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
VALUES = {
    "{app_name}": "saver",
    "{user_id}": "alice",
    "{session_id}": "private",
    "{artifact_name}": "note.txt",
    "{version_id}": "0",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def concrete(template: str) -> str:
    for name, value in VALUES.items():
        template = template.replace(name, value)
    assert "{" not in template, f"no test value for a parameter of {template}"
    return template


def body_for(method: str, template: str, h: Any) -> dict[str, Any] | None:
    """A valid body for each route that takes one (so only the auth check can refuse it)."""
    if method == "POST" and template.endswith("/sessions"):
        return {"sessionId": "planted", "state": {"x": 1}}
    if method == "POST" and template.endswith("/sessions/{session_id}"):
        return {"x": 1}
    if method == "PATCH" and template.endswith("/sessions/{session_id}"):
        return {"stateDelta": {"hijacked": True}}
    if method == "POST" and template.endswith("/artifacts"):
        return {"filename": "note.txt", "artifact": {"text": "forged"}}
    if method == "PATCH" and template.endswith("/memory"):
        return {"sessionId": "private"}
    if template in ("/run", "/run_sse"):
        return {
            "appName": "saver",
            "userId": "alice",
            "sessionId": "private",
            "newMessage": h.message("forged"),
        }
    assert method in ("GET", "DELETE"), f"no test body for {method} {template}"
    return None


def http_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every HTTP route the server documents, from its own OpenAPI schema."""
    paths = client.get("/openapi.json").json()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


@pytest.fixture
def secured(make_app, tokens_file):
    with TestClient(make_app("saver", "echo", auth_tokens_file=tokens_file)) as client:
        yield client


def alice_data(client: TestClient, h: Any) -> dict[str, Any]:
    """Alice's session, artifacts and memory in app 'saver', as Alice sees them."""
    alice = bearer(ALICE)
    base = "/apps/saver/users/alice/sessions/private"
    session = client.get(base, headers=alice).json()
    return {
        "sessions": [
            s["id"] for s in client.get("/apps/saver/users/alice/sessions", headers=alice).json()
        ],
        "events": [e["id"] for e in session["events"]],
        "state": session["state"],
        "artifacts": client.get(f"{base}/artifacts", headers=alice).json(),
        "note": client.get(f"{base}/artifacts/note.txt", headers=alice).json(),
        "versions": client.get(f"{base}/artifacts/note.txt/versions", headers=alice).json(),
        "memory": client.get("/apps/saver/users/alice/memory?query=secret", headers=alice).json(),
    }


def test_every_user_route_refuses_another_users_token(secured, h):
    alice = bearer(ALICE)
    base = "/apps/saver/users/alice/sessions/private"
    h_ok = secured.post(
        "/apps/saver/users/alice/sessions", json={"sessionId": "private"}, headers=alice
    )
    assert h_ok.status_code == 200
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
    assert run.status_code == 200, run.text
    remembered = secured.patch(
        "/apps/saver/users/alice/memory", json={"sessionId": "private"}, headers=alice
    )
    assert remembered.status_code == 200, remembered.text
    before = alice_data(secured, h)
    assert before["note"] == {"text": "secret plans"} and before["memory"]["memories"]

    checked = []
    for method, template in http_routes(secured):
        if "{user_id}" not in template and template not in ("/run", "/run_sse"):
            continue
        path = concrete(template)
        response = secured.request(
            method, path, json=body_for(method, template, h), headers=bearer(BOB)
        )
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert "alice" in response.json()["detail"] and "secret" not in response.text
        checked.append((method, template))
    # Every data route was reached: sessions (7), artifacts (8), memory (2), run (2).
    assert len(checked) == 19, checked
    assert alice_data(secured, h) == before
    assert secured.get(f"{base}/artifacts/note.txt/versions", headers=alice).json() == [0]

    # The live route: Bob's token on Alice's session is closed with 1008 before any run.
    from starlette.websockets import WebSocketDisconnect

    for query in (f"token={BOB}", ""):
        with pytest.raises(WebSocketDisconnect) as refused:
            with secured.websocket_connect(
                f"/run_live?app_name=saver&user_id=alice&session_id=private&{query}"
            ) as ws:
                ws.send_text('{"content": {"role": "user", "parts": [{"text": "forged"}]}}')
                ws.receive_text()
        assert refused.value.code == 1008
    assert alice_data(secured, h) == before


def test_every_route_but_the_open_ones_needs_a_token(secured, h):
    checked = 0
    for method, template in http_routes(secured):
        if template in OPEN:
            continue
        path = concrete(template) if "{" in template else template
        body = body_for(method, template, h) if method in ("POST", "PATCH") else None
        for headers in ({}, bearer("x" * 40), {"Authorization": f"Basic {ALICE}"}):
            response = secured.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
        checked += 1
    assert checked == 20  # the 19 data routes and /list-apps
    for path in ("/health", "/version", "/ui/", "/"):
        assert secured.get(path, follow_redirects=False).status_code in (200, 307), path
    # A token for Alice reaches Alice's data.
    assert secured.get("/apps/saver/users/alice/sessions", headers=bearer(ALICE)).json() == []


@pytest.fixture
def shared_store(make_app, tmp_path):
    """Two apps on one SQLite database per kind, auth off (anyone may name any user)."""
    urls = {
        kind: f"sqlite:///{tmp_path / (kind + '.db')}"
        for kind in ("session_service", "memory_service", "artifact_service")
    }
    with TestClient(make_app("saver", "echo", **urls)) as client:
        yield client


def test_users_and_apps_scope_every_route_without_auth(shared_store, h):
    client = shared_store
    alice = "/apps/saver/users/alice"
    h.create_session(client, "saver", "alice", "s1")
    run = client.post(
        "/run",
        json={
            "appName": "saver",
            "userId": "alice",
            "sessionId": "s1",
            "newMessage": h.message("secret plans"),
        },
    )
    assert run.status_code == 200, run.text
    saved = client.post(
        f"{alice}/sessions/s1/artifacts",
        json={"filename": "user:profile.txt", "artifact": {"text": "secret profile"}},
    )
    assert saved.status_code == 200, saved.text
    assert client.patch(f"{alice}/memory", json={"sessionId": "s1"}).status_code == 200
    assert client.get(f"{alice}/memory?query=secret").json()["memories"]
    # Alice's `user:` artifact follows her into her other sessions of this app.
    h.create_session(client, "saver", "alice", "s2")
    assert client.get(f"{alice}/sessions/s2/artifacts").json() == ["user:profile.txt"]

    # Another user, and the same user in another app, see none of it.
    for other in ("/apps/saver/users/bob", "/apps/echo/users/alice"):
        assert client.get(f"{other}/sessions").json() == [], other
        missing = client.get(f"{other}/sessions/s1")
        assert missing.status_code == 404 and "s1" in missing.json()["detail"], other
        assert client.get(f"{other}/sessions/s1/events").status_code == 404, other
        assert client.get(f"{other}/sessions/s1/artifacts").json() == [], other
        for name in ("note.txt", "user:profile.txt"):
            assert client.get(f"{other}/sessions/s1/artifacts/{name}").status_code == 404
            assert client.get(f"{other}/sessions/s1/artifacts/{name}/versions").json() == []
            assert (
                client.get(f"{other}/sessions/s1/artifacts/{name}/versions/metadata").json() == []
            )
            assert client.get(f"{other}/sessions/s1/artifacts/{name}/versions/0").status_code == 404
        assert client.get(f"{other}/memory?query=secret").json() == {"memories": []}, other
        # Memory of a session that is not this user's (or app's) is a 404, not a copy.
        stolen = client.patch(f"{other}/memory", json={"sessionId": "s1"})
        assert stolen.status_code == 404, (other, stolen.text)
        assert client.get(f"{other}/memory?query=secret").json() == {"memories": []}, other
        # Naming the session in a run body does not reach it either.
        app_name = other.split("/")[2]
        user_id = other.split("/")[4]
        for route in ("/run", "/run_sse"):
            refused = client.post(
                route,
                json={
                    "appName": app_name,
                    "userId": user_id,
                    "sessionId": "s1",
                    "newMessage": h.message("x"),
                },
            )
            assert refused.status_code == 404, (route, other, refused.text)
        # The same session id is free for them, and starts empty.
        mine = h.create_session(client, app_name, user_id, "s1")
        assert mine["events"] == [] and mine["state"] == {}
        assert client.get(f"{other}/sessions/s1/artifacts").json() == []
        # Deleting theirs does not touch Alice's.
        assert client.delete(f"{other}/sessions/s1").status_code == 200
        assert client.delete(f"{other}/sessions/s1/artifacts/note.txt").status_code == 200

    kept = client.get(f"{alice}/sessions/s1").json()
    assert [e["author"] for e in kept["events"]] == ["user", "saver"]
    assert client.get(f"{alice}/sessions/s1/artifacts/note.txt").json() == {"text": "secret plans"}
    assert sorted(client.get(f"{alice}/sessions/s1/artifacts").json()) == [
        "note.txt",
        "user:profile.txt",
    ]


def test_an_invocation_id_replays_only_within_its_own_session(shared_store, h):
    """Reusing another user's (or app's) invocationId runs afresh: it never replays theirs."""
    client = shared_store
    for app, user in (("saver", "alice"), ("saver", "bob"), ("echo", "alice")):
        h.create_session(client, app, user, "s1")

    def run(app: str, user: str, text: str) -> tuple[list, dict]:
        response = client.post(
            "/run",
            json={
                "appName": app,
                "userId": user,
                "sessionId": "s1",
                "invocationId": "e-shared-id",
                "newMessage": h.message(text),
            },
        )
        assert response.status_code == 200, response.text
        return response.json(), response.headers

    first, _ = run("saver", "alice", "secret plans")
    again, headers = run("saver", "alice", "ignored")
    assert again == first and headers["X-Runners-Replayed"] == "true"
    for app, user in (("saver", "bob"), ("echo", "alice")):
        events, headers = run(app, user, "mine")
        assert "X-Runners-Replayed" not in headers
        assert "secret" not in json.dumps(events)
        assert [e["id"] for e in events] != [e["id"] for e in first]


def test_with_auth_a_user_cannot_write_app_wide_state(secured, h, make_app):
    """app: state is every user's: with auth on, client-supplied state may not set it."""
    alice, bob = bearer(ALICE), bearer(BOB)
    users = "/apps/echo/users"
    assert (
        secured.post(f"{users}/bob/sessions", json={"sessionId": "b1"}, headers=bob).status_code
        == 200
    )
    assert (
        secured.post(f"{users}/alice/sessions", json={"sessionId": "a1"}, headers=alice).status_code
        == 200
    )
    run = {"appName": "echo", "userId": "alice", "sessionId": "a1", "newMessage": h.message("x")}
    attempts = [
        ("post", f"{users}/alice/sessions", {"sessionId": "a2", "state": {"app:motd": "pwned"}}),
        ("post", f"{users}/alice/sessions/a3", {"app:motd": "pwned"}),
        ("patch", f"{users}/alice/sessions/a1", {"stateDelta": {"app:motd": "pwned"}}),
        ("post", "/run", {**run, "stateDelta": {"app:motd": "pwned"}}),
        ("post", "/run_sse", {**run, "stateDelta": {"x": 1, "app:motd": "pwned"}}),
    ]
    for method, path, body in attempts:
        refused = secured.request(method, path, json=body, headers=alice)
        assert refused.status_code == 403, (method, path, refused.text)
        assert (
            "'app:motd'" in refused.json()["detail"]
            and "drop the app: keys" in refused.json()["detail"]
        )
    bobs = secured.get(f"{users}/bob/sessions/b1", headers=bob).json()
    assert "app:motd" not in bobs["state"]
    assert [s["id"] for s in secured.get(f"{users}/alice/sessions", headers=alice).json()] == ["a1"]
    # Session and user: keys stay the user's own business.
    fine = secured.patch(
        f"{users}/alice/sessions/a1",
        json={"stateDelta": {"mood": "ok", "user:lang": "fr"}},
        headers=alice,
    )
    assert fine.status_code == 200 and fine.json()["state"]["user:lang"] == "fr"
    # Without auth the API stays ADK's: anyone may set app: state.
    with TestClient(make_app("echo")) as open_client:
        created = open_client.post(
            f"{users}/u1/sessions", json={"sessionId": "s", "state": {"app:motd": "hi"}}
        )
        assert created.status_code == 200 and created.json()["state"]["app:motd"] == "hi"
