"""``taskyard task diff`` and ``taskyard task export-branch``: a task's work out of its workspace.

Thin calls into :class:`~taskyard.services.codeout.CodeOutService`. ``diff`` writes the bare
patch to stdout (so ``taskyard task diff NAME | git apply`` works) or to ``--output FILE``;
``--stat`` lists the files instead. ``export-branch`` creates the branch in the repository of
``--workspace`` (the current folder by default) and says where it points.
"""

from __future__ import annotations

import sys
from pathlib import Path

from taskyard.cli.runtime import CliError, Context
from taskyard.protocol import DiffFile, TasksDiffResult

CHANGE_MARKS = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R"}


async def diff_cmd(ctx: Context) -> int:
    args = ctx.args
    services = await ctx.services()
    task = await services.tasks.get(args.task)
    result = await services.code.diff(task.id)
    if ctx.out.json:
        ctx.out.data(result)
        return 0
    target = args.output_file
    if target and target != "-":
        path = _save(target, result.patch)
        ctx.out.note(f"Saved the patch of task {task.name} ({_count(result)}) to {path}")
    elif not args.stat:
        sys.stdout.write(result.patch)
        sys.stdout.flush()
    if args.stat:
        _stat(ctx, result)
    if not result.files:
        ctx.out.note(f"Task {task.name} changed nothing since {result.base[:12]}.")
    return 0


def _save(target: str, patch: str) -> Path:
    path = Path(target).expanduser().absolute()
    try:
        path.write_text(patch, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot save the patch to {path}: {exc.strerror}", "fileError") from None
    return path


def _stat(ctx: Context, result: TasksDiffResult) -> None:
    if not result.files:
        return
    ctx.out.table(("", "file", "+", "-"), [_row(f) for f in result.files])
    added = sum(f.additions for f in result.files)
    deleted = sum(f.deletions for f in result.files)
    ctx.out.print(f"{_count(result)}, +{added} -{deleted} against {result.base[:12]}")


def _row(file: DiffFile) -> list[str]:
    name = f"{file.old_path} → {file.path}" if file.old_path else file.path
    if file.binary:
        return [CHANGE_MARKS[file.change], name, "bin", ""]
    return [CHANGE_MARKS[file.change], name, str(file.additions), str(file.deletions)]


def _count(result: TasksDiffResult) -> str:
    return f"{len(result.files)} file{'' if len(result.files) == 1 else 's'} changed"


async def export_branch_cmd(ctx: Context) -> int:
    args = ctx.args
    services = await ctx.services()
    task = await services.tasks.get(args.task)
    result = await services.code.export_branch(task.id, args.branch, args.message)
    if ctx.out.json:
        ctx.out.data(result)
        return 0
    files = f"{result.files} file{'' if result.files == 1 else 's'} changed"
    ctx.out.print(
        f"Created branch {result.branch} at {result.commit[:12]} in {result.repository} "
        f"({files}); your working tree and HEAD are untouched."
    )
    return 0
