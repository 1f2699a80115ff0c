"""Unpacking a container's work folder: only what is safe lands on this machine, and host git
runs nothing the agent wrote into the copy's git folder.

Archives are built here member by member, as a hostile container could send them.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from taskyard.errors import WorkspaceFailureError
from taskyard.workspaces.docker.archive import _distrust_git, _extract

Member = tuple[str, str, str | bytes, int]
"""(kind: file, dir, link, fifo; name; content or link target; mode)."""


def archive(tmp_path: Path, members: list[Member]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for kind, name, content, mode in members:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.uid = info.gid = 4242  # the container's user, not ours
            info.uname = info.gname = "agent"
            data = None
            if kind == "file":
                raw = content if isinstance(content, bytes) else content.encode()
                info.size, data = len(raw), io.BytesIO(raw)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, str(content)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, data)
    path = tmp_path / "work.tar"
    path.write_bytes(buffer.getvalue())
    return path


OUTSIDE = "{outside}"
"""Replaced by a folder of the test's own: a regression must not write anywhere that matters."""


@pytest.mark.parametrize(
    ("members", "error"),
    [
        pytest.param([("file", f"{OUTSIDE}/evil", "x", 0o644)], "unsafe path", id="absolute-path"),
        pytest.param(
            [("file", "workspace/../evil", "x", 0o644)], "unsafe path", id="parent-reference"
        ),
        pytest.param(
            [("link", "workspace/out", OUTSIDE, 0o777), ("file", "workspace/out/evil", "x", 0o644)],
            "outside the folder",
            id="write-through-a-link",
        ),
        pytest.param(
            [("link", "workspace/f", f"{OUTSIDE}/f", 0o777), ("file", "workspace/f", "x", 0o644)],
            "outside the folder",
            id="overwrite-a-link",
        ),
        pytest.param([("link", "workspace/.git", "/home", 0o777)], ".git is a link", id="git-link"),
    ],
)
def test_hostile_archives_are_refused(members: list[Member], error: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    placed = [
        (kind, name.format(outside=outside), str(content).format(outside=outside), mode)
        for kind, name, content, mode in members
    ]
    with pytest.raises(WorkspaceFailureError, match=error):
        _extract(archive(tmp_path, placed), tmp_path / "files")
    assert list(outside.iterdir()) == []


def test_a_normal_folder_is_unpacked_with_its_modes_and_links(tmp_path: Path) -> None:
    members: list[Member] = [
        ("dir", "workspace", "", 0o755),
        ("file", "workspace/run.sh", "#!/bin/sh\n", 0o4755),
        ("file", "workspace/notes.txt", "hi\n", 0o644),
        ("link", "workspace/etc-link", "/etc/hostname", 0o777),
        ("link", "workspace/.git/objects", "/elsewhere", 0o777),
        ("fifo", "workspace/pipe", "", 0o644),
    ]
    root = tmp_path / "files"
    assert _extract(archive(tmp_path, members), root) == "workspace"
    work = root / "workspace"
    assert (work / "notes.txt").read_text() == "hi\n"
    assert (work / "run.sh").stat().st_mode & 0o7777 == 0o755  # set-id dropped, x kept
    assert (work / "notes.txt").stat().st_uid == os.getuid()  # git refuses others' folders
    assert (work / "etc-link").readlink() == Path("/etc/hostname")  # kept, never followed
    assert not (work / ".git" / "objects").is_symlink()  # links inside .git are left out
    assert not (work / "pipe").exists()


def test_an_empty_archive_is_a_failure(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceFailureError, match="empty"):
        _extract(archive(tmp_path, []), tmp_path / "files")


def test_the_copys_git_folder_runs_nothing(tmp_path: Path) -> None:
    dot_git = tmp_path / "work" / ".git"
    (dot_git / "hooks").mkdir(parents=True)
    (dot_git / "hooks" / "post-checkout").write_text("#!/bin/sh\nrm -rf ~\n")
    (dot_git / "objects" / "info").mkdir(parents=True)
    (dot_git / "objects" / "info" / "alternates").write_text("/home/user/repo/.git/objects\n")
    (dot_git / "commondir").write_text("/home/user/repo/.git\n")
    (dot_git / "config").write_text(
        "[core]\n\tfsmonitor = touch /tmp/pwned\n\tsshCommand = evil\n"
        "[include]\n\tpath = /etc/evil\n[extensions]\n\tobjectformat = sha256\n"
    )
    _distrust_git(tmp_path / "work")
    config = (dot_git / "config").read_text()
    assert "fsmonitor" not in config and "include" not in config and "evil" not in config
    assert "objectformat = sha256" in config and "repositoryformatversion = 1" in config
    for gone in ("hooks", "objects/info/alternates", "commondir"):
        assert not (dot_git / gone).exists()


def test_a_gitdir_file_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / ".git").write_text("gitdir: /home/user/repo/.git\n")
    _distrust_git(tmp_path / "work")
    assert not (tmp_path / "work" / ".git").exists()
