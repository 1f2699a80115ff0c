"""Real Claude Code in a task's container, against the fake Anthropic API on the host.

The host's npm-installed binary (``tools/install-agents.sh``) is bind-mounted read-only at
``/usr/local/bin/claude``; the container shares the host's network (``network = "host"``) so
the agent reaches the fake server on 127.0.0.1 and the bridge listens on the host's loopback.
Pause and resume keep the conversation and Claude's own session: the same session id and
transcript before and after, ``--resume`` on the command line, and no prompt sent twice.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from taskyard.workspaces.docker.container import DockerOptions
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.realagents import agent_binary

from .conftest import Harness, Logs, finish, idle, make_harness, wait_for, wait_reply

pytestmark = [pytest.mark.claude, pytest.mark.slow]

PROMPT = "create hello.txt with hi from claude"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
async def claude_harness(
    tmp_path: Path, docker_client: Any, bridge_cache: Path
) -> AsyncIterator[Harness]:
    binary = os.path.realpath(agent_binary("claude"))
    options = DockerOptions(network="host", mounts=[f"{binary}:/usr/local/bin/claude:ro"])
    harness = make_harness(tmp_path / "docker", docker_client, bridge_cache, options)
    yield harness
    await finish(harness)


def prompts_sent(fake: FakeAnthropic, needle: str) -> int:
    return sum(1 for r in fake.requests if needle in str(r.get("prompt", "")))


async def settled(client: Any, reply: str, within: float = 5.0) -> list[Any]:
    """The conversation once its last message is exactly ``reply``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    messages = await client.messages()
    while messages[-1]["content"] != reply and loop.time() < end:
        await asyncio.sleep(0.1)
        messages = await client.messages()
    assert messages[-1]["content"] == reply
    return list(messages)


async def test_claude_pauses_and_resumes_its_own_session(
    claude_harness: Harness, fake: FakeAnthropic
) -> None:
    provider = claude_harness.provider
    spec = claude_harness.spec(
        agent_type="claude",
        argv=["claude", "--permission-mode", "acceptEdits"],
        initial_prompt=PROMPT,
        env={
            "ANTHROPIC_BASE_URL": fake.base_url,
            "ANTHROPIC_API_KEY": "sk-ant-fake-test-key-0001",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
        },
    )
    data = await provider.create(spec, Logs())
    client = provider.client(data)
    await wait_reply(client, "Created hello.txt", timeout=90)
    first = await wait_for(client, idle, timeout=30)
    assert first["source"] == "hook"
    await client.send("remember the word pineapple")
    await wait_reply(client, "Echo: remember the word pineapple", timeout=60)
    await wait_for(client, idle)
    # The turn's reply is exactly its own: a Stop hook that outran Claude's transcript write
    # may first show the previous turn's text too, corrected when the bridge reads it again.
    before = await settled(client, "Echo: remember the word pineapple")
    container = claude_harness.container(spec.task_id)
    assert container.exec_run(["cat", "/workspace/hello.txt"]).output == b"hi from claude\n"
    sent = prompts_sent(fake, PROMPT)
    assert sent >= 1

    data = await provider.stop(data, grace=10.0)
    assert await provider.inspect(data) == "stopped"
    data = await provider.start(data, spec, Logs())
    client = provider.client(data)
    after = await wait_for(client, idle, timeout=60)
    assert after["session_id"] == first["session_id"]
    assert (await client.messages())[: len(before)] == before
    container = claude_harness.container(spec.task_id)
    cmdline = container.exec_run(["cat", f"/proc/{after['pid']}/cmdline"]).output.split(b"\0")
    assert [b"--resume", after["session_id"].encode()] == cmdline[cmdline.index(b"--resume") :][:2]

    await client.send("what word did I say")
    await wait_reply(client, "Echo: what word did I say", timeout=60)
    assert prompts_sent(fake, PROMPT) == sent
    transcripts = ["sh", "-c", "cd /home/agent/.claude/projects/*/ && ls *.jsonl"]
    assert container.exec_run(transcripts).output.split() == [
        f"{first['session_id']}.jsonl".encode()
    ]
    grep = ["sh", "-c", "grep -c pineapple /home/agent/.claude/projects/*/*.jsonl"]
    assert int(container.exec_run(grep).output.strip() or 0) >= 1

    await provider.delete(data)
    assert claude_harness.leftovers(spec.task_id) == []
