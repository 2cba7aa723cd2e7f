"""The runners-core artifact conformance kit, in full, against the filesystem store."""

from __future__ import annotations

from pathlib import Path

import pytest
from runners_files import FileArtifactService

from runners_core.testing import ArtifactServiceContract


class TestFileArtifacts(ArtifactServiceContract):
    @pytest.fixture
    def service(self, tmp_path: Path) -> FileArtifactService:
        return FileArtifactService(f"file://{tmp_path}/artifacts")


class TestFileArtifactsFoldingCase(ArtifactServiceContract):
    """The same contract on a root whose marker says names are case-folded (macOS, Windows)."""

    @pytest.fixture
    def service(self, tmp_path: Path) -> FileArtifactService:
        root = tmp_path / "artifacts"
        root.mkdir()
        (root / ".runners-files.json").write_text(
            '{"format": "runners-files", "layout": 1, "fold_case": true}'
        )
        return FileArtifactService(f"file://{root}")


class TestFileArtifactsWithoutFsync(ArtifactServiceContract):
    """The same contract with synchronous=normal (atomic renames, no fsync)."""

    @pytest.fixture
    def service(self, tmp_path: Path) -> FileArtifactService:
        return FileArtifactService(f"file://{tmp_path}/artifacts?synchronous=normal")
