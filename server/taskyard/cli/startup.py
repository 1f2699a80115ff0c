"""Keeping the CLI alive while a task's workspace starts, even through a first Ctrl-C.

Creating or resuming a task starts its workspace in a background job of *this* process; the
bridge it launches is detached and outlives the CLI only once the workspace record holds its
pid (workspace status ``running``). Leaving earlier cuts the start-up off, and a bridge that was
already launched is then recorded nowhere: nothing would ever stop it. So the first Ctrl-C
during a start-up waits for the workspace to come up (a few seconds locally) before exiting
with 130; a second Ctrl-C abandons it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from taskyard.app import Services
from taskyard.cli.events import settle
from taskyard.cli.runtime import Context
from taskyard.errors import TaskyardError
from taskyard.lifecycle import Phase, TaskStatus
from taskyard.protocol import Task

T = TypeVar("T")
STARTING = (Phase.PENDING, Phase.CREATING, Phase.STARTING)
"""Workspace states of a start-up in progress in this process."""


async def wait_started(ctx: Context, services: Services, task: Task, *, ready: bool) -> Task:
    """Keep this process alive until the task's workspace runs (and its agent, if ``ready``).

    Raises the task's own error when start-up fails.
    """

    def started(t: Task) -> bool:
        if t.status in (TaskStatus.ERROR, TaskStatus.PAUSED):
            return True
        if ready:
            return TaskStatus(t.status) is TaskStatus.ACTIVE
        return t.workspace.status == Phase.RUNNING

    task = await guarded(ctx, services, task, ctx.follower.until(services.tasks, task.id, started))
    if TaskStatus(task.status) is TaskStatus.ERROR:
        raise start_error(task)
    await settle(services, ctx.follower)
    return await services.tasks.get(task.id)


async def launched(ctx: Context, services: Services, launch: Awaitable[Task]) -> Task:
    """The task returned by ``launch`` (a create or resume call), even through Ctrl-C.

    The call starts the background start-up before it returns; a Ctrl-C that lands inside it
    would otherwise cut that start-up off before the task is known.
    """
    job = asyncio.ensure_future(launch)
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        await _finish_startup(ctx, services, await job)
        raise


async def guarded(ctx: Context, services: Services, task: Task, work: Awaitable[T]) -> T:
    """Await ``work``; on Ctrl-C, first let the task's start-up finish (see the module doc)."""
    ctx.interrupted_note = (
        f"interrupted: the start-up of task {task.name} was cut off; "
        f"run `taskyard task resume {task.name}` to retry, or delete it"
    )
    try:
        return await work
    except asyncio.CancelledError:
        await _finish_startup(ctx, services, task)
        raise


async def _finish_startup(ctx: Context, services: Services, task: Task) -> None:
    current = await services.tasks.get(task.id)
    if current.workspace.status in STARTING and TaskStatus(current.status) is not TaskStatus.ERROR:
        ctx.out.note(
            f"Ctrl-C: letting the workspace of task {task.name} finish starting, so that "
            "no process is left behind (press Ctrl-C again to abandon it)…"
        )
        current = await ctx.follower.until(services.tasks, task.id, _startup_over)
    if current.workspace.status == Phase.RUNNING:
        ctx.interrupted_note = (
            f"interrupted; task {task.name} keeps running (`taskyard task status {task.name}`)"
        )


def _startup_over(task: Task) -> bool:
    return TaskStatus(task.status) is TaskStatus.ERROR or task.workspace.status not in STARTING


def start_error(task: Task) -> TaskyardError:
    """The error of a task whose start-up failed, with a hint on what to do next."""
    why = task.error.message if task.error else "its workspace failed"
    err = TaskyardError(
        f"task {task.name} failed to start: {why} "
        f"(fix the cause and run `taskyard task resume {task.name}`, or delete it)",
        task=task.id,
    )
    err.kind = task.error.kind if task.error else "workspaceFailure"
    return err
