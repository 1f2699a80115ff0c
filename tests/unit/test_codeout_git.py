"""Code out over real temporary git repositories: what the diff reports, what the exported
branch holds, and what both leave alone.

The file-level cases live in ``tests/data/codeout/cases.json``: the base commit's files, what
the agent did in its work folder (a worktree of the user's repository, as the local provider
makes it), and the file table the diff must report. For each, the patch must also rebuild the
work on the base, and the task's index, HEAD and status must be what they were.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import attrs
import pytest

from taskyard.protocol import unstructure
from taskyard.services import gitwork
from taskyard.workspaces.git import TASKYARD_IDENTITY, start_repo

DATA = Path(__file__).resolve().parent.parent / "data" / "codeout" / "cases.json"
CASES = json.loads(DATA.read_text(encoding="utf-8"))["cases"]
USER = ("Ada Lovelace", "ada@example.com")


@pytest.fixture(autouse=True)
def git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A global git configuration of the test's own (the machine's must not matter)."""
    config = tmp_path / "gitconfig"
    config.write_text(f"[user]\n\tname = {USER[0]}\n\temail = {USER[1]}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return config


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=os.environ
    )
    return done.stdout.strip()


@attrs.frozen
class Repos:
    user: Path
    """The editor's repository."""
    work: Path
    """The task's work folder: a worktree of ``user`` detached at ``base``."""
    base: str


def make_repos(root: Path, files: dict[str, str]) -> Repos:
    user = root / "user"
    user.mkdir()
    git(user, "init", "--quiet", "--initial-branch=main")
    for path, text in files.items():
        write(user / path, text.encode())
    git(user, "add", "--all", "--force")  # a base may track files its .gitignore matches
    git(user, "commit", "--quiet", "--message", "base")
    base = git(user, "rev-parse", "HEAD")
    git(user, "worktree", "add", "--quiet", "--detach", str(root / "work"), base)
    return Repos(user, root / "work", base)


def write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def apply_steps(work: Path, steps: list[list[str]]) -> None:
    for step, *args in steps:
        if step == "write":
            write(work / args[0], args[1].encode())
        elif step == "write_hex":
            write(work / args[0], bytes.fromhex(args[1]))
        elif step == "delete":
            (work / args[0]).unlink()
        elif step == "move":
            (work / args[0]).rename(work / args[1])
        elif step == "chmod_x":
            (work / args[0]).chmod(0o755)
        elif step == "stage":
            git(work, "add", args[0])
        elif step == "commit":
            git(work, "add", "--all")
            git(work, "commit", "--quiet", "--message", args[0])
        else:
            raise AssertionError(f"unknown step {step}")


def folder_state(folder: Path) -> tuple[bytes, str, str]:
    """The folder's index (bytes), ``git status`` and HEAD: what code out must not change."""
    index = Path(folder, git(folder, "rev-parse", "--git-path", "index"))
    status = git(folder, "status", "--porcelain=v1", "--untracked-files=all", "--ignored")
    return index.read_bytes(), status, git(folder, "rev-parse", "HEAD")


async def take(work: Path, base: str | None, scratch: Path) -> tuple[Any, str, list[Any]]:
    """(snapshot, patch, files) as the diff request computes them."""
    scratch.mkdir(exist_ok=True)
    snap = await gitwork.snapshot(work, base, scratch)
    files = await gitwork.changes(snap)
    patch, files = await gitwork.diff(snap, files, scratch) if files else ("", [])
    return snap, patch, files


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
async def test_the_diff_is_the_work_and_the_folder_is_left_alone(
    case: dict[str, Any], tmp_path: Path
) -> None:
    repos = make_repos(tmp_path, case["base"])
    apply_steps(repos.work, case["steps"])
    before = folder_state(repos.work)

    snap, patch, files = await take(repos.work, repos.base, tmp_path / "scratch")

    assert snap.base == repos.base and snap.base_is_commit
    assert [unstructure(f) for f in files] == [{"binary": False, **f} for f in case["files"]]
    assert folder_state(repos.work) == before
    if not case["files"]:
        assert patch == ""
        assert snap.tree == git(repos.user, "rev-parse", f"{repos.base}^{{tree}}")
        return
    # Applied on the base, the patch rebuilds exactly the work's tree.
    check = tmp_path / "check"
    git(tmp_path, "clone", "--quiet", str(repos.user), str(check))
    git(check, "checkout", "--quiet", "--detach", repos.base)
    (tmp_path / "work.patch").write_text(patch, encoding="utf-8")
    git(check, "apply", "--index", str(tmp_path / "work.patch"))
    assert git(check, "write-tree") == snap.tree


async def test_the_ignored_files_and_the_tracked_ignored_file_are_right(tmp_path: Path) -> None:
    case = next(c for c in CASES if c["id"] == "tracked-file-matching-gitignore-stays")
    repos = make_repos(tmp_path, case["base"])
    apply_steps(repos.work, case["steps"])
    snap, _, _ = await take(repos.work, repos.base, tmp_path / "scratch")
    listed = git(repos.work, "ls-tree", "-r", "--name-only", snap.tree).splitlines()
    assert "settings.cfg" in listed  # tracked although .gitignore matches it


async def test_a_plain_folder_is_diffed_against_the_empty_tree(tmp_path: Path) -> None:
    """A task made before bases were recorded, in a folder that is no repository."""
    work = tmp_path / "plain"
    write(work / "hello.py", b'print("hi")\n')
    write(work / "data.bin", b"\0\1\2")
    snap, patch, files = await take(work, None, tmp_path / "scratch")
    assert not snap.base_is_commit
    assert [(f.path, f.change, f.binary) for f in files] == [
        ("data.bin", "added", True),
        ("hello.py", "added", False),
    ]
    assert '+print("hi")' in patch and "GIT binary patch" in patch
    assert not (work / ".git").exists()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param("worktree", id="worktree-first-reflog-entry"),
        pytest.param("clone", id="clone-first-reflog-entry"),
    ],
)
async def test_a_record_without_a_base_falls_back_to_where_the_folder_started(
    make: str, tmp_path: Path
) -> None:
    repos = make_repos(tmp_path, {"README.md": "hello\n"})
    work = repos.work
    if make == "clone":
        work = tmp_path / "clone"
        git(tmp_path, "clone", "--quiet", str(repos.user), str(work))
    apply_steps(work, [["write", "a.txt", "a\n"], ["commit", "agent"], ["write", "b.txt", "b\n"]])
    snap, _, files = await take(work, None, tmp_path / "scratch")
    assert snap.base == repos.base
    assert [f.path for f in files] == ["a.txt", "b.txt"]


async def test_a_recorded_base_missing_from_the_folder_falls_back(tmp_path: Path) -> None:
    repos = make_repos(tmp_path, {"README.md": "hello\n"})
    snap, _, files = await take(repos.work, "0" * 40, tmp_path / "scratch")
    assert snap.base == repos.base and files == []


# -- export ----------------------------------------------------------------------------------


def user_state(repo: Path) -> tuple[bytes, str, str, str]:
    index, status, head = folder_state(repo)
    return index, status, head, git(repo, "symbolic-ref", "HEAD")


@pytest.mark.parametrize("source", ["worktree", "clone"])
async def test_the_exported_branch_holds_the_work_on_the_base(source: str, tmp_path: Path) -> None:
    repos = make_repos(tmp_path, {"README.md": "hello\n", "old.txt": "old\n"})
    write(repos.user / "user-edit.txt", b"the user's own uncommitted file\n")
    git(repos.user, "add", "user-edit.txt")
    work = repos.work
    if source == "clone":  # as a container's copy is: objects the user's repository lacks
        work = tmp_path / "copy"
        git(tmp_path, "clone", "--quiet", str(repos.user), str(work))
    steps = [["write", "a.txt", "a\n"], ["commit", "agent"], ["delete", "old.txt"]]
    apply_steps(work, [*steps, ["write_hex", "blob.bin", "00ff00"]])
    user_before, work_before = user_state(repos.user), folder_state(work)

    snap, _, files = await take(work, repos.base, tmp_path / "scratch")
    commit = await gitwork.commit(snap, "Export", await gitwork.identity(repos.user))
    assert await gitwork.create_branch(repos.user, "task/export", commit, snap.repo)

    assert git(repos.user, "rev-parse", "task/export") == commit
    assert git(repos.user, "rev-parse", "task/export^{tree}") == snap.tree
    assert git(repos.user, "rev-parse", "task/export^") == repos.base
    assert git(repos.user, "log", "-1", "--format=%an <%ae>|%s", commit) == (
        f"{USER[0]} <{USER[1]}>|Export"
    )
    changed = git(repos.user, "diff", "--name-status", repos.base, "task/export").splitlines()
    assert changed == ["A\ta.txt", "A\tblob.bin", "D\told.txt"]
    assert len(files) == len(changed)
    assert user_state(repos.user) == user_before
    assert folder_state(work) == work_before


async def test_the_author_is_taskyard_when_git_names_nobody(
    tmp_path: Path, git_config: Path
) -> None:
    repos = make_repos(tmp_path, {"README.md": "hello\n"})
    git_config.write_text("")
    assert await gitwork.identity(repos.user) == TASKYARD_IDENTITY


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        pytest.param("task/good-name", None, id="valid"),
        pytest.param("main", "a branch named 'main' already exists", id="exists"),
        pytest.param("bad..name", "is not a valid branch name", id="double-dot"),
        pytest.param("with space", "is not a valid branch name", id="space"),
        pytest.param("-dash", "is not a valid branch name", id="leading-dash"),
        pytest.param("@{-1}", "is not a valid branch name", id="previous-branch-syntax"),
        pytest.param("ends.lock", "is not a valid branch name", id="lock-suffix"),
        pytest.param("a~b", "is not a valid branch name", id="tilde"),
        pytest.param("trailing/", "is not a valid branch name", id="trailing-slash"),
    ],
)
async def test_branch_names(name: str, problem: str | None, tmp_path: Path) -> None:
    repos = make_repos(tmp_path, {"README.md": "hello\n"})
    found = await gitwork.branch_problem(repos.user, name)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


async def test_a_branch_made_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    repos = make_repos(tmp_path, {"README.md": "hello\n"})
    apply_steps(repos.work, [["write", "a.txt", "a\n"]])
    snap, _, _ = await take(repos.work, repos.base, tmp_path / "scratch")
    commit = await gitwork.commit(snap, "Export", TASKYARD_IDENTITY)
    git(repos.user, "branch", "late", repos.base)
    assert not await gitwork.create_branch(repos.user, "late", commit, snap.repo)
    assert git(repos.user, "rev-parse", "late") == repos.base


# -- the starting commit ---------------------------------------------------------------------


async def test_start_repo_commits_what_a_plain_folder_holds(tmp_path: Path) -> None:
    write(tmp_path / "w" / "setup-made.txt", b"x\n")
    head = await start_repo(tmp_path / "w")
    assert git(tmp_path / "w", "rev-parse", "HEAD") == head
    assert git(tmp_path / "w", "ls-tree", "--name-only", head) == "setup-made.txt"
    assert git(tmp_path / "w", "log", "-1", "--format=%an") == TASKYARD_IDENTITY[0]
    again = await start_repo(tmp_path / "w")
    assert again == head  # a repository already: its HEAD


async def test_start_repo_gives_an_empty_folder_an_empty_commit(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    head = await start_repo(tmp_path / "w")
    assert git(tmp_path / "w", "ls-tree", head) == ""
    assert git(tmp_path / "w", "status", "--porcelain") == ""
