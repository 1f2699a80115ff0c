"""``taskyard/tasks/diff`` and ``taskyard/tasks/exportBranch``: the work out of a task."""

from __future__ import annotations

from typing import Any

from taskyard.protocol import TasksDiffParams, TasksExportBranchParams
from taskyard.protocol import _generated as wire
from taskyard.rpc import method


@method(wire.TASKS_DIFF)
async def diff(ls: Any, params: TasksDiffParams, _: Any) -> Any:
    return await (await ls.services()).code.diff(params.task)


@method(wire.TASKS_EXPORT_BRANCH)
async def export_branch(ls: Any, params: TasksExportBranchParams, _: Any) -> Any:
    code = (await ls.services()).code
    return await code.export_branch(params.task, params.branch, params.message)


HANDLERS = {
    wire.TASKS_DIFF: diff,
    wire.TASKS_EXPORT_BRANCH: export_branch,
}
