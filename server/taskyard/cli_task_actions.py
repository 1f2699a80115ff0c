"""``taskyard task`` verbs that act on existing tasks: talk, pause, resume, delete, logs, screen.

Each handler is a thin call into :class:`~taskyard.services.tasks.TaskService` plus the words a
person needs: what happened (delivered, queued, resumed first), and where a download went.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

from taskyard.app import Services
from taskyard.cli_args import command
from taskyard.cli_events import settle
from taskyard.cli_output import local_time, relative
from taskyard.cli_runtime import CliError, Context, confirm, read_stdin, usage_error
from taskyard.errors import TaskNotReadyError, TaskyardError
from taskyard.protocol import LogFormat, Task, TaskIdentity, TasksMessagesResult
from taskyard.services.tasks import TaskService

FORMATS: tuple[str, ...] = get_args(LogFormat)
# Coder's logs name messages by direction, as seen from the agent.
MESSAGE_TYPES = {"user": "input", "agent": "output"}


def register(verbs: Any, yes_flag: Callable[[Any], None]) -> None:
    """Add the verbs of this module to ``task``."""
    logs = command(
        verbs,
        "logs",
        logs_cmd,
        "show or download a task's conversation and logs",
        long_output=False,
    )
    logs.add_argument("task", help="task name or id")
    logs.add_argument("--format", choices=FORMATS, help="download the logs in this format")
    logs.add_argument(
        "--output", dest="output_file", metavar="FILE", help="where to save them ('-': stdout)"
    )
    send = command(verbs, "send", send_cmd, "send a message to a task's agent")
    send.add_argument("task", help="task name or id")
    send.add_argument("input", nargs="?", help="the message")
    send.add_argument("--stdin", action="store_true", help="read the message from stdin")
    send.add_argument("--queue", action="store_true", help="if the agent is busy, queue it")
    send.set_defaults(watch_services=True)
    _ref(command(verbs, "interrupt", interrupt_cmd, "interrupt the agent's current turn"))
    pause = _ref(command(verbs, "pause", pause_cmd, "stop a task's workspace, keeping its files"))
    yes_flag(pause)
    resume = _ref(command(verbs, "resume", resume_cmd, "start a paused task again"))
    resume.add_argument(
        "--no-wait", action="store_true", help="return once the workspace runs, not the agent"
    )
    resume.set_defaults(watch_services=True)
    delete = command(
        verbs, "delete", delete_cmd, "delete tasks and their workspaces", aliases=("rm",)
    )
    delete.add_argument("tasks", nargs="+", metavar="TASK", help="task names or ids")
    yes_flag(delete)
    _ref(command(verbs, "screen", screen_cmd, "print the agent's terminal screen"))


def _ref(parser: Any) -> Any:
    parser.add_argument("task", help="task name or id")
    return parser


# -- logs --------------------------------------------------------------------------------------


async def logs_cmd(ctx: Context) -> int:
    args = ctx.args
    services = await ctx.services()
    if args.format or args.output_file:
        return await _download(ctx, services.tasks, _format(args.format, args.output_file))
    task = await services.tasks.get(args.task)
    result = await services.tasks.messages(task.id, None)
    if ctx.out.json:
        ctx.out.data(result)
        return 0
    _snapshot_note(ctx, task, result)
    if not result.messages:
        ctx.out.note(f"Task {task.name} has no messages yet.")
        return 0
    rows = [[MESSAGE_TYPES.get(m.role, m.role), m.content] for m in result.messages]
    ctx.out.table(("type", "content"), rows)
    return 0


def _snapshot_note(ctx: Context, task: Task, result: TasksMessagesResult) -> None:
    if result.snapshot and result.snapshot_at is not None:
        taken = f"{relative(result.snapshot_at)} ({local_time(result.snapshot_at)})"
        ctx.out.note(f"Task {task.name} is paused: this is the snapshot taken {taken}.")


def _format(given: str | None, file: str | None) -> LogFormat:
    """The download format: ``--format``, else the file's extension."""
    if given is not None:
        return given  # type: ignore[return-value]  # argparse checked the choices
    suffix = Path(file or "").suffix.lstrip(".")
    if suffix not in FORMATS:
        raise usage_error(
            f"--format is required (the file name does not end in .{'/.'.join(FORMATS)})"
        )
    return suffix  # type: ignore[return-value]  # one of FORMATS


async def _download(ctx: Context, tasks: TaskService, fmt: LogFormat) -> int:
    task = await tasks.get(ctx.args.task)
    result = await tasks.logs(task.id, fmt)
    target = ctx.args.output_file or result.file_name
    if target == "-":
        sys.stdout.write(result.content)
        sys.stdout.flush()
        return 0
    path = Path(target).expanduser().absolute()
    try:
        path.write_text(result.content, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot save the log to {path}: {exc.strerror}", "fileError") from None
    if ctx.out.json:
        ctx.out.data(
            {"path": str(path), "fileName": result.file_name, "mimeType": result.mime_type}
        )
    else:
        ctx.out.print(f"Saved the {fmt} log of task {task.name} to {path}")
    return 0


# -- send, interrupt ---------------------------------------------------------------------------


async def send_cmd(ctx: Context) -> int:
    args = ctx.args
    if args.stdin and args.input is not None:
        raise usage_error("give the message as an argument or with --stdin, not both")
    content = read_stdin("message") if args.stdin else args.input
    if content is None or not content.strip():
        raise usage_error("a message is required: pass it as an argument or pipe it with --stdin")
    services = await ctx.services()
    task = await services.tasks.get(args.task)
    if task.status == "error":
        raise _errored(task)
    if task.status == "paused" and not ctx.out.json:
        ctx.out.note(f"Task {task.name} is paused: resuming it first…")
    result = await services.tasks.send(task.id, content, args.queue)
    if ctx.out.json:
        ctx.out.data(result)
    elif result.queued:
        ctx.out.print(
            f"Task {task.name} is busy: queued the message (id {result.queue_id}); "
            "it is delivered when the agent is idle."
        )
    elif result.resumed:
        ctx.out.print(f"Resumed task {task.name}, then delivered the message.")
    else:
        ctx.out.print(f"Delivered the message to task {task.name}.")
    return 0


def _errored(task: Task) -> TaskNotReadyError:
    """Why an errored task takes no messages, and how to bring it back."""
    why = task.error.message if task.error else task.state.message if task.state else "failed"
    return TaskNotReadyError(
        f"task {task.name} is in error ({why}) and cannot take messages; restart it with "
        f"`taskyard task resume {task.name}` or delete it",
        status=task.status,
    )


async def interrupt_cmd(ctx: Context) -> int:
    services = await ctx.services()
    task = await services.tasks.interrupt(ctx.args.task)
    _done(ctx, task, f"Interrupted the agent of task {task.name}.")
    return 0


async def wait_started(ctx: Context, services: Services, task: Task, *, ready: bool) -> Task:
    """Keep this process alive until the task's workspace runs (and its agent, if ``ready``).

    Raises the task's own error when start-up fails.
    """

    def started(t: Task) -> bool:
        if t.status in ("error", "paused"):
            return True
        if ready:
            return t.status == "active"
        return t.workspace.status == "running"

    task = await ctx.follower.until(services.tasks, task.id, started)
    if task.status == "error":
        raise start_error(task)
    await settle(services, ctx.follower)
    return await services.tasks.get(task.id)


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


# -- pause, resume, delete ---------------------------------------------------------------------


async def pause_cmd(ctx: Context) -> int:
    services = await ctx.services()
    task = await services.tasks.get(ctx.args.task)
    confirm(
        f"Pause task {task.name}? Its workspace stops; resume it later.",
        yes=ctx.args.yes,
        action="pause a task",
    )
    if not ctx.out.json:
        ctx.follower.progress_sink = ctx.out.note
    task = await services.tasks.pause(task.id, ctx.follower.progress)
    _done(ctx, task, f"Paused task {task.name}.")
    return 0


async def resume_cmd(ctx: Context) -> int:
    services = await ctx.services()
    if not ctx.out.json:
        ctx.follower.progress_sink = ctx.out.note
    task = await services.tasks.get(ctx.args.task)
    if task.status == "error" and task.workspace.status == "running":
        # The agent died but its bridge runs: the engine only resumes stopped workspaces,
        # although the task's actions offer resume, so stop it first.
        ctx.follower.progress(f"The agent of task {task.name} failed: stopping its workspace")
        await services.tasks.pause(task.id, ctx.follower.progress)
    task = await services.tasks.resume(task.id, ctx.follower.progress)
    ctx.args.interrupted_note = (
        f"interrupted: the start-up of task {task.name} was cut off; resume it again to retry"
    )
    task = await wait_started(ctx, services, task, ready=not ctx.args.no_wait)
    _done(ctx, task, f"Resumed task {task.name}: {task.status}.")
    return 0


async def delete_cmd(ctx: Context) -> int:
    services = await ctx.services()
    # Every name is checked before anything is deleted, so a typo deletes nothing.
    found = [await services.tasks.get(ref) for ref in dict.fromkeys(ctx.args.tasks)]
    names = ", ".join(t.name for t in found)
    confirm(
        f"Delete {len(found)} task(s): {names}? Their workspaces and files are removed.",
        yes=ctx.args.yes,
        action="delete tasks",
    )
    gone: list[TaskIdentity] = []
    for task in found:
        gone.append(await services.tasks.delete(task.id))
        if not ctx.out.json:
            ctx.out.print(f"Deleted task {task.name}.")
    if ctx.out.json:
        ctx.out.data(gone)
    return 0


# -- screen ------------------------------------------------------------------------------------


async def screen_cmd(ctx: Context) -> int:
    services = await ctx.services()
    result = await services.tasks.screen(ctx.args.task)
    if ctx.out.json:
        ctx.out.data(result)
    else:
        ctx.out.print("\n".join(line.rstrip() for line in result.screen.splitlines()).rstrip())
    return 0


def _done(ctx: Context, task: Task, message: str) -> None:
    if ctx.out.json:
        ctx.out.data(task)
    else:
        ctx.out.print(message)
