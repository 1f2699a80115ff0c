"""``taskyard task``: the verbs of Coder's ``coder task``, over the in-process task engine.

This module implements the verbs that start or show tasks (``create``, ``list``, ``status``);
the verbs that act on one existing task live in :mod:`taskyard.cli.task_actions`, and every
verb's arguments in :mod:`taskyard.cli.parser`. A verb that starts a workspace (``create``,
``resume``) keeps the process alive until the workspace runs: start-up is a job of this
process, and leaving earlier would cut it off.
"""

from __future__ import annotations

import argparse
import re

from taskyard import protocol
from taskyard.app import Services
from taskyard.cli.output import STATUS_COLUMNS, TASK_COLUMNS, local_time, task_row, where
from taskyard.cli.runtime import Context, read_stdin, usage_error
from taskyard.cli.startup import launched, wait_started
from taskyard.errors import TaskNotFoundError, TemplateNotFoundError
from taskyard.lifecycle import AgentState, TaskStatus
from taskyard.protocol import Task, TasksCreateParams, TasksListParams
from taskyard.services.tasks import TaskService

STATUSES: tuple[str, ...] = tuple(status.value for status in TaskStatus)
PAGE = 50
"""Tasks ``task list`` shows without ``--all``."""

WATCH_WIDTHS = (13, 12, 7, 11, 0)
"""Fixed columns for lines printed one by one: the widest header, status and state values."""
NOT_WORDS = re.compile(r"[^A-Za-z]+")
STOP_STATES = (AgentState.IDLE, AgentState.COMPLETE, AgentState.FAILED, AgentState.NEEDS_INPUT)
"""Agent states that end ``status --watch``: the agent no longer works on its own."""


# -- create ------------------------------------------------------------------------------------


def _default_preset(services: Services, template: str) -> str | None:
    """The template's default preset, as the editor's form selects it first."""
    try:
        presets = services.catalog.get(template).presets
    except TemplateNotFoundError:
        return None  # create itself says the template is unknown
    return next((p.name for p in presets if p.default), None)


async def create_cmd(ctx: Context) -> int:
    args = ctx.args
    prompt = _prompt(args)
    services = await ctx.services()
    params = TasksCreateParams(
        template=args.template,
        preset=None if args.no_preset else args.preset or _default_preset(services, args.template),
        parameters=dict(args.parameters),
        prompt=prompt,
        name=args.name,
        display_name=args.display_name,
    )
    await _check_secrets(services, params)
    if not args.quiet:
        ctx.follower.progress_sink = ctx.out.note
    task = await launched(ctx, services, services.tasks.create(params, ctx.follower.progress))
    task = await wait_started(ctx, services, task, ready=False)
    if args.quiet:
        ctx.out.print(task.id)
    elif ctx.out.json:
        ctx.out.data(task)
    else:
        ctx.out.print(f"Created task {task.name} ({task.id}): {task.status}")
        ctx.out.note(where(task, await _docker_unused(services, task)))
        ctx.out.note(f"Follow it with `taskyard task status {task.name} --watch`.")
    return 0


async def _docker_unused(services: Services, task: Task) -> str | None:
    """Why a local task did not get Docker, when Docker is unavailable."""
    if task.workspace.provider != "local":
        return None
    info = await services.info()
    docker = next(p for p in info.providers if p.name == "docker")
    return None if docker.available else docker.detail


def _prompt(args: argparse.Namespace) -> str:
    if args.stdin and args.prompt is not None:
        raise usage_error("give the prompt as an argument or with --stdin, not both")
    prompt: str | None = read_stdin("prompt") if args.stdin else args.prompt
    if prompt is None or not prompt.strip():
        raise usage_error("a prompt is required: pass it as an argument or pipe it with --stdin")
    return prompt


async def _check_secrets(services: Services, params: TasksCreateParams) -> None:
    """Fail before anything is stored when a secret the template needs is missing.

    The engine resolves secrets only in its background start-up, which would leave a task
    in ``error`` behind; template and preset errors are left to ``create`` itself.
    """
    result = services.catalog.validate(params.template, params.preset, params.parameters)
    if result.valid:
        spec = services.catalog.spec(params.template)
        await services.secrets.resolve_env(spec.env_spec())


# -- list --------------------------------------------------------------------------------------


async def list_cmd(ctx: Context) -> int:
    args = ctx.args
    services = await ctx.services()
    statuses = _statuses(args.status)
    tasks, total = await _fetch(services.tasks, statuses, args.template, every=args.all)
    if args.quiet:
        for task in tasks:
            ctx.out.print(task.id)
    elif ctx.out.json:
        ctx.out.data({"tasks": tasks, "total": total})
    elif not tasks:
        ctx.out.note("No tasks.")
    else:
        ctx.out.table(TASK_COLUMNS, [task_row(t, TASK_COLUMNS) for t in tasks])
    if len(tasks) < total and not args.quiet:
        ctx.out.note(f"Showing the newest {len(tasks)} of {total} tasks; --all shows every one.")
    return 0


def _statuses(given: list[str]) -> list[protocol.TaskStatus] | None:
    wanted = [s.strip() for item in given for s in item.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown:
        raise usage_error(f"unknown status {unknown[0]!r}: choose from {', '.join(STATUSES)}")
    return wanted or None  # type: ignore[return-value]  # checked against STATUSES above


async def _fetch(
    tasks: TaskService,
    statuses: list[protocol.TaskStatus] | None,
    template: str | None,
    *,
    every: bool,
) -> tuple[list[Task], int]:
    """The newest page, or every page with ``every``; plus the number of matching tasks."""
    params = TasksListParams(status=statuses, template=template, limit=100 if every else PAGE)
    found: list[Task] = []
    while True:
        page = await tasks.list_tasks(params)
        found += page.tasks
        if not every or page.next_cursor is None:
            return found, page.total
        params.cursor = page.next_cursor


# -- status ------------------------------------------------------------------------------------


async def status_cmd(ctx: Context) -> int:
    services = await ctx.services()
    task = await services.tasks.get(ctx.args.task)
    if not ctx.args.watch:
        if ctx.out.json:
            ctx.out.data(task)
        else:
            ctx.out.table(STATUS_COLUMNS, [task_row(task, STATUS_COLUMNS)])
            ctx.out.note(where(task))  # stderr: the table stays what `coder tasks status` prints
        return 0
    return await _watch(ctx, services, task)


async def _watch(ctx: Context, services: Services, task: Task) -> int:
    """One line per change until the agent stops working; 1 if it ended in failure."""
    changes = ctx.follower.subscribe(task.id)
    task = await services.tasks.get(task.id)  # subscribed first, so no change is missed
    widths = list(WATCH_WIDTHS)
    if not ctx.out.json:
        ctx.out.print(_watch_line([c.upper() for c in STATUS_COLUMNS], widths))
    shown: tuple[str, ...] = ()
    while True:
        if _watch_key(task) != shown:
            shown = _watch_key(task)
            _print_watched(ctx, task, widths)
        if _finished(task):
            failed = TaskStatus(task.status) is TaskStatus.ERROR or (
                task.state is not None and AgentState(task.state.state) is AgentState.FAILED
            )
            return 1 if failed else 0
        changed = await changes.get()
        if changed is None:
            raise TaskNotFoundError(task.id, f"task {task.name} was deleted")
        task = changed


def _print_watched(ctx: Context, task: Task, widths: list[int]) -> None:
    if ctx.out.json:
        ctx.out.data(task, compact=True)
        return
    cells = task_row(task, STATUS_COLUMNS)
    # Each line is printed as it happens, so a clock time says more than "just now".
    cells[0] = local_time(task.state.timestamp)[11:] if task.state else "-"
    ctx.out.print(_watch_line(cells, widths))


def _watch_line(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _watch_key(task: Task) -> tuple[str, ...]:
    """What must differ for a new line: spinner frames and elapsed seconds do not count."""
    state = task.state
    words = " ".join(NOT_WORDS.split(state.message)).strip() if state else ""
    return (task.status, state.state if state else "", words)


def _finished(task: Task) -> bool:
    if task.status in (TaskStatus.PAUSED, TaskStatus.ERROR):
        return True
    return (
        TaskStatus(task.status) is TaskStatus.ACTIVE
        and task.state is not None
        and task.state.state in STOP_STATES
    )
