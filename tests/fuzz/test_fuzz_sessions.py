"""Properties of every session backend's public API on generated input.

* a write either succeeds and reads back equal, or raises a runners-core error naming
  the input and leaves storage as it was;
* two different (app, user, session) triples never see each other's data;
* a page token, whatever its content, gives a page or a ValidationError.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from fuzz_backends import Backend
from fuzz_strategies import (
    equal_json,
    identifiers,
    mentions,
    page_tokens,
    state_keys,
    state_values,
    texts,
    timestamps,
    valid_identifiers,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from runners_core.errors import RunnersError, SessionExistsError, ValidationError
from runners_core.events import Event
from runners_core.sessions.session import Session
from runners_core.testing.builders import state_event, user_event


def _fresh(backend: Backend) -> Session:
    assert backend.sessions is not None
    return backend.run(
        backend.sessions.create_session(
            app_name="app-" + secrets.token_hex(4), user_id="u", session_id="s"
        )
    )


def _reload(backend: Backend, session: Session) -> Session:
    assert backend.sessions is not None
    loaded = backend.run(
        backend.sessions.get_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
    )
    assert loaded is not None
    return loaded


def _snapshot(session: Session) -> tuple[dict[str, Any], list[str]]:
    return dict(session.state), [event.id for event in session.events]


@given(app_name=identifiers(), user_id=identifiers(), session_id=identifiers())
def test_identifiers_round_trip_or_are_refused_naming_the_field(
    sessions_backend: Backend, app_name: str, user_id: str, session_id: str
) -> None:
    assume(session_id != "")  # an empty session_id asks create_session for a fresh one
    service = sessions_backend.sessions
    assert service is not None
    key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
    try:
        created = sessions_backend.run(service.create_session(**key, state={"k": 1}))
    except SessionExistsError:
        raise AssertionError(f"{key} exists although every example deletes it") from None
    except RunnersError as exc:
        assert isinstance(exc, ValidationError), f"{type(exc).__name__}: {exc}"
        assert any(field in str(exc) for field in key), f"the error names no field: {exc}"
        return
    try:
        assert (created.app_name, created.user_id, created.id) == (app_name, user_id, session_id)
        loaded = sessions_backend.run(service.get_session(**key))
        assert loaded is not None and loaded.state == {"k": 1}
        assert (loaded.app_name, loaded.user_id, loaded.id) == (app_name, user_id, session_id)
        listed = sessions_backend.run(service.list_sessions(app_name=app_name, user_id=user_id))
        assert [s.id for s in listed.sessions] == [session_id]
    finally:
        sessions_backend.run(service.delete_session(**key))


@given(first=st.tuples(*[valid_identifiers()] * 3), second=st.tuples(*[valid_identifiers()] * 3))
def test_different_triples_never_meet(
    sessions_backend: Backend, first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    assume(first != second)
    service = sessions_backend.sessions
    assert service is not None
    nonce = secrets.token_hex(4)
    sessions = []
    try:
        for n, (app, user, sid) in enumerate((first, second), start=1):
            session = sessions_backend.run(
                service.create_session(app_name=app, user_id=user, session_id=sid)
            )
            sessions.append(session)
            mark = f"{nonce}-{n}"
            delta = {"own": mark, "user:mark": mark, "app:mark": mark}
            sessions_backend.run(service.append_event(session, state_event(delta)))
        one, two = (_reload(sessions_backend, s) for s in sessions)
        assert one.state["own"] == f"{nonce}-1" and two.state["own"] == f"{nonce}-2"
        same_user = first[:2] == second[:2]
        same_app = first[0] == second[0]
        assert one.state["user:mark"] == f"{nonce}-{2 if same_user else 1}"
        assert one.state["app:mark"] == f"{nonce}-{2 if same_app else 1}"
        assert [e.id for e in one.events] != [e.id for e in two.events]
        listed = sessions_backend.run(service.list_sessions(app_name=first[0], user_id=first[1]))
        assert first[2] in [s.id for s in listed.sessions]
        if same_user:
            assert {s.id for s in listed.sessions} == {first[2], second[2]}
        else:
            assert [s.id for s in listed.sessions] == [first[2]]
    finally:
        for session in sessions:
            sessions_backend.run(
                service.delete_session(
                    app_name=session.app_name, user_id=session.user_id, session_id=session.id
                )
            )


@given(key=state_keys(), value=state_values())
def test_a_state_write_reads_back_equal_or_is_refused_naming_the_key(
    sessions_backend: Backend, key: str, value: Any
) -> None:
    service = sessions_backend.sessions
    assert service is not None
    session = _fresh(sessions_backend)
    sessions_backend.run(service.append_event(session, state_event({"before": 1})))
    before = _snapshot(_reload(sessions_backend, session))
    try:
        sessions_backend.run(service.append_event(session, state_event({key: value})))
    except RunnersError as exc:
        assert isinstance(exc, ValidationError), f"{type(exc).__name__}: {exc}"
        assert mentions(str(exc), key) or key in ("", "app:", "user:", "temp:"), (
            f"the error does not name the key {key!r}: {exc}"
        )
        assert _snapshot(_reload(sessions_backend, session)) == before, "a refused write stored"
        return
    loaded = _reload(sessions_backend, session)
    if key.startswith("temp:"):
        assert key not in loaded.state, "a temp: key was stored"
    else:
        assert key in loaded.state, f"{key!r} was accepted but not stored"
        assert equal_json(loaded.state[key], value), (
            f"{key!r} stored {value!r} but reads back {loaded.state[key]!r}"
        )
    assert len(loaded.events) == len(before[1]) + 1


@given(
    text=texts(),
    timestamp=timestamps(),
    metadata=st.dictionaries(st.text(max_size=5), state_values(), max_size=2),
)
def test_an_event_reads_back_equal_or_is_refused_naming_the_field(
    sessions_backend: Backend, text: str, timestamp: float, metadata: dict[str, Any]
) -> None:
    service = sessions_backend.sessions
    assert service is not None
    session = _fresh(sessions_backend)
    before = _snapshot(_reload(sessions_backend, session))
    try:
        event = user_event(text, timestamp=timestamp, custom_metadata=metadata)
    except Exception as exc:  # the model itself may refuse it: then nothing is stored anyway
        assert isinstance(exc, ValueError), f"{type(exc).__name__}: {exc}"
        return
    try:
        sessions_backend.run(service.append_event(session, event))
    except RunnersError as exc:
        assert isinstance(exc, ValidationError), f"{type(exc).__name__}: {exc}"
        assert any(f in str(exc) for f in ("timestamp", "content", "custom_metadata")), (
            f"the error names no field: {exc}"
        )
        assert _snapshot(_reload(sessions_backend, session)) == before, "a refused event stored"
        return
    assert math.isfinite(timestamp), f"timestamp {timestamp} was accepted"
    (stored,) = _reload(sessions_backend, session).events
    assert _same_event(stored, event)


def _same_event(stored: Event, given_event: Event) -> bool:
    a = stored.model_dump(mode="json", exclude_none=True)
    b = given_event.model_dump(mode="json", exclude_none=True)
    return bool(a == b)


@given(token=page_tokens())
def test_any_page_token_gives_a_page_or_a_validation_error(
    sessions_backend: Backend, token: str
) -> None:
    service = sessions_backend.sessions
    assert service is not None
    session = _fresh(sessions_backend)
    key = {"app_name": session.app_name, "user_id": "u", "session_id": "s"}
    calls = (
        lambda: service.list_sessions(app_name=session.app_name, page_token=token),
        lambda: service.list_sessions(app_name=session.app_name, user_id="u", page_token=token),
        lambda: service.list_events(**key, page_token=token),
    )
    for call in calls:
        try:
            sessions_backend.run(call())
        except ValidationError as exc:
            assert "page_token" in str(exc)
