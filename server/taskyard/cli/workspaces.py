"""``taskyard workspace``: where tasks can run, and Taskyard's leftovers on the Docker engine.

``orphans`` lists the containers and volumes labelled as Taskyard's whose task no longer exists
(a delete that failed while the engine was down, a database reset by hand); ``--remove``
removes them after confirmation. Objects of existing tasks are never touched, nor those another
data folder made (another user's Taskyard, a test run): each object is labelled with its own.
"""

from __future__ import annotations

import attrs

from taskyard.cli.runtime import CliError, Context, confirm
from taskyard.workspaces.docker.reconcile import (
    ManagedObject,
    duplicates,
    list_managed,
    orphans,
    remove_orphans,
)


async def providers_cmd(ctx: Context) -> int:
    services = await ctx.services()
    info = await services.info()
    if ctx.out.json:
        ctx.out.data(info)
        return 0
    rows = [[p.name, "yes" if p.available else "no", p.detail] for p in info.providers]
    ctx.out.table(("provider", "available", "detail"), rows)
    ctx.out.print("")
    ctx.out.print(f"Templates that say `auto` run in: {info.default_provider}")
    return 0


async def orphans_cmd(ctx: Context) -> int:
    services = await ctx.services()
    docker = services.providers.docker
    engine, home = docker.engine, docker.options.home
    if await services.providers.docker_version() is None:
        raise CliError(
            "Docker is unavailable, so there are no containers to list: "
            + next(p.detail for p in (await services.info()).providers if p.name == "docker"),
            "dockerUnavailable",
        )
    records, _, _ = await services.store.list_tasks(None, None, 1_000_000, None)
    owned = [r.id for r in records]
    found = await orphans(engine, owned, home)
    twice = duplicates(await list_managed(engine))
    for task_id in twice:
        ctx.out.note(f"warning: task {task_id} has more than one container")
    if not found:
        if ctx.out.json:
            ctx.out.data([])
        else:
            ctx.out.print("No orphaned containers or volumes.")
        return 0
    if not ctx.args.remove:
        _show(ctx, found)
        if not ctx.out.json:
            ctx.out.print("")
            ctx.out.print("Remove them with: taskyard workspace orphans --remove")
        return 0
    confirm(
        f"Remove {len(found)} orphaned container(s) and volume(s)?",
        yes=ctx.args.yes,
        action="remove orphans",
    )
    gone = await remove_orphans(engine, owned, home)
    if ctx.out.json:
        ctx.out.data([_wire(o) for o in gone])
    else:
        ctx.out.print(f"Removed {len(gone)} orphaned container(s) and volume(s).")
    return 0


def _show(ctx: Context, found: list[ManagedObject]) -> None:
    if ctx.out.json:
        ctx.out.data([_wire(o) for o in found])
        return
    rows = [[o.kind, o.name, o.role, o.task_id, o.status] for o in found]
    ctx.out.table(("kind", "name", "role", "task", "status"), rows)


def _wire(obj: ManagedObject) -> dict[str, str]:
    return {"taskId" if k == "task_id" else k: v for k, v in attrs.asdict(obj).items()}
