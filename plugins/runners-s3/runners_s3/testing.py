"""A local S3-protocol server for tests and benchmarks: moto in server mode, by PID.

``moto_server`` comes with ``pip install 'runners-s3[test]'``. ::

    with MotoServer.start() as server:
        service = S3ArtifactService(f"s3://b?endpoint_url={server.endpoint}&create_bucket=true")

Any credentials work unless the server is started with
``INITIAL_NO_AUTH_ACTION_COUNT=0`` in *env*, which makes it refuse all of them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from runners_core.errors import RunnersError


class MotoUnavailable(RunnersError):
    """``moto_server`` is not installed, or did not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_server_path() -> str | None:
    here = Path(sys.executable).parent
    return shutil.which("moto_server", path=str(here)) or shutil.which("moto_server")


@dataclass
class MotoServer:
    process: subprocess.Popen[bytes]
    endpoint: str
    log: Path | None = None

    @classmethod
    def start(cls, log: Path | None = None, timeout: float = 30.0, **env: str) -> MotoServer:
        """Start ``moto_server`` on a free loopback port and wait until it accepts connections."""
        exe = moto_server_path()
        if exe is None:
            raise MotoUnavailable("moto_server is not installed (pip install 'runners-s3[test]')")
        port = free_port()
        out = log.open("wb") if log is not None else subprocess.DEVNULL
        try:
            process = subprocess.Popen(
                [exe, "-H", "127.0.0.1", "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env},
            )
        finally:
            if log is not None:
                out.close()  # type: ignore[union-attr]
        server = cls(process, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:] if log is not None else ""
                raise MotoUnavailable(f"moto_server exited with {process.returncode}: {tail}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return server
            except OSError:
                time.sleep(0.1)
        server.stop()
        raise MotoUnavailable(f"moto_server did not listen on port {port} within {timeout:g} s")

    def stop(self) -> None:
        """Stop the server process (terminate, then kill after 10 s)."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
