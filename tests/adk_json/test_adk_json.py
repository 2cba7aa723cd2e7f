"""JSON that ADK 2.13 wrote loads into our models, and ours dumps as ADK writes it.

The fixtures were written by ADK itself (``make_fixtures.py``, run with ADK
installed); these tests need no google-adk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticValidationError

from runners_core import Blob, Content, Event, LiveRequest, Part, Session
from runners_core.live import ActivityEnd, ActivityStart
from runners_core.model_response import FinishReason, UsageMetadata
from runners_core.testing.every_field import ODD_BYTES, every_field_event

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def as_adk_json(event: Event) -> dict:
    return event.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_adk_camel_case_event_loads_with_every_field():
    loaded = Event.model_validate_json(fixture("event_every_field.camel.json"))
    assert loaded == every_field_event()
    assert loaded.content.parts[0].thought_signature == ODD_BYTES
    assert loaded.finish_reason is FinishReason.STOP
    assert loaded.usage_metadata.total_token_count == 20
    assert loaded.long_running_tool_ids == {"call-1", "call-2"}


def test_adk_field_name_json_loads_too():
    # ADK's own SQLite/database services store events by field name.
    loaded = Event.model_validate_json(fixture("event_every_field.snake.json"))
    assert loaded == every_field_event()


@pytest.mark.parametrize("name", ["event_every_field.camel.json", "event_minimal.camel.json"])
def test_our_alias_json_is_exactly_what_adk_writes(name):
    adk_wrote = json.loads(fixture(name))
    assert as_adk_json(Event.model_validate(adk_wrote)) == adk_wrote


def test_our_field_name_json_is_exactly_what_adk_stores():
    adk_wrote = json.loads(fixture("event_every_field.snake.json"))
    ours = every_field_event().model_dump(mode="json", exclude_none=True)
    assert ours == adk_wrote


def test_bytes_read_in_both_base64_alphabets_and_written_url_safe():
    camel = fixture("event_every_field.camel.json")
    assert "-__-AAE=" in camel
    for text in (
        camel,
        camel.replace("-__-AAE=", "+//+AAE="),
        camel.replace("-__-AAE=", "+//+AAE"),
    ):
        assert Event.model_validate_json(text).content.parts[2].inline_data.data == ODD_BYTES
    blob = Blob(data=ODD_BYTES)
    assert json.loads(blob.model_dump_json())["data"] == "-__-AAE="
    assert Blob.model_validate({"data": "+//+AAE="}).data == ODD_BYTES


def test_text_that_is_not_base64_is_refused_with_the_fix():
    with pytest.raises(PydanticValidationError, match="must be base64"):
        Part.model_validate_json('{"thoughtSignature": "not base64!"}')


def test_populating_by_field_name_and_by_alias_are_equal():
    by_name = Part(function_call={"name": "f", "args": {"a": 1}}, thought_signature=b"s")
    by_alias = Part.model_validate(
        {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "cw=="}
    )
    assert by_name == by_alias
    assert Event(author="a", invocation_id="i").invocation_id == "i"
    assert Event.model_validate({"author": "a", "invocationId": "i"}).invocation_id == "i"


def test_unknown_report_fields_and_enum_values_survive():
    # A newer model release adds fields and finish reasons; the event still loads
    # and stores them again unchanged.
    data = {
        "author": "a",
        "finishReason": "SOMETHING_NEW",
        "usageMetadata": {"totalTokenCount": 3, "futureCount": 9},
    }
    event = Event.model_validate(data)
    assert event.finish_reason == "SOMETHING_NEW"
    assert isinstance(event.usage_metadata, UsageMetadata)
    again = Event.model_validate_json(event.model_dump_json(exclude_none=True))
    assert as_adk_json(again)["finishReason"] == "SOMETHING_NEW"
    assert as_adk_json(again)["usageMetadata"] == {"totalTokenCount": 3, "futureCount": 9}


def test_a_typo_in_an_event_field_is_still_refused():
    with pytest.raises(PydanticValidationError, match="autor"):
        Event(author="a", autor="b")  # type: ignore[call-arg]


def test_adk_session_json_loads_and_dumps_back():
    adk_wrote = json.loads(fixture("session.camel.json"))
    session = Session.model_validate(adk_wrote)
    assert session.app_name == "weather"
    assert session.events[0] == every_field_event()
    assert session.model_dump(mode="json", by_alias=True, exclude_none=True) == adk_wrote


def test_thought_text_is_not_part_of_the_answer_text():
    content = Content(role="model", parts=[Part(text="hmm", thought=True), Part(text="42")])
    assert content.text == "42"


def test_adk_live_requests_load_with_adk_shapes():
    requests = [LiveRequest.model_validate(r) for r in json.loads(fixture("live_requests.json"))]
    start, end, stream_end, state, blob, partial = requests
    assert start.activity_start == ActivityStart() and start.activity_end is None
    assert end.activity_end == ActivityEnd() and end.activity_start is None
    assert stream_end.audio_stream_end and stream_end.activity_start is None
    assert state.state_delta == {"mood": "calm"}
    assert blob.blob.data == ODD_BYTES
    assert partial.partial and partial.content.text == "hi"


def test_live_request_defaults_match_adk():
    request = LiveRequest(content=Content.from_text("hi"))
    assert (request.activity_start, request.activity_end, request.state_delta) == (None,) * 3
    assert (request.audio_stream_end, request.partial, request.close) == (False,) * 3


def test_event_defaults_and_refused_convenience_arguments_as_docs_adk_md_says():
    # docs/adk.md, "Differences from ADK".
    first, second = Event(invocation_id="i"), Event(invocation_id="i")
    assert re.fullmatch(r"[0-9a-f]{16}", first.id) and first.id != second.id
    assert first.author == "" and first.node_info is None
    for convenience in ("message", "state", "route", "node_path"):
        with pytest.raises(PydanticValidationError, match=convenience):
            Event(author="a", **{convenience: "x"})
