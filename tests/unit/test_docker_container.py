"""The container's shape for an engine on this machine and for one on another machine.

Checked without an engine: ``create_kwargs`` is what the provider hands the SDK. Locally every
port is on 127.0.0.1; with a remote engine the ports are on its interfaces, the bridge answers
to the engine's host name, and the hardening does not change.
"""

from __future__ import annotations

import pytest

from taskyard.workspaces.base import WorkspaceSpec
from taskyard.workspaces.docker.container import DockerOptions, create_kwargs, remote_host

ADDRESSES = [
    ("unix:///var/run/docker.sock", ""),
    ("npipe:////./pipe/docker_engine", ""),
    ("tcp://127.0.0.1:2375", ""),
    ("tcp://localhost:2376", ""),
    ("tcp://[::1]:2375", ""),
    ("tcp://build-box:2376", "build-box"),
    ("tcp://10.0.4.7:2375", "10.0.4.7"),
    ("tcp://[fd00::7]:2375", "fd00::7"),
    ("ssh://ana@build-box", "build-box"),
    ("ssh://ana@build-box:2222", "build-box"),
    ("ssh://localhost", ""),
]


@pytest.mark.parametrize(("address", "host"), ADDRESSES)
def test_which_engines_are_on_another_machine(address: str, host: str) -> None:
    assert remote_host(address) == host


def kwargs(engine_host: str) -> dict[str, object]:
    spec = WorkspaceSpec(
        task_id="t1", agent_type="demo", argv=[], env={}, initial_prompt="", preview_port=8000
    )
    return create_kwargs(
        spec, DockerOptions(engine_host=engine_host), "img", 2, ("taskyard-bridge-x", "/b")
    )


@pytest.mark.parametrize(
    ("engine_host", "published", "allowed"),
    [
        ("", "127.0.0.1", "127.0.0.1,localhost"),
        ("build-box", "0.0.0.0", "127.0.0.1,localhost,build-box"),
    ],
)
def test_ports_and_allowed_hosts_follow_where_the_engine_is(
    engine_host: str, published: str, allowed: str
) -> None:
    made = kwargs(engine_host)
    assert made["ports"] == {"3284/tcp": (published, None), "8000/tcp": (published, None)}
    command = made["command"]
    assert isinstance(command, list)
    assert command[command.index("--allowed-hosts") + 1] == allowed
    # The hardening is the same wherever the engine runs.
    assert made["user"] == "1000:1000"
    assert made["cap_drop"] == ["ALL"] and made["security_opt"] == ["no-new-privileges"]
