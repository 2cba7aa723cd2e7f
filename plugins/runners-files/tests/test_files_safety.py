"""Nothing escapes the artifact root, and content the store did not write fails clearly."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from runners_files import FileArtifactService, ForeignContentError

from runners_core import Part
from runners_core.errors import BackendError, ValidationError

AT = {"app_name": "app", "user_id": "u", "session_id": "s"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "outside"
    target.mkdir()
    return target


@pytest.fixture
async def service(root: Path) -> FileArtifactService:
    svc = FileArtifactService(root)
    await svc.save_artifact(**AT, filename="first.txt", artifact=Part(text="1"))
    return svc


def everything_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize(
    "planted",
    ["app/mallory", "app/u/sessions/evil", "app/u/sessions/s/notes.txt"],
)
async def test_planted_symlinks_are_never_followed(
    service: FileArtifactService, root: Path, outside: Path, planted: str
) -> None:
    (outside / "0.json").write_text('{"format": "runners-files/1"}')
    (outside / "0.data").write_text("secret")
    before = everything_under(outside)
    (root / planted).symlink_to(outside, target_is_directory=True)
    at = {**AT, "user_id": "mallory"} if planted == "app/mallory" else dict(AT)
    if planted.endswith("evil"):
        at["session_id"] = "evil"
    for call in (
        lambda: service.save_artifact(**at, filename="notes.txt", artifact=Part(text="x")),
        lambda: service.load_artifact(**at, filename="notes.txt"),
        lambda: service.list_artifact_keys(**at),
        lambda: service.list_versions(**at, filename="notes.txt"),
        lambda: service.delete_artifact(**at, filename="notes.txt"),
    ):
        with pytest.raises(ForeignContentError, match="symbolic link"):
            await call()
    assert everything_under(outside) == before, "a write followed a symlink out of the root"
    assert (root / planted).is_symlink(), "the planted link must be left for a human to inspect"


async def test_a_symlinked_version_file_is_refused(
    service: FileArtifactService, root: Path, outside: Path
) -> None:
    secret = outside / "secret.txt"
    secret.write_text("1")
    data = root / "app/u/sessions/s/first.txt/0.data"
    data.unlink()
    data.symlink_to(secret)
    with pytest.raises(ForeignContentError, match="symbolic link"):
        await service.load_artifact(**AT, filename="first.txt")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda scope: (scope / "hello.txt").write_text("hi"), "is a file where"),
        (lambda scope: (scope / "notes").mkdir() or (scope / "notes/a.md").touch(), "version"),
        (lambda scope: (scope / "%zz").mkdir() or (scope / "%zz/0.json").touch(), "would write"),
    ],
    ids=["a file", "a folder of files", "an undecodable name"],
)
async def test_hand_written_entries_fail_listing_clearly(
    service: FileArtifactService, root: Path, make, message: str
) -> None:
    make(root / "app/u/sessions/s")
    with pytest.raises(ForeignContentError, match=message) as caught:
        await service.list_artifact_keys(**AT)
    assert "app/u/sessions/s/" in str(caught.value), "the error names the path"
    assert "move it out of the artifact root" in str(caught.value)


async def test_hand_edited_sidecars_and_payloads_fail_loading(
    service: FileArtifactService, root: Path
) -> None:
    folder = root / "app/u/sessions/s/first.txt"
    (folder / "0.data").write_text("2")  # same size, other content
    with pytest.raises(BackendError, match="SHA-256"):
        await service.load_artifact(**AT, filename="first.txt")
    (folder / "0.data").write_text("")
    with pytest.raises(BackendError, match="truncated"):
        await service.load_artifact(**AT, filename="first.txt")
    (folder / "0.json").write_text("not json")
    with pytest.raises(ForeignContentError, match="not JSON"):
        await service.load_artifact(**AT, filename="first.txt")
    (folder / "0.json").write_text(json.dumps({"format": "runners-files/1", "name": 1}))
    with pytest.raises(ForeignContentError, match="no valid"):
        await service.list_artifact_versions(**AT, filename="first.txt")


async def test_names_that_share_a_directory_fail_clearly(
    service: FileArtifactService, root: Path
) -> None:
    # What a case-insensitive volume does with a root created as case-sensitive.
    scope = root / "app/u/sessions/s"
    await service.save_artifact(**AT, filename="Notes.txt", artifact=Part(text="N"))
    (scope / "Notes.txt").rename(scope / "notes.txt")
    with pytest.raises(ForeignContentError, match="one directory"):
        await service.load_artifact(**AT, filename="notes.txt")
    with pytest.raises(ForeignContentError, match="one directory"):
        await service.save_artifact(**AT, filename="notes.txt", artifact=Part(text="n"))


def write_marker(root: Path, marker: str) -> None:
    root.mkdir()
    (root / ".runners-files.json").write_text(marker)


async def test_case_folding_root_keeps_names_apart(root: Path) -> None:
    write_marker(root, '{"format": "runners-files", "layout": 1, "fold_case": true}')
    service = FileArtifactService(root)
    at = {**AT, "user_id": "Alice"}
    await service.save_artifact(**at, filename="Report.txt", artifact=Part(text="upper"))
    await service.save_artifact(**at, filename="report.txt", artifact=Part(text="lower"))
    await service.save_artifact(**{**at, "user_id": "alice"}, filename="r", artifact=Part(text="a"))
    assert await service.list_artifact_keys(**at) == ["Report.txt", "report.txt"]
    assert await service.load_artifact(**at, filename="Report.txt") == Part(text="upper")
    entries = [p.name for p in (root / "app").iterdir()]
    assert len({e.casefold() for e in entries}) == 2, entries


async def test_a_non_empty_directory_without_marker_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("...")
    service = FileArtifactService(home)
    with pytest.raises(ForeignContentError, match="not a runners-files artifact root"):
        await service.save_artifact(**AT, filename="a", artifact=Part(text="a"))
    assert everything_under(home) == ["thesis.tex"]


async def test_a_newer_layout_is_refused(root: Path) -> None:
    write_marker(root, '{"format": "runners-files", "layout": 99}')
    with pytest.raises(BackendError, match="newer runners-files"):
        await FileArtifactService(root).list_artifact_keys(**AT)


@pytest.mark.parametrize(
    "name",
    ["../escape.txt", "/etc/passwd", "user:/etc/passwd", "C:/x", "a\\..\\b", "a\x00b", "a/../b"],
)
async def test_escaping_names_are_refused_and_write_nothing(
    service: FileArtifactService, root: Path, name: str
) -> None:
    before = everything_under(root.parent)
    with pytest.raises(ValidationError):
        await service.save_artifact(**AT, filename=name, artifact=Part(text="x"))
    assert everything_under(root.parent) == before


@pytest.mark.parametrize("bad", ["..", "../x", "a/b", "/abs", "a\\b", "x\x00", "u" * 257])
async def test_escaping_ids_are_refused(service: FileArtifactService, bad: str) -> None:
    for field in ("app_name", "user_id", "session_id"):
        if field == "app_name" and bad == "a/b":
            continue  # Vertex-style app names may hold '/'; see the test below
        with pytest.raises(ValidationError):
            await service.save_artifact(**{**AT, field: bad}, filename="a", artifact=Part(text="x"))


async def test_slash_app_names_stay_one_directory_entry(
    service: FileArtifactService, root: Path
) -> None:
    await service.save_artifact(**{**AT, "app_name": "a/b"}, filename="f", artifact=Part(text="x"))
    assert await service.list_artifact_keys(**{**AT, "app_name": "a"}) == []
    assert not (root / "a").exists()
    assert await service.load_artifact(**{**AT, "app_name": "a/b"}, filename="f") == Part(text="x")


async def test_leftovers_of_crashed_writers_are_invisible(
    service: FileArtifactService, root: Path
) -> None:
    folder = root / "app/u/sessions/s/first.txt"
    (folder / ".tmp-0123").write_bytes(b"half a payl")  # a writer killed mid-write
    (folder / "1.data").write_bytes(b"claimed")  # a writer killed before its sidecar
    orphan = root / "app/u/sessions/s/orphan.txt"
    orphan.mkdir()
    (orphan / "0.data").write_bytes(b"x")
    assert await service.list_artifact_keys(**AT) == ["first.txt"]
    assert await service.list_versions(**AT, filename="first.txt") == [0]
    assert await service.load_artifact(**AT, filename="first.txt") == Part(text="1")
    # The claimed number is never handed out again.
    assert await service.save_artifact(**AT, filename="first.txt", artifact=Part(text="2")) == 2
    assert os.listdir(folder).count(".tmp-0123") == 1, "a fresh temp may be a live writer's"
    hours_ago = time.time() - 2 * 3600
    os.utime(folder / ".tmp-0123", (hours_ago, hours_ago))
    await service.save_artifact(**AT, filename="first.txt", artifact=Part(text="3"))
    assert ".tmp-0123" not in os.listdir(folder), "a temp older than an hour is removed"
    assert "1.data" in os.listdir(folder), "a claimed number's file is kept"
