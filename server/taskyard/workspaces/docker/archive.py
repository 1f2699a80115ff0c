"""A container's work folder, copied out to this machine for reading (the code-out diff).

``get_archive`` works on running and stopped containers alike, so a paused task's work is
readable without starting it. The archive is streamed to a file on a worker thread, then
extracted under a private temporary folder with every member checked: no absolute paths, no
``..``, nothing written through a link that leads outside the folder, no device files.

The copy comes from inside the sandbox, so its git folder is not trusted: host git must not run
what the agent could have written into it. Its ``config`` is replaced by a minimal one (no
``core.fsmonitor``, ``core.sshCommand``, filters, aliases or includes), alternates and hooks are
dropped, ``.git`` must be a real folder (a ``gitdir:`` file could point host git at any
repository) and links inside it are not extracted.

One small file can be read out too: the bridge's state file, so that a task that stopped while
no Taskyard process followed it still has its conversation (:func:`saved_state`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath
from typing import Any

from taskyard.errors import WorkspaceFailureError
from taskyard.workspaces.base import WorkFolder

from .container import DEFAULT_IMAGE, labels, volume_names
from .engine import DockerEngine, find_container, find_volumes

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"^\s*objectformat\s*=\s*sha256\s*$", re.I | re.M)
_SAFE_CONFIG = "[core]\n\trepositoryformatversion = {version}\n\tbare = false\n{extensions}"


@contextlib.asynccontextmanager
async def copied_work(engine: DockerEngine, task_id: str, folder: str) -> AsyncIterator[WorkFolder]:
    """The container's ``folder`` copied into a temporary folder, removed afterwards."""
    scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="taskyard-work-"))
    try:
        archive = scratch / "work.tar"
        await engine.call(
            "copying the work folder out of the container",
            lambda c: _save_archive(c, task_id, folder, archive),
        )
        root = scratch / "files"
        top = await asyncio.to_thread(_extract, archive, root)
        await asyncio.to_thread(archive.unlink)
        await asyncio.to_thread(_distrust_git, root / top)
        yield WorkFolder(root / top, copy=True)
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)


def _save_archive(client: Any, task_id: str, folder: str, target: Path) -> None:
    container = find_container(client, task_id)
    if container is not None:
        _write_archive(container, folder, target)
        return
    # The container was removed but the work volume remains: read it through a throwaway
    # container that never starts (labelled as the task's, so an orphan sweep finds a leftover).
    volume = volume_names(task_id)["work"]
    if not any(v.name == volume for v in find_volumes(client, task_id)):
        raise WorkspaceFailureError("the task's work folder is gone (no container, no work volume)")
    reader = client.containers.create(
        DEFAULT_IMAGE,
        ["true"],
        labels=labels(task_id, "reader"),
        volumes={volume: {"bind": folder, "mode": "ro"}},
        network_mode="none",
    )
    try:
        _write_archive(reader, folder, target)
    finally:
        reader.remove(force=True)


def _write_archive(container: Any, folder: str, target: Path) -> None:
    stream, _ = container.get_archive(folder)
    with open(target, "wb") as fh:
        for chunk in stream:
            fh.write(chunk)


def _extract(archive: Path, root: Path) -> str:
    """Extract ``archive`` under ``root``; returns the name of its top folder."""
    root.mkdir(mode=0o700)
    top = ""
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                checked = _checked(member, root)
                if checked is None:
                    continue
                top = top or PurePosixPath(checked.name).parts[0]
                tar.extract(checked, root, filter="fully_trusted")  # checked above
    except (tarfile.TarError, OSError) as exc:
        raise WorkspaceFailureError(
            "could not unpack the container's work folder", str(exc)
        ) from None
    if not top or not (root / top).is_dir():
        raise WorkspaceFailureError("the container's work folder came back empty")
    return top


def _checked(member: tarfile.TarInfo, root: Path) -> tarfile.TarInfo | None:
    """The member if it is safe to extract under ``root``, None to skip it (or raise)."""
    parts = PurePosixPath(member.name).parts
    if member.name.startswith("/") or ".." in parts or not parts:
        raise WorkspaceFailureError(
            f"the container's archive holds an unsafe path: {member.name!r}"
        )
    if not (member.isfile() or member.isdir() or member.issym()):
        return None  # devices, fifos and hard links carry no code
    # Nothing may be written through a link extracted earlier that leads out of the folder
    # (a link member replaces whatever is at its own path, so only its folder counts).
    target = root.joinpath(*parts)
    real = os.path.realpath(target.parent if member.issym() else target)
    if not (real == str(root) or real.startswith(str(root) + os.sep)):
        raise WorkspaceFailureError(
            f"the container's archive writes outside the folder: {member.name}"
        )
    if member.issym() and ".git" in parts[1:-1]:
        return None  # links inside the git folder could lead host git anywhere
    if member.issym() and parts[1:] == (".git",):
        raise WorkspaceFailureError("the work folder's .git is a link; refusing to read it")
    # Keep the executable bits (git records them), drop set-id bits, stay readable for us; ours,
    # not the agent's (git refuses a repository another user owns).
    private = 0o700 if member.isdir() else 0o600
    return member.replace(
        mode=member.mode & 0o755 | private,
        uid=os.getuid(),
        gid=os.getgid(),
        uname="",
        gname="",
        deep=False,
    )


def _distrust_git(work: Path) -> None:
    """Make the copy's git folder safe for host git (see the module docstring)."""
    dot_git = work / ".git"
    if not dot_git.exists() and not dot_git.is_symlink():
        return
    if not dot_git.is_dir() or dot_git.is_symlink():
        # A "gitdir:" file points elsewhere; without it the folder reads as no repository.
        dot_git.unlink()
        return
    config = dot_git / "config"
    version, extensions = "0", ""
    with contextlib.suppress(OSError):
        if _SHA256.search(config.read_text(errors="replace")):
            version, extensions = "1", "[extensions]\n\tobjectformat = sha256\n"
    config.unlink(missing_ok=True)
    config.write_text(_SAFE_CONFIG.format(version=version, extensions=extensions))
    for unsafe in ("hooks", "objects/info/alternates", "info/attributes", "commondir"):
        target = dot_git / unsafe
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)


STATE_FILE_LIMIT = 32 * 1024 * 1024
"""Most bytes of a bridge state file read out of a container."""


async def saved_state(engine: DockerEngine, task_id: str, path: str) -> dict[str, Any] | None:
    """The JSON object in the file ``path`` of the task's container, or None (logged)."""
    try:
        raw = await engine.call(
            "reading the bridge's state file", lambda c: _read_file(c, task_id, path)
        )
    except WorkspaceFailureError as exc:
        log.info("task %s: %s", task_id, exc)
        return None
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _read_file(client: Any, task_id: str, path: str) -> bytes | None:
    """One small file of the task's container (running or stopped), or None without it."""
    container = find_container(client, task_id)
    if container is None:
        return None
    try:
        stream, _ = container.get_archive(path)
    except Exception:  # no such file yet: the engine answers 404
        return None
    buffer = io.BytesIO()
    for chunk in stream:
        buffer.write(chunk)
        if buffer.tell() > STATE_FILE_LIMIT:
            return None
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as tar:
        member = next((m for m in tar if m.isfile()), None)
        handle = tar.extractfile(member) if member is not None else None
        return None if handle is None else handle.read()
