"""What a model reports besides content: usage, grounding, citations, finish reasons.

These mirror the ``google.genai.types`` shapes ADK puts on its events (same
field names, same camelCase JSON). They are :class:`~runners_core.wire.ReportModel`
subclasses: fields a newer model release adds are kept as they are, so an
event read from a newer ADK still loads and stores again without loss.
"""

from pydantic import BaseModel, ConfigDict

from runners_core.wire import Base64Bytes, OpenEnum, ReportModel


class FinishReason(OpenEnum):
    """Why the model stopped generating."""

    FINISH_REASON_UNSPECIFIED = "FINISH_REASON_UNSPECIFIED"
    STOP = "STOP"
    MAX_TOKENS = "MAX_TOKENS"
    SAFETY = "SAFETY"
    RECITATION = "RECITATION"
    LANGUAGE = "LANGUAGE"
    OTHER = "OTHER"
    BLOCKLIST = "BLOCKLIST"
    PROHIBITED_CONTENT = "PROHIBITED_CONTENT"
    SPII = "SPII"
    MALFORMED_FUNCTION_CALL = "MALFORMED_FUNCTION_CALL"
    IMAGE_SAFETY = "IMAGE_SAFETY"
    UNEXPECTED_TOOL_CALL = "UNEXPECTED_TOOL_CALL"
    TOO_MANY_TOOL_CALLS = "TOO_MANY_TOOL_CALLS"
    IMAGE_PROHIBITED_CONTENT = "IMAGE_PROHIBITED_CONTENT"
    NO_IMAGE = "NO_IMAGE"
    IMAGE_RECITATION = "IMAGE_RECITATION"
    IMAGE_OTHER = "IMAGE_OTHER"
    CONTINUATION = "CONTINUATION"


class TurnCompleteReason(OpenEnum):
    """Why a live model ended its turn (the common values; others load as given)."""

    TURN_COMPLETE_REASON_UNSPECIFIED = "TURN_COMPLETE_REASON_UNSPECIFIED"
    MALFORMED_FUNCTION_CALL = "MALFORMED_FUNCTION_CALL"
    RESPONSE_REJECTED = "RESPONSE_REJECTED"
    NEED_MORE_INPUT = "NEED_MORE_INPUT"


class InteractionStatus(OpenEnum):
    """Whether a live model is still working on the user's prompt."""

    INTERACTION_STATUS_UNSPECIFIED = "INTERACTION_STATUS_UNSPECIFIED"
    IN_PROGRESS = "IN_PROGRESS"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    IDLE = "IDLE"


class ModalityTokenCount(ReportModel):
    modality: str | None = None
    token_count: int | None = None


class UsageMetadata(ReportModel):
    """Token counts of one model call (``GenerateContentResponseUsageMetadata``)."""

    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None
    thoughts_token_count: int | None = None
    cached_content_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
    tool_use_prompt_tokens_details: list[ModalityTokenCount] | None = None
    traffic_type: str | None = None


class GoogleTypeDate(ReportModel):
    year: int | None = None
    month: int | None = None
    day: int | None = None


class Citation(ReportModel):
    """A source the response quotes, with the span of the response it covers."""

    start_index: int | None = None
    end_index: int | None = None
    uri: str | None = None
    title: str | None = None
    license: str | None = None
    publication_date: GoogleTypeDate | None = None


class CitationMetadata(ReportModel):
    citations: list[Citation] | None = None


class GroundingChunkWeb(ReportModel):
    uri: str | None = None
    title: str | None = None
    domain: str | None = None


class GroundingChunkRetrievedContext(ReportModel):
    uri: str | None = None
    title: str | None = None
    text: str | None = None
    document_name: str | None = None


class GroundingChunk(ReportModel):
    """One source the grounded answer used (web page, retrieved document, map, image)."""

    web: GroundingChunkWeb | None = None
    retrieved_context: GroundingChunkRetrievedContext | None = None
    maps: dict[str, object] | None = None
    image: dict[str, object] | None = None


class Segment(ReportModel):
    part_index: int | None = None
    start_index: int | None = None
    end_index: int | None = None
    text: str | None = None


class GroundingSupport(ReportModel):
    """Which chunks support which segment of the answer, with confidence."""

    segment: Segment | None = None
    grounding_chunk_indices: list[int] | None = None
    confidence_scores: list[float] | None = None
    rendered_parts: list[int] | None = None


class SearchEntryPoint(ReportModel):
    rendered_content: str | None = None
    sdk_blob: Base64Bytes | None = None


class RetrievalMetadata(ReportModel):
    google_search_dynamic_retrieval_score: float | None = None


class GroundingMetadataSourceFlaggingUri(ReportModel):
    source_id: str | None = None
    flag_content_uri: str | None = None


class GroundingMetadata(ReportModel):
    """How a grounded answer relates to its sources (search queries, chunks, supports)."""

    web_search_queries: list[str] | None = None
    image_search_queries: list[str] | None = None
    retrieval_queries: list[str] | None = None
    grounding_chunks: list[GroundingChunk] | None = None
    grounding_supports: list[GroundingSupport] | None = None
    search_entry_point: SearchEntryPoint | None = None
    retrieval_metadata: RetrievalMetadata | None = None
    source_flagging_uris: list[GroundingMetadataSourceFlaggingUri] | None = None
    google_maps_widget_context_token: str | None = None


class LogprobsResultCandidate(ReportModel):
    token: str | None = None
    token_id: int | None = None
    log_probability: float | None = None


class LogprobsResultTopCandidates(ReportModel):
    candidates: list[LogprobsResultCandidate] | None = None


class LogprobsResult(ReportModel):
    """Log probabilities of the chosen tokens and of the top alternatives."""

    chosen_candidates: list[LogprobsResultCandidate] | None = None
    top_candidates: list[LogprobsResultTopCandidates] | None = None
    log_probability_sum: float | None = None


class LiveServerGoAway(ReportModel):
    """The live server will disconnect soon (``time_left`` as a duration string)."""

    time_left: str | None = None


class VoiceActivity(ReportModel):
    voice_activity_type: str | None = None
    audio_offset: str | None = None


class LiveServerSessionResumptionUpdate(ReportModel):
    new_handle: str | None = None
    resumable: bool | None = None
    last_consumed_client_message_index: int | None = None


class CacheMetadata(BaseModel):
    """Context-cache bookkeeping of a model call.

    ADK writes these keys in snake_case even in its camelCase JSON, so no
    aliases here.
    """

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    cache_name: str | None = None
    expire_time: float | None = None
    fingerprint: str
    invocations_used: int | None = None
    contents_count: int
    created_at: float | None = None
