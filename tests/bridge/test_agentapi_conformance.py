"""A client written for coder/agentapi must work unchanged: every endpoint and SSE event shape.

The shapes are checked twice: against agentapi's protocol as `coder-tasks.md` §7.2 documents it
(field names, enums, ids from 0, RFC 3339 times, replay order), and against our own OpenAPI
document, so the document cannot drift from what the bridge sends.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from taskyard.bridge.openapi import openapi_document

from .harness import BridgeProcess

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
DOC = openapi_document()


def check(schema_name: str, value: Any) -> None:
    root = {"components": DOC["components"], "$ref": f"#/components/schemas/{schema_name}"}
    jsonschema.validate(value, root)


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BridgeProcess]:
    proc = BridgeProcess(
        tmp_path_factory.mktemp("conformance"), "demo", initial_prompt="create conf.txt with ok"
    ).start()
    proc.wait_state("idle")
    end = time.monotonic() + 20
    while len(proc.messages()) < 3 and time.monotonic() < end:
        time.sleep(0.05)
    yield proc
    proc.stop()


def read_events(proc: BridgeProcess, path: str, stop: Any) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    name = ""
    with proc.client() as c, c.stream("GET", path) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert (
            resp.headers["cache-control"] == "no-cache"
            or "no-store" in resp.headers["cache-control"]
        )
        assert resp.headers["x-accel-buffering"] == "no"
        for line in resp.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line[5:])))
                if stop(events):
                    break
    return events


def test_status(bridge: BridgeProcess) -> None:
    with bridge.client() as c:
        body = c.get("/status").json()
    check("StatusResponse", body)
    assert body == {"status": "stable", "agent_type": "demo", "transport": "pty"}


def test_messages(bridge: BridgeProcess) -> None:
    with bridge.client() as c:
        body = c.get("/messages").json()
    check("MessagesResponse", body)
    messages = body["messages"]
    assert [m["id"] for m in messages] == list(range(len(messages)))
    assert messages[0]["role"] == "agent"  # message 0 is the agent's start screen
    assert {m["role"] for m in messages} == {"user", "agent"}
    assert all(RFC3339.match(m["time"]) for m in messages)
    assert set(messages[1]) == {"id", "content", "role", "time"}


def test_post_message_shapes(bridge: BridgeProcess) -> None:
    with bridge.client() as c:
        raw = c.post("/message", json={"content": "", "type": "raw"})
        assert (raw.status_code, raw.json()) == (200, {"ok": True})
        user = c.post("/message", json={"content": "  hello there  ", "type": "user"})
        assert (user.status_code, user.json()) == (200, {"ok": True})
    bridge.wait_state("idle")
    user_messages = [m for m in bridge.messages() if m["role"] == "user"]
    assert user_messages[-1]["content"] == "hello there"  # trimmed, as agentapi does


def test_upload(bridge: BridgeProcess) -> None:
    with bridge.client() as c:
        resp = c.post("/upload", files={"file": ("notes.txt", b"some notes", "text/plain")})
    body = resp.json()
    check("UploadResponse", body)
    assert body["ok"] is True
    path = Path(body["filePath"])
    assert path.name == "notes.txt"
    assert path.read_bytes() == b"some notes"
    assert re.fullmatch(r"[0-9a-f]{16}", path.parent.name)


def test_events_replay_current_state_in_agentapi_order(bridge: BridgeProcess) -> None:
    count = len(bridge.messages())
    events = read_events(bridge, "/events", lambda ev: any(n == "status_change" for n, _ in ev))
    names = [n for n, _ in events]
    assert names == ["message_update"] * count + ["status_change"]
    for name, data in events:
        schema = {"message_update": "MessageUpdateEvent", "status_change": "StatusChangeEvent"}[
            name
        ]
        check(schema, data)
    assert [d["id"] for _, d in events[:-1]] == list(range(count))
    assert events[-1][1] == {"status": "stable", "agent_type": "demo"}


def test_events_stream_live_changes(bridge: BridgeProcess) -> None:
    import threading

    seen: list[tuple[str, dict[str, Any]]] = []

    def listen() -> None:
        seen.extend(
            read_events(
                bridge,
                "/events",
                lambda ev: (
                    sum(1 for n, d in ev if n == "status_change" and d["status"] == "stable") >= 2
                ),
            )
        )

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    time.sleep(0.3)
    bridge.send("tell me a fact")
    thread.join(30)
    names = [n for n, _ in seen]
    running = names.index("status_change", names.index("status_change") + 1)
    assert seen[running][1]["status"] == "running"
    updates = [d for n, d in seen if n == "message_update" and d["role"] == "user"]
    assert updates[-1]["message"] == "tell me a fact"


def test_openapi_document(bridge: BridgeProcess) -> None:
    with bridge.client() as c:
        doc = c.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/status", "/messages", "/message", "/upload", "/events"):
        assert path in doc["paths"]
    assert all(
        p.startswith("/taskyard/")
        for p in doc["paths"]
        if p not in ("/status", "/messages", "/message", "/upload", "/events")
    )


def test_taskyard_state_document(bridge: BridgeProcess) -> None:
    state = bridge.state()
    check("AgentState", state)
    assert state["state"] == "idle"
    assert RFC3339.match(state["timestamp"])
