"""An engine on another machine: ports on its interfaces, the bridge reached at its host name.

No second machine exists here, so the engine is this one, addressed as ``127.0.0.2``, a
loopback address other than the one the bridge would be published on locally, as the sidecar
would address a remote engine (``DOCKER_HOST=tcp://H:2376`` gives ``engine_host=H``); tests
send traffic to loopback only. The Docker API itself stays on its local socket: only the
bridge's side of a remote engine is exercised, which is the part Taskyard adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from taskyard.workspaces.docker.container import DockerOptions

from .conftest import finish, idle, make_harness, wait_for, wait_reply

REMOTE = "127.0.0.2"
"""The "remote" engine's host name: another loopback address."""


async def test_a_task_on_a_remote_engine_is_reached_at_the_engine_host(
    tmp_path: Path, docker_client: Any, bridge_cache: Path
) -> None:
    host = REMOTE
    harness = make_harness(
        tmp_path / "docker", docker_client, bridge_cache, DockerOptions(engine_host=host)
    )
    try:
        spec = harness.spec(initial_prompt="create hello.txt with hi there")
        data = await harness.provider.create(spec, lambda *_: None)
        assert data["bridge_url"].startswith(f"http://{host}:")
        client = harness.provider.client(data)
        await wait_for(client, idle)
        await wait_reply(client, "Created hello.txt")
        bindings = harness.container(spec.task_id).attrs["NetworkSettings"]["Ports"]["3284/tcp"]
        assert {b["HostIp"] for b in bindings} <= {"0.0.0.0", "::"}
        # Published beyond loopback, the bridge still answers nobody without its token.
        async with httpx.AsyncClient() as http:
            refused = await http.get(data["bridge_url"] + "/status", timeout=5)
        assert refused.status_code == 401
        await harness.provider.delete(data)
    finally:
        await finish(harness)
