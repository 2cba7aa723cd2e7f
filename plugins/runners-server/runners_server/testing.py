"""Test helpers: a real ``runners serve`` process, for this package's tests and plugins'.

A plugin that stores what a served agent writes (an artifact store, a session backend)
proves it end to end by starting the real command in a project folder whose
``pyproject.toml`` enables it::

    from runners_server.testing import serve_process

    with serve_process("examples/assistant.py:root_agent", cwd=project) as url:
        httpx.post(f"{url}/run", json=...)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["free_port", "runners_command", "serve_process"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def runners_command() -> str:
    """The ``runners`` executable of this interpreter's environment (else on PATH)."""
    beside = Path(sys.executable).parent / "runners"
    if beside.exists():
        return str(beside)
    found = shutil.which("runners")
    if found is None:
        raise FileNotFoundError(
            "no 'runners' command beside this Python or on PATH; install runners-cli"
        )
    return found


@contextmanager
def serve_process(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    log_level: str = "warning",
    startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Run ``runners serve *args`` in *cwd* on a free loopback port; yield its base URL.

    *env* is the whole environment of the process (default: this one). Its output goes
    to ``serve-PORT.log`` in *cwd*, quoted in the AssertionError raised if the server
    exits or does not answer ``/health`` within *startup_timeout* seconds. On exit the
    process group (uvicorn's workers included) gets SIGTERM, then SIGKILL after 20 s.
    """
    port = free_port()
    log_path = cwd / f"serve-{port}.log"
    command = [runners_command(), "serve", *args, "--port", str(port), "--log-level", log_level]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ if env is None else env),
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log_path, startup_timeout)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"runners serve exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(
                f"runners serve did not answer /health within {timeout:g}s:\n"
                f"{log.read_text(errors='replace')}"
            )
        time.sleep(0.1)
