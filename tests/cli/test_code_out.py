"""``taskyard task diff`` and ``taskyard task export-branch`` on a demo task, from a project that is
a git repository: the patch on stdout, in a file, as a file table and as JSON; the branch made
in the project; and the errors (existing branch, bad name, unknown task, no repository, an
unwritable file), each one line and exit code 1.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Cli

NAME = "coder"
GIT_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "a@example.com"}
    env |= {"GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "a@example.com"}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A CLI whose project folder is a repository with one commit, and a task that wrote
    ``hello.py`` in its worktree."""
    runner = Cli(tmp_path_factory.mktemp("cli-code"))
    git(runner.project, "init", "--quiet", "--initial-branch=main")
    (runner.project / "README.md").write_text("project\n")
    git(runner.project, "add", "README.md")
    git(runner.project, "commit", "--quiet", "--message", "start")
    try:
        made = runner("task", "create", "create hello.py with print(1)", "--template", "demo",
                      "--name", NAME, env=GIT_ENV)  # fmt: skip
        assert made.code == 0, made.err
        assert runner.watch(NAME).code == 0
        yield runner
    finally:
        runner.cleanup()


def test_diff_prints_the_patch(cli: Cli) -> None:
    result = cli("task", "diff", NAME)
    assert result.code == 0, result.err
    assert result.out.startswith("diff --git a/hello.py b/hello.py\nnew file mode 100644\n")
    assert "+print(1)" in result.out
    (cli.project.parent / "stdout.patch").write_text(result.out)
    git(cli.project, "apply", "--check", str(cli.project.parent / "stdout.patch"))


def test_diff_stat_lists_the_files(cli: Cli) -> None:
    result = cli("task", "diff", NAME, "--stat")
    assert result.code == 0, result.err
    header, row, summary = result.out.strip().splitlines()
    assert header.split() == ["FILE", "+", "-"]
    assert row.split() == ["A", "hello.py", "1", "0"]
    assert summary.startswith("1 file changed, +1 -0 against ")


def test_diff_to_a_file_and_as_json(cli: Cli) -> None:
    target = cli.project.parent / "out" / "work.patch"
    target.parent.mkdir()
    saved = cli("task", "diff", NAME, "--output", str(target))
    assert saved.code == 0, saved.err
    assert saved.out == ""
    assert f"Saved the patch of task {NAME} (1 file changed) to {target}" in saved.err
    assert "+print(1)" in target.read_text()
    data = cli("task", "diff", NAME, "-o", "json").json()
    assert data["fileName"] == f"{NAME}.patch"
    assert [f["path"] for f in data["files"]] == ["hello.py"]
    assert data["base"] == git(cli.project, "rev-parse", "HEAD")


def test_export_branch_creates_it_in_the_project(cli: Cli) -> None:
    head = git(cli.project, "rev-parse", "HEAD")
    result = cli("task", "export-branch", NAME, "task/hello", "-m", "Add hello.py", env=GIT_ENV)
    assert result.code == 0, result.err
    commit = git(cli.project, "rev-parse", "task/hello")
    assert result.out.strip() == (
        f"Created branch task/hello at {commit[:12]} in {cli.project} (1 file changed); "
        "your working tree and HEAD are untouched."
    )
    assert git(cli.project, "log", "-1", "--format=%s|%an|%P", "task/hello") == (
        f"Add hello.py|Taskyard|{head}"
    )
    assert git(cli.project, "rev-parse", "HEAD") == head
    assert git(cli.project, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(
            ("task", "export-branch", NAME, "task/hello"),
            "a branch named 'task/hello' already exists",
            id="existing-branch",
        ),
        pytest.param(
            ("task", "export-branch", NAME, "no..dots"),
            "'no..dots' is not a valid branch name",
            id="invalid-name",
        ),
        pytest.param(("task", "diff", "nope"), "no task with id or name 'nope'", id="unknown-task"),
        pytest.param(
            ("task", "diff", NAME, "--output", "/nonexistent/dir/x.patch"),
            "cannot save the patch to /nonexistent/dir/x.patch",
            id="unwritable-file",
        ),
    ],
)
def test_errors_are_one_line(cli: Cli, args: tuple[str, ...], error: str) -> None:
    result = cli(*args)
    assert result.code == 1, result
    assert result.error_line.startswith(f"taskyard: error: {error}")


def test_export_without_a_repository(cli: Cli, tmp_path: Path) -> None:
    result = cli("--workspace", str(tmp_path), "task", "export-branch", NAME, "x", "-o", "json")
    assert result.code == 1
    assert result.json()["error"]["kind"] == "noRepository"
    assert "is not a git repository" in result.error_line
