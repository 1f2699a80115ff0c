"""The bridge end to end with the demo agent: a real PTY, real HTTP, a real state file."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import BridgeProcess


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[BridgeProcess]:
    proc = BridgeProcess(tmp_path, "demo", initial_prompt="create hello.txt with hi there")
    proc.start()
    yield proc
    proc.stop()


def agent_replies(proc: BridgeProcess) -> list[str]:
    return [m["content"] for m in proc.messages() if m["role"] == "agent"]


def wait_reply(proc: BridgeProcess, needle: str, timeout: float = 20) -> list[dict[str, object]]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        messages = proc.messages()
        if messages and messages[-1]["role"] == "agent" and needle in str(messages[-1]["content"]):
            return messages
        time.sleep(0.05)
    raise AssertionError(f"no reply with {needle!r}: {proc.messages()}\n{proc.screen()}")


def test_initial_prompt_runs_once_and_edits_a_real_file(bridge: BridgeProcess) -> None:
    messages = wait_reply(bridge, "Created hello.txt")
    state = bridge.wait_state("idle")
    assert (bridge.workdir / "hello.txt").read_text() == "hi there\n"
    assert [m["role"] for m in messages] == ["agent", "user", "agent"]
    assert messages[1]["content"] == "create hello.txt with hi there"
    assert state["initial_prompt_sent"] is True
    assert state["source"] in ("screen", "hook")
    with bridge.client() as c:
        assert c.get("/status").json()["status"] == "stable"


def test_follow_up_goes_working_then_idle_with_the_reply(bridge: BridgeProcess) -> None:
    bridge.wait_state("idle")
    wait_reply(bridge, "Created hello.txt")
    assert bridge.send("what did you change").status_code == 200
    seen = bridge.wait_state("working", "idle")
    wait_reply(bridge, "what did you change")
    assert bridge.wait_state("idle")["message"]
    assert seen["state"] in ("working", "idle")
    assert bridge.messages()[-2] == {
        **bridge.messages()[-2],
        "role": "user",
        "content": "what did you change",
    }


def test_user_message_while_busy_is_refused_and_the_queue_delivers_it(
    bridge: BridgeProcess,
) -> None:
    bridge.wait_state("idle")
    assert bridge.send("sleep 2 then answer").status_code == 200
    bridge.wait_state("working")
    busy = bridge.send("too early")
    assert busy.status_code == 409
    assert busy.headers["content-type"].startswith("application/problem+json")
    with bridge.client() as c:
        queued = c.post("/taskyard/queue", json={"content": "queued follow-up"}).json()
        cancelled = c.post("/taskyard/queue", json={"content": "never sent"}).json()
        assert c.delete(f"/taskyard/queue/{cancelled['id']}").status_code == 200
        assert [i["id"] for i in c.get("/taskyard/queue").json()["items"]] == [queued["id"]]
        assert c.get("/status").json()["status"] == "running"
    wait_reply(bridge, "queued follow-up", timeout=30)
    contents = [m["content"] for m in bridge.messages() if m["role"] == "user"]
    assert "queued follow-up" in contents
    assert "never sent" not in contents
    assert "too early" not in contents


def test_permission_question_needs_input_then_continues_when_answered(
    bridge: BridgeProcess,
) -> None:
    bridge.wait_state("idle")
    wait_reply(bridge, "Created hello.txt")
    assert bridge.send("delete hello.txt").status_code == 200
    state = bridge.wait_state("needs_input")
    assert "delete hello.txt" in state["message"]
    with bridge.client() as c:
        assert c.get("/status").json()["status"] == "stable"
    assert bridge.send("1").status_code == 200
    bridge.wait_state("idle")
    assert not (bridge.workdir / "hello.txt").exists()


def test_escape_interrupts_a_busy_agent(bridge: BridgeProcess) -> None:
    bridge.wait_state("idle")
    bridge.send("sleep 30 then answer")
    bridge.wait_state("working")
    assert bridge.send("\x1b", kind="raw").status_code == 200
    bridge.wait_state("idle", timeout=10)
    assert any("Interrupted" in text for text in agent_replies(bridge))


def test_agent_death_is_failed_with_the_last_screen_kept(bridge: BridgeProcess) -> None:
    bridge.wait_state("idle")
    bridge.send("fail")
    state = bridge.wait_state("failed")
    assert "code 3" in state["message"]
    assert "fail" in bridge.screen()
    with bridge.client() as c, c.stream("GET", "/events") as events:
        lines = []
        for line in events.iter_lines():
            lines.append(line)
            if line.startswith("data:") and '"level": "error"' in line:
                break
    error = json.loads(lines[-1][5:])
    assert "Last screen" in error["message"]


def test_kill_9_and_restart_keeps_the_conversation_and_never_resends(tmp_path: Path) -> None:
    first = BridgeProcess(tmp_path, "demo", initial_prompt="create a.txt with one").start()
    first.wait_state("idle")
    wait_reply(first, "Created a.txt")
    first.send("create b.txt with two")
    wait_reply(first, "Created b.txt")
    first.wait_state("idle")
    before = first.messages()
    session = first.state()["session_id"]
    first.kill9()
    (first.workdir / "a.txt").unlink()  # a re-run initial prompt would recreate it

    second = BridgeProcess(tmp_path, "demo", initial_prompt="create a.txt with one").start()
    try:
        state = second.wait_state("idle")
        assert state["session_id"] == session
        assert state["initial_prompt_sent"] is True
        assert second.messages()[: len(before)] == before
        time.sleep(1.0)
        assert not (second.workdir / "a.txt").exists()
        assert f"Resumed session {session}" in second.screen()
        second.send("create c.txt with three")
        wait_reply(second, "Created c.txt")
    finally:
        second.stop()


def test_corrupt_state_file_is_a_warning_and_the_bridge_still_starts(tmp_path: Path) -> None:
    proc = BridgeProcess(tmp_path, "demo")
    proc.state_file.parent.mkdir(parents=True)
    proc.state_file.write_text("{not json")
    proc.start()
    try:
        proc.wait_state("idle")
        with proc.client() as c, c.stream("GET", "/events") as events:
            for line in events.iter_lines():
                if line.startswith("data:") and "agent_error" not in line and '"level"' in line:
                    error = json.loads(line[5:])
                    break
        assert error["level"] == "warning"
        assert "Failed to restore previous session" in error["message"]
    finally:
        proc.stop()
