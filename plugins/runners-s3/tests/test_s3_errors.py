"""Failures say what is wrong and what to do, and never print a secret."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from runners_s3 import S3ArtifactService
from runners_s3.testing import free_port

from runners_core import Part
from runners_core.errors import BackendError, ConfigError, RetryableBackendError

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}


@pytest.fixture
def assert_no_secret(test_credentials: tuple[str, str]) -> Callable[[str, str], None]:
    """Neither credential in our messages; the secret nowhere, even in botocore's DEBUG log.

    (botocore's own DEBUG log shows the access key id in the Authorization header; the
    secret never leaves the process.)
    """

    def check(ours: str, logs: str) -> None:
        key_id, secret = test_credentials
        assert key_id not in ours and secret not in ours, f"a credential was printed: {ours}"
        assert secret not in logs, "the secret access key was logged"

    return check


def write_profile(path: Path, name: str, key_id: str, secret: str) -> None:
    path.write_text(f"[{name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")


async def test_unreachable_endpoint_is_a_clear_retryable_error(
    bucket: str, caplog: pytest.LogCaptureFixture, assert_no_secret: Callable[[str, str], None]
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    service = S3ArtifactService(f"s3://{bucket}?endpoint_url={endpoint}&max_attempts=1")
    caplog.set_level(logging.DEBUG, logger="runners_s3")
    try:
        with pytest.raises(RetryableBackendError) as caught:
            await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a"))
    finally:
        await service.close()
    message = str(caught.value)
    assert "cannot reach the S3 endpoint" in message and endpoint in message
    assert "retried" in message
    assert_no_secret(message, caplog.text)


async def test_missing_bucket_is_a_clear_error_and_is_not_created(
    moto_endpoint: str, bucket: str
) -> None:
    service = S3ArtifactService(f"s3://{bucket}/p?endpoint_url={moto_endpoint}")
    try:
        for call in (
            lambda: service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a")),
            lambda: service.load_artifact(**AT, filename="a.txt"),
            lambda: service.list_artifact_keys(**AT),
        ):
            with pytest.raises(BackendError, match="does not exist") as caught:
                await call()
            assert "create_bucket=true" in str(caught.value) and bucket in str(caught.value)
            assert not isinstance(caught.value, RetryableBackendError)
    finally:
        await service.close()
    creator = S3ArtifactService(f"s3://other-{bucket}?endpoint_url={moto_endpoint}&create_bucket=1")
    try:
        await creator.list_artifact_keys(**AT)
        async with creator._clients.client("listing buckets") as client:  # type: ignore[attr-defined]
            names = [b["Name"] for b in (await client.list_buckets())["Buckets"]]
    finally:
        await creator.close()
    assert f"other-{bucket}" in names, "create_bucket=true creates the bucket"
    assert bucket not in names, "a bucket was created without create_bucket=true"


async def test_bad_credentials_are_a_clear_error_without_secrets(
    strict_moto_endpoint: str,
    bucket: str,
    caplog: pytest.LogCaptureFixture,
    assert_no_secret: Callable[[str, str], None],
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"s3://{bucket}?endpoint_url={strict_moto_endpoint}&create_bucket=true"
    service = S3ArtifactService(url)
    try:
        with pytest.raises(BackendError) as caught:
            await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a"))
    finally:
        await service.close()
    message = str(caught.value)
    assert "rejected the credentials" in message and "AWS_ACCESS_KEY_ID" in message, message
    assert not isinstance(caught.value, RetryableBackendError)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    ours = message + repr(caught.value)
    ours += "".join(r.getMessage() for r in caplog.records if r.name.startswith("runners"))
    assert_no_secret(ours, caplog.text)


async def test_no_credentials_at_all_is_a_clear_error(
    moto_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    service = S3ArtifactService(f"s3://{bucket}?endpoint_url={moto_endpoint}")
    try:
        with pytest.raises(BackendError, match="no usable AWS credentials found"):
            await service.list_artifact_keys(**AT)
    finally:
        await service.close()


async def test_profiles_come_from_the_shared_config(
    moto_endpoint: str,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    test_credentials: tuple[str, str],
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    write_profile(Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]), "agents", *test_credentials)
    url = f"s3://{bucket}?endpoint_url={moto_endpoint}&create_bucket=true"
    service = S3ArtifactService(url + "&profile=agents")
    try:
        assert await service.save_artifact(**AT, filename="a", artifact=Part(text="a")) == 0
    finally:
        await service.close()
    missing = S3ArtifactService(url + "&profile=nobody")
    try:
        with pytest.raises(BackendError, match="profile 'nobody' does not exist"):
            await missing.list_artifact_keys(**AT)
    finally:
        await missing.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://AKIAEXAMPLE:hunter2@bucket/p", "do not take credentials"),
        ("s3://Bad_Bucket", "not a bucket name"),
        ("s3://bucket/../up", "'..'"),
        ("s3://bucket?colour=red", "unknown S3 artifact option 'colour'"),
        ("s3://bucket?endpoint_url=ftp://x", "http:// or https://"),
        ("s3://bucket?endpoint_url=http://u:p@host:9000", "credentials"),
        ("s3://bucket?part_size=1024", "part_size"),
        ("s3://bucket?create_bucket=maybe", "true or false"),
    ],
)
def test_bad_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        S3ArtifactService(url)
    assert "hunter2" not in str(caught.value) and "AKIAEXAMPLE" not in str(caught.value)
