"""Running git for Taskyard: one asyncio subprocess runner, and a work folder's starting commit.

Every git command Taskyard runs goes through :func:`git`: off the event loop, with an
environment that cannot point it at another repository by accident (a sidecar started from a
git hook inherits ``GIT_DIR`` and ``GIT_INDEX_FILE``), and with failures as
:class:`~.base.WorkspaceFailureError` carrying git's own words as the detail.

:func:`start_repo` gives a work folder that is no repository (template ``repo = "none"``, or no
repository in the editor) one, with a first commit of whatever it holds, so a task's work always
has a base to be diffed against.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from taskyard.errors import WorkspaceFailureError

TASKYARD_IDENTITY = ("Taskyard", "taskyard@localhost")
"""Author and committer of the commits Taskyard makes when git names no user."""

# Variables that would make git work on another repository, index or object store than the
# one each command names.
_LOCATION_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)


@attrs.frozen
class GitResult:
    """A finished git command."""

    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        """stdout as text, without the final newline."""
        return self.out.decode(errors="replace").rstrip("\n")


async def git(
    *args: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> GitResult:
    """``git args…`` (in ``cwd``); :class:`WorkspaceFailureError` on failure when ``check``."""
    full_env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
    full_env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})})
    try:
        proc = await asyncio.create_subprocess_exec(
            "git",
            *args,
            cwd=cwd,
            env=full_env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise WorkspaceFailureError("git is not installed (or not on PATH)") from None
    out, err = await proc.communicate()
    result = GitResult(proc.returncode or 0, out, err.decode(errors="replace").strip())
    if check and result.code != 0:
        verb = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        raise WorkspaceFailureError(f"git {verb} failed", result.err)
    return result


def identity_env(name: str, email: str) -> dict[str, str]:
    """The environment that makes ``name <email>`` a commit's author and committer."""
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


async def start_repo(folder: Path) -> str:
    """The commit a work folder starts from, making the folder a repository if it is none.

    A folder that already is one (a setup script cloned into it) starts from its ``HEAD``;
    any other becomes a repository whose first commit holds what the folder holds now.
    """
    if (folder / ".git").exists():
        head = await git(
            "rev-parse", "--verify", "--quiet", "HEAD^{commit}", cwd=folder, check=False
        )
        if head.code == 0:
            return head.text
    else:
        await git("init", "--quiet", cwd=folder)
    await git("add", "--all", cwd=folder)
    await git(
        "-c",
        "commit.gpgSign=false",
        "commit",
        "--quiet",
        "--allow-empty",
        "--no-verify",
        "--message",
        "Taskyard: the task's starting point",
        cwd=folder,
        env=identity_env(*TASKYARD_IDENTITY),
    )
    return (await git("rev-parse", "HEAD", cwd=folder)).text
