"""How the kit treats divergences, capabilities and missing fixtures, and what it reports."""

from __future__ import annotations

import pytest

from runners_core.testing import DIVERGENCE, SessionServiceContract
from tests.conformance.kit_runner import KitRun, run_kit

IDEMPOTENCY_TESTS = (
    "test_reappending_an_event_id_stores_it_once",
    "test_reappending_does_not_reapply_state",
    "test_concurrent_retries_of_one_event_store_it_once",
    "test_import_events_equals_appending_them",  # bulk import skips ids like append does
    "test_a_retried_event_applies_its_operations_once",
)

MECHANICS_SUITES = f"""
import pytest
import pytest_asyncio

from runners_core import InMemorySessionService
from runners_core.testing import MemoryServiceContract, SessionServiceContract
import throwaway_backends as tb


class TestDeclaredDivergence(SessionServiceContract):
    divergences = dict.fromkeys({IDEMPOTENCY_TESTS!r}, "retries are deduplicated on read")

    @pytest.fixture
    def service(self):
        return tb.BrokenIdempotencySessions()


class TestFixedDivergence(SessionServiceContract):
    divergences = {{"test_create_then_get_returns_the_session": "was broken in 0.1"}}

    @pytest.fixture
    def service(self):
        return InMemorySessionService()


class ClaimsLock(InMemorySessionService):
    capabilities = frozenset({{"cross_process_lock"}})


class TestClaimedButNoUrl(SessionServiceContract):
    @pytest_asyncio.fixture
    async def service(self):
        yield ClaimsLock()


class TestNoServiceFixture(MemoryServiceContract):
    pass


class Misspelt(InMemorySessionService):
    capabilities = frozenset({{"retenton"}})


class TestMisspeltCapability(SessionServiceContract):
    @pytest.fixture
    def service(self):
        return Misspelt()


class TestExpiringSessions(SessionServiceContract):
    @pytest.fixture
    def service(self):
        return tb.TtlInMemorySessions()

    @pytest.fixture
    def ttl_seconds(self):
        return 0.3

    @pytest_asyncio.fixture
    async def ttl_service(self, ttl_seconds):
        yield tb.TtlInMemorySessions(ttl=ttl_seconds)
"""


@pytest.fixture(scope="module")
def mechanics_run(tmp_path_factory: pytest.TempPathFactory) -> KitRun:
    return run_kit(tmp_path_factory.mktemp("mechanics"), MECHANICS_SUITES, "-k", "not ten_thousand")


def test_declared_divergences_are_reported_not_failed(mechanics_run: KitRun) -> None:
    assert not mechanics_run.failed_in("TestDeclaredDivergence"), mechanics_run.output[-3000:]
    for test in IDEMPOTENCY_TESTS:
        reason = mechanics_run.skipped.get(f"TestDeclaredDivergence::{test}", "")
        assert DIVERGENCE + "retries are deduplicated on read" in reason, (test, reason)
    row = mechanics_run.area("TestDeclaredDivergence", "idempotency")
    assert (row["divergent"], row["status"]) == (2, "pass (2 known divergences)"), row


def test_a_fixed_divergence_fails_loudly(mechanics_run: KitRun) -> None:
    failures = mechanics_run.failed_in("TestFixedDivergence")
    assert list(failures) == ["TestFixedDivergence::test_create_then_get_returns_the_session"]
    (message,) = failures.values()
    assert "XPASS(strict)" in message and "was broken in 0.1" in message, message
    assert mechanics_run.area("TestFixedDivergence", "lifecycle")["status"] == "FAIL"


def test_unclaimed_capability_is_reported_unsupported(mechanics_run: KitRun) -> None:
    row = mechanics_run.area("TestFixedDivergence", "cross_process")
    assert (row["unsupported"], row["passed"], row["status"]) == (3, 0, "unsupported"), row
    reasons = [
        reason
        for name, reason in mechanics_run.skipped.items()
        if name.startswith("TestFixedDivergence::")
    ]
    assert any(r.startswith("unsupported capability: cross_process_lock") for r in reasons)
    assert all(r.startswith("unsupported capability: ") for r in reasons), reasons


def test_claimed_capability_without_url_is_reported_untested(mechanics_run: KitRun) -> None:
    assert not mechanics_run.failed_in("TestClaimedButNoUrl"), mechanics_run.output[-3000:]
    row = mechanics_run.area("TestClaimedButNoUrl", "cross_process")
    assert (row["untestable"], row["status"]) == (3, "untested (fixture missing)"), row


def test_ttl_backend_passes_the_ttl_area(mechanics_run: KitRun) -> None:
    assert not mechanics_run.failed_in("TestExpiringSessions"), mechanics_run.output[-3000:]
    row = mechanics_run.area("TestExpiringSessions", "ttl")
    assert (row["passed"], row["status"]) == (2, "pass"), row
    assert mechanics_run.area("TestFixedDivergence", "ttl")["status"] == "unsupported"


def test_missing_service_fixture_fails_with_a_fix(mechanics_run: KitRun) -> None:
    failures = mechanics_run.failed_in("TestNoServiceFixture")
    assert failures, "a suite without a service fixture must fail"
    assert all("has no `service` fixture" in m for m in failures.values()), failures


def test_report_table_is_printed_per_suite(mechanics_run: KitRun) -> None:
    output = mechanics_run.output
    assert "runners-core conformance" in output
    for suite in ("TestDeclaredDivergence", "TestFixedDivergence", "TestClaimedButNoUrl"):
        assert f"{suite} (session service)" in output, output[-3000:]


def test_kit_runs_under_pytest_asyncio_strict_mode(mechanics_run: KitRun) -> None:
    # The child runs pytest-asyncio in strict mode: async kit tests and an
    # `@pytest_asyncio.fixture async def service` run without asyncio_mode=auto.
    passed = [n for n in mechanics_run.passed if n.startswith("TestClaimedButNoUrl::")]
    assert len(passed) > 50, f"only {len(passed)} async kit tests passed in strict mode"


def test_a_misspelt_capability_fails_every_test_instead_of_reading_as_unsupported(
    mechanics_run: KitRun,
) -> None:
    failures = mechanics_run.failed_in("TestMisspeltCapability")
    assert len(failures) > 50, f"only {len(failures)} tests failed"
    assert all("'retenton', which is not a capability" in m for m in failures.values()), failures
    assert not [n for n in mechanics_run.passed if n.startswith("TestMisspeltCapability::")]


def test_divergence_must_name_a_test_of_the_suite() -> None:
    with pytest.raises(TypeError, match="not tests of this suite"):
        type("TestTypo", (SessionServiceContract,), {"divergences": {"test_nope": "why"}})


def test_divergence_must_give_a_reason() -> None:
    with pytest.raises(TypeError, match="gives no reason"):
        type(
            "TestNoReason",
            (SessionServiceContract,),
            {"divergences": {"test_create_then_get_returns_the_session": " "}},
        )
