"""Fixtures for the PostgreSQL backend tests: a real server, one fresh schema per test.

Tests talk to the server named by ``RUNNERS_TEST_POSTGRES_URL`` (default: the local
``test`` database). When it is unreachable they skip with the reason, except under
``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

SERVER_URL = os.environ.get(
    "RUNNERS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _admin() -> psycopg.Connection:
    return psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The server URL; skips (or fails under CI=true) when PostgreSQL is unreachable."""
    try:
        with _admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL at {SERVER_URL} is unreachable ({str(exc).strip()[:200]})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it (.ci/run starts it)", pytrace=False)
        pytest.skip(f"{reason}; start it (pg_ctlcluster ... start) to run these tests")
    return SERVER_URL


def drop_schema(name: str) -> None:
    with _admin() as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def pg_schema(pg_server: str) -> Iterator[str]:
    """A schema name no other test or test run uses; dropped afterwards."""
    name = f"rpt_{os.getpid()}_{secrets.token_hex(4)}"
    yield name
    drop_schema(name)


@pytest.fixture
def pg_url(pg_server: str, pg_schema: str) -> str:
    """A service URL on this test's own schema (created on first use)."""
    return f"{pg_server}?schema={pg_schema}"


@pytest.fixture
def admin(pg_server: str) -> Iterator[psycopg.Connection]:
    """A plain autocommit connection for looking at (or preparing) the database directly."""
    with _admin() as conn:
        yield conn


@dataclass
class PrivateServer:
    """A PostgreSQL server of the test's own (own data directory, own port)."""

    url: str
    data: str
    pg_ctl: list[str]
    options: str

    def restart(self) -> None:
        """Stop (fast: connections are cut) and start again, down for a second.

        This throwaway server restarts in milliseconds; a real one is down far
        longer than the pools' idle-check threshold (pool_thread.CHECK_AFTER_IDLE), and
        that is the situation the tests are about.
        """
        subprocess.run([*self.pg_ctl, "stop", "-m", "fast"], check=True, capture_output=True)
        time.sleep(1.0)
        self.start()

    def start(self) -> None:
        start = [*self.pg_ctl, "-o", self.options, "start"]
        subprocess.run(start, check=True, capture_output=True, timeout=120)
        wait_until_ready(self.url)

    def ready(self) -> bool:
        return server_ready(self.url)


def server_ready(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def wait_until_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not server_ready(url):
        if time.monotonic() > deadline:
            raise AssertionError(f"PostgreSQL at {url} did not come up within {seconds}s")
        time.sleep(0.2)


def _bin_dir() -> str | None:
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivateServer]:
    """Start a PostgreSQL server of our own for tests that restart or break the server.

    The shared server on 5432 is used by every concurrent test run on the machine,
    so it is never restarted: tests that need that get this one (stopped afterwards).
    """
    bin_dir = _bin_dir()
    if bin_dir is None:
        reason = "restart tests need PostgreSQL's initdb and pg_ctl (postgresql server package)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    # initdb refuses to run as root; the server then runs as the postgres user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = tempfile.mkdtemp(prefix="runners-pg-")
    if as_user:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        [*as_user, f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E",
         "UTF8", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off"
    pg_ctl = [*as_user, f"{bin_dir}/pg_ctl", "-D", data, "-w", "-l", f"{data}/server.log"]
    server = PrivateServer(
        f"postgresql://postgres@127.0.0.1:{port}/postgres", data, pg_ctl, options
    )
    try:
        server.start()
        yield server
    finally:
        subprocess.run([*pg_ctl, "stop", "-m", "immediate"], check=False, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
