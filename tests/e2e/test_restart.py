"""Crash safety and multi-process visibility of the real sidecar.

kill -9 the sidecar while agents work: the bridges keep running, a new sidecar reattaches every
task and nothing is lost. A task created by another Taskyard process (what the CLI does) shows
up in the editor within a second, without polling.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pygls.lsp.client import LanguageClient

from taskyard.app import build_services
from taskyard.protocol import TasksCreateParams

from .conftest import e2e_folder, recorder, rpc, sidecar_env
from .conftest import start_sidecar as start_fresh_sidecar

pytestmark = pytest.mark.asyncio(loop_scope="module")

DATA = e2e_folder("restart")
WORKSPACE = e2e_folder("restart-ws")


async def start_sidecar() -> LanguageClient:
    return await start_fresh_sidecar(DATA, WORKSPACE)


async def wait_state(
    client: LanguageClient, task_id: str, state: str, after: int = 0, within: float = 30
) -> dict[str, Any]:
    note = await recorder(client).wait(  # type: ignore[arg-type]
        "taskyard/tasks/didChange",
        lambda p: (
            p["task"]["id"] == task_id
            and (p["task"].get("state") or {}).get("state") == state
            and p["task"]["status"] == "active"
        ),
        within,
        after,
    )
    return note["task"]  # type: ignore[no-any-return]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def working_tasks() -> AsyncIterator[tuple[LanguageClient, list[dict[str, Any]]]]:
    first = await start_sidecar()
    tasks = [
        await rpc(first, "taskyard/tasks/create", {"template": "demo", "prompt": f"sleep 4 #{i}"})
        for i in range(3)
    ]
    for task in tasks:
        await wait_state(first, task["id"], "working")
    first._server.kill()  # type: ignore[union-attr]  # kill -9: no shutdown, no cleanup
    await first._server.wait()  # type: ignore[union-attr]
    second = await start_sidecar()
    yield second, tasks
    for task in tasks:
        await rpc(second, "taskyard/tasks/delete", {"task": task["id"]})
    await second.shutdown_async(None)
    second.exit(None)
    await asyncio.sleep(0.2)


async def test_every_task_is_reattached_and_finishes(working_tasks: Any) -> None:
    client, tasks = working_tasks
    listed = await rpc(client, "taskyard/tasks/list", {})
    assert sorted(t["id"] for t in listed["tasks"]) == sorted(t["id"] for t in tasks)
    assert all(t["status"] in ("active", "initializing") for t in listed["tasks"])
    for task in tasks:
        got = await rpc(client, "taskyard/tasks/get", {"task": task["id"]})
        if (got.get("state") or {}).get("state") != "idle":
            await wait_state(client, task["id"], "idle")
        messages = (await rpc(client, "taskyard/tasks/messages", {"task": task["id"]}))["messages"]
        assert [m["role"] for m in messages] == ["agent", "user", "agent"]
        assert "Slept for 4" in messages[-1]["content"]


async def test_no_duplicate_bridges(working_tasks: Any) -> None:
    _, tasks = working_tasks
    bridges = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"taskyard.bridge" in cmd and b"server" in cmd and str(DATA).encode() in b" ".join(cmd):
            bridges.append(cmd)
    assert len(bridges) == len(tasks)


async def test_a_task_created_by_another_process_shows_up_within_a_second(
    working_tasks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = working_tasks
    for key, value in sidecar_env(DATA).items():
        monkeypatch.setenv(key, value)

    class Quiet:
        def task_changed(self, task: Any) -> None: ...
        def task_deleted(self, task_id: str, name: str) -> None: ...
        def message_changed(self, task_id: str, message: Any) -> None: ...
        def log_appended(self, task_id: str, lines: Any) -> None: ...

    other = await build_services(Quiet(), workspace=WORKSPACE, watch=False)
    mark = recorder(client).mark()  # type: ignore[arg-type]
    try:
        started = time.monotonic()
        task = await other.tasks.create(TasksCreateParams(template="demo", prompt="from the cli"))
        await recorder(client).wait(  # type: ignore[arg-type]
            "taskyard/tasks/didChange", lambda p: p["task"]["id"] == task.id, 5, mark
        )
        assert time.monotonic() - started < 1.0
        await wait_state(client, task.id, "idle", after=mark)
        deleted = await other.tasks.delete(task.id)
        await recorder(client).wait(  # type: ignore[arg-type]
            "taskyard/tasks/didDelete", lambda p: p["id"] == deleted.id, 5, mark
        )
    finally:
        await other.close()
