"""A real S3-protocol server for the tests: moto in server mode, started here by PID.

``moto_server`` comes with the ``test`` extra of runners-s3 (``moto[server]``), which
scripts/setup.sh installs. Without it the S3 tests skip, except under ``CI=true``
where they fail. Every test gets its own bucket; credentials are fixed test values,
and the developer's own AWS configuration files are hidden from the tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from runners_s3.testing import MotoServer, MotoUnavailable

TEST_KEY_ID = "AKIATESTRUNNERS00000"
TEST_SECRET = "runners-s3-test-secret-do-not-print"


def start_moto(log: Path, **env: str) -> MotoServer:
    try:
        return MotoServer.start(log, **env)
    except MotoUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_moto(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server.endpoint


@pytest.fixture(scope="session")
def strict_moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server that checks credentials (INITIAL_NO_AUTH_ACTION_COUNT=0): none are valid."""
    log = tmp_path_factory.mktemp("strict-moto") / "moto.log"
    with start_moto(log, INITIAL_NO_AUTH_ACTION_COUNT="0") as server:
        yield server.endpoint


@pytest.fixture
def test_credentials() -> tuple[str, str]:
    """The access key id and secret the tests run with (to check they are never printed)."""
    return TEST_KEY_ID, TEST_SECRET


@pytest.fixture(autouse=True)
def aws_test_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixed credentials; the developer's ~/.aws is never read (nor written) by the tests."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def bucket() -> str:
    return f"runners-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def s3_url(moto_endpoint: str, bucket: str) -> str:
    """A URL for a fresh bucket (created on first use) under the prefix ``art``."""
    return f"s3://{bucket}/art?endpoint_url={moto_endpoint}&create_bucket=true"
