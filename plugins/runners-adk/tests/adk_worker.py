"""A separate process running an ADK agent on runners_core.Runner (for the cross-process test).

python adk_worker.py URL NAME TURNS
"""

from __future__ import annotations

import asyncio
import sys

from google.adk.agents import LlmAgent
from runners_adk.scripted import ScriptedLlm, call

from runners_core import Content, Runner


def note(text: str) -> dict:
    """Write a note."""
    return {"noted": text}


async def main(url: str, name: str, turns: int) -> None:
    model = ScriptedLlm(script=[call("note", text=name), f"{name} done"], loop=True, delay=0.02)
    runner = Runner.from_config(
        LlmAgent(name="scribe", model=model, tools=[note]),
        app_name="app",
        session_service=url,
        memory_service="memory://",
        artifact_service="memory://",
        auto_create_session=True,
    )
    try:
        for i in range(turns):
            async for _ in runner.run_async(
                user_id="u", session_id="shared", new_message=Content.from_text(f"{name}-{i}")
            ):
                pass
    finally:
        await runner.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
