"""Claims of docs/backends/s3.md not proven elsewhere, checked the way users meet them.

The error table is checked against a tiny loopback HTTP server that answers every
request with one S3 error, so botocore parses real responses as it would from a store.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from runners_s3 import S3ArtifactService
from runners_server.testing import serve_process

from runners_core import Part
from runners_core.errors import BackendError, ConfigError, RetryableBackendError, ValidationError

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}
REPO = Path(__file__).resolve().parents[3]
RUNNERS = Path(sys.executable).with_name("runners")


@pytest.fixture
async def service(s3_url: str) -> AsyncIterator[S3ArtifactService]:
    svc = S3ArtifactService(s3_url)
    yield svc
    await svc.close()


async def _keys(service: S3ArtifactService) -> list[str]:
    async with service._clients.client("test") as client:  # type: ignore[attr-defined]
        listing = await client.list_objects_v2(Bucket=service.settings.bucket)
    return [item["Key"] for item in listing.get("Contents", ())]


async def test_payload_objects_carry_the_mime_type(service: S3ArtifactService) -> None:
    # "<n>.data holds the payload exactly as saved (its Content-Type is the artifact's mime type)"
    png = Part.from_bytes(b"\x89PNG-bytes", "image/png")
    await service.save_artifact(**AT, filename="a.png", artifact=png)
    async with service._clients.client("test") as client:  # type: ignore[attr-defined]
        head = await client.head_object(
            Bucket=service.settings.bucket, Key="art/app/u/sessions/s/a.png/0.data"
        )
    assert head["ContentType"] == "image/png"


async def test_max_artifact_bytes_from_the_url_is_enforced_and_writes_nothing(
    s3_url: str,
) -> None:
    service = S3ArtifactService(f"{s3_url}&max_artifact_bytes=4")
    try:
        await service.save_artifact(**AT, filename="ok", artifact=Part.from_bytes(b"1234", "a/b"))
        with pytest.raises(ValidationError, match="max_artifact_bytes"):
            await service.save_artifact(
                **AT, filename="big", artifact=Part.from_bytes(b"12345", "a/b")
            )
        assert await service.list_artifact_keys(**AT) == ["ok"]
        assert not [key for key in await _keys(service) if "/big/" in key]
    finally:
        await service.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://bucket/" + "p" * 151, "longer than 150 bytes"),
        ("s3://bucket?multipart_threshold=1048576", "multipart_threshold='1048576'"),
        ("s3://bucket?part_size=4194304", "part_size='4194304'"),
        ("s3://bucket?max_concurrency=0", "max_concurrency='0'"),
        ("s3://bucket?max_attempts=0", "max_attempts='0'"),
        ("s3://bucket?read_timeout=-1", "read_timeout='-1'"),
        ("s3://bucket?addressing_style=host", "use auto, path or virtual"),
    ],
)
def test_option_limits_are_config_errors_when_built(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        S3ArtifactService(url)


def test_the_prefix_may_be_150_bytes_and_byte_limits_read_as_bytes() -> None:
    assert S3ArtifactService("s3://bucket/" + "p" * 150).settings.prefix == "p" * 150 + "/"
    # "at least 5 MiB": the message gives the limit in bytes, as the option takes them.
    with pytest.raises(ConfigError, match="5242880") as info:
        S3ArtifactService("s3://bucket?multipart_threshold=1024")
    assert "e+0" not in str(info.value)


# --- the error table, against real HTTP answers ------------------------------------------


class _ErrorHandler(BaseHTTPRequestHandler):
    status = 500
    code = "InternalError"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{self.code}</Code>'
            f"<Message>test</Message><RequestId>1</RequestId></Error>"
        ).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/xml")
        if self.status == 301:  # as S3 says where the bucket is
            self.send_header("x-amz-bucket-region", "eu-west-1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def error_store(request: pytest.FixtureRequest) -> Iterator[str]:
    status, code = request.param
    handler = type("Handler", (_ErrorHandler,), {"status": status, "code": code})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("error_store", "expected", "retryable"),
    [
        (
            (403, "AccessDenied"),
            "s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject",
            False,
        ),
        ((301, "PermanentRedirect"), "in another region .*set \\?region=", False),
        ((501, "NotImplemented"), "conditional writes", False),
        ((503, "SlowDown"), "busy or failing", True),
        ((500, "InternalError"), "busy or failing", True),
    ],
    indirect=["error_store"],
)
async def test_store_errors_name_the_problem_and_the_fix(
    error_store: str, expected: str, retryable: bool
) -> None:
    service = S3ArtifactService(f"s3://bucket/p?endpoint_url={error_store}&max_attempts=1")
    try:
        with pytest.raises(BackendError, match=expected) as info:
            await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a"))
    finally:
        await service.close()
    assert isinstance(info.value, RetryableBackendError) == retryable


async def test_a_failed_multipart_upload_is_aborted_and_leaves_nothing_visible(
    s3_url: str,
) -> None:
    # "An interrupted multipart upload is aborted when the process survives the failure",
    # and "a load or listing never sees a version whose payload is incomplete".
    five = 5 * 2**20
    service = S3ArtifactService(f"{s3_url}&multipart_threshold={five}&part_size={five}")
    sent: list[int] = []

    def second_part_fails(params: dict, **kwargs: object) -> None:
        sent.append(params["PartNumber"])
        if params["PartNumber"] == 2:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")  # network gone

    service._clients._session.register(  # type: ignore[attr-defined]
        "before-parameter-build.s3.UploadPart", second_part_fails
    )
    big = Part.from_bytes(bytes(range(256)) * (11 * 2**20 // 256), "application/octet-stream")
    try:
        with pytest.raises(RetryableBackendError, match="cannot reach the S3 endpoint"):
            await service.save_artifact(**AT, filename="big.bin", artifact=big)
        assert 2 in sent, "the upload was not in parts: the test proves nothing"
        async with service._clients.client("test") as client:  # type: ignore[attr-defined]
            uploads = await client.list_multipart_uploads(Bucket=service.settings.bucket)
        assert uploads.get("Uploads", []) == [], "the failed upload's parts were left behind"
        assert await service.list_artifact_keys(**AT) == []
        assert await service.load_artifact(**AT, filename="big.bin") is None
        small = Part.from_bytes(b"after", "text/plain")
        version = await service.save_artifact(**AT, filename="big.bin", artifact=small)
        assert await service.list_versions(**AT, filename="big.bin") == [version]
        assert await service.load_artifact(**AT, filename="big.bin") == small
    finally:
        await service.close()


async def test_app_names_with_slashes_stay_one_key_segment(service: S3ArtifactService) -> None:
    # "Each app name, user id, session id and artifact name is one key segment, escaped as
    # in files.md": app "x/y" with user "u" never meets app "x" with user "y".
    await service.save_artifact(
        app_name="x/y", user_id="u", session_id="s", filename="a", artifact=Part(text="xy")
    )
    await service.save_artifact(
        app_name="x", user_id="y", session_id="s", filename="a", artifact=Part(text="x")
    )
    keys = await _keys(service)
    assert "art/x%2Fy/u/sessions/s/a/0.data" in keys and "art/x/y/sessions/s/a/0.data" in keys
    for app, user, text in (("x/y", "u", "xy"), ("x", "y", "x")):
        at = {"app_name": app, "user_id": user, "session_id": "s"}
        assert await service.list_artifact_keys(**at) == ["a"]
        assert await service.load_artifact(**at, filename="a") == Part(text=text)
    await service.delete_artifact(app_name="x", user_id="y", session_id="s", filename="a")
    assert await service.load_artifact(app_name="x/y", user_id="u", session_id="s", filename="a")


@contextmanager
def runners_serve(*args: str, cwd: Path) -> Iterator[str]:
    """A real ``runners serve`` process in *cwd* (its pyproject.toml applies); its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNERS_CORE_")}
    with serve_process(*args, cwd=cwd, env=env) as url:
        yield url


def note_through_the_api(url: str, session: str, text: str) -> dict:
    """Run the example assistant's "note" command over HTTP; the stored notes.md."""
    with httpx.Client(base_url=url, timeout=60) as client:
        created = client.post("/apps/assistant/users/u1/sessions", json={"sessionId": session})
        assert created.status_code == 200, created.text
        body = {
            "appName": "assistant", "userId": "u1", "sessionId": session,
            "newMessage": {"role": "user", "parts": [{"text": f"note {text}"}]},
        }  # fmt: skip
        ran = client.post("/run", json=body)
        assert ran.status_code == 200, ran.text
        notes = client.get(f"/apps/assistant/users/u1/sessions/{session}/artifacts/notes.md")
        assert notes.status_code == 200, notes.text
        return notes.json()


async def test_a_real_runners_serve_keeps_artifacts_in_s3(s3_url: str, tmp_path: Path) -> None:
    # "The URL works wherever a service URL does: ... runners serve": the real command,
    # configured by pyproject.toml, credentials from the environment.
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.runners_core]\nartifact_service = "{s3_url}"\n'
    )
    agent = f"{REPO / 'examples' / 'assistant.py'}:root_agent"
    with runners_serve(agent, "--session-service", "memory://", cwd=tmp_path) as url:
        notes = note_through_the_api(url, "srv1", "served milk")
    assert "served milk" in notes["text"]
    service = S3ArtifactService(s3_url)
    try:
        part = await service.load_artifact(
            app_name="assistant", user_id="u1", session_id="srv1", filename="notes.md"
        )
    finally:
        await service.close()
    assert part is not None and "served milk" in (part.text or "")


@pytest.mark.parametrize("code", ["PreconditionFailed", "ConditionalRequestConflict"])
async def test_a_taken_or_contended_number_makes_the_save_try_the_next(
    s3_url: str, code: str
) -> None:
    # "the others get 412 Precondition Failed (or 409 ConditionalRequestConflict while the
    # winner's request is in flight) and try n + 1": the store answers the claim of
    # version 0 with *code* once, as it would for a concurrent winner.
    service = S3ArtifactService(s3_url)
    claims: list[str] = []

    def contended(params: dict, **kwargs: object) -> None:
        if params.get("IfNoneMatch") == "*" and params["Key"].endswith(".data"):
            claims.append(params["Key"].rsplit("/", 1)[1])
            if len(claims) == 1:
                raise ClientError({"Error": {"Code": code, "Message": "taken"}}, "PutObject")

    service._clients._session.register(  # type: ignore[attr-defined]
        "before-parameter-build.s3.PutObject", contended
    )
    try:
        version = await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a"))
        assert (version, claims) == (1, ["0.data", "1.data"])
        assert await service.load_artifact(**AT, filename="a.txt") == Part(text="a")
    finally:
        await service.close()


async def test_deletes_remove_sidecars_before_payloads(service: S3ArtifactService) -> None:
    # "Delete ... removes the sidecars first, then the payloads ..., so no version is ever
    # visible without its payload"; deleting single versions (retention) does the same.
    batches: list[list[str]] = []

    def record(params: dict, **kwargs: object) -> None:
        batches.append([item["Key"].rsplit("/", 1)[1] for item in params["Delete"]["Objects"]])

    service._clients._session.register(  # type: ignore[attr-defined]
        "before-parameter-build.s3.DeleteObjects", record
    )
    for n in range(3):
        await service.save_artifact(**AT, filename="a.txt", artifact=Part(text=f"v{n}"))
    await service.delete_artifact_versions(**AT, filename="a.txt", versions=[0, 1])
    assert [sorted(b) for b in batches] == [["0.json", "1.json"], ["0.data", "1.data"]]
    batches.clear()
    await service.delete_artifact(**AT, filename="a.txt")
    assert batches == [["2.json"], ["2.data"]]
    assert await service.list_versions(**AT, filename="a.txt") == []


async def test_create_bucket_creates_it_in_the_urls_region(moto_endpoint: str, bucket: str) -> None:
    # "create_bucket: create the bucket on first use if it is missing"; "region: the
    # bucket's region".
    url = f"s3://{bucket}/p?endpoint_url={moto_endpoint}&create_bucket=true&region=eu-west-1"
    service = S3ArtifactService(url)
    try:
        assert await service.save_artifact(**AT, filename="a", artifact=Part(text="a")) == 0
        async with service._clients.client("test") as client:  # type: ignore[attr-defined]
            where = await client.get_bucket_location(Bucket=bucket)
        assert where["LocationConstraint"] == "eu-west-1"
    finally:
        await service.close()
