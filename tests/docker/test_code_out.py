"""Code out from containers: the work folder is copied out with ``get_archive`` whether the
container runs or is stopped, and diffed (or exported) on this machine without touching the
container's own repository.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from taskyard.lifecycle import ProviderName, TaskStatus, WorkspaceRecord
from taskyard.services.codeout import CodeOutService
from taskyard.services.store import TaskRecord

from .conftest import Harness, Logs, wait_reply


@attrs.define
class OneTask:
    """A store holding just the task under test (the service only looks tasks up)."""

    record: TaskRecord

    async def get_task(self, ref: str) -> TaskRecord | None:
        return self.record if ref in (self.record.id, self.record.name) else None


def service(harness: Harness, data: dict[str, Any], repo: Path | None = None) -> CodeOutService:
    now = datetime.now(UTC)
    record = TaskRecord(
        id=data["id"], name="boxed", display_name="Boxed work", template="demo",
        status=TaskStatus.ACTIVE, created_at=now, updated_at=now,
        workspace=WorkspaceRecord(provider=ProviderName.DOCKER, made=True, data=data),
    )  # fmt: skip
    return CodeOutService(
        store=OneTask(record),  # type: ignore[arg-type]
        providers={"docker": harness.provider},
        source_repo=str(repo) if repo else None,
    )


def container_git(harness: Harness, task_id: str, *args: str) -> bytes:
    found = harness.container(task_id).exec_run(["git", "-C", "/workspace", *args], user="1000")
    assert found.exit_code == 0, found.output
    return bytes(found.output)


async def test_diff_from_a_running_then_a_stopped_container(harness: Harness) -> None:
    spec = harness.spec(initial_prompt="create hello.txt with hi there")  # repo "none"
    logs = Logs()
    data = await harness.provider.create(spec, logs)
    assert "new repository in /workspace" in logs.text("startup")
    client = harness.provider.client(data)
    await wait_reply(client, "Created hello.txt")
    code = service(harness, data)
    status = container_git(harness, spec.task_id, "status", "--porcelain")

    running = await code.diff("boxed")
    assert running.base == data["base_commit"]
    assert [(f.path, f.change, f.additions) for f in running.files] == [("hello.txt", "added", 1)]
    assert "+hi there" in running.patch
    assert container_git(harness, spec.task_id, "status", "--porcelain") == status

    data = await harness.provider.stop(data, grace=10.0)
    assert harness.container(spec.task_id).status == "exited"
    stopped = await code.diff("boxed")
    assert (stopped.base, stopped.patch, stopped.files) == (
        running.base,
        running.patch,
        running.files,
    )
    # Without its container (removed by hand), the work volume is read through a throwaway one.
    harness.container(spec.task_id).remove(force=True)
    removed = await code.diff("boxed")
    assert (removed.patch, removed.files) == (running.patch, running.files)
    assert sorted(harness.leftovers(spec.task_id)) == [
        f"taskyard-{spec.task_id}-home",
        f"taskyard-{spec.task_id}-work",
    ]  # only the volumes: the reader container is gone
    await harness.provider.delete(data)


def git(repo: Path, *args: str) -> str:
    ident = ["-c", "user.name=T", "-c", "user.email=t@taskyard.invalid"]
    done = subprocess.run(["git", "-C", str(repo), *ident, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The editor's repository, one commit on ``main``."""
    folder = tmp_path / "repo"
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(folder)], check=True)
    (folder / "README.md").write_text("hello\n")
    git(folder, "add", "README.md")
    git(folder, "commit", "-q", "-m", "first")
    return folder


async def test_export_of_a_cloned_repository_makes_the_branch_on_the_host(
    harness: Harness, repo: Path
) -> None:
    spec = harness.spec(
        repo="worktree", source_repo=str(repo), initial_prompt="create notes.md with boxed"
    )
    data = await harness.provider.create(spec, Logs())
    client = harness.provider.client(data)
    await wait_reply(client, "Created notes.md")
    data = await harness.provider.stop(data, grace=10.0)

    result = await service(harness, data, repo).export_branch("boxed", "boxed/notes")

    assert result.files == 1 and git(repo, "rev-parse", "boxed/notes") == result.commit
    assert git(repo, "show", "boxed/notes:notes.md") == "boxed"
    assert git(repo, "rev-parse", "boxed/notes^") == data["base_commit"]
    assert data["base_commit"] == git(repo, "rev-parse", "main")
    assert git(repo, "log", "-1", "--format=%s", "boxed/notes") == "Boxed work"
    assert git(repo, "status", "--porcelain") == "" and not (repo / "notes.md").exists()
    await harness.provider.delete(data)


CLONE_IN_SETUP = (
    "set -e; git init -q /tmp/src; cd /tmp/src; echo upstream > README.md; git add README.md; "
    "git -c user.name=u -c user.email=u@example.com commit -qm upstream; "
    "git clone -q /tmp/src /workspace"
)


async def test_a_setup_script_may_clone_into_the_empty_work_folder(harness: Harness) -> None:
    # repo = "none" with a setup script: the folder is left empty for it (git clone wants that).
    spec = harness.spec(
        repo="none", setup_script=CLONE_IN_SETUP, initial_prompt="create notes.md with mine"
    )
    logs = Logs()
    data = await harness.provider.create(spec, logs)
    assert "empty work folder /workspace for the template's setup script" in logs.text("startup")
    assert "base_commit" not in data
    client = harness.provider.client(data)
    await wait_reply(client, "Created notes.md")
    result = await service(harness, data).diff("boxed")
    # The base is where the cloned repository started: only the agent's file is new.
    assert [(f.path, f.change) for f in result.files] == [("notes.md", "added")]
    await harness.provider.delete(data)
