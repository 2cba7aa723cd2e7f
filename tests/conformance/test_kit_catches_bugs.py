"""The kit fails a backend with one deliberate bug, and its messages name the broken rule.

One child pytest run holds one suite per throwaway backend (see throwaway_backends.py);
each backend breaks exactly one rule, so every failure of its suite must name that rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.kit_runner import KitRun, run_kit

BROKEN_SUITES = """
import pytest
import pytest_asyncio

from runners_core.testing import (
    ArtifactServiceContract, MemoryServiceContract, SessionServiceContract,
)
import throwaway_backends as tb


class TestBrokenIdempotency(SessionServiceContract):
    @pytest.fixture
    def service(self):
        return tb.BrokenIdempotencySessions()


class TestBrokenUserScope(SessionServiceContract):
    @pytest.fixture
    def service(self):
        return tb.BrokenUserScopeSessions()


class TestBrokenTtlRefresh(SessionServiceContract):
    @pytest.fixture
    def service(self):
        return tb.BrokenTtlRefreshSessions()

    @pytest.fixture
    def ttl_seconds(self):
        return 0.3

    @pytest.fixture
    def ttl_service(self, ttl_seconds):
        return tb.BrokenTtlRefreshSessions(ttl=ttl_seconds)


class TestBrokenMemory(MemoryServiceContract):
    @pytest.fixture
    def service(self):
        return tb.BrokenIdempotencyMemory()


class TestBrokenArtifacts(ArtifactServiceContract):
    @pytest.fixture
    def service(self):
        return tb.BrokenScopeArtifacts()
"""

# suite -> (the test that must fail, the rule its message must name, area,
#           every rule name a failure of this suite may name)
EXPECTED = {
    "TestBrokenIdempotency": (
        "test_reappending_an_event_id_stores_it_once",
        "idempotent append: re-appending event id",
        "idempotency",
        ("idempotent append",),
    ),
    "TestBrokenUserScope": (
        "test_user_keys_are_shared_by_that_users_sessions_only",
        "user: scope: a key written in one session must be visible",
        "state_scopes",
        (
            "user: scope",
            "create scopes",
            "state updates",
            "delete:",
            "state merge",
            "list state",
            "non-ASCII",
            "user isolation",
            "atomic state",
        ),
    ),
    "TestBrokenTtlRefresh": (
        "test_every_write_refreshes_the_ttl",
        "ttl: the session expired after",
        "ttl",
        ("ttl:",),
    ),
    "TestBrokenMemory": (
        "test_adding_a_session_twice_remembers_each_event_once",
        "idempotent add_session_to_memory",
        "ingestion",
        ("idempotent add_session_to_memory", "add_events_to_memory", "add_memory"),
    ),
    "TestBrokenArtifacts": (
        "test_session_artifacts_stay_in_their_session",
        "artifact scope: a session artifact was visible from another session",
        "scopes",
        ("artifact scope",),
    ),
}


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> KitRun:
    return run_kit(tmp_path_factory.mktemp("broken"), BROKEN_SUITES, "-k", "not ten_thousand")


@pytest.mark.parametrize("suite", sorted(EXPECTED))
def test_kit_fails_the_broken_rule_and_names_it(broken_run: KitRun, suite: str) -> None:
    test, message, area, allowed = EXPECTED[suite]
    assert broken_run.returncode == 1, broken_run.output[-3000:]
    failures = broken_run.failed_in(suite)
    assert f"{suite}::{test}" in failures, (
        f"the kit did not fail {suite}::{test}; failures: {sorted(failures)}\n"
        + broken_run.output[-3000:]
    )
    assert message in failures[f"{suite}::{test}"], failures[f"{suite}::{test}"]
    off_rule = {
        name: text.splitlines()[0]
        for name, text in failures.items()
        if not any(rule in text for rule in allowed)
    }
    assert not off_rule, f"failures of {suite} that do not name its broken rule: {off_rule}"
    assert broken_run.area(suite, area)["status"] == "FAIL"


def test_kit_passes_everything_a_broken_backend_does_right(broken_run: KitRun) -> None:
    # Each throwaway backend breaks one rule: most of its contract still passes.
    for suite in EXPECTED:
        areas = broken_run.table[suite]["areas"]
        passing = [a for a, row in areas.items() if row["status"].startswith("pass")]
        assert len(passing) >= 2, f"{suite}: expected most areas to pass, table {areas}"


CROSS_PROCESS_SUITES = """
import pytest
import pytest_asyncio

from runners_core.testing import SessionServiceContract
import throwaway_backends as tb


class TestJsonFile(SessionServiceContract):
    @pytest_asyncio.fixture
    async def service(self, tmp_path):
        service = tb.JsonFileSessionService(tmp_path / "db")
        yield service
        await service.close()

    @pytest.fixture
    def service_url(self, tmp_path):
        return f"jsonfile://{tmp_path / 'db'}"


class TestJsonFileWithoutProcessLock(TestJsonFile):
    @pytest_asyncio.fixture
    async def service(self, tmp_path):
        yield tb.BrokenLockJsonFileSessions(tmp_path / "db")

    @pytest.fixture
    def service_url(self, tmp_path):
        return f"jsonfile-nolock://{tmp_path / 'db'}"
"""


@pytest.fixture(scope="module")
def cross_process_run(tmp_path_factory: pytest.TempPathFactory) -> KitRun:
    # The JSON-file backend rewrites its whole file per append: leave out the 10,000-event
    # test (a per-backend cost, not a kit property) and run everything else.
    return run_kit(
        tmp_path_factory.mktemp("xproc"),
        CROSS_PROCESS_SUITES,
        "-k",
        "not ten_thousand and (TestJsonFile and not WithoutProcessLock or other_processes)",
    )


def test_cross_process_backend_passes_the_whole_kit(cross_process_run: KitRun) -> None:
    assert not cross_process_run.failed_in("TestJsonFile"), cross_process_run.output[-4000:]
    row = cross_process_run.area("TestJsonFile", "cross_process")
    assert (row["passed"], row["status"]) == (3, "pass"), row


def test_kit_catches_a_lock_that_does_not_cross_processes(cross_process_run: KitRun) -> None:
    failures = cross_process_run.failed_in("TestJsonFileWithoutProcessLock")
    name = "TestJsonFileWithoutProcessLock::test_lock_session_excludes_other_processes"
    assert name in failures, cross_process_run.output[-4000:]
    assert "cross-process run lock" in failures[name], failures[name]


def test_broken_suites_ran_in_a_separate_project(broken_run: KitRun) -> None:
    assert "runners-core conformance" in broken_run.output, "the report table was not printed"
    assert Path  # keeps the import honest for type checkers
