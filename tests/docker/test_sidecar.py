"""Docker workspaces through the real stdio sidecar: what the editor sees, and crash safety.

The sidecar runs as the editor starts it (Docker on, a git repository as its workspace): a demo
task comes up in a container with its start-up logs streamed, survives a kill -9 of the
sidecar mid-turn (reattached, not duplicated), survives a restart of the engine (honestly
paused, then resumed with its conversation), and leaves nothing behind when deleted.
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
from pygls.lsp.client import LanguageClient

from taskyard.workspaces.docker.engine import task_filter
from tests.e2e.conftest import initialize, make_client, recorder, sidecar_env

from .test_engine_restart import ROOT, stop_dockerd

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

PROMPT = 'create hello.py with print("hi")'


class Sidecar:
    """One sidecar process (Docker on) and its pytest-lsp client."""

    def __init__(self, data: Path, workspace: Path) -> None:
        self.data, self.workspace = data, workspace
        self.client: LanguageClient | None = None

    async def start(self) -> Sidecar:
        env = sidecar_env(self.data)
        env.pop("TASKYARD_DOCKER")
        self.client = make_client()
        await self.client.start_io(sys.executable, "-m", "taskyard", "serve", env=env)
        await initialize(self.client, self.workspace)  # type: ignore[arg-type]
        return self

    async def call(self, method: str, params: dict[str, Any], within: float = 60) -> Any:
        assert self.client is not None
        return await asyncio.wait_for(
            self.client.protocol.send_request_async(method, params), within
        )

    async def task(self, task_id: str, check: Any, within: float = 90, after: int = 0) -> Any:
        note = await recorder(self.client).wait(  # type: ignore[arg-type]
            "taskyard/tasks/didChange",
            lambda p: p["task"]["id"] == task_id and check(p["task"]),
            within,
            after,
        )
        return note["task"]

    def mark(self) -> int:
        return recorder(self.client).mark()  # type: ignore[arg-type]

    async def kill(self) -> None:
        assert self.client is not None
        self.client._server.kill()  # type: ignore[union-attr]  # kill -9: no shutdown at all
        await self.client._server.wait()  # type: ignore[union-attr]

    async def stop(self) -> None:
        assert self.client is not None
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await asyncio.sleep(0.2)


def state(task: dict[str, Any]) -> str | None:
    return (task.get("state") or {}).get("state")


def idle(task: dict[str, Any]) -> bool:
    return task["status"] == "active" and state(task) == "idle"


def repository(folder: Path) -> Path:
    folder.mkdir()
    git = [
        "git",
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.com",
        "-c",
        "commit.gpgsign=false",
    ]
    (folder / "README.md").write_text("# shop\n")
    for step in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        [*git, "commit", "-qm", "init"],
    ):
        subprocess.run(step, cwd=folder, check=True, capture_output=True)
    return folder


def containers(docker_client: Any, task_id: str) -> list[Any]:
    return docker_client.containers.list(all=True, filters=task_filter(task_id))


def leftovers(docker_client: Any, task_id: str) -> list[str]:
    found = [c.name for c in containers(docker_client, task_id)]
    return found + [v.name for v in docker_client.volumes.list(filters=task_filter(task_id))]


@pytest.fixture
async def side(tmp_path: Path, docker_client: Any) -> AsyncIterator[Sidecar]:
    """A sidecar on a fresh data folder and repository; its tasks are deleted afterwards."""
    sidecar = await Sidecar(tmp_path / "data", repository(tmp_path / "repo")).start()
    yield sidecar
    listed = await sidecar.call("taskyard/tasks/list", {})
    for task in listed["tasks"]:
        await sidecar.call("taskyard/tasks/delete", {"task": task["id"]})
    await sidecar.stop()


async def test_a_docker_task_through_the_sidecar_survives_a_sidecar_kill(
    side: Sidecar, tmp_path: Path, docker_client: Any
) -> None:
    info = await side.call("taskyard/server/info", {})
    assert info["defaultProvider"] == "docker"
    assert info["repository"] == str(tmp_path / "repo")
    created = await side.call("taskyard/tasks/create", {"template": "demo", "prompt": PROMPT})
    task_id = created["id"]
    assert created["workspace"]["provider"] == "docker"
    ready = await side.task(task_id, idle)
    assert ready["workspace"]["status"] == "running"
    streams = {
        line["stream"]
        for note in recorder(side.client).of("taskyard/tasks/logDidAppend")  # type: ignore[arg-type]
        if note["taskId"] == task_id
        for line in note["lines"]
    }
    assert {"startup", "agent"} <= streams
    (box,) = containers(docker_client, task_id)
    assert box.labels["dev.taskyard.task"] == task_id
    assert box.status == "running"

    # kill -9 the sidecar while the agent works; a new one reattaches to the same container.
    mark = side.mark()
    await side.call("taskyard/tasks/send", {"task": task_id, "content": "sleep 4"})
    await side.task(task_id, lambda t: state(t) == "working", 30, mark)
    await side.kill()
    await side.start()
    done = await side.task(task_id, idle, 60)
    assert done["workspace"]["provider"] == "docker"
    messages = (await side.call("taskyard/tasks/messages", {"task": task_id}))["messages"]
    assert messages[-1]["content"].startswith("Slept for 4 seconds")
    assert [m["content"] for m in messages if m["role"] == "user"].count(PROMPT) == 1
    (again,) = containers(docker_client, task_id)
    assert again.id == box.id  # reattached: the same container, no duplicate

    await side.call("taskyard/tasks/delete", {"task": task_id})
    assert leftovers(docker_client, task_id) == []


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("CI") != "true" and os.environ.get("TASKYARD_DOCKER_RESTART_TEST") != "1",
    reason="restarts the Docker engine: runs in CI or with TASKYARD_DOCKER_RESTART_TEST=1",
)
async def test_an_engine_restart_under_the_sidecar_pauses_honestly_and_resumes(
    side: Sidecar, docker_client: Any
) -> None:
    created = await side.call("taskyard/tasks/create", {"template": "demo", "prompt": PROMPT})
    task_id = created["id"]
    await side.task(task_id, idle)
    before = (await side.call("taskyard/tasks/messages", {"task": task_id}))["messages"]
    mark = side.mark()
    await side.call("taskyard/tasks/send", {"task": task_id, "content": "sleep 30"})
    await side.task(task_id, lambda t: state(t) == "working", 30, mark)

    await stop_dockerd()
    setup = [str(ROOT / "tools" / "docker-setup.sh")]
    await asyncio.to_thread(subprocess.run, setup, check=True, capture_output=True)
    # On its way down the engine stops the agent first (a passing "error"), then the bridge.
    paused = await side.task(task_id, lambda t: t["workspace"]["status"] != "running", 60, mark)
    assert (paused["status"], paused["workspace"]["status"]) == ("paused", "stopped")
    assert paused["actions"]["resume"] is True
    assert len(containers(docker_client, task_id)) == 1

    mark = side.mark()
    await side.call("taskyard/tasks/resume", {"task": task_id})
    await side.task(task_id, idle, 90, mark)
    after = (await side.call("taskyard/tasks/messages", {"task": task_id}))["messages"]
    assert after[: len(before)] == before
    assert [m["content"] for m in after if m["role"] == "user"].count(PROMPT) == 1
    assert len(containers(docker_client, task_id)) == 1
    await side.call("taskyard/tasks/delete", {"task": task_id})
    assert leftovers(docker_client, task_id) == []
