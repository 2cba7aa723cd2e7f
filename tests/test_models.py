"""Models, state scopes, identifiers and the cross-loop session lock."""

from __future__ import annotations

import asyncio
import threading

import pytest

from runners_core import Blob, Content, Event, EventActions, Part, State
from runners_core.errors import ValidationError
from runners_core.identifiers import validate_artifact_name, validate_id
from runners_core.sessions.locks import KeyedLock
from runners_core.sessions.state import merge_state, split_state_delta


def test_every_part_kind_round_trips_through_json():
    content = Content(
        role="model",
        parts=[
            Part(text="héllo ✓"),
            Part.from_bytes(b"\x00\xffbin", "application/octet-stream"),
            Part.from_uri("gs://bucket/file.pdf", "application/pdf"),
            Part.from_function_call("lookup", {"q": "x"}, id="c1"),
            Part.from_function_response("lookup", {"answer": 42}, id="c1"),
        ],
    )
    event = Event(author="a", invocation_id="i", content=content)
    again = Event.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.content.parts[1].inline_data.data == b"\x00\xffbin"


def test_is_final_response():
    text = Event(author="a", content=Content.from_text("hi", role="model"))
    assert text.is_final_response()
    assert not text.model_copy(update={"partial": True}).is_final_response()
    call = Event(author="a", content=Content(parts=[Part.from_function_call("f", {})]))
    assert not call.is_final_response()
    skip = call.model_copy(update={"actions": EventActions(skip_summarization=True)})
    assert skip.is_final_response()


def test_blob_rejects_bad_base64():
    with pytest.raises(ValueError):
        Blob(data="not base64!!", mime_type="x/y")


def test_state_scopes_split_and_merge():
    scoped = split_state_delta({"app:a": 1, "user:b": 2, "temp:c": 3, "d": 4})
    assert scoped.app == {"a": 1} and scoped.user == {"b": 2} and scoped.session == {"d": 4}
    assert merge_state({"d": 4}, {"a": 1}, {"b": 2}) == {"d": 4, "app:a": 1, "user:b": 2}


def test_state_view_records_a_delta():
    value = {"x": 1}
    delta: dict = {}
    state = State(value, delta)
    state["y"] = 2
    state["x"] = 5
    assert state["x"] == 5 and value == {"x": 1} and delta == {"y": 2, "x": 5}
    assert sorted(state) == ["x", "y"] and len(state) == 2
    assert state.to_dict() == {"x": 5, "y": 2}


@pytest.mark.parametrize("bad", ["", "a b", "../x", "x/y", "-x", "a" * 300, None, 5])
def test_bad_identifiers(bad):
    with pytest.raises(ValidationError):
        validate_id("user_id", bad)


@pytest.mark.parametrize("good", ["u1", "user@example.com", "a.b-c_d:e+f=g"])
def test_good_identifiers(good):
    assert validate_id("user_id", good) == good


@pytest.mark.parametrize(
    "bad", ["../etc/passwd", "/abs", "a/../b", "a\\b", "a\x00b", "", "user:../x", "C:/x", "a//b"]
)
def test_artifact_names_cannot_escape(bad):
    with pytest.raises(ValidationError):
        validate_artifact_name(bad)


@pytest.mark.parametrize("good", ["report.pdf", "user:profile.png", "dir/sub/file.txt"])
def test_artifact_names_allowed(good):
    assert validate_artifact_name(good) == good


async def test_keyed_lock_is_fifo_and_times_out():
    lock = KeyedLock()
    order = []

    async def worker(n):
        async with lock.hold("k") as ok:
            assert ok
            order.append(n)
            await asyncio.sleep(0.001)

    assert await lock.acquire("k")
    tasks = [asyncio.create_task(worker(n)) for n in range(5)]
    await asyncio.sleep(0.01)
    assert not await lock.acquire("k", timeout=0)
    assert not await lock.acquire("k", timeout=0.01)
    lock.release("k")
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert not lock.locked("k") and lock._waiters == {}


def test_keyed_lock_across_threads_and_loops():
    lock = KeyedLock()
    inside = 0
    overlaps = []

    async def critical():
        nonlocal inside
        for _ in range(20):
            async with lock.hold("k"):
                inside += 1
                overlaps.append(inside)
                await asyncio.sleep(0)
                inside -= 1

    threads = [threading.Thread(target=asyncio.run, args=(critical(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(overlaps) == 80 and max(overlaps) == 1


async def test_cancelled_waiter_does_not_keep_the_lock():
    lock = KeyedLock()
    assert await lock.acquire("k")
    waiter = asyncio.create_task(lock.acquire("k"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    lock.release("k")
    assert not lock.locked("k")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bob:hunter2@db:5432/x", "postgresql://bob:***@db:5432/x"),
        ("redis://:s3cret@host:notaport/0", "redis://:***@host:notaport/0"),
        ("sqlite:///.runners/s.db", "sqlite:///.runners/s.db"),
    ],
)
def test_redact_url_hides_passwords_and_never_raises(url, shown):
    from runners_core.plugins.urls import redact_url

    assert redact_url(url) == shown


def test_an_event_built_without_author_defaults_it_as_adk_does():
    event = Event(invocation_id="i", content=Content.from_text("hi", role="model"))
    assert event.author == ""
    assert Event.model_validate({"invocationId": "i"}).author == ""
