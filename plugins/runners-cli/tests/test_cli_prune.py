"""``runners prune``: dry run, summary, JSON, policy from pyproject, bad settings."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from cli_helpers import Invoke

from runners_core import Content, Event, session_service_from_url

DAY = 86_400.0
URL = "sqlite:///.runners/sessions.db"


def seed(workdir: Path) -> None:
    """Two sessions of app 'shop': one idle for 60 days, one active, with 5 events each."""

    async def main() -> None:
        (workdir / ".runners").mkdir(exist_ok=True)
        service = session_service_from_url(URL)
        now = time.time()
        for session_id, last in (("stale", now - 60 * DAY), ("fresh", now - 60)):
            session = await service.create_session(
                app_name="shop", user_id="u", session_id=session_id
            )
            for i in range(5):
                await service.append_event(
                    session,
                    Event(
                        author="agent",
                        invocation_id="i",
                        content=Content.from_text(f"{i}", role="model"),
                        timestamp=last - 5 + i,
                    ),
                )
        await service.close()

    asyncio.run(main())


def counts(workdir: Path) -> dict[str, int]:
    async def main() -> dict[str, int]:
        service = session_service_from_url(URL)
        found = {}
        for session_id in ("stale", "fresh"):
            session = await service.get_session(app_name="shop", user_id="u", session_id=session_id)
            if session is not None:
                found[session_id] = len(session.events)
        await service.close()
        return found

    return asyncio.run(main())


def test_dry_run_then_prune(cli: Invoke, isolated: Path):
    seed(isolated)
    (isolated / "pyproject.toml").write_text(
        "[tool.runners_core]\napp_name = 'shop'\n\n"
        "[tool.runners_core.retention]\nsession_idle_days = 30\nmax_events_per_session = 2\n"
    )
    dry = cli("prune", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "(dry run)" in dry.output and "would delete" in dry.output
    assert "nothing was deleted" in dry.output
    assert counts(isolated) == {"stale": 5, "fresh": 5}
    done = cli("prune", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["dry_run"] is False
    assert report["deleted"]["sessions"] == 1 and report["deleted"]["events"] == 3
    assert counts(isolated) == {"fresh": 2}


def test_options_override_the_policy_and_nothing_set_is_an_error(cli: Invoke, isolated: Path):
    seed(isolated)
    nothing = cli("prune", "--app", "shop")
    assert nothing.exit_code != 0 and "no retention rule is set" in nothing.output
    bad = cli("prune", "--app", "shop", "--max-events", "0")
    assert bad.exit_code != 0 and "max_events_per_session" in bad.output
    assert counts(isolated) == {"stale": 5, "fresh": 5}
    ok = cli("prune", "--app", "shop", "--session-idle-days", "90", "--json")
    assert json.loads(ok.output)["deleted"]["sessions"] == 0
