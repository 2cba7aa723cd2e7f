"""Files that cannot hold a database: clear errors naming the file and the fix, nothing damaged."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from runners_sqlite import SqliteMemoryService, SqliteSessionService

from runners_core.errors import BackendError
from runners_core.events import Event


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def first_error(url: str) -> BackendError:
    service = SqliteSessionService(url)
    try:
        await service.get_session(app_name="a", user_id="u", session_id="s")
    except BackendError as exc:
        return exc
    finally:
        await service.close()
    raise AssertionError(f"no error for {url}")


async def make_database(path: Path) -> None:
    service = SqliteSessionService(f"sqlite:///{path}")
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.append_event(session, Event(author="user", id="kept"))
    await service.close()


async def test_a_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a plain file where a directory should be")
    error = await first_error(f"sqlite:///{blocker}/sub/s.db")
    message = str(error)
    assert f"cannot create the directory {blocker}/sub" in message
    assert "point the URL at another path" in message
    assert blocker.read_text() == "a plain file where a directory should be"


async def test_a_path_under_a_system_directory(tmp_path: Path) -> None:
    error = await first_error("sqlite:////proc/runners-test/s.db")
    assert "/proc/runners-test" in str(error)


async def test_a_directory_instead_of_a_file(tmp_path: Path) -> None:
    error = await first_error(f"sqlite:///{tmp_path}")
    assert f"{tmp_path} is a directory, not a SQLite database file" in str(error)


async def test_a_file_that_is_not_a_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"These are my notes, not a database.\n" * 200)
    before = digest(path)
    error = await first_error(f"sqlite:///{path}")
    message = str(error)
    assert f"{path} is not a usable SQLite database" in message
    assert "left it untouched" in message and "point the URL at a new path" in message
    assert digest(path) == before


async def test_a_damaged_database_names_the_file_and_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    await make_database(path)
    with sqlite3.connect(path) as conn:
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    data = bytearray(path.read_bytes())
    data[page_size:] = b"\xff" * (len(data) - page_size)  # every page after the header page
    path.write_bytes(bytes(data))
    before = digest(path)
    error = await first_error(f"sqlite:///{path}")
    message = str(error)
    assert str(path) in message and ".recover" in message
    assert digest(path) == before


async def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "adk.db"
    with sqlite3.connect(path) as conn:  # what ADK's SqliteSessionService creates
        conn.execute("CREATE TABLE sessions (app_name TEXT, user_id TEXT, id TEXT, state TEXT)")
        conn.execute("INSERT INTO sessions VALUES ('a', 'u', 's', '{}')")
    before = digest(path)
    error = await first_error(f"sqlite:///{path}")
    message = str(error)
    assert f"{path} is a SQLite database of another program (tables: sessions" in message
    assert "Point the URL at a new file" in message
    assert digest(path) == before


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A database file this process cannot write, even as root (immutable attribute)."""
    path = tmp_path / "frozen.db"
    yield path
    if shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    path.chmod(0o644)


def freeze(path: Path) -> None:
    path.chmod(0o444)
    if not _writable(path):
        return
    # root ignores permission bits; the immutable attribute binds root too.
    if shutil.which("chattr"):
        subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if _writable(path):
        pytest.fail(
            "cannot make a file read-only for this user (chmod and chattr +i had no effect); "
            "run the tests as a normal user or on a file system with immutable attributes",
            pytrace=False,
        )


def _writable(path: Path) -> bool:
    try:
        with path.open("r+b"):
            return True
    except OSError:
        return False


async def test_a_read_only_database_says_to_make_it_writable(read_only: Path) -> None:
    await make_database(read_only)
    freeze(read_only)
    before = digest(read_only)
    for service in (
        SqliteSessionService(f"sqlite:///{read_only}"),
        SqliteMemoryService(f"sqlite:///{read_only}"),
    ):
        with pytest.raises(BackendError) as caught:
            if isinstance(service, SqliteSessionService):
                await service.get_session(app_name="a", user_id="u", session_id="s")
            else:
                await service.search_memory(app_name="a", user_id="u", query="x")
        await service.close()
        message = str(caught.value)
        assert f"SQLite database {read_only} cannot be written" in message
        assert "chmod u+w" in message
    assert digest(read_only) == before


async def test_a_closed_service_says_so(db_url: str) -> None:
    service = SqliteSessionService(db_url)
    await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.close()
    await service.close()  # closing twice is fine
    with pytest.raises(BackendError, match="is closed; build a new service"):
        await service.get_session(app_name="a", user_id="u", session_id="s")


async def test_an_open_error_is_not_remembered(tmp_path: Path) -> None:
    blocker = tmp_path / "later-a-dir"
    blocker.write_text("x")
    service = SqliteSessionService(f"sqlite:///{blocker}/s.db")
    try:
        with pytest.raises(BackendError):
            await service.create_session(app_name="a", user_id="u", session_id="s")
        blocker.unlink()  # the user fixes the problem ...
        await service.create_session(app_name="a", user_id="u", session_id="s")  # ... and retries
        assert await service.get_session(app_name="a", user_id="u", session_id="s") is not None
    finally:
        await service.close()
