"""Bringing the user's repository into a fresh work volume.

The work folder is a named volume, so the repository is copied in rather than shared: a git
clone of the editor's repository at its current branch and commit (``worktree`` and ``clone``
templates alike, since a worktree cannot cross into a container), packed as a tar owned by the
agent and put into the container before its first start. ``bind`` templates mount the folder
itself instead (see :mod:`.docker_container`); ``none`` leaves the folder empty. The commit the
task started from is kept as ``base_commit`` for the code-out diff.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from .base import LogSink, WorkspaceFailure, WorkspaceSpec
from .docker_container import workdir
from .docker_engine import AGENT_UID, DockerEngine


async def seed_work(
    engine: DockerEngine, container: Any, spec: WorkspaceSpec, log: LogSink
) -> dict[str, Any]:
    """Copy the repository into the container's work folder; returns ``base_commit`` if any."""
    repo = spec.source_repo
    if spec.repo == "none" or not repo or not (Path(repo) / ".git").exists():
        log("startup", f"empty work folder {workdir(spec)}")
        return {}
    with tempfile.TemporaryDirectory(prefix="taskyard-seed-") as tmp:
        clone = Path(tmp) / "work"
        await _git(None, "clone", "--quiet", "--no-hardlinks", repo, str(clone))
        head = (await _git(str(clone), "rev-parse", "HEAD")).strip()
        archive = await asyncio.to_thread(_tar_folder, clone)
    target = workdir(spec)
    await engine.call(
        "copying the repository into the container",
        lambda _: container.put_archive(target, archive),
    )
    log("startup", f"clone of {repo} at {head[:12]} in {target}")
    return {"base_commit": head, "source_repo": repo}


def _tar_folder(folder: Path) -> bytes:
    def as_agent(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = AGENT_UID
        info.uname = info.gname = "agent"
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for child in sorted(folder.iterdir()):
            archive.add(child, arcname=child.name, filter=as_agent)
    return buffer.getvalue()


async def _git(cwd: str | None, *args: str) -> str:
    command = ["git", *(["-C", cwd] if cwd else []), *args]
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise WorkspaceFailure(f"git {args[0]} failed", err.decode(errors="replace"))
    return out.decode()
