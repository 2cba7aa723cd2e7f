"""The ADK-compatible API in-process: shapes, status codes, sessions, artifacts, runs."""

from __future__ import annotations

import base64


def test_meta_routes(client):
    assert client.get("/health").json() == {"status": "ok"}
    version = client.get("/version").json()
    assert version["language"] == "python" and version["version"]
    assert client.get("/list-apps").json() == ["echo", "failing", "saver"]
    detailed = client.get("/list-apps", params={"detailed": True}).json()
    assert [a["name"] for a in detailed["apps"]] == ["echo", "failing", "saver"]
    assert detailed["apps"][0]["rootAgentName"] == "echo"


def test_session_crud_in_adk_shape(client, h):
    created = h.create_session(client, "echo", "u1", "s1", state={"k": 1, "user:lang": "fr"})
    assert created == {
        "id": "s1",
        "appName": "echo",
        "userId": "u1",
        "state": {"k": 1, "user:lang": "fr"},
        "events": [],
        "lastUpdateTime": created["lastUpdateTime"],
    }
    duplicate = client.post("/apps/echo/users/u1/sessions", json={"sessionId": "s1"})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["detail"]

    fresh = client.post("/apps/echo/users/u1/sessions")
    assert fresh.status_code == 200 and fresh.json()["id"] != "s1"
    listed = client.get("/apps/echo/users/u1/sessions").json()
    assert sorted(s["id"] for s in listed) == sorted(["s1", fresh.json()["id"]])

    patched = client.patch("/apps/echo/users/u1/sessions/s1", json={"stateDelta": {"k": 2}})
    assert patched.status_code == 200
    assert patched.json()["state"]["k"] == 2
    session = client.get("/apps/echo/users/u1/sessions/s1").json()
    assert session["state"]["k"] == 2
    assert session["events"][-1]["author"] == "user"
    assert session["events"][-1]["actions"]["stateDelta"] == {"k": 2}

    assert client.delete("/apps/echo/users/u1/sessions/s1").status_code == 200
    missing = client.get("/apps/echo/users/u1/sessions/s1")
    assert missing.status_code == 404 and "not found" in missing.json()["detail"].lower()
    assert (
        client.patch("/apps/echo/users/u1/sessions/s1", json={"stateDelta": {}}).status_code == 404
    )


def test_sessions_of_one_user_only(client, h):
    h.create_session(client, "echo", "u1", "mine")
    h.create_session(client, "echo", "u2", "theirs")
    assert [s["id"] for s in client.get("/apps/echo/users/u1/sessions").json()] == ["mine"]


def test_session_list_and_events_are_paged(client, h):
    for index in range(5):
        h.create_session(client, "echo", "u1", f"s{index}")
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 2, **({"pageToken": token} if token else {})}
        response = client.get("/apps/echo/users/u1/sessions", params=params)
        assert isinstance(response.json(), list)
        seen += [s["id"] for s in response.json()]
        pages += 1
        token = response.headers.get("X-Next-Page-Token")
        if not token:
            break
    assert seen == [f"s{i}" for i in range(5)] and pages == 3

    for index in range(3):
        run = client.post(
            "/run",
            json={
                "appName": "echo",
                "userId": "u1",
                "sessionId": "s0",
                "newMessage": h.message(f"m{index}"),
            },
        )
        assert run.status_code == 200
    first = client.get("/apps/echo/users/u1/sessions/s0/events", params={"pageSize": 4})
    assert len(first.json()) == 4
    rest = client.get(
        "/apps/echo/users/u1/sessions/s0/events",
        params={"pageSize": 4, "pageToken": first.headers["X-Next-Page-Token"]},
    )
    assert "X-Next-Page-Token" not in rest.headers
    texts = [e["content"]["parts"][0]["text"] for e in first.json() + rest.json()]
    assert texts == ["m0", "echo: m0", "m1", "echo: m1", "m2", "echo: m2"]
    recent = client.get("/apps/echo/users/u1/sessions/s0", params={"numRecentEvents": 2}).json()
    assert [e["content"]["parts"][0]["text"] for e in recent["events"]] == ["m2", "echo: m2"]
    bad = client.get("/apps/echo/users/u1/sessions", params={"pageSize": 2, "pageToken": "nope"})
    assert bad.status_code == 400 and "page_token" in bad.json()["detail"]


def test_run_returns_agent_events_only_and_stores_state_delta(client, h):
    h.create_session(client, "echo", "u1", "s1")
    response = client.post(
        "/run",
        json={
            "appName": "echo",
            "userId": "u1",
            "sessionId": "s1",
            "newMessage": h.message("hi"),
            "stateDelta": {"mood": "good"},
        },
    )
    assert response.status_code == 200
    events = response.json()
    assert [e["author"] for e in events] == ["echo"]
    event = events[0]
    assert event["content"] == {"role": "model", "parts": [{"text": "echo: hi"}]}
    assert event["invocationId"] and "partial" not in event and "branch" not in event
    assert event["actions"]["stateDelta"] == {"echoes": 1}
    stored = client.get("/apps/echo/users/u1/sessions/s1").json()
    assert stored["events"][0]["author"] == "user"
    assert stored["events"][0]["actions"]["stateDelta"] == {"mood": "good"}
    assert stored["state"] == {"mood": "good", "echoes": 1}


def test_run_errors(client, h):
    bad = client.post("/run", json={"appName": "echo", "sessionId": "s1"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "userId"]
    missing = client.post("/run", json={"appName": "echo", "userId": "u1", "sessionId": "nope"})
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    unknown = client.post("/run", json={"appName": "ghost", "userId": "u1", "sessionId": "s"})
    assert unknown.status_code == 404 and "ghost" in unknown.json()["detail"]
    no_app = client.post("/run", json={"userId": "u1", "sessionId": "s"})
    assert no_app.status_code == 422 and no_app.json()["detail"][0]["loc"] == ["body", "appName"]
    h.create_session(client, "echo", "u1", "s1")
    bad_id = client.post(
        "/run",
        json={"appName": "echo", "userId": "u1", "sessionId": "s1", "invocationId": "../x"},
    )
    assert bad_id.status_code == 400 and "invocation_id" in bad_id.json()["detail"]
    bad_part = client.post(
        "/run",
        json={
            "appName": "echo",
            "userId": "u1",
            "sessionId": "s1",
            "newMessage": {"parts": [{"inlineData": {"data": "%%%"}}]},
        },
    )
    assert bad_part.status_code == 422
    assert bad_part.json()["detail"][0]["loc"][:2] == ["body", "newMessage"]
    assert client.get("/apps/echo/users/u1/sessions/s1").json()["events"] == []


def test_run_sse_streams_partials_when_asked(client, h):
    h.create_session(client, "echo", "u1", "s1")
    body = {"appName": "echo", "userId": "u1", "sessionId": "s1", "newMessage": h.message("a b")}
    plain = client.post("/run_sse", json=body)
    assert plain.headers["content-type"].startswith("text/event-stream")
    assert [f.get("partial") for f in h.sse_frames(plain.text)] == [None]
    streamed = h.sse_frames(client.post("/run_sse", json={**body, "streaming": True}).text)
    assert [f.get("partial") for f in streamed] == [True, True, True, None]
    assert "".join(f["content"]["parts"][0]["text"] for f in streamed[:3]) == "echo: a b "
    stored = client.get("/apps/echo/users/u1/sessions/s1").json()["events"]
    assert len(stored) == 4  # partials are never stored


def test_run_sse_splits_content_and_artifact_delta(client, h):
    h.create_session(client, "saver", "u1", "s1")
    body = {"appName": "saver", "userId": "u1", "sessionId": "s1", "newMessage": h.message("x")}
    frames = h.sse_frames(client.post("/run_sse", json=body).text)
    assert len(frames) == 2 and frames[0]["id"] == frames[1]["id"]
    assert frames[0]["content"]["parts"][0]["text"] == "saved version 0"
    assert frames[0]["actions"]["artifactDelta"] == {}
    assert "content" not in frames[1]
    assert frames[1]["actions"]["artifactDelta"] == {"note.txt": 0}


def test_run_sse_error_frame_keeps_what_was_stored(client, h):
    h.create_session(client, "failing", "u1", "s1")
    body = {"appName": "failing", "userId": "u1", "sessionId": "s1", "newMessage": h.message("x")}
    frames = h.sse_frames(client.post("/run_sse", json=body).text)
    assert frames[0]["content"]["parts"][0]["text"] == "about to fail"
    assert frames[-1] == {"error": "RuntimeError: the agent broke"}
    stored = client.get("/apps/failing/users/u1/sessions/s1").json()["events"]
    assert [e["author"] for e in stored] == ["user", "failing"]


def test_idempotent_run_by_invocation_id(client, h):
    h.create_session(client, "echo", "u1", "s1")
    body = {
        "appName": "echo",
        "userId": "u1",
        "sessionId": "s1",
        "newMessage": h.message("once"),
        "invocationId": "inv-1",
    }
    first = client.post("/run", json=body)
    again = client.post("/run", json=body)
    assert first.status_code == again.status_code == 200
    assert "X-Runners-Replayed" not in first.headers
    assert again.headers["X-Runners-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()[0]["invocationId"] == "inv-1"
    replayed = h.sse_frames(client.post("/run_sse", json=body).text)
    assert replayed == first.json()
    stored = client.get("/apps/echo/users/u1/sessions/s1").json()
    assert len(stored["events"]) == 2 and stored["state"]["echoes"] == 1


def test_artifacts_routes(client, h):
    h.create_session(client, "saver", "u1", "s1")
    base = "/apps/saver/users/u1/sessions/s1/artifacts"
    raw = b"\xff\xfe binary \x00"
    saved = client.post(
        base,
        json={
            "filename": "docs/pic.bin",
            "artifact": {
                "inlineData": {
                    "mimeType": "application/octet-stream",
                    "data": base64.urlsafe_b64encode(raw).decode(),
                }
            },
            "customMetadata": {"by": "test"},
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 0 and saved.json()["customMetadata"] == {"by": "test"}
    assert saved.json()["mimeType"] == "application/octet-stream"
    client.post(base, json={"filename": "docs/pic.bin", "artifact": {"text": "v1"}})
    client.post(base, json={"filename": "user:profile", "artifact": {"text": "me"}})

    assert client.get(base).json() == ["docs/pic.bin", "user:profile"]
    assert client.get(f"{base}/docs/pic.bin/versions").json() == [0, 1]
    meta = client.get(f"{base}/docs/pic.bin/versions/metadata").json()
    assert [m["version"] for m in meta] == [0, 1] and "canonicalUri" in meta[0]
    assert client.get(f"{base}/docs/pic.bin/versions/0/metadata").json()["version"] == 0
    assert client.get(f"{base}/docs/pic.bin/versions/latest/metadata").json()["version"] == 1
    assert client.get(f"{base}/docs/pic.bin/versions/9/metadata").status_code == 404
    assert client.get(f"{base}/docs/pic.bin/versions/x/metadata").status_code == 422
    first = client.get(f"{base}/docs/pic.bin/versions/0").json()
    assert base64.urlsafe_b64decode(first["inlineData"]["data"]) == raw
    assert client.get(f"{base}/docs/pic.bin").json() == {"text": "v1"}
    assert client.get(f"{base}/docs/pic.bin", params={"version": 0}).json() == first
    assert client.get(f"{base}/nothing").status_code == 404

    escape = client.post(base, json={"filename": "../../etc/passwd", "artifact": {"text": "x"}})
    assert escape.status_code == 400 and ".." in escape.json()["detail"]
    assert client.delete(f"{base}/docs/pic.bin").status_code == 200
    assert client.get(base).json() == ["user:profile"]
    # user: artifacts are shared by the user's sessions
    h.create_session(client, "saver", "u1", "s2")
    other = "/apps/saver/users/u1/sessions/s2/artifacts"
    assert client.get(f"{other}/user:profile").json() == {"text": "me"}


def test_memory_routes(client, h):
    h.create_session(client, "echo", "u1", "s1")
    client.post(
        "/run",
        json={
            "appName": "echo",
            "userId": "u1",
            "sessionId": "s1",
            "newMessage": h.message("zebras are striped"),
        },
    )
    added = client.patch("/apps/echo/users/u1/memory", json={"sessionId": "s1"})
    assert added.status_code == 200
    found = client.get("/apps/echo/users/u1/memory", params={"query": "zebras"}).json()
    assert any("zebras" in m["content"]["parts"][0]["text"] for m in found["memories"])
    assert client.patch("/apps/echo/users/u1/memory", json={"sessionId": "nope"}).status_code == 404


def test_openapi_documents_the_extras(client):
    schema = client.get("/openapi.json").json()
    run_body = schema["components"]["schemas"]["RunAgentRequest"]["properties"]
    for field in (
        "appName",
        "userId",
        "sessionId",
        "newMessage",
        "sessionBusy",
        "busyTimeout",
        "invocationId",
        "stateDelta",
    ):
        assert field in run_body
    events_route = "/apps/{app_name}/users/{user_id}/sessions/{session_id}/events"
    params = {p["name"] for p in schema["paths"][events_route]["get"]["parameters"]}
    assert {"pageSize", "pageToken"} <= params
    assert "X-Next-Page-Token" in schema["info"]["description"]


def test_backend_down_is_503_with_retry_advice(make_app, h):
    from fastapi.testclient import TestClient

    dead = f"redis://127.0.0.1:{h.free_port()}/0"  # nothing listens there
    with TestClient(make_app("echo", session_service=dead)) as client:
        response = client.post("/apps/echo/users/u1/sessions", json={"sessionId": "s1"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        detail = response.json()["detail"]
        assert "retry in 5s" in detail and "127.0.0.1" in detail
        run = client.post(
            "/run",
            json={
                "appName": "echo",
                "userId": "u1",
                "sessionId": "s1",
                "newMessage": h.message("hi"),
            },
        )
        assert run.status_code == 503


def test_unknown_app_is_404_naming_it_on_every_route(client, h):
    """docs/serve.md: "Unknown apps are 404 on every route" (ADK accepts any app name)."""
    from test_server_isolation import body_for, concrete, http_routes

    checked = 0
    for method, template in http_routes(client):
        if "{app_name}" not in template:
            continue
        path = concrete(template).replace("/apps/saver/", "/apps/ghost/")
        if template.endswith("/memory") and method == "GET":
            path += "?query=x"
        response = client.request(method, path, json=body_for(method, template, h))
        assert response.status_code == 404, (method, path, response.text)
        assert "'ghost' is not served here" in response.json()["detail"], (method, path)
        checked += 1
    assert checked == 17
    assert (
        client.get("/apps/ghost/users/alice/sessions")
        .json()["detail"]
        .endswith("served apps: echo, failing, saver (GET /list-apps)")
    )


def test_bytes_read_in_both_base64_alphabets_and_written_url_safe(client, h):
    h.create_session(client, "saver", "u1", "s1")
    base = "/apps/saver/users/u1/sessions/s1/artifacts"
    raw = bytes([0xFB, 0xFF, 0xBF, 0x3E, 0x3F]) * 3  # '+' and '/' in standard base64
    standard = base64.b64encode(raw).decode()
    assert "+" in standard and "/" in standard
    for name, data in (("std.bin", standard), ("url.bin", base64.urlsafe_b64encode(raw).decode())):
        saved = client.post(
            base,
            json={"filename": name, "artifact": {"inlineData": {"mimeType": "x/y", "data": data}}},
        )
        assert saved.status_code == 200, saved.text
        written = client.get(f"{base}/{name}").json()["inlineData"]["data"]
        assert "+" not in written and "/" not in written
        assert base64.urlsafe_b64decode(written) == raw


def test_adk_fields_we_do_not_use_are_accepted(client, h):
    """``serviceTier``, session ``options``, ``functionCallEventId``, ``customMetadata``."""
    created = client.post(
        "/apps/echo/users/u1/sessions", json={"sessionId": "s1", "options": {"any": 1}}
    )
    assert created.status_code == 200, created.text
    run = client.post(
        "/run",
        json={
            "appName": "echo",
            "userId": "u1",
            "sessionId": "s1",
            "newMessage": h.message("hi"),
            "serviceTier": "priority",
            "customMetadata": {"trace": "t1"},
        },
    )
    assert run.status_code == 200 and run.json()[-1]["content"]["parts"][0]["text"] == "echo: hi"


def test_after_timestamp_limits_the_loaded_events(client, h):
    h.create_session(client, "echo", "u1", "s1")
    for text in ("one", "two"):
        client.post(
            "/run",
            json={
                "appName": "echo",
                "userId": "u1",
                "sessionId": "s1",
                "newMessage": h.message(text),
            },
        )
    events = client.get("/apps/echo/users/u1/sessions/s1").json()["events"]
    cut = events[2]["timestamp"]
    later = client.get("/apps/echo/users/u1/sessions/s1", params={"afterTimestamp": cut}).json()[
        "events"
    ]
    assert [e["id"] for e in later] == [e["id"] for e in events if e["timestamp"] >= cut]
    assert 0 < len(later) < len(events)


def test_default_body_limit_is_32_mib(client, h):
    from runners_server import ServerSettings

    assert ServerSettings().max_body_bytes == 32 * 1024 * 1024
    h.create_session(client, "echo", "u1", "s1")
    over = (
        b'{"appName": "echo", "userId": "u1", "sessionId": "s1", "x": "'
        + b"y" * (32 * 1024 * 1024)
        + b'"}'
    )
    refused = client.post("/run", content=over, headers={"content-type": "application/json"})
    assert refused.status_code == 413 and str(32 * 1024 * 1024) in refused.json()["detail"]


def test_session_list_carries_no_events_and_no_cors_headers_by_default(client, h):
    h.create_session(client, "echo", "u1", "s1")
    client.post(
        "/run",
        json={"appName": "echo", "userId": "u1", "sessionId": "s1", "newMessage": h.message("hi")},
    )
    assert len(client.get("/apps/echo/users/u1/sessions/s1").json()["events"]) == 2
    listed = client.get("/apps/echo/users/u1/sessions")
    assert [s.get("events") for s in listed.json()] == [[]], listed.json()
    preflight = client.options(
        "/list-apps",
        headers={"Origin": "https://ui.example", "Access-Control-Request-Method": "GET"},
    )
    simple = client.get("/list-apps", headers={"Origin": "https://ui.example"})
    for response in (preflight, simple):
        assert not any(k.lower().startswith("access-control-") for k in response.headers)
