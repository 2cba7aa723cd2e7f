"""Writes the ADK-produced JSON the tests in this folder load (run with ADK 2.13 installed).

    /work/main/.venv-adk/bin/python tests/adk_json/make_fixtures.py

The files are committed: the kernel's tests read them without google-adk. Every
field ADK's Event, EventActions and the google-genai parts carry is set, with
bytes that differ between the standard and URL-safe base64 alphabets.
"""

from __future__ import annotations

import json
from pathlib import Path

from google.adk.agents.live_request_queue import LiveRequest
from google.adk.events.event import Event, NodeInfo
from google.adk.events.event_actions import EventActions, EventCompaction
from google.adk.events.ui_widget import UiWidget
from google.adk.models.cache_metadata import CacheMetadata
from google.adk.sessions.session import Session
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

HERE = Path(__file__).parent / "fixtures"
# 0xfb 0xff 0xfe encodes to "+//+" in the standard alphabet and "-__-" URL-safe.
ODD_BYTES = b"\xfb\xff\xfe\x00\x01"


def every_part() -> list[types.Part]:
    return [
        types.Part(text="thinking...", thought=True, thought_signature=ODD_BYTES),
        types.Part(text="Hello ö 名前"),
        types.Part(
            inline_data=types.Blob(data=ODD_BYTES, mime_type="image/png", display_name="p.png")
        ),
        types.Part(
            file_data=types.FileData(
                file_uri="gs://b/f.pdf", mime_type="application/pdf", display_name="f"
            )
        ),
        types.Part(
            function_call=types.FunctionCall(
                id="call-1",
                name="get_weather",
                args={"city": "Paris", "days": 3},
                will_continue=False,
                partial_args=[types.PartialArg(json_path="$.city", string_value="Pa")],
            ),
            thought_signature=b"sig",
        ),
        types.Part(
            function_response=types.FunctionResponse(
                id="call-1",
                name="get_weather",
                response={"result": {"temp": 21.5}},
                will_continue=True,
                scheduling=types.FunctionResponseScheduling.WHEN_IDLE,
                parts=[
                    types.FunctionResponsePart(
                        inline_data=types.FunctionResponseBlob(
                            data=ODD_BYTES, mime_type="image/png"
                        )
                    )
                ],
            )
        ),
        types.Part(
            executable_code=types.ExecutableCode(code="print(1)", language=types.Language.PYTHON)
        ),
        types.Part(
            code_execution_result=types.CodeExecutionResult(
                outcome=types.Outcome.OUTCOME_OK, output="1\n"
            )
        ),
        types.Part(
            file_data=types.FileData(file_uri="gs://b/v.mp4", mime_type="video/mp4"),
            video_metadata=types.VideoMetadata(start_offset="1s", end_offset="5s", fps=2.0),
            media_resolution=types.PartMediaResolution(
                level=types.PartMediaResolutionLevel.MEDIA_RESOLUTION_LOW
            ),
        ),
        types.Part(
            tool_call=types.ToolCall(
                id="tc-1", tool_type=types.ToolType.GOOGLE_SEARCH_WEB, args={"q": "x"}
            )
        ),
        types.Part(
            tool_response=types.ToolResponse(
                id="tc-1", tool_type=types.ToolType.GOOGLE_SEARCH_WEB, response={"hits": 2}
            )
        ),
        types.Part(text="meta", part_metadata={"k": [1, "v"]}),
    ]


def every_field_event() -> Event:
    usage = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=10,
        candidates_token_count=5,
        total_token_count=20,
        thoughts_token_count=5,
        cached_content_token_count=1,
        tool_use_prompt_token_count=2,
        prompt_tokens_details=[
            types.ModalityTokenCount(modality=types.MediaModality.TEXT, token_count=10)
        ],
        traffic_type=types.TrafficType.ON_DEMAND,
    )
    grounding = types.GroundingMetadata(
        web_search_queries=["weather paris"],
        grounding_chunks=[
            types.GroundingChunk(
                web=types.GroundingChunkWeb(uri="https://w.example", title="W", domain="w")
            )
        ],
        grounding_supports=[
            types.GroundingSupport(
                segment=types.Segment(start_index=0, end_index=5, text="Hello"),
                grounding_chunk_indices=[0],
                confidence_scores=[0.9],
            )
        ],
        search_entry_point=types.SearchEntryPoint(rendered_content="<div/>", sdk_blob=ODD_BYTES),
        retrieval_metadata=types.RetrievalMetadata(google_search_dynamic_retrieval_score=0.5),
    )
    citations = types.CitationMetadata(
        citations=[
            types.Citation(
                start_index=0,
                end_index=5,
                uri="https://c.example",
                title="C",
                license="MIT",
                publication_date=types.GoogleTypeDate(year=2024, month=1, day=2),
            )
        ]
    )
    transcription = types.Transcription(text="hello", finished=True)
    actions = EventActions(
        skip_summarization=True,
        state_delta={"k": "v", "user:u": 1, "app:a": [1, 2], "gone": None},
        artifact_delta={"report.pdf": 2},
        transfer_to_agent="writer",
        transfer_reason="needs prose",
        escalate=False,
        requested_tool_confirmations={"call-1": ToolConfirmation(hint="ok?", payload={"n": 1})},
        compaction=EventCompaction(
            start_timestamp=1.0,
            end_timestamp=2.0,
            compacted_content=types.Content(role="model", parts=[types.Part(text="summary")]),
        ),
        end_of_agent=True,
        agent_state={"step": 3},
        rewind_before_invocation_id="inv-0",
        route=["a", 1, True],
        render_ui_widgets=[UiWidget(id="w1", provider="mcp", payload={"x": 1})],
        set_model_response={"answer": 42},
    )
    return Event(
        id="evt-every-field",
        invocation_id="inv-1",
        author="weather_agent",
        timestamp=1_700_000_123.456789,
        content=types.Content(role="model", parts=every_part()),
        actions=actions,
        model_version="gemini-2.5-flash-001",
        grounding_metadata=grounding,
        partial=False,
        turn_complete=True,
        turn_complete_reason=types.TurnCompleteReason.NEED_MORE_INPUT,
        interaction_status=types.InteractionStatus.IDLE,
        finish_reason=types.FinishReason.STOP,
        error_code="E42",
        error_message="partly failed: ö",
        interrupted=False,
        custom_metadata={"trace": {"id": "abc"}},
        usage_metadata=usage,
        live_session_resumption_update=types.LiveServerSessionResumptionUpdate(
            new_handle="h", resumable=True
        ),
        live_session_id="live-1",
        go_away=types.LiveServerGoAway(time_left="10s"),
        voice_activity=types.VoiceActivity(
            voice_activity_type=types.VoiceActivityType.ACTIVITY_START
        ),
        input_transcription=transcription,
        output_transcription=types.Transcription(text="bonjour", finished=False),
        avg_logprobs=-0.25,
        logprobs_result=types.LogprobsResult(
            chosen_candidates=[
                types.LogprobsResultCandidate(token="Hi", token_id=7, log_probability=-0.1)
            ],
            top_candidates=[
                types.LogprobsResultTopCandidates(
                    candidates=[types.LogprobsResultCandidate(token="Hi", log_probability=-0.1)]
                )
            ],
            log_probability_sum=-0.1,
        ),
        cache_metadata=CacheMetadata(
            cache_name="projects/p/cachedContents/c",
            expire_time=1_700_000_999.0,
            fingerprint="fp",
            invocations_used=2,
            contents_count=3,
            created_at=1_700_000_000.0,
        ),
        citation_metadata=citations,
        interaction_id="ia-1",
        environment_id="env-1",
        output={"value": [1, 2]},
        node_info=NodeInfo(
            path="root/weather_agent@1", output_for=["root"], message_as_output=True
        ),
        long_running_tool_ids={"call-2", "call-1"},
        branch="root.weather_agent",
        isolation_scope="call-9",
    )


def main() -> None:
    HERE.mkdir(exist_ok=True)
    event = every_field_event()
    minimal = Event(author="user", invocation_id="inv-1", id="evt-min", timestamp=1.5)
    session = Session(
        id="s-1",
        app_name="weather",
        user_id="u-1",
        state={"k": "v"},
        events=[event, minimal],
        last_update_time=1_700_000_200.0,
    )
    files = {
        # ADK's web API and adk_web_server write camelCase; its SQLite service stores
        # field names. Both must load.
        "event_every_field.camel.json": event.model_dump_json(by_alias=True, exclude_none=True),
        "event_every_field.snake.json": event.model_dump_json(exclude_none=True),
        "event_minimal.camel.json": minimal.model_dump_json(by_alias=True, exclude_none=True),
        "session.camel.json": session.model_dump_json(by_alias=True, exclude_none=True),
        "live_requests.json": json.dumps(
            [
                json.loads(r.model_dump_json(exclude_none=True))
                for r in (
                    LiveRequest(activity_start=types.ActivityStart()),
                    LiveRequest(activity_end=types.ActivityEnd()),
                    LiveRequest(audio_stream_end=True),
                    LiveRequest(state_delta={"mood": "calm"}),
                    LiveRequest(blob=types.Blob(data=ODD_BYTES, mime_type="audio/pcm")),
                    LiveRequest(
                        content=types.Content(role="user", parts=[types.Part(text="hi")]),
                        partial=True,
                    ),
                )
            ]
        ),
    }
    for name, text in files.items():
        (HERE / name).write_text(json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n")
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
