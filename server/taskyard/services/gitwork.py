"""Git plumbing for code out: a task's work folder as a tree, a patch, a commit and a branch.

Nothing here changes the task's index, working tree, HEAD or refs, nor the user's working tree,
index or HEAD; only objects are written (and, in the user's repository, the new branch)::

    snapshot   GIT_INDEX_FILE=<scratch>/index, a copy of the folder's own index (or HEAD's
               tree); ``git add --all`` (so .gitignore holds, untracked files count, the
               agent's commits and uncommitted changes alike); ``git write-tree``
    diff       ``git diff --binary --find-renames <base> <tree>``, and the same with
               ``--numstat``/``--name-status`` for the file table
    commit     ``git commit-tree <tree> -p <base>``, author from git config or Taskyard
    branch     the commit fetched into the user's repository when it is not there yet, then
               ``git update-ref refs/heads/<name> <commit> ""`` (refuses a branch that exists)

A folder that is no repository (a task made before bases were recorded, in a plain folder) is
read through a scratch repository whose base is the empty tree: every file is added.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import attrs

from taskyard.protocol import DiffChange, DiffFile
from taskyard.workspaces.git import TASKYARD_IDENTITY, GitResult, git, identity_env

# Settings of the folder's own or the user's configuration that would change what git writes
# or print a patch other tools cannot apply.
_CONFIG = (
    "-c", "core.fsmonitor=false",
    "-c", "core.splitIndex=false",
    "-c", "diff.orderFile=/dev/null",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
)  # fmt: skip
_DIFF = (
    "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative",
    "--find-renames", "--src-prefix=a/", "--dst-prefix=b/",
)  # fmt: skip
_CHANGES: dict[str, DiffChange] = {
    "A": "added",
    "C": "added",
    "D": "deleted",
    "M": "modified",
    "T": "modified",
    "R": "renamed",
}


@attrs.frozen
class WorkRepo:
    """Where git reads a work folder: its own repository, or a scratch one beside it."""

    work: Path
    index: Path
    """The temporary index every command here uses."""
    git_dir: Path | None = None
    """The scratch repository when the folder is none."""

    @property
    def source(self) -> str:
        """What ``git fetch`` reads this repository's objects from."""
        return str(self.git_dir or self.work)

    async def run(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> GitResult:
        scope = {
            "GIT_INDEX_FILE": str(self.index),
            "GIT_CEILING_DIRECTORIES": str(self.work.parent),
        }
        if self.git_dir is not None:
            scope.update(GIT_DIR=str(self.git_dir), GIT_WORK_TREE=str(self.work))
        return await git(*_CONFIG, *args, cwd=self.work, env={**scope, **(env or {})}, check=check)


@attrs.frozen
class Snapshot:
    """The work folder's content as a tree, and the base it is compared with."""

    repo: WorkRepo
    base: str
    """The commit the work started from, or the empty tree when there is none."""
    base_is_commit: bool
    tree: str


async def snapshot(work: Path, recorded_base: str | None, scratch: Path) -> Snapshot:
    """The tree of everything in ``work`` now (see the module docstring); ``scratch`` is a
    private folder that outlives the snapshot's use."""
    index = scratch / "index"
    if (work / ".git").exists():
        repo = WorkRepo(work, index)
        await _seed_index(repo)
    else:
        repo = WorkRepo(work, index, scratch / "repo.git")
        await git("init", "--quiet", "--bare", str(repo.git_dir))
    await repo.run("add", "--all")
    tree = (await repo.run("write-tree")).text
    base, is_commit = await _base(repo, recorded_base)
    return Snapshot(repo, base, is_commit, tree)


async def _seed_index(repo: WorkRepo) -> None:
    """Start from the folder's own index (staged files, ignored-but-tracked ones, stat data),
    or from HEAD's tree when it has none."""
    scope = {"GIT_CEILING_DIRECTORIES": str(repo.work.parent)}
    where = await git("rev-parse", "--git-path", "index", cwd=repo.work, env=scope)
    own = repo.work / where.text
    if own.is_file():
        await asyncio.to_thread(shutil.copyfile, own, repo.index)
    elif await _commit_exists(repo, "HEAD"):
        await repo.run("read-tree", "HEAD")


async def _base(repo: WorkRepo, recorded: str | None) -> tuple[str, bool]:
    """The recorded base; for records without one, HEAD's oldest reflog entry (the checkout
    the folder started with), else its root commit, else the empty tree."""
    if recorded and await _commit_exists(repo, recorded):
        return recorded, True
    if repo.git_dir is None:
        reflog = await repo.run("log", "--walk-reflogs", "--format=%H", "HEAD", check=False)
        roots = await repo.run("rev-list", "--max-parents=0", "HEAD", check=False)
        for found in (reflog, roots):
            oldest = found.text.splitlines()[-1:] if found.code == 0 else []
            if oldest and await _commit_exists(repo, oldest[0]):
                return oldest[0], True
    empty = await repo.run("hash-object", "-t", "tree", "--stdin")
    return empty.text, False


async def _commit_exists(repo: WorkRepo, rev: str) -> bool:
    found = await repo.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    return found.code == 0


# -- diff ------------------------------------------------------------------------------------


async def changes(snap: Snapshot) -> list[DiffFile]:
    """The changed files, in git's order (by path)."""
    repo, ends = snap.repo, (snap.base, snap.tree)
    status = (await repo.run(*_DIFF, "--name-status", "-z", *ends)).out.split(b"\0")
    numstat = (await repo.run(*_DIFF, "--numstat", "-z", *ends)).out.split(b"\0")
    files: list[DiffFile] = []
    while len(status) > 1:
        code, path = _text(status.pop(0))[:1], _text(status.pop(0))
        old = None
        if code in ("R", "C"):
            old, path = path, _text(status.pop(0))
        counts = _text(numstat.pop(0)).split("\t")
        if counts[2:] == [""]:  # a rename: both paths follow as their own fields
            del numstat[:2]
        binary = counts[0] == "-"
        files.append(
            DiffFile(
                path=path,
                old_path=old if code == "R" else None,
                change=_CHANGES.get(code, "modified"),
                additions=0 if binary else int(counts[0]),
                deletions=0 if binary else int(counts[1]),
                binary=binary,
            )
        )
    return files


async def diff(snap: Snapshot, files: list[DiffFile], scratch: Path) -> tuple[str, list[DiffFile]]:
    """The patch from the base to the work (``git apply``-able, binary files included), and
    ``files`` as the patch carries them.

    A text file that is not UTF-8 cannot travel in a JSON string as it is, so it goes as a
    binary patch instead (``-diff`` for it in a temporary attributes file) and is marked binary.
    """
    out = (await snap.repo.run(*_DIFF, "--binary", snap.base, snap.tree)).out
    try:
        return out.decode(), files
    except UnicodeDecodeError:
        pass
    chunks = re.split(rb"(?m)^(?=diff --git )", out)[1:]
    odd = {f.path for f, chunk in zip(files, chunks, strict=False) if not _is_utf8(chunk)}
    lines = [_attribute_line(p) for f in files if f.path in odd for p in {f.path, f.old_path} if p]
    attributes = scratch / "not-utf8.attributes"
    await asyncio.to_thread(attributes.write_text, "".join(lines), encoding="utf-8")
    override = ("-c", f"core.attributesFile={attributes}")
    out = (await snap.repo.run(*override, *_DIFF, "--binary", snap.base, snap.tree)).out
    marked = [
        attrs.evolve(f, binary=True, additions=0, deletions=0) if f.path in odd else f
        for f in files
    ]
    return out.decode(errors="replace"), marked


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def _attribute_line(path: str) -> str:
    """``"/<path>" -diff`` with the path's glob characters and C-style specials escaped."""
    glob = re.sub(r"([*?\[\\])", r"\\\1", path)
    quoted = glob.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"/{quoted}" -diff\n'


def _text(raw: bytes) -> str:
    # A file name that is not UTF-8 is shown with replacement characters (the patch keeps it).
    return raw.decode(errors="replace")


# -- commit and branch -------------------------------------------------------------------------


async def identity(repository: Path) -> tuple[str, str]:
    """``(name, email)`` from the user's git configuration, else Taskyard's."""
    name = await git("config", "user.name", cwd=repository, check=False)
    email = await git("config", "user.email", cwd=repository, check=False)
    if name.code == 0 and email.code == 0 and name.text and email.text:
        return name.text, email.text
    return TASKYARD_IDENTITY


async def commit(snap: Snapshot, message: str, author: tuple[str, str]) -> str:
    """A commit of the work's tree on top of the base (a root commit without one)."""
    parents = ("-p", snap.base) if snap.base_is_commit else ()
    made = await snap.repo.run(
        "commit-tree", "--no-gpg-sign", snap.tree, *parents, "-m", message,
        env=identity_env(*author),
    )  # fmt: skip
    return made.text


async def branch_problem(repository: Path, name: str) -> str | None:
    """Why ``name`` cannot be a new branch of ``repository``, or None when it can."""
    checked = await git("check-ref-format", "--branch", name, cwd=repository, check=False)
    # --branch expands "@{-1}" and the like: only a name that stays itself is a name.
    if name.startswith("-") or checked.code != 0 or checked.text != name:
        return f"{name!r} is not a valid branch name"
    if await _branch_exists(repository, name):
        return f"a branch named {name!r} already exists in {repository}"
    return None


async def create_branch(repository: Path, name: str, commit_id: str, source: WorkRepo) -> bool:
    """Point the new branch ``name`` at ``commit_id``; False when the branch exists already.

    The commit's objects are fetched from ``source`` unless the repository has them (a local
    worktree shares its repository's objects).
    """
    have = await git("cat-file", "-e", f"{commit_id}^{{commit}}", cwd=repository, check=False)
    if have.code != 0:
        await git(
            "-c", "protocol.version=2", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
            "--no-recurse-submodules", source.source, commit_id, cwd=repository,
        )  # fmt: skip
    ref = f"refs/heads/{name}"
    made = await git(
        "update-ref", "-m", "taskyard: export", ref, commit_id, "", cwd=repository, check=False
    )
    if made.code == 0:
        return True
    if await _branch_exists(repository, name):
        return False
    await git("update-ref", ref, commit_id, "", cwd=repository)  # raises with git's words
    return True


async def _branch_exists(repository: Path, name: str) -> bool:
    ref = f"refs/heads/{name}"
    found = await git("show-ref", "--verify", "--quiet", ref, cwd=repository, check=False)
    return found.code == 0
