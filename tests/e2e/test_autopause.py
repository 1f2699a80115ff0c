"""Auto-pause through the real stdio sidecar: an idle task is paused, a working one never.

``TASKYARD_IDLE_MINUTE_SECONDS=1`` makes the template's one idle minute last a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pygls.lsp.client import LanguageClient

from .conftest import e2e_folder, recorder, rpc, start_sidecar

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "tests" / "data" / "settings" / "idle-templates"
DATA = e2e_folder("idle")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[LanguageClient]:
    client = await start_sidecar(
        DATA,
        DATA,
        options={"templateFolders": [str(TEMPLATES)]},
        env={"TASKYARD_IDLE_MINUTE_SECONDS": "1"},
    )
    yield client
    await client.shutdown_async(None)
    client.exit(None)
    await asyncio.sleep(0.2)


def statuses(client: LanguageClient, task_id: str) -> list[tuple[str, str | None]]:
    notes = recorder(client).of("taskyard/tasks/didChange")
    return [
        (n["task"]["status"], (n["task"].get("state") or {}).get("state"))
        for n in notes
        if n["task"]["id"] == task_id
    ]


async def test_an_idle_task_is_paused_and_a_working_one_is_not(client: LanguageClient) -> None:
    # "sleep 4" keeps the agent working for 4 s: four idle timeouts pass meanwhile.
    task = await rpc(
        client, "taskyard/tasks/create", {"template": "quick-idle", "prompt": "sleep 4"}
    )
    rec = recorder(client)
    await rec.wait(
        "taskyard/tasks/didChange",
        lambda p: p["task"]["id"] == task["id"] and p["task"]["status"] == "paused",
        30,
    )
    seen = statuses(client, task["id"])
    worked = seen.index(("active", "working"))
    paused = seen.index(("paused", "idle")) if ("paused", "idle") in seen else len(seen) - 1
    # Between working and the pause, the agent reported idle: it was never paused mid-turn.
    assert ("active", "idle") in seen[worked:paused]
    logs = await rpc(client, "taskyard/tasks/logs", {"task": task["id"], "format": "md"})
    reason = "paused: the agent was idle for 1 s (the template's idle_timeout_minutes)"
    assert reason in logs["content"]
    messages = await rpc(client, "taskyard/tasks/messages", {"task": task["id"]})
    assert messages["snapshot"] is True
    resumed = await rpc(client, "taskyard/tasks/resume", {"task": task["id"]})
    assert resumed["status"] in ("initializing", "pending", "active")
    await rpc(client, "taskyard/tasks/delete", {"task": task["id"]})
