"""The conformance kit against services written on ADK's public-method route."""

import pytest

from runners_core.testing import (
    ArtifactServiceContract,
    MemoryServiceContract,
    SessionServiceContract,
)
from tests.adk_compat.adk_style_services import (
    DictArtifactService,
    DictSessionService,
    ListMemoryService,
)

BEYOND_ADK = "a runners-core extension ADK's public methods do not have: "


class TestAdkStyleSessions(SessionServiceContract):
    divergences = {
        "test_oversize_event_is_rejected_and_not_stored": BEYOND_ADK + "max_event_bytes",
        "test_a_refused_event_leaves_the_live_session_unchanged": BEYOND_ADK + "max_event_bytes",
        "test_max_event_bytes_counts_utf8_bytes": BEYOND_ADK + "max_event_bytes",
        **{
            name: BEYOND_ADK + "atomic state_ops (the service stores state on its own)"
            for name in (
                "test_concurrent_sessions_of_one_user_lose_no_atomic_update",
                "test_concurrent_users_of_one_app_lose_no_atomic_update",
                "test_each_operation_applies_to_the_stored_value",
                "test_plain_write_then_operation_in_one_event",
                "test_a_retried_event_applies_its_operations_once",
            )
        },
        "test_unloadable_state_values_are_refused_naming_the_key": (
            "create_session is the service's own; it does not validate state values"
        ),
        "test_list_sessions_pages_cover_everything_once": BEYOND_ADK + "paged list_sessions",
        "test_list_sessions_of_one_user": BEYOND_ADK + "paged list_sessions",
        "test_list_sessions_paging_survives_concurrent_creates": BEYOND_ADK + "paged list_sessions",
        "test_bad_page_token_raises_validation_error": BEYOND_ADK + "paged list_sessions",
        "test_forged_page_tokens_raise_validation_error_naming_the_token": BEYOND_ADK
        + "paged list_sessions",
        "test_bad_page_size_raises_validation_error": BEYOND_ADK + "paged list_sessions",
        "test_app_and_user_state_outlive_their_sessions": "derived from list_sessions: with "
        "no session left there is none to read app and user state from",
    }

    @pytest.fixture
    def service(self):
        return DictSessionService()


class TestAdkStyleMemory(MemoryServiceContract):
    divergences = {
        **{
            name: BEYOND_ADK + "delete_memory"
            for name in (
                "test_delete_one_memory_by_id",
                "test_delete_one_sessions_memories",
                "test_delete_all_of_a_users_memories_only",
                "test_deleted_memories_can_be_added_again",
                "test_deleting_nothing_is_not_an_error",
            )
        },
        "test_limit_caps_results": BEYOND_ADK + "search_memory(limit=...)",
        "test_limit_is_normalised_alike_everywhere": BEYOND_ADK + "search_memory(limit=...)",
        # ADK's base raises NotImplementedError for these unless a service adds them.
        "test_content_round_trips": "ADK's add_events_to_memory is optional; not implemented",
        "test_add_events_to_memory_adds_a_delta": "ADK's add_events_to_memory is optional; "
        "not implemented",
        "test_explicit_entries_are_searchable": "ADK's add_memory is optional; not implemented",
        **{
            name: "this simple service matches whole space-separated words only"
            for name in (
                "test_decomposed_and_composed_text_match",
                "test_japanese_and_chinese_words_are_found_inside_text",
                "test_latin_words_inside_cjk_text_are_found",
                "test_thai_words_are_found_inside_text",
                "test_default_limit_is_ten_and_ties_keep_insertion_order",
            )
        },
    }

    @pytest.fixture
    def service(self):
        return ListMemoryService()


class TestAdkStyleArtifacts(ArtifactServiceContract):
    divergences = {
        "test_oversize_artifact_is_rejected_and_not_stored": BEYOND_ADK + "max_artifact_bytes",
        "test_blob_display_name_and_references_round_trip": "this service's own load_artifact "
        "does not follow artifact:// references (on the public route that is its job)",
    }

    @pytest.fixture
    def service(self):
        return DictArtifactService()
