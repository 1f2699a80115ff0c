"""The container's hardening, read back from the engine (``docker inspect``) and from inside:
non-root, no-new-privileges, every capability dropped, limits set, the bridge's port bound to
127.0.0.1 only, the token a 0400 file (never in the environment or the command line), and
requests without it rejected."""

from __future__ import annotations

import json
from typing import Any

import httpx

from .conftest import Harness, Logs, idle, wait_for

SECRET = "s3cret-value-for-the-agent-0042"


async def test_the_container_is_hardened_and_the_bridge_guarded(harness: Harness) -> None:
    spec = harness.spec(
        env={"TASKYARD_DEMO_SPEED": "5", "MY_API_KEY": SECRET},
        resources={"memory_mb": 512, "cpus": 0.5, "pids": 200},
    )
    data = await harness.provider.create(spec, Logs())
    container = harness.container(spec.task_id)
    attrs: dict[str, Any] = container.attrs
    host, config = attrs["HostConfig"], attrs["Config"]

    assert config["User"] == "1000:1000"
    assert container.exec_run(["id", "-u"]).output.strip() == b"1000"
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"] and not host["Privileged"]
    effective = container.exec_run(["grep", "CapEff", "/proc/1/status"]).output.split()[-1]
    assert effective == b"0000000000000000"
    assert host["Init"] is True
    assert host["Memory"] == 512 * 1024 * 1024
    assert host["NanoCpus"] == 500_000_000
    assert host["PidsLimit"] == 200
    assert config["Labels"]["dev.taskyard.managed"] == "true"
    assert config["Labels"]["dev.taskyard.task"] == spec.task_id

    bindings = [b for port in attrs["NetworkSettings"]["Ports"].values() for b in port or []]
    assert bindings and {b["HostIp"] for b in bindings} == {"127.0.0.1"}
    assert {b["HostIp"] for p in host["PortBindings"].values() for b in p} == {"127.0.0.1"}

    token = (harness.provider.root / spec.task_id / "token").read_text().strip()
    assert (harness.provider.root / spec.task_id / "token").stat().st_mode & 0o777 == 0o600
    inspected = json.dumps(attrs)
    assert token not in inspected  # neither environment nor command line nor labels
    assert f"MY_API_KEY={SECRET}" in config["Env"]  # secrets: the container's environment only
    assert SECRET not in json.dumps([config["Cmd"], config["Entrypoint"]])
    stat = container.exec_run(["stat", "-c", "%a %u", "/opt/taskyard/token"]).output.strip()
    assert stat == b"400 1000"

    url = data["bridge_url"]
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        assert (await http.get("/status")).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert (await http.get("/status", headers=wrong)).status_code == 401
        good = {"Authorization": f"Bearer {token}"}
        assert (await http.get("/status", headers=good)).status_code == 200
        rebinding = {**good, "Host": "evil.example:80"}
        assert (await http.get("/status", headers=rebinding)).status_code == 400
    client = harness.provider.client(data)
    await wait_for(client, idle)
    await harness.provider.delete(data)
    assert harness.leftovers(spec.task_id) == []
