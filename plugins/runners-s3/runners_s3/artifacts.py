"""Artifacts as S3 objects: two objects per version under one prefix per name.

::

    <prefix>/<app>/<user>/user/<name>/                user-wide names (``user:...``, no session)
    <prefix>/<app>/<user>/sessions/<session>/<name>/
        0.data   0.json                               payload and its JSON sidecar
        1.data   1.json

Each value is one key segment (see :mod:`runners_core.artifacts.keys`). A save claims
the next version by creating ``<n>.data`` with ``If-None-Match: *``: S3 lets exactly
one of several writers create a key, so two writers in any processes never get the
same number; the loser tries ``n + 1``. Small payloads are the claiming request's body;
large ones claim with an empty object and then replace it by a multipart upload of
the payload, part by part. The sidecar, created last (also conditionally), makes the
version visible. A writer that dies before that leaves a ``<n>.data`` without sidecar:
invisible, and its number is never handed out again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, TypeVar

from botocore.exceptions import ClientError

from runners_core.artifacts import keys, sidecars
from runners_core.artifacts.base import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    ArtifactData,
    BaseArtifactService,
    StoredArtifact,
    scope_segments,
)
from runners_core.errors import BackendError
from runners_s3.client import S3Clients, is_missing, is_taken
from runners_s3.settings import S3Settings, parse_url

T = TypeVar("T")

SIDECAR_FORMAT = "runners-s3/1"
_DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys
_PARALLEL_READS = 8
STALE_CLAIM_SECONDS = 3600.0
"""A ``<n>.data`` this old without a sidecar belongs to a writer that died; import takes it."""


class S3ArtifactService(BaseArtifactService):
    """Versioned artifacts as objects in an S3-compatible bucket.

    ::

        S3ArtifactService("s3://my-bucket/agents")
        S3ArtifactService("s3://art?endpoint_url=http://127.0.0.1:9000", create_bucket=True)
    """

    scheme: ClassVar[str] = "s3"
    capabilities: ClassVar[frozenset[str]] = frozenset({"retention"})

    def __init__(self, url: str, **options: Any) -> None:
        self.settings: S3Settings = parse_url(url, **options)
        super().__init__(
            max_artifact_bytes=self.settings.max_artifact_bytes or DEFAULT_MAX_ARTIFACT_BYTES
        )
        self._clients = S3Clients(self.settings)

    # ------------------------------------------------------------------ storage primitives

    async def _put(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        data: ArtifactData,
        now: float,
    ) -> int:
        sidecar = sidecars.describe(
            format=SIDECAR_FORMAT,
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            filename=filename,
            data=data,
            now=now,
        )
        payload = data.data
        # Hashing hundreds of MiB takes a while: keep the event loop free meanwhile.
        sidecar["sha256"] = await asyncio.to_thread(sidecars.checksum, payload)
        folder = self._folder(app_name, user_id, session_id, filename)
        large = len(payload) > self.settings.multipart_threshold
        bucket = self.settings.bucket
        async with self._clients.client("saving an artifact") as client:
            _, claimed = await self._scan(client, folder)
            version = claimed + 1
            while True:
                try:
                    await client.put_object(
                        Bucket=bucket,
                        Key=f"{folder}{version}.data",
                        Body=b"" if large else payload,
                        ContentType=data.mime_type or "application/octet-stream",
                        IfNoneMatch="*",
                    )
                    break
                except ClientError as exc:
                    if not is_taken(exc):
                        raise
                    version += 1
            if large:
                await self._upload_parts(client, f"{folder}{version}.data", data)
            sidecar["version"] = version
            await client.put_object(
                Bucket=bucket,
                Key=f"{folder}{version}.json",
                Body=sidecars.encode(sidecar),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        return version

    async def _get(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int | None,
    ) -> StoredArtifact | None:
        folder = self._folder(app_name, user_id, session_id, filename)
        async with self._clients.client("loading an artifact") as client:
            if version is None:
                committed, _ = await self._scan(client, folder)
                if not committed:
                    return None
                version = max(committed)
            # Both at once: one round trip instead of two. The payload of a version whose
            # sidecar is missing (a writer died) is fetched in vain, which is rare.
            sidecar, payload = await asyncio.gather(
                self._sidecar(client, folder, version, filename),
                self._read(client, f"{folder}{version}.data"),
            )
            if sidecar is None:
                return None
        problem = await asyncio.to_thread(sidecars.payload_problem, sidecar, payload)
        if problem is not None:
            raise BackendError(
                f"object s3://{self.settings.bucket}/{folder}{version}.data {problem}; restore "
                "it from a bucket version or backup, or delete the artifact"
            )
        assert payload is not None
        return sidecars.stored(sidecar, payload)

    async def _names(self, *, app_name: str, user_id: str, session_id: str | None) -> list[str]:
        scope = self._prefix_of(app_name, user_id, session_id)
        async with self._clients.client("listing artifacts") as client:
            found: dict[str, int] = {}  # entry -> latest committed version
            async for key in self._keys(client, scope):
                entry, _, file = key[len(scope) :].partition("/")
                number, suffix = _version_file(file, key, self.settings.bucket)
                if suffix == "json":
                    found[entry] = max(found.get(entry, -1), number)
            names = []
            for entry, latest in sorted(found.items()):
                if keys.is_hashed(entry):
                    raw = await self._read(client, f"{scope}{entry}/{latest}.json")
                    name = sidecars.name_in(raw)
                    if name is None or not keys.hashed_matches(entry, name):
                        raise self._foreign(f"{scope}{entry}/{latest}.json", "does not match")
                else:
                    name = keys.decode(entry, fold_case=False)
                    if name is None:
                        raise self._foreign(f"{scope}{entry}/", "is not a name runners-s3 writes")
                names.append(name)
        return names

    async def _versions(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> list[StoredArtifact]:
        folder = self._folder(app_name, user_id, session_id, filename)
        async with self._clients.client("listing artifact versions") as client:
            committed, _ = await self._scan(client, folder)
            found = await _bounded_gather(
                [lambda n=n: self._sidecar(client, folder, n, filename) for n in sorted(committed)]
            )
        return [sidecars.stored(s, b"") for s in found if s is not None]

    async def _delete(
        self, *, app_name: str, user_id: str, session_id: str | None, filename: str
    ) -> None:
        folder = self._folder(app_name, user_id, session_id, filename)
        async with self._clients.client("deleting an artifact") as client:
            found = [key async for key in self._keys(client, folder)]
            await self._delete_keys(client, found, "deleting an artifact")

    async def _delete_versions(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        versions: Sequence[int],
    ) -> None:
        folder = self._folder(app_name, user_id, session_id, filename)
        async with self._clients.client("deleting artifact versions") as client:
            committed, _ = await self._scan(client, folder)
            if committed:  # the folder holds this name, not another that maps to it
                await self._sidecar(client, folder, max(committed), filename)
            found = [f"{folder}{v}.{suffix}" for v in versions for suffix in ("json", "data")]
            await self._delete_keys(client, found, "deleting artifact versions")

    async def _put_version(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None,
        filename: str,
        version: int,
        data: ArtifactData,
        create_time: float,
    ) -> bool:
        sidecar = sidecars.describe(
            format=SIDECAR_FORMAT,
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            filename=filename,
            data=data,
            now=create_time,
        )
        payload = data.data
        sidecar["sha256"] = await asyncio.to_thread(sidecars.checksum, payload)
        sidecar["version"] = version
        folder = self._folder(app_name, user_id, session_id, filename)
        key = f"{folder}{version}.data"
        large = len(payload) > self.settings.multipart_threshold
        bucket = self.settings.bucket
        async with self._clients.client("importing an artifact version") as client:
            if await self._sidecar(client, folder, version, filename) is not None:
                return False
            claim = {
                "Bucket": bucket,
                "Key": key,
                "Body": b"" if large else payload,
                "ContentType": data.mime_type or "application/octet-stream",
            }
            try:
                await client.put_object(**claim, IfNoneMatch="*")
            except ClientError as exc:
                if not is_taken(exc):
                    raise
                # Claimed: by a writer still at work, or by one that died before writing
                # the sidecar (then the claim is old and is taken over).
                if await self._sidecar(client, folder, version, filename) is not None:
                    return False
                head = await client.head_object(Bucket=bucket, Key=key)
                age = time.time() - head["LastModified"].timestamp()
                if age < STALE_CLAIM_SECONDS:
                    raise BackendError(
                        f"version {version} of artifact {filename!r} is being written by "
                        "another writer; retry the import when it is done"
                    ) from None
                await client.put_object(**claim)
            if large:
                await self._upload_parts(client, key, data)
            try:
                await client.put_object(
                    Bucket=bucket,
                    Key=f"{folder}{version}.json",
                    Body=sidecars.encode(sidecar),
                    ContentType="application/json",
                    IfNoneMatch="*",
                )
            except ClientError as exc:
                if is_taken(exc):
                    return False  # another import of the same version finished first
                raise
        return True

    def canonical_uri(
        self, app_name: str, user_id: str, session_id: str | None, filename: str, version: int
    ) -> str:
        """The ``s3://bucket/key`` of the version's payload object."""
        folder = self._folder(app_name, user_id, session_id, filename)
        return f"s3://{self.settings.bucket}/{folder}{version}.data"

    async def close(self) -> None:
        await self._clients.close()

    # ------------------------------------------------------------------ helpers

    def _prefix_of(self, app_name: str, user_id: str, session_id: str | None) -> str:
        app = keys.encode(app_name, fold_case=False)
        user = keys.encode(user_id, fold_case=False)
        scope = scope_segments(session_id, lambda s: keys.encode(s, fold_case=False))
        return self.settings.key(app, user, *scope, "")

    def _folder(self, app_name: str, user_id: str, session_id: str | None, filename: str) -> str:
        entry = keys.encode(filename, fold_case=False)
        return f"{self._prefix_of(app_name, user_id, session_id)}{entry}/"

    async def _keys(self, client: Any, prefix: str) -> Any:
        paginator = client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.settings.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield item["Key"]

    async def _scan(self, client: Any, folder: str) -> tuple[set[int], int]:
        """Committed versions (with a sidecar) and the highest number any object claims."""
        committed: set[int] = set()
        claimed = -1
        async for key in self._keys(client, folder):
            number, suffix = _version_file(key[len(folder) :], key, self.settings.bucket)
            claimed = max(claimed, number)
            if suffix == "json":
                committed.add(number)
        return committed, claimed

    async def _read(self, client: Any, key: str) -> bytes | None:
        try:
            response = await client.get_object(Bucket=self.settings.bucket, Key=key)
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        async with response["Body"] as body:
            return await body.read()

    async def _sidecar(
        self, client: Any, folder: str, version: int, filename: str
    ) -> dict[str, Any] | None:
        key = f"{folder}{version}.json"
        raw = await self._read(client, key)
        if raw is None:
            return None
        try:
            sidecar = sidecars.parse(raw, format=SIDECAR_FORMAT, version=version)
        except ValueError as exc:
            raise self._foreign(key, str(exc)) from None
        if sidecar["name"] != filename:
            raise self._foreign(key, f"belongs to artifact {sidecar['name']!r}, not {filename!r}")
        return sidecar

    async def _upload_parts(self, client: Any, key: str, data: ArtifactData) -> None:
        """Replace the claim object *key* by the payload, uploaded in parts.

        Each part is sliced from the one in-memory payload when it is sent, so at most
        ``max_concurrency`` parts are copied at a time: the artifact is never held twice.
        """
        bucket, size = self.settings.bucket, self.settings.part_size
        view = memoryview(data.data)
        upload = await client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=data.mime_type or "application/octet-stream"
        )
        upload_id = upload["UploadId"]

        async def part(number: int, start: int) -> dict[str, Any]:
            sent = await client.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=bytes(view[start : start + size]),
            )
            return {"ETag": sent["ETag"], "PartNumber": number}

        starts = range(0, len(view), size)
        try:
            parts = await _bounded_gather(
                [lambda i=i, s=s: part(i + 1, s) for i, s in enumerate(starts)],
                limit=self.settings.max_concurrency,
            )
            await client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            # Parts of an abandoned upload are billed until aborted.
            try:
                await asyncio.shield(
                    client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
                )
            except Exception:
                pass
            raise

    async def _delete_keys(self, client: Any, found: list[str], what: str) -> None:
        """Delete *found* in batches, sidecars first: a version disappears before its
        payload does, never after. Keys that do not exist are not an error."""
        sidecar_keys = [k for k in found if k.endswith(".json")]
        for batch in (sidecar_keys, [k for k in found if not k.endswith(".json")]):
            for start in range(0, len(batch), _DELETE_BATCH):
                chunk = batch[start : start + _DELETE_BATCH]
                result = await client.delete_objects(
                    Bucket=self.settings.bucket,
                    Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
                )
                if result.get("Errors"):
                    first = result["Errors"][0]
                    raise BackendError(
                        f"{what}: S3 could not delete {len(result['Errors'])} objects, e.g. "
                        f"{first.get('Key')!r} ({first.get('Code')}); retry"
                    )

    def _foreign(self, key: str, what: str) -> BackendError:
        return BackendError(
            f"object s3://{self.settings.bucket}/{key} {what}, so it was not written by "
            "runners-s3 (by hand, or by another program?); move it out of the artifact prefix"
        )


def _version_file(file: str, key: str, bucket: str) -> tuple[int, str]:
    number, dot, suffix = file.partition(".")
    if dot and suffix in ("data", "json") and number.isdigit() and str(int(number)) == number:
        return int(number), suffix
    raise BackendError(
        f"object s3://{bucket}/{key} is not a version object (<n>.data or <n>.json), so it "
        "was not written by runners-s3; move it out of the artifact prefix"
    )


async def _bounded_gather(
    calls: list[Callable[[], Awaitable[T]]], limit: int = _PARALLEL_READS
) -> list[T]:
    """Run *calls* with at most *limit* at once; results in order."""
    gate = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(run(call) for call in calls)))
