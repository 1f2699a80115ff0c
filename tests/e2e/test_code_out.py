"""Code out through the real stdio sidecar: ``taskyard/tasks/diff`` and ``exportBranch``.

One sidecar works in a git repository (its tasks are worktrees of it): the demo agent writes a
file, the diff shows it while the task runs and while it is paused, and ``exportBranch`` turns
it into a branch of the repository without touching its working tree or HEAD. A second sidecar
works in a plain folder: the task's folder still diffs (it became a repository at creation),
and exporting answers ``noRepository``. Bad branch names and unknown tasks get their errors.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import call, e2e_folder, initialize, make_client, recorder, sidecar_env

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = e2e_folder("codeout")
REPO = ROOT / "repo"
PLAIN = ROOT / "plain"
GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": "/dev/null",  # no user: exports are authored by Taskyard
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path = REPO) -> str:
    env = {**GIT_ENV, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com"}
    env |= {"GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def make_repo() -> None:
    REPO.mkdir(parents=True)
    PLAIN.mkdir()
    git("init", "--quiet", "--initial-branch=main")
    (REPO / "README.md").write_text("the user's project\n")
    git("add", "README.md")
    git("commit", "--quiet", "--message", "start")


make_repo()


def config(name: str) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "taskyard", "serve"],
        client_factory=make_client,
        server_env={**sidecar_env(ROOT / name), **GIT_ENV},
    )


@pytest_lsp.fixture(scope="module", loop_scope="module", config=config("data-repo"))
async def client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    await initialize(lsp_client, REPO)
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(scope="module", loop_scope="module", config=config("data-plain"))
async def plain_client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    await initialize(lsp_client, PLAIN)
    yield lsp_client
    await lsp_client.shutdown_session()


async def error_of(client: LanguageClient, method: str, params: Any) -> JsonRpcException:
    try:
        await asyncio.wait_for(call(client, method, params), 30)
    except JsonRpcException as exc:
        return exc
    raise AssertionError(f"{method} {params} succeeded")


async def idle_task(client: LanguageClient, prompt: str) -> dict[str, Any]:
    task: dict[str, Any] = await call(
        client, "taskyard/tasks/create", {"template": "demo", "prompt": prompt}
    )

    def idle(p: dict[str, Any]) -> bool:
        t = p["task"]
        return t["id"] == task["id"] and (t.get("state") or {}).get("state") == "idle"

    await recorder(client).wait("taskyard/tasks/didChange", idle, 60)
    return task


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def task(client: LanguageClient) -> dict[str, Any]:
    return await idle_task(client, 'create hello.py with print("hello")')


def hello_added(diff: dict[str, Any]) -> bool:
    files = {f["path"]: f for f in diff["files"]}
    return files.get("hello.py", {}).get("change") == "added" and "+print(" in diff["patch"]


async def test_the_diff_shows_the_agents_file(client: LanguageClient, task: dict[str, Any]) -> None:
    diff = await call(client, "taskyard/tasks/diff", {"task": task["name"]})
    assert diff["base"] == git("rev-parse", "HEAD")
    assert diff["files"] == [
        {"path": "hello.py", "change": "added", "additions": 1, "deletions": 0, "binary": False}
    ]
    assert diff["patch"].startswith("diff --git a/hello.py b/hello.py\nnew file mode 100644")
    assert diff["fileName"] == f"{task['name']}.patch"


async def test_export_branch_creates_it_and_leaves_the_repository_alone(
    client: LanguageClient, task: dict[str, Any]
) -> None:
    head, status = git("rev-parse", "HEAD"), git("status", "--porcelain")
    result = await call(
        client, "taskyard/tasks/exportBranch", {"task": task["id"], "branch": "task/hello"}
    )
    assert result["branch"] == "task/hello" and result["files"] == 1
    assert result["repository"] == str(REPO)
    assert git("rev-parse", "task/hello") == result["commit"]
    assert git("rev-parse", "task/hello^") == head
    assert git("show", "task/hello:hello.py").startswith("print(")
    assert git("log", "-1", "--format=%an", "task/hello") == "Taskyard"
    assert git("symbolic-ref", "HEAD") == "refs/heads/main"
    assert (git("rev-parse", "HEAD"), git("status", "--porcelain")) == (head, status)
    assert not (REPO / "hello.py").exists()


@pytest.mark.parametrize(
    ("branch", "message"),
    [
        pytest.param("task/hello", "already exists", id="existing-branch"),
        pytest.param("bad..name", "not a valid branch name", id="invalid-name"),
    ],
)
async def test_a_bad_branch_is_invalid_parameters_naming_the_field(
    client: LanguageClient, task: dict[str, Any], branch: str, message: str
) -> None:
    exc = await error_of(
        client, "taskyard/tasks/exportBranch", {"task": task["id"], "branch": branch}
    )
    assert exc.code == 1003 and exc.data["kind"] == "invalidParameters"
    assert [e["parameter"] for e in exc.data["parameterErrors"]] == ["branch"]
    assert message in exc.message


@pytest.mark.parametrize(
    "method", ["taskyard/tasks/diff", "taskyard/tasks/exportBranch"], ids=["diff", "export"]
)
async def test_an_unknown_task_is_task_not_found(client: LanguageClient, method: str) -> None:
    params = {"task": "no-such-task", **({"branch": "x"} if "export" in method else {})}
    exc = await error_of(client, method, params)
    assert exc.code == 1001 and exc.data["kind"] == "taskNotFound"


async def test_the_diff_of_a_paused_task(client: LanguageClient, task: dict[str, Any]) -> None:
    await call(client, "taskyard/tasks/pause", {"task": task["id"]})
    await recorder(client).wait(
        "taskyard/tasks/didChange",
        lambda p: p["task"]["id"] == task["id"] and p["task"]["status"] == "paused",
    )
    diff = await call(client, "taskyard/tasks/diff", {"task": task["id"]})
    assert hello_added(diff)
    await call(client, "taskyard/tasks/delete", {"task": task["id"]})


async def test_without_a_repository_the_diff_works_and_export_is_no_repository(
    plain_client: LanguageClient,
) -> None:
    task = await idle_task(plain_client, "create notes.txt with hi")
    diff = await call(plain_client, "taskyard/tasks/diff", {"task": task["id"]})
    assert [(f["path"], f["change"]) for f in diff["files"]] == [("notes.txt", "added")]
    exc = await error_of(
        plain_client, "taskyard/tasks/exportBranch", {"task": task["id"], "branch": "x"}
    )
    assert exc.code == 1013 and exc.data["kind"] == "noRepository"
    await call(plain_client, "taskyard/tasks/delete", {"task": task["id"]})
