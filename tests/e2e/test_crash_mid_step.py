"""A sidecar killed in the middle of a pause or a delete leaves the task with a way out.

Through the real stdio sidecar and real local bridges: the bridge is frozen (SIGSTOP) so the
step hangs where a slow agent would make it hang, the sidecar is killed with SIGKILL while the
task shows ``stopping`` or ``deleting``, the bridge thaws, and a new sidecar must finish the
step (paused, or gone) so that the next request works. Before the typed lifecycle, a task cut
off mid-pause stayed ``stopping`` for good and resume answered "only a paused task can be
resumed". The same goes for a bridge killed mid-turn: the task is paused, not "working".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from pygls.lsp.client import LanguageClient

from .conftest import e2e_folder, recorder, rpc
from .conftest import start_sidecar as start_fresh_sidecar

pytestmark = pytest.mark.asyncio(loop_scope="module")

DATA = e2e_folder("crash")
WORKSPACE = e2e_folder("crash-ws")


async def start_sidecar() -> LanguageClient:
    return await start_fresh_sidecar(DATA, WORKSPACE)


def kill_sidecar(client: LanguageClient) -> None:
    client._server.kill()  # type: ignore[union-attr]  # SIGKILL: no shutdown, no clean-up


async def snapshot(
    client: LanguageClient, task_id: str, done: Any, within: float = 40
) -> dict[str, Any]:
    note = await recorder(client).wait(  # type: ignore[arg-type]
        "taskyard/tasks/didChange", lambda p: p["task"]["id"] == task_id and done(p["task"]), within
    )
    return note["task"]  # type: ignore[no-any-return]


def idle(task: dict[str, Any]) -> bool:
    return task["status"] == "active" and (task.get("state") or {}).get("state") == "idle"


def bridge_pid(task_id: str) -> int:
    return int((DATA / "workspaces" / task_id / "bridge" / "bridge.pid").read_text())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest_asyncio.fixture(loop_scope="module")
async def sidecar() -> AsyncIterator[LanguageClient]:
    client = await start_sidecar()
    yield client
    with contextlib.suppress(Exception):
        kill_sidecar(client)
        await client.stop()


async def an_idle_task(client: LanguageClient, prompt: str) -> dict[str, Any]:
    task = await rpc(client, "taskyard/tasks/create", {"template": "demo", "prompt": prompt})
    await snapshot(client, task["id"], idle)
    return task  # type: ignore[no-any-return]


async def test_killed_mid_pause_then_paused_and_resumable(sidecar: LanguageClient) -> None:
    task = await an_idle_task(sidecar, "create a.txt with a")
    pid = bridge_pid(task["id"])
    os.kill(pid, signal.SIGSTOP)  # the bridge cannot answer the shutdown: the pause hangs
    pausing = asyncio.ensure_future(rpc(sidecar, "taskyard/tasks/pause", {"task": task["id"]}, 60))
    await snapshot(sidecar, task["id"], lambda t: t["workspace"]["status"] == "stopping")
    kill_sidecar(sidecar)
    pausing.cancel()
    os.kill(pid, signal.SIGCONT)
    again = await start_sidecar()
    try:
        got = await rpc(again, "taskyard/tasks/get", {"task": task["id"]})
        if got["workspace"]["status"] != "stopped":
            got = await snapshot(again, task["id"], lambda t: t["workspace"]["status"] == "stopped")
        assert got["status"] == "paused" and got["actions"]["resume"] and got["actions"]["send"]
        assert not alive(pid)
        await rpc(again, "taskyard/tasks/resume", {"task": task["id"]})
        await snapshot(again, task["id"], idle)
        await rpc(again, "taskyard/tasks/delete", {"task": task["id"]})
    finally:
        kill_sidecar(again)
        await again.stop()


async def test_killed_mid_delete_then_gone(sidecar: LanguageClient) -> None:
    task = await an_idle_task(sidecar, "create b.txt with b")
    pid = bridge_pid(task["id"])
    folder = DATA / "workspaces" / task["id"]
    os.kill(pid, signal.SIGSTOP)
    deleting = asyncio.ensure_future(rpc(sidecar, "taskyard/tasks/delete", {"task": task["id"]}))
    await snapshot(sidecar, task["id"], lambda t: t["workspace"]["status"] == "deleting")
    kill_sidecar(sidecar)
    deleting.cancel()
    os.kill(pid, signal.SIGCONT)
    again = await start_sidecar()
    try:
        listed = await rpc(again, "taskyard/tasks/list", {})
        assert task["id"] not in [t["id"] for t in listed["tasks"]]
        assert not folder.exists() and not alive(pid)
    finally:
        kill_sidecar(again)
        await again.stop()


async def test_a_bridge_killed_mid_turn_leaves_the_task_paused_not_working(
    sidecar: LanguageClient,
) -> None:
    task = await an_idle_task(sidecar, "create c.txt with c")
    await rpc(sidecar, "taskyard/tasks/send", {"task": task["id"], "content": "sleep 30"})
    await snapshot(sidecar, task["id"], lambda t: (t.get("state") or {}).get("state") == "working")
    os.kill(bridge_pid(task["id"]), signal.SIGKILL)
    paused = await snapshot(sidecar, task["id"], lambda t: t["status"] == "paused")
    assert paused["state"]["state"] == "idle" and "cut short" in paused["state"]["message"]
    got = await rpc(sidecar, "taskyard/tasks/get", {"task": task["id"]})
    assert got["state"]["state"] != "working" and got["actions"]["send"]
    await rpc(sidecar, "taskyard/tasks/delete", {"task": task["id"]})
