"""Child process of test_sqlite_run_lock.py: hold a session's run lock until killed.

    python sqlite_lock_holder.py URL APP USER SESSION

Prints "held" once it holds the lock, then sleeps; the test kills it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import sys

from runners_core.services import session_service_from_url


async def main(url: str, app_name: str, user_id: str, session_id: str) -> None:
    service = session_service_from_url(url)
    async with service.lock_session(app_name=app_name, user_id=user_id, session_id=session_id):
        print("held", flush=True)
        await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
