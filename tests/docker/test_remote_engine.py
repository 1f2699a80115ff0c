"""An engine on another machine: ports on its interfaces, the bridge reached at its host name.

No second machine exists here, so the engine is this one, addressed by a non-loopback address
of this host, as the sidecar would address a remote engine (``DOCKER_HOST=tcp://H:2376``
gives ``engine_host=H``). The Docker API itself stays on its local socket: only the bridge's
side of a remote engine is exercised, which is the part Taskyard adds.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskyard.workspaces.docker.container import DockerOptions

from .conftest import finish, idle, make_harness, wait_for, wait_reply


def outward_address() -> str:
    """An address of this host that is not loopback (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return str(probe.getsockname()[0])
        except OSError:
            return ""


async def test_a_task_on_a_remote_engine_is_reached_at_the_engine_host(
    tmp_path: Path, docker_client: Any, bridge_cache: Path
) -> None:
    host = outward_address()
    if not host or host.startswith("127."):
        pytest.skip("this machine has no non-loopback address to stand for a remote engine")
    harness = make_harness(
        tmp_path / "docker", docker_client, bridge_cache, DockerOptions(engine_host=host)
    )
    try:
        spec = harness.spec(initial_prompt="create hello.txt with hi there")
        data = await harness.provider.create(spec, lambda *_: None)
        assert data["bridge_url"].startswith(f"http://{host}:")
        client = harness.provider.client(data)
        try:
            await wait_for(client, idle)
            await wait_reply(client, "Created hello.txt")
        finally:
            await client.aclose()
        bindings = harness.container(spec.task_id).attrs["NetworkSettings"]["Ports"]["3284/tcp"]
        assert {b["HostIp"] for b in bindings} <= {"0.0.0.0", "::"}
        # Published beyond loopback, the bridge still answers nobody without its token.
        async with httpx.AsyncClient() as http:
            refused = await http.get(data["bridge_url"] + "/status", timeout=5)
        assert refused.status_code == 401
        await harness.provider.delete(data)
    finally:
        await finish(harness)
