"""Bad input through the real stdio sidecar: a specific error each time, nothing changed on disk."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import DATA, WORKSPACE, call, recorder

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def error_of(client: LanguageClient, method: str, params: Any) -> JsonRpcException:
    try:
        await asyncio.wait_for(client.protocol.send_request_async(method, params), 30)
    except JsonRpcException as exc:
        return exc
    raise AssertionError(f"{method} {params} succeeded")


def task_rows() -> int:
    db = DATA / "taskyard.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM tasks").fetchone()[0])
        except sqlite3.OperationalError:  # the sidecar has not created its schema yet
            return 0


CASES = [
    pytest.param(
        "taskyard/tasks/explode", {}, -32601, None, "taskyard/tasks/explode", id="unknown-method"
    ),
    pytest.param(
        "taskyard/tasks/create", {"template": "demo"}, -32602, None, "$.prompt", id="missing-field"
    ),
    pytest.param(
        "taskyard/tasks/create",
        {"template": "demo", "prompt": "x", "bogus": 1},
        -32602,
        None,
        "bogus",
        id="extra-field",
    ),
    pytest.param(
        "taskyard/tasks/create",
        {"template": 7, "prompt": "x"},
        -32602,
        None,
        "template",
        id="wrong-type",
    ),
    pytest.param(
        "taskyard/tasks/create",
        {"template": "demo", "prompt": ""},
        -32602,
        None,
        "prompt",
        id="empty-prompt",
    ),
    pytest.param("taskyard/tasks/list", {"limit": 0}, -32602, None, "limit", id="limit-range"),
    pytest.param(
        "taskyard/tasks/list", {"status": ["sleeping"]}, -32602, None, "status", id="bad-enum"
    ),
    pytest.param(
        "taskyard/tasks/logs",
        {"task": "x", "format": "pdf"},
        -32602,
        None,
        "format",
        id="bad-log-format",
    ),
    pytest.param("taskyard/tasks/get", [1, 2], -32602, None, "params", id="params-not-object"),
    pytest.param(
        "taskyard/tasks/create",
        {"template": "nope", "prompt": "x"},
        1002,
        "templateNotFound",
        "nope",
        id="unknown-template",
    ),
    pytest.param(
        "taskyard/tasks/create",
        {"template": "demo", "preset": "nope", "prompt": "x"},
        1006,
        "presetNotFound",
        "nope",
        id="unknown-preset",
    ),
    pytest.param(
        "taskyard/tasks/get",
        {"task": "no-such-task"},
        1001,
        "taskNotFound",
        "no-such-task",
        id="unknown-task",
    ),
    pytest.param(
        "taskyard/tasks/delete",
        {"task": "no-such-task"},
        1001,
        "taskNotFound",
        "no-such-task",
        id="delete-unknown",
    ),
    pytest.param(
        "taskyard/templates/get",
        {"name": "nope"},
        1002,
        "templateNotFound",
        "nope",
        id="unknown-template-get",
    ),
    pytest.param(
        "taskyard/tasks/create",
        {"template": "demo", "prompt": "x", "name": "Bad Name"},
        -32602,
        None,
        "$.name",
        id="bad-task-name",
    ),
]


@pytest.mark.parametrize(("method", "params", "code", "kind", "needle"), CASES)
async def test_bad_request(
    client: LanguageClient, method: str, params: Any, code: int, kind: str | None, needle: str
) -> None:
    before = task_rows()
    exc = await error_of(client, method, params)
    assert exc.code == code
    assert needle in exc.message
    if kind:
        assert exc.data["kind"] == kind
    assert task_rows() == before
    assert "Traceback" not in exc.message


PARAMETER_CASES = [
    pytest.param({"max_files": "0"}, "max_files", id="below-min"),
    pytest.param({"max_files": "99"}, "max_files", id="above-max"),
    pytest.param({"max_files": "many"}, "max_files", id="not-a-number"),
    pytest.param({"style": "shouty"}, "style", id="not-an-option"),
    pytest.param({"nonsense": "1"}, "nonsense", id="unknown-parameter"),
]


@pytest.mark.parametrize(("values", "parameter"), PARAMETER_CASES)
async def test_parameter_validation(
    client: LanguageClient, values: dict[str, str], parameter: str
) -> None:
    result = await call(
        client, "taskyard/templates/validate", {"template": "demo", "parameters": values}
    )
    assert result["valid"] is False
    assert [e["parameter"] for e in result["errors"]] == [parameter]
    before = task_rows()
    exc = await error_of(
        client, "taskyard/tasks/create", {"template": "demo", "prompt": "x", "parameters": values}
    )
    assert exc.code == 1003 and exc.data["kind"] == "invalidParameters"
    assert [e["parameter"] for e in exc.data["parameterErrors"]] == [parameter]
    assert task_rows() == before


async def test_a_broken_template_file_is_a_diagnostic(client: LanguageClient) -> None:
    folder = WORKSPACE / ".taskyard" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    mark = recorder(client).mark()
    (folder / "broken.toml").write_text('name = "broken"\n[agent\ntype = "demo"\n')
    note = await recorder(client).wait(
        "taskyard/templates/didChange",
        lambda p: any("broken.toml" in d["path"] for d in p["diagnostics"]),
        timeout=10,
        after=mark,
    )
    diag = next(d for d in note["diagnostics"] if "broken.toml" in d["path"])
    assert diag["severity"] == "error" and diag["line"] == 2
    listed = await call(client, "taskyard/templates/list", {})
    assert "broken" not in [t["name"] for t in listed["templates"]]
    assert "demo" in [t["name"] for t in listed["templates"]]
    (folder / "broken.toml").unlink()


async def test_pause_twice_then_send_resumes(client: LanguageClient) -> None:
    created = await call(client, "taskyard/tasks/create", {"template": "demo", "prompt": "hello"})
    await recorder(client).wait(
        "taskyard/tasks/didChange",
        lambda p: (
            p["task"]["id"] == created["id"]
            and (p["task"].get("state") or {}).get("state") == "idle"
        ),
    )
    paused = await call(client, "taskyard/tasks/pause", {"task": created["id"]})
    assert paused["actions"]["send"] is True  # the panel's "Resume and send"
    messages = await call(client, "taskyard/tasks/messages", {"task": created["id"]})
    again = await error_of(client, "taskyard/tasks/pause", {"task": created["id"]})
    assert again.data["kind"] == "invalidTransition"
    after = await call(client, "taskyard/tasks/get", {"task": created["id"]})
    assert after["status"] == "paused"
    assert await call(client, "taskyard/tasks/messages", {"task": created["id"]}) == messages
    sent = await call(
        client, "taskyard/tasks/send", {"task": created["id"], "content": "create after.txt with x"}
    )
    assert sent["resumed"] is True and (sent["delivered"] or sent["queued"])
    await recorder(client).wait(
        "taskyard/tasks/messageDidChange",
        lambda p: p["taskId"] == created["id"] and "after.txt" in p["message"]["content"],
    )
    await call(client, "taskyard/tasks/delete", {"task": created["id"]})
    assert not Path(after["workspace"]["path"]).exists()
