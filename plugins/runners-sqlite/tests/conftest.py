"""Fixtures for runners-sqlite tests: every test gets its own database files under tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from runners_sqlite import SqliteSessionService


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sessions.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[SqliteSessionService]:
    service = SqliteSessionService(db_url)
    yield service
    await service.close()
