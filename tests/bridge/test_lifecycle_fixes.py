"""The bridge's part of the lifecycle bugs users met (each failed before its fix).

3: text left in the input line kept a screen agent "working" for ever.
6: the initial prompt (or a queued message) counted as sent before it was typed, so a
   delivery the agent did not take was lost.
7: auto-pause needed an editor: now the bridge pauses its own workspace when idle.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import BridgeProcess

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[BridgeProcess]:
    proc = BridgeProcess(tmp_path, "demo", initial_prompt="create a.txt with a")
    proc.start()
    yield proc
    proc.stop()


def test_3_text_typed_into_the_input_line_leaves_the_agent_idle(demo: BridgeProcess) -> None:
    demo.wait_for(lambda s: s["state"] == "idle" and s["initial_prompt_sent"])
    assert demo.send("half a thought", kind="raw").status_code == 200
    time.sleep(1.5)  # several stability windows of the demo agent
    state = demo.state()
    assert state["state"] == "idle", state
    with demo.client() as c:
        assert c.get("/status").json()["status"] == "stable"
    assert "half a thought" in demo.screen()


def test_6_a_prompt_the_agent_did_not_take_is_delivered_later(tmp_path: Path) -> None:
    proc = BridgeProcess(
        tmp_path,
        "custom",
        [sys.executable, str(DATA / "agents" / "stalling.py")],
        initial_prompt="do the thing",
        env={"WAKE": str(tmp_path / "wake")},
        extra_args=["--submit-timeout", "1"],
    )
    proc.start()
    try:
        proc.wait_for(lambda _: "it stays queued" in proc.log(), timeout=30)
        assert proc.state()["initial_prompt_sent"] is False  # not taken: not counted as sent
        (tmp_path / "wake").touch()
        state = proc.wait_for(lambda s: s["initial_prompt_sent"], timeout=30)
        assert state["initial_prompt_sent"] is True
        users = [m["content"] for m in proc.messages() if m["role"] == "user"]
        assert users == ["do the thing"]
        proc.wait_for(lambda _: "ok: do the thing" in proc.screen(), timeout=10)
    finally:
        proc.stop()


def test_7_an_idle_agent_pauses_its_own_workspace(tmp_path: Path) -> None:
    proc = BridgeProcess(
        tmp_path, "demo", initial_prompt="create b.txt with b", extra_args=["--idle-timeout", "1"]
    )
    proc.start()
    assert proc.proc is not None
    code = proc.proc.wait(timeout=30)
    assert code == 0
    assert "pausing: the agent was idle for 1 s" in proc.log()
    saved = json.loads(proc.state_file.read_text())
    assert saved["initial_prompt_sent"] is True
    assert any("Created b.txt" in m["message"] for m in saved["messages"])


def test_7_a_working_agent_is_not_paused(tmp_path: Path) -> None:
    proc = BridgeProcess(
        tmp_path, "demo", initial_prompt="sleep 3", extra_args=["--idle-timeout", "1"]
    )
    proc.start()
    try:
        proc.wait_state("working")
        time.sleep(2)  # longer than the idle timeout, while the agent works
        assert proc.proc is not None and proc.proc.poll() is None
        assert proc.state()["state"] == "working"
    finally:
        proc.stop()
