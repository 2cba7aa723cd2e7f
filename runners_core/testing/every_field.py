"""An event with every field ADK 2.13 puts on its events set, for round-trip checks.

It is the same event ADK itself writes in ``tests/adk_json/fixtures`` (a test
proves the two are equal), so a backend that stores and loads it keeps
everything an ADK agent or a real model produces.
"""

from __future__ import annotations

from runners_core.content import (
    Blob,
    CodeExecutionResult,
    Content,
    ExecutableCode,
    FileData,
    FunctionCall,
    FunctionResponse,
    FunctionResponsePart,
    Part,
    PartialArg,
    PartMediaResolution,
    ToolCall,
    ToolResponse,
    Transcription,
    VideoMetadata,
)
from runners_core.events import (
    Event,
    EventActions,
    EventCompaction,
    NodeInfo,
    ToolConfirmation,
    UiWidget,
)
from runners_core.model_response import (
    CacheMetadata,
    Citation,
    CitationMetadata,
    FinishReason,
    GoogleTypeDate,
    GroundingChunk,
    GroundingChunkWeb,
    GroundingMetadata,
    GroundingSupport,
    InteractionStatus,
    LiveServerGoAway,
    LiveServerSessionResumptionUpdate,
    LogprobsResult,
    LogprobsResultCandidate,
    LogprobsResultTopCandidates,
    ModalityTokenCount,
    RetrievalMetadata,
    SearchEntryPoint,
    Segment,
    TurnCompleteReason,
    UsageMetadata,
    VoiceActivity,
)

ODD_BYTES = b"\xfb\xff\xfe\x00\x01"
"""Bytes whose standard and URL-safe base64 differ ("+//+" vs "-__-")."""


def every_part() -> list[Part]:
    """One part of each kind google-genai defines (as ADK events carry them)."""
    return [
        Part(text="thinking...", thought=True, thought_signature=ODD_BYTES),
        Part(text="Hello ö 名前"),
        Part(inline_data=Blob(data=ODD_BYTES, mime_type="image/png", display_name="p.png")),
        Part(
            file_data=FileData(
                file_uri="gs://b/f.pdf", mime_type="application/pdf", display_name="f"
            )
        ),
        Part(
            function_call=FunctionCall(
                id="call-1",
                name="get_weather",
                args={"city": "Paris", "days": 3},
                will_continue=False,
                partial_args=[PartialArg(json_path="$.city", string_value="Pa")],
            ),
            thought_signature=b"sig",
        ),
        Part(
            function_response=FunctionResponse(
                id="call-1",
                name="get_weather",
                response={"result": {"temp": 21.5}},
                will_continue=True,
                scheduling="WHEN_IDLE",
                parts=[
                    FunctionResponsePart(inline_data=Blob(data=ODD_BYTES, mime_type="image/png"))
                ],
            )
        ),
        Part(executable_code=ExecutableCode(code="print(1)", language="PYTHON")),
        Part(code_execution_result=CodeExecutionResult(outcome="OUTCOME_OK", output="1\n")),
        Part(
            file_data=FileData(file_uri="gs://b/v.mp4", mime_type="video/mp4"),
            video_metadata=VideoMetadata(start_offset="1s", end_offset="5s", fps=2.0),
            media_resolution=PartMediaResolution(level="MEDIA_RESOLUTION_LOW"),
        ),
        Part(tool_call=ToolCall(id="tc-1", tool_type="GOOGLE_SEARCH_WEB", args={"q": "x"})),
        Part(
            tool_response=ToolResponse(
                id="tc-1", tool_type="GOOGLE_SEARCH_WEB", response={"hits": 2}
            )
        ),
        Part(text="meta", part_metadata={"k": [1, "v"]}),
    ]


def every_field_event() -> Event:
    """An agent event with every Event, EventActions and model-response field set."""
    candidate = LogprobsResultCandidate(token="Hi", token_id=7, log_probability=-0.1)
    return Event(
        id="evt-every-field",
        invocation_id="inv-1",
        author="weather_agent",
        timestamp=1_700_000_123.456789,
        content=Content(role="model", parts=every_part()),
        actions=EventActions(
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
                compacted_content=Content(role="model", parts=[Part(text="summary")]),
            ),
            end_of_agent=True,
            agent_state={"step": 3},
            rewind_before_invocation_id="inv-0",
            route=["a", 1, True],
            render_ui_widgets=[UiWidget(id="w1", provider="mcp", payload={"x": 1})],
            set_model_response={"answer": 42},
        ),
        model_version="gemini-2.5-flash-001",
        grounding_metadata=GroundingMetadata(
            web_search_queries=["weather paris"],
            grounding_chunks=[
                GroundingChunk(
                    web=GroundingChunkWeb(uri="https://w.example", title="W", domain="w")
                )
            ],
            grounding_supports=[
                GroundingSupport(
                    segment=Segment(start_index=0, end_index=5, text="Hello"),
                    grounding_chunk_indices=[0],
                    confidence_scores=[0.9],
                )
            ],
            search_entry_point=SearchEntryPoint(rendered_content="<div/>", sdk_blob=ODD_BYTES),
            retrieval_metadata=RetrievalMetadata(google_search_dynamic_retrieval_score=0.5),
        ),
        partial=False,
        turn_complete=True,
        turn_complete_reason=TurnCompleteReason.NEED_MORE_INPUT,
        interaction_status=InteractionStatus.IDLE,
        finish_reason=FinishReason.STOP,
        error_code="E42",
        error_message="partly failed: ö",
        interrupted=False,
        custom_metadata={"trace": {"id": "abc"}},
        usage_metadata=UsageMetadata(
            prompt_token_count=10,
            candidates_token_count=5,
            total_token_count=20,
            thoughts_token_count=5,
            cached_content_token_count=1,
            tool_use_prompt_token_count=2,
            prompt_tokens_details=[ModalityTokenCount(modality="TEXT", token_count=10)],
            traffic_type="ON_DEMAND",
        ),
        live_session_resumption_update=LiveServerSessionResumptionUpdate(
            new_handle="h", resumable=True
        ),
        live_session_id="live-1",
        go_away=LiveServerGoAway(time_left="10s"),
        voice_activity=VoiceActivity(voice_activity_type="ACTIVITY_START"),
        input_transcription=Transcription(text="hello", finished=True),
        output_transcription=Transcription(text="bonjour", finished=False),
        avg_logprobs=-0.25,
        logprobs_result=LogprobsResult(
            chosen_candidates=[candidate],
            top_candidates=[
                LogprobsResultTopCandidates(
                    candidates=[LogprobsResultCandidate(token="Hi", log_probability=-0.1)]
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
        citation_metadata=CitationMetadata(
            citations=[
                Citation(
                    start_index=0,
                    end_index=5,
                    uri="https://c.example",
                    title="C",
                    license="MIT",
                    publication_date=GoogleTypeDate(year=2024, month=1, day=2),
                )
            ]
        ),
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
