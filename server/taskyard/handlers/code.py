"""``taskyard/tasks/diff`` and ``taskyard/tasks/exportBranch``: the work out of a task."""

from __future__ import annotations

from taskyard.app import Services
from taskyard.protocol import (
    TASKS_DIFF,
    TASKS_EXPORT_BRANCH,
    TasksDiffParams,
    TasksDiffResult,
    TasksExportBranchParams,
    TasksExportBranchResult,
)
from taskyard.rpc import Call, method


@method(TASKS_DIFF)
async def diff(services: Services, params: TasksDiffParams, _: Call) -> TasksDiffResult:
    return await services.code.diff(params.task)


@method(TASKS_EXPORT_BRANCH)
async def export_branch(
    services: Services, params: TasksExportBranchParams, _: Call
) -> TasksExportBranchResult:
    return await services.code.export_branch(params.task, params.branch, params.message)
