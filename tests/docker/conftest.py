"""Fixtures for the Docker provider, run against the real engine.

The tests need an engine and the default workspace image; ``tools/docker-setup.sh`` provides
both on a fresh Debian machine. Without a reachable engine every test here is skipped with the
reason; an engine without the image is a failure (the setup script was not run).

Each test gets its own provider (host folder under ``tmp_path``) and task ids; whatever a test
leaves on the engine under its task ids is removed afterwards, so a failed assertion never
leaves containers behind.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import docker.errors  # binds `docker` too; plain `import docker` reads as this package to ruff
import pytest

from taskyard.workspaces.base import WorkspaceSpec
from taskyard.workspaces.bridge_client import BridgeClient, close_shared_client
from taskyard.workspaces.docker.container import DEFAULT_IMAGE, DockerOptions
from taskyard.workspaces.docker.engine import task_filter
from taskyard.workspaces.docker.provider import DockerProvider
from tests.engines import engine_or_skip

BASE_IMAGE = os.environ.get("TASKYARD_BASE_IMAGE", "taskyard-base:bookworm-minbase")
"""The imported minbase rootfs: a real image without python3."""


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A plain docker client for checking what the provider did (skips without an engine)."""
    client = engine_or_skip()
    for image in (DEFAULT_IMAGE, BASE_IMAGE):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            client.close()
            pytest.fail(f"image {image} is missing: run tools/docker-setup.sh")
    purge_stale(client)
    yield client
    client.close()


TEST_PREFIX = "7e57"
"""Test task ids are version-4 UUIDs starting with this ("test"): real agents such as Claude
Code take the task id as their session id and insist on a UUID."""

STALE_AFTER = 15 * 60
"""Seconds after which a test's container or volume is a leftover of a killed run."""


def purge_stale(client: Any) -> None:
    """Remove what killed test runs left (task ids starting with :data:`TEST_PREFIX`). Only objects
    older than any test could run are touched, so a concurrent run keeps its own."""
    now = time.time()

    def stale(labels: dict[str, str], created: str) -> bool:
        task = labels.get("dev.taskyard.task", "")
        born = datetime.fromisoformat(created[:19]).replace(tzinfo=UTC).timestamp()
        return task.startswith(TEST_PREFIX) and now - born > STALE_AFTER

    for container in client.containers.list(all=True, filters=task_filter()):
        if stale(container.labels, container.attrs["Created"]):
            container.remove(force=True)
    for volume in client.volumes.list(filters=task_filter()):
        if stale(volume.attrs.get("Labels") or {}, volume.attrs["CreatedAt"]):
            volume.remove(force=True)


@pytest.fixture(scope="session")
def bridge_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bridge.pyz for the whole session."""
    return tmp_path_factory.mktemp("bridge-cache")


@attrs.define
class Logs:
    """The provider's log sink, recording ``(stream, text)``."""

    lines: list[tuple[str, str]] = attrs.Factory(list)

    def __call__(self, stream: str, text: str) -> None:
        self.lines.append((stream, text))

    def text(self, stream: str | None = None) -> str:
        return "\n".join(t for s, t in self.lines if stream is None or s == stream)


@attrs.define
class Harness:
    """A provider plus the task ids a test made, for specs and cleanup."""

    provider: DockerProvider
    client: Any
    task_ids: list[str] = attrs.Factory(list)

    def spec(self, **changes: Any) -> WorkspaceSpec:
        task_id = str(uuid.UUID(TEST_PREFIX + uuid.uuid4().hex[4:]))  # see purge_stale
        self.task_ids.append(task_id)
        fields: dict[str, Any] = {
            "task_id": task_id,
            "agent_type": "demo",
            "argv": [],
            "env": {"TASKYARD_DEMO_SPEED": "5"},
            "initial_prompt": "",
            "repo": "none",
        }
        return WorkspaceSpec(**{**fields, **changes})

    def leftovers(self, task_id: str) -> list[str]:
        """Names of containers and volumes still on the engine for ``task_id``."""
        found = [
            c.name for c in self.client.containers.list(all=True, filters=task_filter(task_id))
        ]
        return found + [v.name for v in self.client.volumes.list(filters=task_filter(task_id))]

    def container(self, task_id: str) -> Any:
        return self.client.containers.list(all=True, filters=task_filter(task_id))[0]


def make_harness(
    root: Path, client: Any, cache: Path, options: DockerOptions | None = None
) -> Harness:
    return Harness(DockerProvider(root, options=options, cache_dir=cache), client)


def purge(client: Any, task_ids: list[str]) -> None:
    for task_id in task_ids:
        for container in client.containers.list(all=True, filters=task_filter(task_id)):
            container.remove(force=True)
        for volume in client.volumes.list(filters=task_filter(task_id)):
            volume.remove(force=True)


@pytest.fixture
async def harness(tmp_path: Path, docker_client: Any, bridge_cache: Path) -> AsyncIterator[Harness]:
    h = make_harness(tmp_path / "docker", docker_client, bridge_cache)
    yield h
    await finish(h)


async def finish(harness: Harness) -> None:
    """A test's cleanup: its provider closed, its tasks' objects removed from the engine."""
    await harness.provider.close()
    await asyncio.to_thread(purge, harness.client, harness.task_ids)
    # Bridge clients share one httpx client per event loop; close this test's.
    await close_shared_client()


async def wait_for(
    client: BridgeClient, check: Callable[[dict[str, Any]], bool], timeout: float = 30.0
) -> dict[str, Any]:
    """The bridge's state once ``check`` holds for it."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    state: dict[str, Any] = {}
    while loop.time() < end:
        state = await client.state()
        if check(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"bridge state never matched: {state}")


def idle(state: dict[str, Any]) -> bool:
    return state["state"] == "idle" and state["status"] == "stable"


async def wait_reply(client: BridgeClient, needle: str, timeout: float = 30.0) -> list[Any]:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    messages: list[Any] = []
    while loop.time() < end:
        messages = await client.messages()
        if messages and messages[-1]["role"] == "agent" and needle in messages[-1]["content"]:
            return messages
        await asyncio.sleep(0.05)
    raise AssertionError(f"no reply with {needle!r}: {messages}")
