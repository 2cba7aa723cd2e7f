"""The runners-core artifact conformance kit, in full, against S3 (a local moto server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from runners_s3 import S3ArtifactService

from runners_core.testing import ArtifactServiceContract


class TestS3Artifacts(ArtifactServiceContract):
    @pytest.fixture
    async def service(self, s3_url: str) -> AsyncIterator[S3ArtifactService]:
        svc = S3ArtifactService(s3_url)
        yield svc
        await svc.close()


class TestS3ArtifactsInParts(ArtifactServiceContract):
    """The same contract with every payload over 5 MiB uploaded in parts."""

    @pytest.fixture
    async def service(self, s3_url: str) -> AsyncIterator[S3ArtifactService]:
        svc = S3ArtifactService(
            s3_url, multipart_threshold=5 * 1024 * 1024, part_size=5 * 1024 * 1024
        )
        yield svc
        await svc.close()
