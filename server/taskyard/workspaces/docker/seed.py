"""Bringing the user's repository into a fresh work volume.

The work folder is a named volume, so the repository is copied in rather than shared: a git
clone of the editor's repository at its current branch and commit (``worktree`` and ``clone``
templates alike, since a worktree cannot cross into a container), packed as a tar owned by the
agent and put into the container before its first start. ``bind`` templates mount the folder
itself instead (see :mod:`.docker_container`), recorded as ``bind``; ``none`` (or an editor
folder that is no repository) gets a new repository with one empty commit, made here and put in
the same way, unless the template has a setup script: that gets an empty folder to fill. The
commit the task started from is kept as ``base_commit`` for the code-out diff.
"""

from __future__ import annotations

import asyncio
import io
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from taskyard.errors import WorkspaceFailureError
from taskyard.workspaces.base import LogSink, WorkspaceSpec
from taskyard.workspaces.git import git, start_repo

from .container import workdir
from .engine import AGENT_UID, DockerEngine


async def seed_work(
    engine: DockerEngine, container: Any, spec: WorkspaceSpec, log: LogSink
) -> dict[str, Any]:
    """Fill the container's work folder; returns its ``base_commit`` (and ``bind``) if any."""
    repo = spec.source_repo
    has_repo = bool(repo) and (Path(str(repo)) / ".git").exists()
    if spec.repo == "bind" and repo:
        found = await git("rev-parse", "--verify", "--quiet", "HEAD", cwd=repo, check=False)
        base = {"base_commit": found.text} if has_repo and found.code == 0 else {}
        log("startup", f"{repo} mounted as {workdir(spec)}")
        return {"bind": os.path.abspath(repo), **base}
    if spec.repo == "none" and spec.setup_script.strip():
        # The setup script fills the folder (often with a `git clone`, which wants it empty):
        # code out then diffs against where that repository started (its oldest HEAD).
        log("startup", f"empty work folder {workdir(spec)} for the template's setup script")
        return {}
    with tempfile.TemporaryDirectory(prefix="taskyard-seed-") as tmp:
        clone = Path(tmp) / "work"
        if spec.repo == "none" or not repo or not has_repo:
            clone.mkdir()
            try:
                head = await start_repo(clone)
            except WorkspaceFailureError as exc:  # no git here: the agent runs all the same
                log("startup", f"empty work folder {workdir(spec)} (no starting commit: {exc})")
                return {}
            repo = None
        else:
            await _git(None, "clone", "--quiet", "--no-hardlinks", repo, str(clone))
            head = (await _git(str(clone), "rev-parse", "HEAD")).strip()
        archive = await asyncio.to_thread(_tar_folder, clone)
    target = workdir(spec)
    await engine.call(
        "copying the repository into the container",
        lambda _: container.put_archive(target, archive),
    )
    if repo is None:
        log("startup", f"new repository in {target}, starting at commit {head[:12]}")
        return {"base_commit": head}
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
        raise WorkspaceFailureError(f"git {args[0]} failed", err.decode(errors="replace"))
    return out.decode()
