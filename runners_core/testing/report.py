"""The pytest plugin that prints the "runners-core conformance" table.

Registered through the ``pytest11`` entry point of runners-core, so every pytest
run in an environment with the kernel installed loads it; it stays silent unless
conformance suites ran. For each suite class it shows one row per contract area
(the kit module the tests come from) with passed, failed, known-divergence and
unsupported counts, and tests skipped for other reasons (e.g. no server).
``--conformance-json=PATH`` also writes the table as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PASSED, FAILED, DIVERGENT, UNSUPPORTED, UNTESTABLE, SKIPPED = (
    "passed",
    "failed",
    "divergent",
    "unsupported",
    "untestable",
    "skipped",
)
COLUMNS = (PASSED, FAILED, DIVERGENT, UNSUPPORTED, UNTESTABLE, SKIPPED)


@dataclass
class _Test:
    suite: str
    kind: str
    area: str
    capability: str | None
    outcome: str | None = None


@dataclass
class ConformanceReport:
    """Outcomes of conformance tests, keyed by pytest node id."""

    tests: dict[str, _Test] = field(default_factory=dict)

    def record(self, report: pytest.TestReport) -> None:
        test = self.tests.get(report.nodeid)
        if test is None or test.outcome == FAILED:
            return
        outcome = _classify(report)
        if outcome is not None and (test.outcome in (None, PASSED) or outcome == FAILED):
            test.outcome = outcome

    def table(self) -> dict[str, dict[str, Any]]:
        """suite -> {"kind", "areas": {area -> {"capability", counts..., "status"}}}."""
        suites: dict[str, dict[str, Any]] = {}
        for test in self.tests.values():
            if test.outcome is None:
                continue  # deselected or not run
            suite = suites.setdefault(test.suite, {"kind": test.kind, "areas": {}})
            row = suite["areas"].setdefault(
                test.area, {"capability": test.capability, **dict.fromkeys(COLUMNS, 0)}
            )
            if test.outcome in row:
                row[test.outcome] += 1
        for suite in suites.values():
            for row in suite["areas"].values():
                row["status"] = _status(row)
        return suites


def _classify(report: pytest.TestReport) -> str | None:
    from runners_core.testing.contract import UNSUPPORTED as UNSUPPORTED_REASON
    from runners_core.testing.contract import UNTESTABLE as UNTESTABLE_REASON

    if report.failed:
        return FAILED
    if report.skipped:
        if hasattr(report, "wasxfail"):
            return DIVERGENT
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith(UNSUPPORTED_REASON):
            return UNSUPPORTED
        if reason.startswith(UNTESTABLE_REASON):
            return UNTESTABLE
        return SKIPPED
    if report.when == "call":
        return PASSED
    return None


def _status(row: dict[str, Any]) -> str:
    if row[FAILED]:
        return "FAIL"
    if row[PASSED] or row[DIVERGENT]:
        known = row[DIVERGENT]
        return "pass" + (f" ({known} known divergence{'s' if known > 1 else ''})" if known else "")
    if row[UNSUPPORTED]:
        return "unsupported"
    if row[UNTESTABLE]:
        return "untested (fixture missing)"
    return "skipped"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("runners-core").addoption(
        "--conformance-json",
        metavar="PATH",
        default=None,
        help="write the runners-core conformance table (per suite and area) as JSON to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ConformanceReporter(config), "runners-core-conformance")


class ConformanceReporter:
    """Collects the outcomes of conformance tests and prints/writes the table."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.report = ConformanceReport()

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        from runners_core.testing.contract import ServiceContract, area_of, capability_of

        for item in items:
            cls = getattr(item, "cls", None)
            if isinstance(cls, type) and issubclass(cls, ServiceContract):
                function = getattr(item, "function", None)
                self.report.tests[item.nodeid] = _Test(
                    suite=cls.__name__,
                    kind=cls.kind,
                    area=area_of(function),
                    capability=capability_of(function),
                )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.report.record(report)

    def pytest_sessionfinish(self) -> None:
        path = self.config.getoption("conformance_json", None)
        if path:
            Path(path).write_text(json.dumps(self.report.table(), indent=2, sort_keys=True))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        table = self.report.table()
        if not table:
            return
        write = terminalreporter.write_line
        terminalreporter.section("runners-core conformance")
        header = (
            f"{'area':<16} {'capability':<20} {'pass':>5} {'fail':>5} {'div':>5} "
            f"{'unsup':>6} {'skip':>5}  status"
        )
        for suite, data in sorted(table.items()):
            write(f"{suite} ({data['kind']} service)", bold=True)
            write("  " + header)
            rows = sorted(data["areas"].items(), key=lambda kv: (kv[1]["capability"] or "", kv[0]))
            for area, row in rows:
                capability = row["capability"] or "required"
                unsupported = row[UNSUPPORTED] + row[UNTESTABLE]
                write(
                    f"  {area:<16} {capability:<20} {row[PASSED]:>5} {row[FAILED]:>5} "
                    f"{row[DIVERGENT]:>5} {unsupported:>6} {row[SKIPPED]:>5}  {row['status']}",
                    red=row[FAILED] > 0,
                    green=row["status"].startswith("pass"),
                )
