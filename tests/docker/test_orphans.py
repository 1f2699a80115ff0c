"""``taskyard workspace orphans``: Taskyard's containers and volumes that no task owns.

An orphan is made the way a crash would leave one (a labelled container and volume whose task
is not in the database); the CLI lists it, removes it on ``--remove``, and never touches the
objects of a task that exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from taskyard.workspaces.docker.container import DEFAULT_IMAGE, labels

from .conftest import TEST_PREFIX, purge

ROOT = Path(__file__).resolve().parents[2]


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKYARD_")}
    env |= {"TASKYARD_DATA_DIR": str(data), "PYTHONPATH": str(ROOT / "server")}
    return subprocess.run(
        [sys.executable, "-m", "taskyard", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_orphans_are_listed_then_removed(tmp_path: Path, docker_client: Any) -> None:
    task_id, foreign = (str(uuid.UUID(TEST_PREFIX + uuid.uuid4().hex[4:])) for _ in range(2))
    home = str(tmp_path / "docker")  # the provider folder of the CLI's data folder
    try:
        volume = docker_client.volumes.create(
            f"taskyard-{task_id}-work", labels=labels(task_id, "work", home)
        )
        box = docker_client.containers.create(
            DEFAULT_IMAGE,
            ["true"],
            name=f"taskyard-{task_id}",
            labels=labels(task_id, "workspace", home),
        )
        # Another data folder's task on the same engine: never ours to list or remove.
        other = docker_client.volumes.create(
            f"taskyard-{foreign}-work", labels=labels(foreign, "work", "/elsewhere/docker")
        )
        listed = cli(tmp_path, "workspace", "orphans", "-o", "json")
        assert listed.returncode == 0, listed.stderr
        found = json.loads(listed.stdout)
        assert foreign not in {o["taskId"] for o in found}
        mine = [o for o in found if o["taskId"] == task_id]
        assert sorted((o["kind"], o["name"], o["role"]) for o in mine) == [
            ("container", box.name, "workspace"),
            ("volume", volume.name, "work"),
        ]
        table = cli(tmp_path, "workspace", "orphans")
        assert box.name in table.stdout and "taskyard workspace orphans --remove" in table.stdout

        refused = cli(tmp_path, "workspace", "orphans", "--remove")
        assert refused.returncode == 1 and "pass -y/--yes" in refused.stderr
        assert docker_client.containers.list(all=True, filters={"name": box.name})

        removed = cli(tmp_path, "workspace", "orphans", "--remove", "-y")
        assert removed.returncode == 0, removed.stderr
        assert "Removed" in removed.stdout
        assert not docker_client.containers.list(all=True, filters={"name": box.name})
        assert not [v for v in docker_client.volumes.list() if v.name == volume.name]
        assert [v for v in docker_client.volumes.list() if v.name == other.name]
    finally:
        purge(docker_client, [task_id, foreign])
