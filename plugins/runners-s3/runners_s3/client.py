"""One aiobotocore S3 client per event loop, and S3 failures as runners-core errors.

An aiobotocore client holds an aiohttp session, which belongs to the loop that opened
it; ``Runner.run`` drives the async API on a background loop in another thread, so a
service may be called from several loops. Each loop gets its own client, through
the kernel's :class:`~runners_core.loop_local.LoopLocal`; :meth:`S3Clients.close`
closes them all, each on its own loop.

Error messages name the bucket, prefix and endpoint, never a credential: they are
built here from the error code, not from the driver's text.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from aiobotocore.session import AioSession
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from runners_core.errors import BackendError, RetryableBackendError, RunnersError
from runners_core.loop_local import LoopLocal
from runners_s3.settings import S3Settings

log = logging.getLogger("runners_s3")

CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    }
)
RETRYABLE_CODES = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500"}
)
TAKEN_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
_CREDENTIAL_HELP = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pick a profile with AWS_PROFILE "
    "or ?profile=, or run where an instance or container role is available"
)


def error_code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code") or status or "")


def is_taken(exc: ClientError) -> bool:
    """A conditional write lost: the key exists or another writer is creating it."""
    return error_code(exc) in TAKEN_CODES


def is_missing(exc: ClientError) -> bool:
    return error_code(exc) in ("NoSuchKey", "404", "NotFound")


class S3Clients:
    """Hands out the current loop's client and turns S3 failures into BackendErrors."""

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self._session = AioSession(profile=settings.profile)
        # Each loop's client with the exit stack that closes it.
        self._clients: LoopLocal[tuple[Any, AsyncExitStack]] = LoopLocal(
            self._open,
            lambda entry: entry[1].aclose(),
            name=settings.location,
            closed=lambda: RunnersError(
                f"this S3 artifact service ({settings.location}) is closed; create a new one"
            ),
        )
        self._bucket_checked = False

    @asynccontextmanager
    async def client(self, what: str) -> AsyncIterator[Any]:
        """The running loop's client; failures inside become runners-core errors."""
        try:
            client, _ = await self._clients.get()
            if not self._bucket_checked:
                await self._check_bucket(client)
            yield client
        except (ClientError, BotoCoreError) as exc:
            raise self.translate(exc, what) from None

    async def _open(self) -> tuple[Any, AsyncExitStack]:
        stack = AsyncExitStack()
        return await stack.enter_async_context(self._create()), stack

    def _create(self) -> Any:
        s = self.settings
        config = Config(
            region_name=s.region,
            s3={"addressing_style": s.addressing_style},
            retries={"mode": "standard", "max_attempts": s.max_attempts},
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            max_pool_connections=max(10, 2 * s.max_concurrency),
            # Checksums only where S3 requires them: several S3-compatible stores reject
            # the newer default trailers. Payloads carry a SHA-256 in their sidecar anyway.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return self._session.create_client("s3", endpoint_url=s.endpoint_url, config=config)

    async def _check_bucket(self, client: Any) -> None:
        s = self.settings
        try:
            # Not HeadBucket: its errors have no body, so a bad key and a missing
            # permission would both be a bare 403.
            await client.list_objects_v2(Bucket=s.bucket, Prefix=s.prefix, MaxKeys=1)
        except ClientError as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound") or not s.create_bucket:
                raise
            await self._create_bucket(client)
        self._bucket_checked = True

    async def _create_bucket(self, client: Any) -> None:
        s = self.settings
        region = s.region or client.meta.region_name
        kwargs: dict[str, Any] = {"Bucket": s.bucket}
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            await client.create_bucket(**kwargs)
            log.info("created bucket %s (create_bucket=true)", s.bucket)
        except ClientError as exc:
            if error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def translate(self, exc: Exception, what: str) -> RunnersError:
        where = self.settings.location
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return BackendError(
                f"{what} in {where}: no usable AWS credentials found; {_CREDENTIAL_HELP}"
            )
        if isinstance(exc, ProfileNotFound):
            return BackendError(
                f"{what} in {where}: the AWS profile {self.settings.profile!r} does not exist "
                "in ~/.aws/config or ~/.aws/credentials; fix ?profile= or AWS_PROFILE"
            )
        if isinstance(exc, ConnectionError | HTTPClientError):
            return RetryableBackendError(
                f"{what}: cannot reach the S3 endpoint for {where} ({type(exc).__name__}); "
                "check endpoint_url, the network and that the store is running. Nothing was "
                "stored; the call can be retried"
            )
        if not isinstance(exc, ClientError):
            return BackendError(f"{what} in {where} failed: {type(exc).__name__}")
        code = error_code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return BackendError(
                f"{what}: the bucket {self.settings.bucket!r} does not exist ({where}); "
                "create it, or add ?create_bucket=true to the URL to let runners-s3 create it"
            )
        if code in CREDENTIAL_CODES:
            return BackendError(
                f"{what}: S3 rejected the credentials for {where} ({code}); {_CREDENTIAL_HELP}"
            )
        if code in ("403", "AccessDenied", "AllAccessDisabled"):
            return BackendError(
                f"{what}: access denied to {where} ({code}); the credentials need "
                "s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket "
                "and prefix"
            )
        if code in ("301", "PermanentRedirect", "AuthorizationHeaderMalformed"):
            return BackendError(
                f"{what}: the bucket of {where} is in another region ({code}); set ?region="
            )
        if code in ("NotImplemented", "501"):
            return BackendError(
                f"{what}: the store behind {where} does not implement a request runners-s3 "
                f"needs ({code}), most likely conditional writes (If-None-Match), which "
                "allocate version numbers safely; use a store that supports them"
            )
        if code in RETRYABLE_CODES:
            return RetryableBackendError(
                f"{what}: S3 is busy or failing for {where} ({code}); the call can be retried"
            )
        return BackendError(f"{what} in {where} failed: S3 error {code}")

    async def close(self) -> None:
        """Close every loop's client, each on its own loop."""
        await self._clients.close()
