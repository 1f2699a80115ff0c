"""Bad input gives a :class:`WorkspaceFailureError` with a specific message, the log lines that
explain it, and nothing left on the engine or on disk: an image that does not exist, an image
without python3, a setup script that exits 1, a Dockerfile that fails to build, an unknown
agent type, and an engine that does not answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskyard.errors import WorkspaceFailureError

from .conftest import BASE_IMAGE, Harness, Logs, idle, make_harness, purge, wait_for


async def failed_create(harness: Harness, logs: Logs, **changes: Any) -> WorkspaceFailureError:
    spec = harness.spec(**changes)
    with pytest.raises(WorkspaceFailureError) as caught:
        await harness.provider.create(spec, logs)
    assert harness.leftovers(spec.task_id) == []
    assert not (harness.provider.root / spec.task_id).exists()
    return caught.value


async def test_an_image_that_does_not_exist(harness: Harness) -> None:
    logs = Logs()
    failure = await failed_create(harness, logs, image="taskyard-no-such-image:1")
    assert str(failure).startswith("the image taskyard-no-such-image:1 is not available")
    assert "pulling it failed" in str(failure)
    assert "pulling it" in logs.text("build")


async def test_an_image_without_python3(harness: Harness) -> None:
    failure = await failed_create(harness, Logs(), image=BASE_IMAGE)
    assert str(failure) == (
        f"the image {BASE_IMAGE} has no python3; the agent bridge needs python3 (3.9 or newer) "
        "in the workspace image"
    )


async def test_a_setup_script_that_exits_1(harness: Harness) -> None:
    logs = Logs()
    failure = await failed_create(
        harness, logs, setup_script="echo preparing the workspace\nexit 1\n"
    )
    assert str(failure) == "the setup script exited with code 1"
    assert "preparing the workspace" in logs.text("startup")
    assert "preparing the workspace" in failure.detail


async def test_a_setup_script_runs_once_per_workspace(harness: Harness) -> None:
    spec = harness.spec(setup_script="echo run >> $HOME/setup-runs\n")
    data = await harness.provider.create(spec, Logs())
    data = await harness.provider.stop(data, grace=5.0)
    data = await harness.provider.start(data, spec, Logs())
    await wait_for(harness.provider.client(data), idle)
    runs = harness.container(spec.task_id).exec_run(["cat", "/home/agent/setup-runs"])
    assert runs.output == b"run\n"
    await harness.provider.delete(data)


async def test_a_dockerfile_that_fails_to_build(harness: Harness, tmp_path: Path) -> None:
    dockerfile = tmp_path / "broken" / "Dockerfile"
    dockerfile.parent.mkdir()
    dockerfile.write_text(f"FROM {BASE_IMAGE}\nRUN echo about to fail && exit 3\n")
    logs = Logs()
    failure = await failed_create(harness, logs, dockerfile=str(dockerfile))
    assert str(failure).startswith(f"the Dockerfile {dockerfile} failed to build:")
    assert "returned a non-zero code: 3" in str(failure)
    assert "about to fail" in logs.text("build")


async def test_a_dockerfile_is_built_once_and_cached(
    harness: Harness, tmp_path: Path, docker_client: Any
) -> None:
    dockerfile = tmp_path / "ok" / "Dockerfile"
    dockerfile.parent.mkdir()
    dockerfile.write_text(f"FROM taskyard-workspace:bookworm\nRUN echo {tmp_path.name} > /tmp/x\n")
    first, second = Logs(), Logs()
    try:
        data = await harness.provider.create(harness.spec(dockerfile=str(dockerfile)), first)
        await harness.provider.delete(data)
        data = await harness.provider.create(harness.spec(dockerfile=str(dockerfile)), second)
        await harness.provider.delete(data)
        assert "Successfully built" in first.text("build")
        assert "using the cached image" in second.text("build")
        assert data["image"].startswith("taskyard-template:")
    finally:
        for image in docker_client.images.list(filters={"label": "dev.taskyard.managed=true"}):
            if any(tmp_path.name in str(h.get("CreatedBy")) for h in image.history()):
                docker_client.images.remove(image.id, force=True)


async def test_an_unknown_agent_type(harness: Harness) -> None:
    failure = await failed_create(harness, Logs(), agent_type="no-such-agent")
    assert str(failure).startswith("the agent bridge exited with code 2: taskyard-bridge: error:")
    assert "no-such-agent" in str(failure)


async def test_an_engine_that_does_not_answer(
    tmp_path: Path, docker_client: Any, bridge_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    harness = make_harness(tmp_path / "docker", docker_client, bridge_cache)
    spec = harness.spec()
    try:
        with pytest.raises(WorkspaceFailureError) as caught:
            await harness.provider.create(spec, Logs())
        assert str(caught.value).startswith(
            "the Docker engine does not answer at tcp://127.0.0.1:9"
        )
        assert not (harness.provider.root / spec.task_id).exists()
        # Without an engine nothing runs: the task is honestly paused, not lost.
        assert await harness.provider.inspect({"id": spec.task_id}) == "stopped"
        assert not await harness.provider.engine.ping()
    finally:
        await harness.provider.close()
        purge(docker_client, harness.task_ids)
