"""``taskyard task`` verbs that act on existing tasks: talk, pause, resume, delete, logs, screen.

Each handler is a thin call into :class:`~taskyard.services.tasks.TaskService` plus the words a
person needs: what happened (delivered, queued, resumed first), and where a download went.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import get_args

from taskyard.cli.output import local_time, relative
from taskyard.cli.runtime import CliError, Context, confirm, read_stdin, usage_error
from taskyard.cli.startup import guarded, launched, wait_started
from taskyard.lifecycle import TaskStatus
from taskyard.protocol import LogFormat, Task, TasksDeleteResult, TasksMessagesResult
from taskyard.services.tasks import TaskService

FORMATS: tuple[str, ...] = get_args(LogFormat)
# Coder's logs name messages by direction, as seen from the agent.
MESSAGE_TYPES = {"user": "input", "agent": "output"}


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
    resumes = task.status in (TaskStatus.PAUSED, TaskStatus.ERROR) and task.actions.send
    if resumes and not ctx.out.json:
        ctx.out.note(f"Task {task.name} is {task.status}: resuming it first…")
    sending = services.tasks.send(task.id, content, args.queue)
    # A paused task is resumed first: a start-up of this process like any other.
    result = await (guarded(ctx, services, task, sending) if resumes else sending)
    if ctx.out.json:
        ctx.out.data(result)
    elif result.queued and result.resumed:
        ctx.out.print(
            f"Resumed task {task.name}; its agent is busy, so the message is queued "
            f"(id {result.queue_id}) for its next idle moment."
        )
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


async def interrupt_cmd(ctx: Context) -> int:
    services = await ctx.services()
    task = await services.tasks.interrupt(ctx.args.task)
    _done(ctx, task, f"Interrupted the agent of task {task.name}.")
    return 0


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
    task = await launched(ctx, services, services.tasks.resume(task.id, ctx.follower.progress))
    task = await wait_started(ctx, services, task, ready=not ctx.args.no_wait)
    _done(ctx, task, f"Resumed task {task.name}: {task.status}.")
    return 0


async def delete_cmd(ctx: Context) -> int:
    services = await ctx.services()
    # Every name is checked before anything is deleted, so a typo deletes nothing.
    found = [await services.tasks.get(ref) for ref in dict.fromkeys(ctx.args.tasks)]
    names = ", ".join(t.name for t in found)
    keep = ctx.args.keep_work
    files = "Their work folders are kept." if keep else "Their workspaces and files are removed."
    question = f"Delete {len(found)} task(s): {names}? {files}"
    confirm(question, yes=ctx.args.yes, action="delete tasks")
    gone: list[TasksDeleteResult] = []
    for task in found:
        gone.append(result := await services.tasks.delete(task.id, keep_work=keep))
        if not ctx.out.json:
            kept = f" Its work folder is kept at {result.kept_work}." if result.kept_work else ""
            ctx.out.print(f"Deleted task {task.name}.{kept}")
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
