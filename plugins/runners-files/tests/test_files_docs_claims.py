"""Claims of docs/backends/files.md not proven elsewhere, checked the way users meet them."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from runners_files import FileArtifactService, parse_url
from runners_files import tree as files_tree
from runners_server.testing import serve_process

from runners_core import Part
from runners_core.errors import BackendError, ConfigError, ValidationError

REPO = Path(__file__).resolve().parents[3]
RUNNERS = Path(sys.executable).with_name("runners")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNERS_CORE_")}
    return subprocess.run(
        [str(RUNNERS), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


AT = {"app_name": "app", "user_id": "u", "session_id": "s"}


def test_a_relative_url_in_pyproject_counts_from_its_folder_not_the_cwd(tmp_path: Path) -> None:
    # "written in [tool.runners_core], it counts from that pyproject.toml's folder":
    # `runners run` started in a subdirectory still writes under the project.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runners_core]\nartifact_service = "file://.runners/artifacts"\n'
    )
    sub = tmp_path / "src" / "deep"
    sub.mkdir(parents=True)
    agent = f"{REPO / 'examples' / 'assistant.py'}:root_agent"
    result = run_cli("run", agent, "-m", "note from below", "--session", "d1", cwd=sub)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = tmp_path / ".runners/artifacts/assistant/user/sessions/d1/notes.md/0.data"
    assert "from below" in stored.read_text()
    assert not (sub / ".runners").exists()


async def test_synchronous_values_and_keyword_precedence(tmp_path: Path) -> None:
    # `synchronous` is full (default) or normal; a bad value is a ConfigError naming both;
    # keyword arguments win over the URL.
    assert parse_url("file:///x").synchronous == "full"
    assert parse_url("file:///x?synchronous=normal").synchronous == "normal"
    with pytest.raises(ConfigError, match="synchronous='off'") as info:
        FileArtifactService("file:///x?synchronous=off")
    assert "full" in str(info.value) and "normal" in str(info.value)
    url = "file:///x?synchronous=normal&max_artifact_bytes=5"
    assert parse_url(url, synchronous="full").synchronous == "full"
    service = FileArtifactService(f"file://{tmp_path}/r?max_artifact_bytes=5", max_artifact_bytes=7)
    assert await service.save_artifact(**AT, filename="a", artifact=Part(text="123456")) == 0
    with pytest.raises(ValidationError, match="max_artifact_bytes"):
        await service.save_artifact(**AT, filename="a", artifact=Part(text="12345678"))


async def test_the_default_size_limit_is_64_mib(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "r")
    limit = 64 * 2**20
    big = Part.from_bytes(bytes(limit + 1), "application/octet-stream")
    with pytest.raises(ValidationError, match="max_artifact_bytes"):
        await service.save_artifact(**AT, filename="big", artifact=big)
    assert await service.list_artifact_keys(**AT) == []


async def test_names_of_1024_characters_and_ids_of_256_work(tmp_path: Path) -> None:
    service = FileArtifactService(tmp_path / "r")
    at = {"app_name": "a" * 256, "user_id": "u" * 256, "session_id": "s" * 256}
    name = "n" * 1024
    assert await service.save_artifact(**at, filename=name, artifact=Part(text="x")) == 0
    assert await service.list_artifact_keys(**at) == [name]
    assert await service.load_artifact(**at, filename=name) == Part(text="x")


async def test_a_file_system_without_hard_links_is_refused_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "A file system without hard links (FAT, some FUSE mounts) is refused with an error
    # saying so": link() fails with EPERM there, as on FAT under Linux.
    service = FileArtifactService(tmp_path / "r")

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(files_tree.os, "link", no_links)
    with pytest.raises(BackendError, match="does not support hard links") as info:
        await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a"))
    assert "local POSIX file system" in str(info.value)
    monkeypatch.undo()
    assert await service.list_artifact_keys(**AT) == []


async def test_escaping_keeps_names_readable_and_escapes_only_what_the_doc_says(
    tmp_path: Path,
) -> None:
    # "/ , % and a leading . or ~ are escaped as %XX; everything else is kept, non-ASCII
    # included" (on a case-sensitive root).
    service = FileArtifactService(tmp_path / "r")
    names = {
        "reports/q1.txt": "reports%2Fq1.txt",
        "50%.txt": "50%25.txt",
        ".hidden": "%2Ehidden",
        "~tilde": "%7Etilde",
        "a.b~c": "a.b~c",
        "Grüße é.txt": "Grüße é.txt",
    }
    for name in names:
        await service.save_artifact(**AT, filename=name, artifact=Part(text=name))
    folder = tmp_path / "r/app/u/sessions/s"
    assert sorted(os.listdir(folder)) == sorted(names.values())
    assert sorted(await service.list_artifact_keys(**AT)) == sorted(names)
    for name in names:
        assert await service.load_artifact(**AT, filename=name) == Part(text=name)


async def test_the_root_may_be_a_link_and_dot_entries_are_ignored(tmp_path: Path) -> None:
    # "The root itself may be a link you set up"; "Entries starting with . (.DS_Store)
    # are ignored".
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    service = FileArtifactService(tmp_path / "link")
    await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="a"))
    assert (real / "app/u/sessions/s/a.txt/0.data").read_text() == "a"
    for folder in (real, real / "app", real / "app/u/sessions/s", real / "app/u/sessions/s/a.txt"):
        (folder / ".DS_Store").write_bytes(b"finder")
    assert await service.list_artifact_keys(**AT) == ["a.txt"]
    assert await service.list_versions(**AT, filename="a.txt") == [0]
    assert await service.load_artifact(**AT, filename="a.txt") == Part(text="a")


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


def test_a_real_runners_serve_keeps_artifacts_under_the_project(tmp_path: Path) -> None:
    # "The URL works wherever a service URL does: ... runners serve": the real command,
    # configured by pyproject.toml, with the relative root counted from its folder.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runners_core]\nartifact_service = "file://.runners/artifacts"\n'
    )
    agent = f"{REPO / 'examples' / 'assistant.py'}:root_agent"
    with runners_serve(agent, "--session-service", "memory://", cwd=tmp_path) as url:
        notes = note_through_the_api(url, "srv1", "served milk")
    assert "served milk" in notes["text"]
    stored = tmp_path / ".runners/artifacts/assistant/u1/sessions/srv1/notes.md/0.data"
    assert "served milk" in stored.read_text()


@pytest.mark.parametrize(("umask", "dirs", "files"), [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)])
async def test_files_and_directories_get_the_umasks_permissions(
    tmp_path: Path, umask: int, dirs: int, files: int
) -> None:
    # "Files and directories get your umask's permissions"; with umask 077 (or chmod 700 on
    # the root) other local users read nothing.
    old = os.umask(umask)
    try:
        service = FileArtifactService(tmp_path / "r")
        await service.save_artifact(**AT, filename="a.txt", artifact=Part(text="secret"))
    finally:
        os.umask(old)
    for path in (tmp_path / "r").rglob("*"):
        mode = path.stat().st_mode & 0o777
        assert mode == (dirs if path.is_dir() else files), (path, oct(mode))


async def test_deleting_versions_removes_each_sidecar_before_its_payload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Deleting single versions removes each version's sidecar first, then its payload;
    # the other versions keep their numbers."
    service = FileArtifactService(tmp_path / "r")
    for n in range(3):
        await service.save_artifact(**AT, filename="a.txt", artifact=Part(text=f"v{n}"))
    removed: list[str] = []
    real_unlink = os.unlink

    def unlink(name: str, *args: object, **kwargs: object) -> None:
        removed.append(str(name))
        real_unlink(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files_tree.os, "unlink", unlink)
    await service.delete_artifact_versions(**AT, filename="a.txt", versions=[0, 2])
    monkeypatch.undo()
    assert removed == ["0.json", "0.data", "2.json", "2.data"]
    assert await service.list_versions(**AT, filename="a.txt") == [1]
    assert await service.load_artifact(**AT, filename="a.txt", version=1) == Part(text="v1")
