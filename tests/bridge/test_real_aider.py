"""Real Aider (pinned, from PyPI) through the bridge, against the fake OpenAI API.

Aider's confirmation ("Create new file ...?") is the permission path; its notifications command
and its prompt are the idle signals; Ctrl-C through the interrupt endpoint stops a reply.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.fake_openai import FakeOpenAI
from tests.realagents import aider_argv, aider_env

from .harness import BridgeProcess
from .test_bridge_demo import wait_reply

pytestmark = [pytest.mark.aider, pytest.mark.slow]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def aider(tmp_path: Path, fake: FakeOpenAI) -> Iterator[BridgeProcess]:
    home, work = tmp_path / "home", tmp_path / "work"
    env = aider_env(home, fake.base_url, work)
    proc = BridgeProcess(
        tmp_path,
        "aider",
        aider_argv(home),
        env=env,
        workdir=work,
        initial_prompt="create hello.txt with hi from aider",
    )
    proc.start(timeout=60)
    yield proc
    proc.stop()


def test_create_asks_permission_then_edits_and_goes_idle(aider: BridgeProcess) -> None:
    state = aider.wait_state("needs_input", timeout=90)
    assert "hello.txt" in state["message"]
    assert aider.send("y").status_code == 200
    state = aider.wait_state("idle", timeout=60)
    assert (aider.workdir / "hello.txt").read_text() == "hi from aider\n"
    assert state["source"] in ("notification", "screen")
    messages = wait_reply(aider, "Applied edit to hello.txt", timeout=30)
    assert [m["role"] for m in messages] == ["agent", "user", "agent", "user", "agent"]
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "create hello.txt with hi from aider",
        "y",
    ]
    assert messages[2]["content"].startswith("Creating hello.txt.")
    assert "Tokens:" not in messages[2]["content"]
    assert "diff>" not in messages[4]["content"]


def test_follow_up_gets_its_reply(aider: BridgeProcess) -> None:
    aider.wait_state("needs_input", timeout=90)
    aider.send("y")
    aider.wait_state("idle", timeout=60)
    assert aider.send("explain the change").status_code == 200
    wait_reply(aider, "Echo: explain the change", timeout=60)
    aider.wait_state("idle", timeout=30)


def test_interrupt_stops_a_slow_reply(aider: BridgeProcess) -> None:
    aider.wait_state("needs_input", timeout=90)
    aider.send("n")
    aider.wait_state("idle", timeout=60)
    aider.send("sleep 20 then explain")
    aider.wait_state("working", timeout=10)
    with aider.client() as c:
        assert c.post("/taskyard/interrupt").status_code == 200
    state = aider.wait_state("idle", timeout=20)
    assert state["state"] == "idle"
    assert not (aider.workdir / "hello.txt").exists()


def test_agent_dying_is_failed(aider: BridgeProcess) -> None:
    aider.wait_state("needs_input", timeout=90)
    os.kill(aider.state()["pid"], signal.SIGKILL)
    state = aider.wait_state("failed", timeout=15)
    assert "signal 9" in state["message"]
    assert aider.screen().strip()
