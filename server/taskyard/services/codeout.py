"""Code out: a task's work leaves its workspace as a patch or as a branch of the user's repository.

The work is everything in the task's work folder against the commit the folder started from
(``base_commit`` in the workspace record, written by the provider at creation): the agent's
commits and its uncommitted and untracked files alike, ``.gitignore`` respected. The provider
lends the folder's files (:meth:`~taskyard.workspaces.base.WorkspaceProvider.work_folder`: the
folder itself, or a copy out of a container, running or stopped); :mod:`.gitwork` turns them
into a tree through a temporary index, so the task's own index and files are never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from taskyard.errors import (
    InvalidParametersError,
    NoRepositoryError,
    TaskNotFoundError,
)
from taskyard.protocol import TasksDiffResult, TasksExportBranchResult
from taskyard.services.store import TaskRecord, TaskStore
from taskyard.workspaces.base import WorkspaceProvider

from . import gitwork


class CodeOutService:
    """The diff and export-branch requests; see the module docstring."""

    def __init__(
        self,
        *,
        store: TaskStore,
        providers: dict[str, WorkspaceProvider],
        source_repo: str | None,
    ) -> None:
        self.store = store
        self.providers = providers
        self.source_repo = source_repo
        """The editor's repository, which receives exported branches (None: there is none)."""

    async def diff(self, ref: str) -> TasksDiffResult:
        """The task's work as a git patch against its base."""
        record = await self._resolve(ref)
        async with self._snapshot(record) as (snap, scratch):
            files = await gitwork.changes(snap)
            patch, files = await gitwork.diff(snap, files, scratch) if files else ("", [])
        return TasksDiffResult(
            base=snap.base,
            patch=patch,
            files=sorted(files, key=lambda f: f.path),
            file_name=f"{record.name}.patch",
        )

    async def export_branch(
        self, ref: str, branch: str, message: str | None = None
    ) -> TasksExportBranchResult:
        """Commit the task's work on its base and make that commit the new branch ``branch``
        of the editor's repository (its working tree, index and HEAD stay as they are)."""
        record = await self._resolve(ref)
        if self.source_repo is None:
            raise NoRepositoryError(
                "the editor's folder is not a git repository, so the work cannot become a "
                "branch there; export it as a patch instead",
                task=record.name,
            )
        repository = Path(self.source_repo)
        problem = await gitwork.branch_problem(repository, branch)
        if problem is not None:
            raise _bad_branch(problem)
        async with self._snapshot(record) as (snap, _):
            files = await gitwork.changes(snap)
            if files or not snap.base_is_commit:
                text = message or _default_message(record)
                commit = await gitwork.commit(snap, text, await gitwork.identity(repository))
            else:
                commit = snap.base  # nothing changed: the branch starts at the base itself
            if not await gitwork.create_branch(repository, branch, commit, snap.repo):
                raise _bad_branch(f"a branch named {branch!r} already exists in {repository}")
        return TasksExportBranchResult(
            branch=branch, commit=commit, repository=str(repository), files=len(files)
        )

    async def _resolve(self, ref: str) -> TaskRecord:
        record = await self.store.get_task(ref)
        if record is None or record.deleted:
            raise TaskNotFoundError(ref)
        return record

    @contextlib.asynccontextmanager
    async def _snapshot(self, record: TaskRecord) -> AsyncIterator[tuple[gitwork.Snapshot, Path]]:
        """The work's snapshot and a scratch folder, both gone when the context ends."""
        ws = record.workspace
        provider = self.providers[ws.provider.value]
        async with provider.work_folder(ws.data) as folder:
            scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="taskyard-codeout-"))
            try:
                base = ws.data.get("base_commit")
                yield await gitwork.snapshot(folder.path, base, scratch), scratch
            finally:
                await asyncio.to_thread(shutil.rmtree, scratch, True)


def _bad_branch(problem: str) -> InvalidParametersError:
    return InvalidParametersError(
        problem, parameterErrors=[{"parameter": "branch", "message": problem}]
    )


def _default_message(record: TaskRecord) -> str:
    return f"{record.display_name}\n\nThe work of Taskyard task {record.name}."
