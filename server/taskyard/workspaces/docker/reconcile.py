"""Taskyard's containers and volumes on the engine, and the ones no task owns.

Everything Taskyard creates carries ``dev.taskyard.managed=true`` and the task id
(:mod:`.docker_engine`), so after any crash (of the sidecar, of the engine, of the machine) the
engine itself says what exists. These helpers are what a reconcile pass and an orphan-cleanup
verb need: list everything, pick what no known task owns, remove it; and spot duplicates (two
containers claiming one task), which must never happen and are reported, not guessed at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

import attrs

from .engine import LABEL_HOME, LABEL_ROLE, LABEL_TASK, DockerEngine, task_filter


@attrs.frozen
class ManagedObject:
    """One container or volume that Taskyard made."""

    kind: str
    """``container`` or ``volume``."""
    name: str
    task_id: str
    role: str
    """``workspace`` for containers; ``home``, ``work`` or (shared) ``bridge`` for volumes."""
    status: str
    """The container's state (``running``, ``exited``…); ``volume`` for volumes."""
    home: str = ""
    """The provider folder that made it (empty for objects of older versions)."""


async def list_managed(engine: DockerEngine) -> list[ManagedObject]:
    """Every Taskyard container and volume on the engine, containers first."""

    def scan(client: Any) -> list[ManagedObject]:
        found = [
            _object("container", c.name, c.labels, c.status)
            for c in client.containers.list(all=True, filters=task_filter())
        ]
        found += [
            _object("volume", v.name, v.attrs.get("Labels") or {}, "volume")
            for v in client.volumes.list(filters=task_filter())
        ]
        return found

    return await engine.call("listing Taskyard's containers and volumes", scan)


def _object(kind: str, name: str, labels: dict[str, str], status: str) -> ManagedObject:
    return ManagedObject(
        kind=kind,
        name=name,
        task_id=labels.get(LABEL_TASK, ""),
        role=labels.get(LABEL_ROLE, ""),
        status=status,
        home=labels.get(LABEL_HOME, ""),
    )


async def orphans(
    engine: DockerEngine, owned: Collection[str], home: str | None = None
) -> list[ManagedObject]:
    """Taskyard's objects whose task id is not in ``owned`` (the ids of existing tasks).

    With ``home``, only objects made by that provider folder (or unlabelled ones, from before
    the label existed) count: tasks of another data folder on the same engine are not orphans.
    """
    known = set(owned)
    # The shared bridge volumes (role ``bridge``) belong to no task, so to no task's orphans.
    found = await list_managed(engine)
    mine = [o for o in found if home is None or o.home in (home, "")]
    return [o for o in mine if o.task_id not in known and o.role != "bridge"]


def duplicates(objects: Collection[ManagedObject]) -> list[str]:
    """Task ids that more than one container claims."""
    counts = Counter(o.task_id for o in objects if o.kind == "container" and o.role == "workspace")
    return sorted(task for task, n in counts.items() if n > 1)


async def remove_orphans(
    engine: DockerEngine, owned: Collection[str], home: str | None = None
) -> list[ManagedObject]:
    """Remove the containers (running or not) and volumes no task owns; returns what went."""
    found = await orphans(engine, owned, home)

    def remove(client: Any) -> None:
        # Containers first: a volume cannot go while a container still mounts it.
        for obj in sorted(found, key=lambda o: o.kind != "container"):
            if obj.kind == "container":
                client.containers.get(obj.name).remove(force=True)
            else:
                client.volumes.get(obj.name).remove(force=True)

    await engine.call("removing orphaned workspaces", remove)
    return found
