"""Real Claude Code (pinned, from npm) through the bridge, against the fake Anthropic API.

Every path a task takes: start → ready → prompt → working → a real file edit → idle with the
reply (from the transcript, via the Stop hook); a follow-up; a permission question answered
through the API; an interrupt with ESC; the agent dying; and a kill -9 of the bridge followed by
a restart that resumes the same Claude session without re-sending the prompt.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.fake_anthropic import FakeAnthropic
from tests.realagents import agent_binary, claude_env

from .harness import BridgeProcess
from .test_bridge_demo import wait_reply

pytestmark = [pytest.mark.claude, pytest.mark.slow]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


def make_bridge(base: Path, fake: FakeAnthropic, prompt: str = "") -> BridgeProcess:
    env = claude_env(base / "home", fake.base_url, base / "tmp")
    argv = [agent_binary("claude"), "--permission-mode", "acceptEdits"]
    return BridgeProcess(base, "claude", argv, initial_prompt=prompt, env=env)


def prompts_sent(fake: FakeAnthropic, needle: str) -> int:
    return sum(1 for r in fake.requests if needle in str(r.get("prompt", "")))


@pytest.fixture
def claude(tmp_path: Path, fake: FakeAnthropic) -> Iterator[BridgeProcess]:
    proc = make_bridge(tmp_path, fake, "create hello.txt with hi from claude").start()
    yield proc
    proc.stop()


def test_prompt_edits_a_file_and_the_reply_comes_from_the_transcript(claude: BridgeProcess) -> None:
    wait_reply(claude, "Created hello.txt", timeout=60)
    state = claude.wait_state("idle", timeout=30)
    messages = claude.messages()
    assert (claude.workdir / "hello.txt").read_text() == "hi from claude\n"
    assert state["source"] == "hook"
    assert "Created hello.txt" in state["message"]
    reply = messages[-1]["content"]
    assert reply.splitlines()[-1] == "Created hello.txt."  # the transcript's text, not the screen
    # The Stop hook may outrun Claude's last transcript write; the bridge reads it again.
    deadline = time.monotonic() + 3
    while "▸ Write" not in reply and time.monotonic() < deadline:
        time.sleep(0.1)
        reply = claude.messages()[-1]["content"]
    assert "▸ Write" in reply
    assert "esc to interrupt" not in reply
    assert [m["role"] for m in messages][-2:] == ["user", "agent"]
    # Hooks ran through our settings file, and the session id is the task's own.
    transcript = next((claude.base / "home" / ".claude" / "projects").rglob("*.jsonl"))
    assert transcript.stem == state["session_id"]


def test_follow_up_and_state_sequence(claude: BridgeProcess) -> None:
    wait_reply(claude, "Created hello.txt", timeout=60)
    claude.wait_state("idle")
    with claude.client() as c, c.stream("GET", "/taskyard/events") as events:
        claude.send("what is in the folder")
        states = []
        for line in events.iter_lines():
            if line.startswith("data:") and '"state":' in line and '"session_id"' in line:
                states.append(json.loads(line[5:])["state"])
                if states[-1] == "idle" and "working" in states:
                    break
    assert states[states.index("working") :][-1] == "idle"
    assert "needs_input" not in states
    wait_reply(claude, "Echo: what is in the folder")


def test_permission_question_needs_input_and_the_answer_continues(claude: BridgeProcess) -> None:
    wait_reply(claude, "Created hello.txt", timeout=60)
    claude.wait_state("idle")
    assert claude.send('run python3 -c \'open("ran.txt", "w").write("42")\'').status_code == 200
    state = claude.wait_state("needs_input", timeout=30)
    assert state["source"] in ("hook", "screen")
    assert "Bash" in state["message"] or "proceed" in state["message"]
    assert claude.send("1").status_code == 200
    claude.wait_state("idle", timeout=30)
    wait_reply(claude, "Ran python3")
    assert (claude.workdir / "ran.txt").read_text() == "42"


def test_escape_interrupts_and_the_task_does_not_stay_working(claude: BridgeProcess) -> None:
    wait_reply(claude, "Created hello.txt", timeout=60)
    claude.wait_state("idle")
    sent = claude.send("sleep 30 and then say hi")
    assert sent.status_code == 200, sent.text
    claude.wait_state("working")
    time.sleep(1.0)
    assert claude.send("\x1b", kind="raw").status_code == 200
    # Claude fires no Stop hook on an early interrupt: the screen must bring the state back.
    state = claude.wait_state("idle", timeout=15)
    assert state["source"] == "screen"


def test_agent_process_dying_is_failed_with_the_last_screen(claude: BridgeProcess) -> None:
    claude.wait_state("idle", timeout=60)
    pid = claude.state()["pid"]
    os.kill(pid, signal.SIGKILL)
    state = claude.wait_state("failed", "exited", timeout=15)
    assert "signal 9" in state["message"]
    assert "Claude Code" in claude.screen()


def test_bridge_kill_9_then_restart_resumes_the_same_session(
    tmp_path: Path, fake: FakeAnthropic
) -> None:
    first = make_bridge(tmp_path, fake, "create one.txt with first").start()
    wait_reply(first, "Created one.txt", timeout=60)
    first.wait_state("idle")
    sent = first.send("remember the word pineapple")
    assert sent.status_code == 200, sent.text
    wait_reply(first, "Echo: remember the word pineapple")
    first.wait_state("idle")
    before = first.messages()
    session = first.state()["session_id"]
    first.kill9()
    sent_before = prompts_sent(fake, "create one.txt with first")

    second = make_bridge(tmp_path, fake, "create one.txt with first").start()
    try:
        state = second.wait_state("idle", timeout=60)
        assert state["session_id"] == session
        assert second.messages()[: len(before)] == before
        cmdline = Path(f"/proc/{state['pid']}/cmdline").read_bytes().split(b"\0")
        assert [b"--resume", session.encode()] == cmdline[cmdline.index(b"--resume") :][:2]
        second.send("what word did I say")
        wait_reply(second, "Echo: what word did I say", timeout=60)
        assert prompts_sent(fake, "create one.txt with first") == sent_before
        # The resumed session carries the earlier turns to the model: same transcript file.
        transcripts = list((tmp_path / "home" / ".claude" / "projects").rglob("*.jsonl"))
        assert [t.stem for t in transcripts] == [session]
        assert "pineapple" in transcripts[0].read_text()
    finally:
        second.stop()
