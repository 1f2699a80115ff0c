"""The editor's settings through the real stdio sidecar, and what the sidecar says about itself.

Settings arrive as ``initializationOptions`` and as ``workspace/didChangeConfiguration``; they
change where new tasks run and which template folders are read, never a running task. The
sidecar runs with ``TASKYARD_DOCKER=0`` here, so Docker is reported unavailable, with why.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from .conftest import e2e_folder, recorder, rpc, start_sidecar

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
EXTRA = ROOT / "tests" / "data" / "settings" / "extra-templates"
DATA = e2e_folder("settings")
WORKSPACE = e2e_folder("settings-ws")


def configure(client: LanguageClient, settings: Any) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"taskyard": settings})
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[LanguageClient]:
    client = await start_sidecar(
        DATA, WORKSPACE, options={"templateFolders": [str(EXTRA)], "defaultProvider": "auto"}
    )
    yield client
    await client.shutdown_async(None)
    client.exit(None)
    await asyncio.sleep(0.2)


async def test_server_info_says_where_tasks_run_and_why_docker_is_not_used(
    client: LanguageClient,
) -> None:
    info = await rpc(client, "taskyard/server/info", {})
    providers = {p["name"]: p for p in info["providers"]}
    assert providers["local"]["available"] is True
    assert providers["docker"] == {
        "name": "docker",
        "available": False,
        "detail": "turned off by TASKYARD_DOCKER=0 in the sidecar's environment",
    }
    assert info["defaultProvider"] == "local"
    assert info["dataDir"] == str(DATA)
    assert info["settings"] == {"templateFolders": [str(EXTRA)], "defaultProvider": "auto"}
    # Precedence order: the workspace's own folder first, then the settings' extra folder.
    assert info["templateFolders"][:2] == [
        str(WORKSPACE / ".taskyard" / "templates"),
        str(EXTRA),
    ]


async def test_initialization_options_add_a_template_folder(client: LanguageClient) -> None:
    catalog = await rpc(client, "taskyard/templates/list", {})
    assert "from-settings" in [t["name"] for t in catalog["templates"]]


async def test_a_settings_change_reloads_templates_and_spares_running_tasks(
    client: LanguageClient,
) -> None:
    task = await rpc(client, "taskyard/tasks/create", {"template": "demo", "prompt": "sleep 3"})
    rec = recorder(client)
    await rec.wait(
        "taskyard/tasks/didChange",
        lambda p: p["task"]["id"] == task["id"] and p["task"]["status"] == "active",
    )
    mark = rec.mark()
    configure(client, {"templateFolders": []})
    changed = await rec.wait("taskyard/templates/didChange", lambda _: True, 10, mark)
    assert "from-settings" not in [t["name"] for t in changed["templates"]]
    info = await rpc(client, "taskyard/server/info", {})
    assert info["settings"] == {"templateFolders": [], "defaultProvider": "auto"}
    now = await rpc(client, "taskyard/tasks/get", {"task": task["id"]})
    assert now["status"] == "active"
    assert now["workspace"]["status"] == "running"
    assert not [
        p
        for p in rec.of_since("taskyard/tasks/didChange", mark)
        if p["task"]["id"] == task["id"] and p["task"]["status"] != "active"
    ]
    await rpc(client, "taskyard/tasks/delete", {"task": task["id"]})


async def test_asking_for_docker_when_it_is_off_fails_plainly_and_creates_nothing(
    client: LanguageClient,
) -> None:
    configure(client, {"defaultProvider": "docker"})
    await asyncio.sleep(0.3)  # a notification has no answer to wait for
    before = await rpc(client, "taskyard/tasks/list", {})
    with pytest.raises(Exception) as caught:
        await rpc(client, "taskyard/tasks/create", {"template": "demo", "prompt": "hi"})
    error = caught.value
    assert getattr(error, "code", None) == 1005
    assert "Docker workspaces are unavailable: turned off by TASKYARD_DOCKER=0" in str(error)
    after = await rpc(client, "taskyard/tasks/list", {})
    assert after["total"] == before["total"]
    configure(client, {"defaultProvider": "local"})
    await asyncio.sleep(0.3)
    info = await rpc(client, "taskyard/server/info", {})
    assert info["defaultProvider"] == "local"


async def test_invalid_settings_are_ignored_and_the_previous_ones_kept(
    client: LanguageClient,
) -> None:
    configure(client, {"defaultProvider": "cloud"})
    await asyncio.sleep(0.3)
    info = await rpc(client, "taskyard/server/info", {})
    assert info["settings"]["defaultProvider"] == "local"


async def test_keys_reach_the_agent_terminal_and_delete_can_keep_the_work(
    client: LanguageClient,
) -> None:
    task = await rpc(client, "taskyard/tasks/create", {"template": "demo", "prompt": "hello"})
    rec = recorder(client)
    await rec.wait(
        "taskyard/tasks/didChange",
        lambda p: (
            p["task"]["id"] == task["id"]
            and p["task"]["status"] == "active"
            and (p["task"].get("state") or {}).get("state") == "idle"
        ),
        30,
    )
    typed = await rpc(client, "taskyard/tasks/keys", {"task": task["name"], "data": "abc xyz"})
    assert typed == {"id": task["id"], "name": task["name"]}
    for _ in range(50):
        screen = await rpc(client, "taskyard/tasks/screen", {"task": task["id"]})
        if "abc xyz" in screen["screen"]:
            break
        await asyncio.sleep(0.1)
    assert "abc xyz" in screen["screen"]
    work = Path(
        (await rpc(client, "taskyard/tasks/get", {"task": task["id"]}))["workspace"]["path"]
    )
    (work / "keep-me.txt").write_text("precious\n")
    gone = await rpc(client, "taskyard/tasks/delete", {"task": task["id"], "keepWork": True})
    assert gone == {"id": task["id"], "name": task["name"], "keptWork": str(work)}
    assert (work / "keep-me.txt").read_text() == "precious\n"
    assert not (work.parent / "bridge").exists()


async def test_a_task_whose_bridge_was_killed_is_paused_and_resumes(
    client: LanguageClient,
) -> None:
    task = await rpc(client, "taskyard/tasks/create", {"template": "demo", "prompt": "hello"})
    rec = recorder(client)

    def idle(p: dict[str, Any]) -> bool:
        t = p["task"]
        state = (t.get("state") or {}).get("state")
        return t["id"] == task["id"] and t["status"] == "active" and state == "idle"

    await rec.wait("taskyard/tasks/didChange", idle, 30)
    pids = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _is_bridge_of(p, task["id"])
    ]
    assert len(pids) == 1
    mark = rec.mark()
    os.kill(pids[0], signal.SIGKILL)
    paused = await rec.wait(
        "taskyard/tasks/didChange",
        lambda p: p["task"]["id"] == task["id"] and p["task"]["status"] == "paused",
        30,
        mark,
    )
    assert paused["task"]["actions"]["resume"] is True
    mark = rec.mark()
    await rpc(client, "taskyard/tasks/resume", {"task": task["id"]})
    # Followed again after the resume: the task becomes active, not stuck initializing.
    await rec.wait("taskyard/tasks/didChange", idle, 30, mark)
    await rpc(client, "taskyard/tasks/delete", {"task": task["id"]})


def _is_bridge_of(proc: Path, task_id: str) -> bool:
    try:
        cmd = (proc / "cmdline").read_bytes()
    except OSError:
        return False
    return b"taskyard.bridge\0server\0" in cmd and task_id.encode() in cmd
