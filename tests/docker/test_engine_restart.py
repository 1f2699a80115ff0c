"""The Docker engine restarting under a running task: while it is down the task reads as
honestly stopped (never "running" with nothing behind it); after the restart the container is
stopped, not duplicated, and resuming it brings the conversation back without re-sending the
prompt.

Restarting the engine disturbs everything else on it, so this runs in CI (``CI=true``) or when
``TASKYARD_DOCKER_RESTART_TEST=1``; it needs the engine started by ``tools/docker-setup.sh``
(it stops dockerd through its pid file and lets the script start it again).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
from pathlib import Path

import pytest

from taskyard.workspaces.docker.reconcile import duplicates, list_managed

from .conftest import Harness, Logs, idle, wait_for, wait_reply

ROOT = Path(__file__).resolve().parents[2]
PID_FILE = Path("/var/run/docker.pid")
PROMPT = "create hello.txt with hi there"

pytestmark = [
    pytest.mark.slow,
    # docker-py drops its pooled connections to the stopped engine without closing them; they
    # are collected at the end of this test (below) and are not a leak of Taskyard's.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(
        os.environ.get("CI") != "true" and os.environ.get("TASKYARD_DOCKER_RESTART_TEST") != "1",
        reason="restarts the Docker engine: runs in CI or with TASKYARD_DOCKER_RESTART_TEST=1",
    ),
]


async def stop_dockerd() -> None:
    if os.environ.get("DOCKER_HOST") or not PID_FILE.exists():
        pytest.skip("the engine is not the local dockerd started by tools/docker-setup.sh")
    pid = int(PID_FILE.read_text())
    os.kill(pid, signal.SIGTERM)
    for _ in range(300):
        if not Path(f"/proc/{pid}").exists():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("dockerd did not stop within 30 s")


async def test_an_engine_restart_leaves_the_task_paused_and_resumable(harness: Harness) -> None:
    provider = harness.provider
    spec = harness.spec(initial_prompt=PROMPT)
    data = await provider.create(spec, Logs())
    client = provider.client(data)
    await wait_for(client, lambda s: idle(s) and s["initial_prompt_sent"])
    before = await wait_reply(client, "Created hello.txt")

    await stop_dockerd()
    assert await provider.inspect(data) == "stopped"
    setup = [str(ROOT / "tools" / "docker-setup.sh")]
    await asyncio.to_thread(subprocess.run, setup, check=True, capture_output=True)
    # Connections pooled before the restart are dead: drop them now, inside this test.
    harness.client.close()
    await provider.engine.close()
    gc.collect()
    assert await provider.inspect(data) == "stopped"
    found = [o for o in await list_managed(provider.engine) if o.task_id == spec.task_id]
    assert duplicates(found) == [] and len([o for o in found if o.kind == "container"]) == 1

    data = await provider.start(data, spec, Logs())
    client = provider.client(data)
    await wait_for(client, idle)
    messages = await client.messages()
    assert messages[: len(before)] == before
    assert [m["content"] for m in messages if m["role"] == "user"].count(PROMPT) == 1
    await provider.delete(data)
    assert harness.leftovers(spec.task_id) == []
    gc.collect()
