"""One task's whole life through the real stdio sidecar with the demo agent in a local workspace.

create → initializing → active/working → idle with the reply → follow-up → queue while busy →
interrupt → pause (snapshot served while paused) → resume (conversation intact, prompt not
re-run) → logs in all three formats → delete. Every step asserts on what the editor receives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pytest_lsp import LanguageClient

from .conftest import DATA, call, recorder

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROMPT = "create notes.txt with first line"


async def wait_task(
    client: LanguageClient, task_id: str, pred: Any, timeout: float = 30, after: int = 0
) -> dict[str, Any]:
    rec = recorder(client)
    note = await rec.wait(
        "taskyard/tasks/didChange",
        lambda p: p["task"]["id"] == task_id and pred(p["task"]),
        timeout,
        after,
    )
    task: dict[str, Any] = note["task"]
    return task


def state_of(task: dict[str, Any]) -> str | None:
    return (task.get("state") or {}).get("state")


async def wait_idle(client: LanguageClient, task_id: str, after: int = 0) -> dict[str, Any]:
    return await wait_task(
        client, task_id, lambda t: t["status"] == "active" and state_of(t) == "idle", after=after
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def task(client: LanguageClient) -> dict[str, Any]:
    client.progress_reports["create-1"] = []  # a client knows the tokens it offers
    created = await call(
        client,
        "taskyard/tasks/create",
        {"template": "demo", "prompt": PROMPT, "workDoneToken": "create-1"},
    )
    return dict(created)


async def test_create_goes_pending_initializing_active(
    client: LanguageClient, task: dict[str, Any]
) -> None:
    assert task["status"] == "pending"
    assert task["template"] == "demo" and task["agentType"] == "demo"
    assert task["name"].startswith("create-notes-txt")
    await wait_idle(client, task["id"])
    statuses = [
        p["task"]["status"]
        for p in recorder(client).of("taskyard/tasks/didChange")
        if p["task"]["id"] == task["id"]
    ]
    assert statuses[0] == "pending"
    assert "initializing" in statuses
    assert statuses.index("initializing") < statuses.index("active")
    logs = recorder(client).of("taskyard/tasks/logDidAppend")
    assert any("agent bridge listening" in line["text"] for n in logs for line in n["lines"])
    reports = client.progress_reports.get("create-1")
    assert reports and reports[-1].message == "The agent is starting"


async def test_reply_arrives_as_message_notifications(
    client: LanguageClient, task: dict[str, Any]
) -> None:
    await wait_idle(client, task["id"])
    notes = await recorder(client).wait(
        "taskyard/tasks/messageDidChange",
        lambda p: p["taskId"] == task["id"] and "Created notes.txt" in p["message"]["content"],
    )
    assert notes["message"]["role"] == "agent"
    workspace = Path(
        (await call(client, "taskyard/tasks/get", {"task": task["id"]}))["workspace"]["path"]
    )
    assert (workspace / "notes.txt").read_text() == "first line\n"
    result = await call(client, "taskyard/tasks/messages", {"task": task["name"]})
    assert result["snapshot"] is False
    assert [m["role"] for m in result["messages"]][-2:] == ["user", "agent"]


async def test_get_shows_allowed_actions(client: LanguageClient, task: dict[str, Any]) -> None:
    got = await call(client, "taskyard/tasks/get", {"task": task["id"]})
    assert got["status"] == "active", got
    assert state_of(got) == "idle", got
    assert got["actions"] == {
        "send": True,
        "interrupt": False,
        "pause": True,
        "resume": False,
        "delete": True,
    }


async def test_follow_up_and_queue_while_busy(client: LanguageClient, task: dict[str, Any]) -> None:
    mark = recorder(client).mark()
    sent = await call(
        client, "taskyard/tasks/send", {"task": task["id"], "content": "sleep 2 then report"}
    )
    assert sent == {"delivered": True, "queued": False, "resumed": False}
    await wait_task(client, task["id"], lambda t: state_of(t) == "working", after=mark)
    busy = await call(
        client, "taskyard/tasks/send", {"task": task["id"], "content": "queued one", "queue": True}
    )
    assert busy["queued"] is True and busy["delivered"] is False
    queued = recorder(client).mark()
    await recorder(client).wait(
        "taskyard/tasks/messageDidChange",
        lambda p: p["message"]["role"] == "user" and p["message"]["content"] == "queued one",
        timeout=30,
        after=mark,
    )
    await recorder(client).wait(
        "taskyard/tasks/messageDidChange",
        lambda p: "queued one" in p["message"]["content"] and p["message"]["role"] == "agent",
        timeout=30,
        after=queued,
    )
    await wait_idle(client, task["id"], after=recorder(client).mark() - 1)


async def test_interrupt_a_working_agent(client: LanguageClient, task: dict[str, Any]) -> None:
    mark = recorder(client).mark()
    await call(client, "taskyard/tasks/send", {"task": task["id"], "content": "sleep 30 then stop"})
    working = await wait_task(client, task["id"], lambda t: state_of(t) == "working", after=mark)
    assert working["actions"]["interrupt"] is True
    mark = recorder(client).mark()
    await call(client, "taskyard/tasks/interrupt", {"task": task["id"]})
    await wait_idle(client, task["id"], after=mark)
    msgs = (await call(client, "taskyard/tasks/messages", {"task": task["id"]}))["messages"]
    assert "Interrupted" in msgs[-1]["content"]


async def test_pause_serves_the_snapshot(client: LanguageClient, task: dict[str, Any]) -> None:
    await wait_idle(client, task["id"])
    before = (await call(client, "taskyard/tasks/messages", {"task": task["id"]}))["messages"]
    client.progress_reports["pause-1"] = []
    paused = await call(
        client, "taskyard/tasks/pause", {"task": task["id"], "workDoneToken": "pause-1"}
    )
    assert paused["status"] == "paused"
    assert paused["actions"]["resume"] is True and paused["actions"]["pause"] is False
    snap = await call(client, "taskyard/tasks/messages", {"task": task["id"]})
    assert snap["snapshot"] is True and snap["snapshotAt"]
    assert [m["content"] for m in snap["messages"]] == [m["content"] for m in before]
    bad = await call_error(client, "taskyard/tasks/interrupt", {"task": task["id"]})
    assert bad["data"]["kind"] == "taskNotReady"


async def test_resume_keeps_the_conversation_and_never_reruns(
    client: LanguageClient, task: dict[str, Any]
) -> None:
    before = (await call(client, "taskyard/tasks/messages", {"task": task["id"]}))["messages"]
    resumed = await call(client, "taskyard/tasks/resume", {"task": task["id"]})
    assert resumed["status"] == "initializing"
    await wait_task(
        client,
        task["id"],
        lambda t: (
            t["status"] == "active"
            and state_of(t) == "idle"
            and t["updatedAt"] > resumed["updatedAt"]
        ),
    )
    after = await call(client, "taskyard/tasks/messages", {"task": task["id"]})
    assert after["snapshot"] is False
    assert [m["content"] for m in after["messages"]][: len(before)] == [
        m["content"] for m in before
    ]
    user_prompts = [m for m in after["messages"] if m["role"] == "user" and m["content"] == PROMPT]
    assert len(user_prompts) == 1


async def test_logs_in_three_formats(client: LanguageClient, task: dict[str, Any]) -> None:
    txt = await call(client, "taskyard/tasks/logs", {"task": task["id"], "format": "txt"})
    assert txt["fileName"].endswith(".txt") and txt["mimeType"] == "text/plain"
    assert f"[input]\n{PROMPT}" in txt["content"]
    md = await call(client, "taskyard/tasks/logs", {"task": task["id"], "format": "md"})
    assert md["content"].startswith("# ") and "### Agent" in md["content"]
    jsonl = await call(client, "taskyard/tasks/logs", {"task": task["id"], "format": "jsonl"})
    rows = [json.loads(line) for line in jsonl["content"].splitlines()]
    assert rows[0]["type"] == "task" and any(r["type"] == "message" for r in rows)
    assert any(r["type"] == "log" and "bridge" in r["text"] for r in rows)


async def test_screen_shows_the_live_terminal(client: LanguageClient, task: dict[str, Any]) -> None:
    screen = await call(client, "taskyard/tasks/screen", {"task": task["id"]})
    assert "Taskyard demo agent" in screen["screen"]
    assert screen["columns"] > 10 and screen["rows"] > 10


async def test_delete_then_delete_again(client: LanguageClient, task: dict[str, Any]) -> None:
    gone = await call(client, "taskyard/tasks/delete", {"task": task["id"]})
    assert gone == {"id": task["id"], "name": task["name"]}
    await recorder(client).wait("taskyard/tasks/didDelete", lambda p: p["id"] == task["id"])
    again = await call_error(client, "taskyard/tasks/delete", {"task": task["id"]})
    assert again["code"] == 1001 and again["data"]["kind"] == "taskNotFound"
    assert not (DATA / "workspaces" / task["id"]).exists()


async def call_error(client: LanguageClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    from pygls.exceptions import JsonRpcException

    try:
        await call(client, method, params)
    except JsonRpcException as exc:
        return {"code": exc.code, "message": exc.message, "data": exc.data}
    raise AssertionError(f"{method} succeeded")
