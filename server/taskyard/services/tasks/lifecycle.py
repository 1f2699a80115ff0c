"""The engine's requests that move a task: create, pause, resume, delete, and their effects.

Each request looks its row up in the lifecycle table (:class:`.transitions.Transitions`),
applies it by compare and set, then performs the row's effect: a start-up runs in the
background (the request returns at once and ``taskyard/tasks/didChange`` tells the rest), a
pause or a delete runs before the request returns. Before anything, a task left in a transient
phase by a process that died is recovered (its ``owner died`` row), so every request finds a
task with a way forward. A request that meets a step in progress elsewhere (resume while
another process pauses) waits for that step, as its ``wait`` row says.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from taskyard.errors import (
    InvalidTransitionError,
    TaskNotFoundError,
    TaskyardError,
    as_taskyard_error,
)
from taskyard.lifecycle import (
    TRANSIENT,
    Effect,
    Event,
    Owner,
    Phase,
    ProviderName,
    Row,
    TaskFailure,
    WorkspaceRecord,
)
from taskyard.services.secrets import SecretStore
from taskyard.services.store import PhaseChanged, TaskRecord, TaskStore
from taskyard.services.templates import TemplateService
from taskyard.workspaces.base import WorkspaceData, WorkspaceProvider

from .announce import Announcer
from .events import Progress, no_progress
from .jobs import Jobs
from .monitor import Monitors
from .transitions import Transitions
from .workspace import workspace_spec

log = logging.getLogger(__name__)

STOP_GRACE = 10.0
"""Seconds a stopping bridge gets to save its state and end the agent before it is killed."""

WAIT_LIMIT = STOP_GRACE + 20.0
"""How long a request waits for another process's step (a stop, a delete) to end."""

_INTERRUPTED = "start-up was interrupted (the process starting it stopped); resume to retry"


class TaskLifecycle:
    """Moves tasks through the lifecycle table; see the module docstring."""

    def __init__(
        self,
        *,
        store: TaskStore,
        catalog: TemplateService,
        secrets: SecretStore,
        providers: Mapping[str, WorkspaceProvider],
        transitions: Transitions,
        announcer: Announcer,
        monitors: Monitors,
        jobs: Jobs,
        source_repo: str | None = None,
        stop_grace: float = STOP_GRACE,
        idle_minute: float = 60.0,
        poll: float = 0.1,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._secrets = secrets
        self._providers = providers
        self._transitions = transitions
        self._announcer = announcer
        self._monitors = monitors
        self._jobs = jobs
        self.source_repo = source_repo
        self._grace = stop_grace
        self._idle_minute = idle_minute
        """Seconds in a minute of ``idle_timeout_minutes`` (tests shorten it)."""
        self._poll = poll

    # -- requests --------------------------------------------------------------------------

    def start_new(self, record: TaskRecord, progress: Progress | None) -> None:
        """Bring a just-inserted task (``pending``) up in the background."""
        self._jobs.spawn(self._first_bring_up(record, progress), key=record.id)

    async def _first_bring_up(self, record: TaskRecord, progress: Progress | None) -> None:
        row = self._transitions.require(record, Event.BRING_UP)
        try:
            moved = await self._transitions.apply(record, row)
        except PhaseChanged:
            return  # deleted before it started
        assert moved is not None
        await self._bring_up(moved, row, progress)

    async def begin(
        self, ref: str, event: Event, progress: Progress | None = None
    ) -> tuple[TaskRecord, Row]:
        """Apply a request's row; a start-up it causes runs in the background.

        Rows that keep the phase (deliver, interrupt) are only checked: the caller acts.
        """
        while True:
            record, row = await self.request(ref, event)
            if row.next is row.phase:
                return record, row
            try:
                moved = await self._transitions.apply(record, row)
            except PhaseChanged:
                continue  # another process moved it first: look again
            assert moved is not None
            if row.effect in (Effect.CREATE, Effect.START, Effect.RESTART):
                self._jobs.spawn(self._bring_up(moved, row, progress), key=record.id)
            return moved, row

    async def pause(self, ref: str, progress: Progress | None = None) -> TaskRecord:
        step = progress or no_progress
        record, _ = await self._applied(ref, Event.PAUSE)
        step("Saving a snapshot of the conversation")
        await self._monitors.stop(record.id)
        return await self._stop(record, step)

    async def delete(self, ref: str, *, keep_work: bool) -> tuple[TaskRecord, str | None]:
        """Remove the task and its workspace; returns the task as it was and the kept folder."""
        seen = await self.resolve(ref)
        try:
            record, row = await self.request(ref, Event.DELETE)
        except TaskNotFoundError:
            return seen, None  # another process finished deleting it while we waited
        await self._jobs.cancel(record.id)  # a start-up of ours lets go first
        await self._monitors.stop(record.id)
        while True:
            try:
                moved = await self._transitions.apply(record, row, keep_work=keep_work)
                break
            except PhaseChanged:
                record, row = await self.request(ref, Event.DELETE)
        assert moved is not None
        return record, await self._remove(moved)

    async def request(self, ref: str, event: Event) -> tuple[TaskRecord, Row]:
        """The task and the row for ``event`` once no step elsewhere is in its way."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_LIMIT
        while True:
            record = await self.recover(await self.resolve(ref))
            if record is None:
                raise TaskNotFoundError(ref)
            row = self._transitions.require(record, event)
            if row.effect is not Effect.WAIT:
                return record, row
            if loop.time() > deadline:
                raise InvalidTransitionError(
                    f"task {record.name!r} is still {record.workspace.phase.value}; try again",
                    status=record.status.value,
                )
            await asyncio.sleep(self._poll)

    async def resolve(self, ref: str) -> TaskRecord:
        record = await self._store.get_task(ref)
        if record is None or record.deleted:
            raise TaskNotFoundError(ref)
        return record

    async def _applied(self, ref: str, event: Event) -> tuple[TaskRecord, Row]:
        while True:
            record, row = await self.request(ref, event)
            try:
                moved = await self._transitions.apply(record, row)
            except PhaseChanged:
                continue
            assert moved is not None
            return moved, row

    # -- recovery --------------------------------------------------------------------------

    async def recover(self, record: TaskRecord) -> TaskRecord | None:
        """A transient phase whose owner died: finish or undo its step (None: it is gone)."""
        ws = record.workspace
        if ws.phase not in TRANSIENT or self._transitions.owners.alive(ws.owner):
            return record
        row = self._transitions.row(record, Event.OWNER_DIED)
        assert row is not None  # every transient phase has one
        log.info("task %s: its %s was cut off; recovering", record.name, ws.phase.value)
        failure = TaskFailure(kind="workspaceFailure", message=_INTERRUPTED)
        error: Any = failure if row.next is Phase.FAILED else None
        try:
            moved = await self._transitions.apply(
                record, row, error=error, made=False if row.effect is Effect.CLEAN_UP else None
            )
        except PhaseChanged:
            return await self._store.get_task(record.id)  # someone else recovered it
        assert moved is not None
        if row.effect is Effect.STOP:
            return await self._stop(moved, no_progress)
        if row.effect is Effect.REMOVE:
            await self._remove(moved)
            return None
        if row.effect in (Effect.HALT, Effect.CLEAN_UP):
            await self._leftovers(moved, row.effect)
        return moved

    async def _leftovers(self, record: TaskRecord, effect: Effect) -> None:
        """Stop (or remove) what a cut-off start-up may have left running."""
        provider = self._provider(record)
        try:
            if effect is Effect.CLEAN_UP:
                await provider.delete(record.workspace.data)
            else:
                await provider.stop(record.workspace.data, grace=2.0)
        except TaskyardError as exc:
            log.warning("task %s: cleaning up after a cut-off start-up: %s", record.name, exc)

    # -- effects ---------------------------------------------------------------------------

    async def _bring_up(self, record: TaskRecord, row: Row, progress: Progress | None) -> None:
        """Create, start or restart the workspace and its bridge, logging every step."""
        step = progress or no_progress

        def sink(stream: str, text: str) -> None:
            self._jobs.spawn(self._announcer.log(record.id, stream, text))  # type: ignore[arg-type]
            step(text)

        provider = self._provider(record)
        try:
            data = await self._provider_up(record, row, provider, sink)
        except Exception as exc:
            await self._up_failed(record, exc, made=row.effect is not Effect.CREATE)
            step("Start-up failed", done=True)
            return
        await self._up(record, provider, data)
        step("The agent is starting", done=True)

    async def _provider_up(
        self,
        record: TaskRecord,
        row: Row,
        provider: WorkspaceProvider,
        sink: Callable[[str, str], None],
    ) -> WorkspaceData:
        spec = await workspace_spec(
            self._catalog, self._secrets, record, self.source_repo, self._idle_minute
        )
        data = record.workspace.data
        if row.effect is Effect.CREATE:
            return await provider.create(spec, sink)
        if row.effect is Effect.RESTART:
            await self._monitors.stop(record.id)
            data = await provider.stop(data, grace=self._grace)
        return await provider.start(data, spec, sink)

    async def _up(
        self, record: TaskRecord, provider: WorkspaceProvider, data: WorkspaceData
    ) -> None:
        current = await self._store.get_task(record.id)
        row = None if current is None else self._transitions.row(current, Event.UP)
        try:
            if current is None or row is None:
                raise PhaseChanged(record.id, "gone")
            await self._transitions.apply(current, row, data=data, made=True, error=None)
        except PhaseChanged:
            # Deleted (or moved) by another process while we started it: nothing we made may
            # outlive the task.
            log.info("task %s: left its start-up meanwhile; removing what it made", record.name)
            await _quietly(provider.delete(data))
            return
        self._monitors.follow(record.id)

    async def _up_failed(self, record: TaskRecord, exc: Exception, *, made: bool) -> None:
        err = as_taskyard_error(exc)
        if err is None:
            log.exception("task %s: start-up failed", record.name, exc_info=exc)
            message = f"unexpected error: {type(exc).__name__}"
        else:
            log.info("task %s: start-up failed: %s", record.name, err.message)
            message = err.message
        detail = str(err.data.get("detail", "")) if err else ""
        await self._announcer.log(record.id, "system", message + (f"\n{detail}" if detail else ""))
        current = await self._store.get_task(record.id)
        row = None if current is None else self._transitions.row(current, Event.UP_FAILED)
        if current is None or row is None:
            return  # deleted meanwhile
        failure = TaskFailure(kind=err.kind if err else "workspaceFailure", message=message)
        await _quietly(self._transitions.apply(current, row, error=failure, made=made))

    async def _stop(self, record: TaskRecord, step: Progress) -> TaskRecord:
        """Snapshot the conversation, stop the workspace, record ``stopped`` (or ``failed``)."""
        messages = await self._store.messages(record.id)
        await self._store.save_snapshot(record.id, messages, self._transitions.now())
        step("Stopping the workspace")
        try:
            data = await self._provider(record).stop(record.workspace.data, grace=self._grace)
        except TaskyardError as exc:
            await _quietly(self._finish(record, Event.DOWN_FAILED, error=_failure(exc)))
            raise
        try:
            moved = await self._finish(record, Event.DOWN, data=data)
        except (PhaseChanged, TaskNotFoundError):
            # Deleted (or taken over) by another request while it stopped.
            raise InvalidTransitionError(
                f"task {record.name!r} was deleted while it paused", status="unknown"
            ) from None
        step("Paused", done=True)
        return moved

    async def _remove(self, record: TaskRecord) -> str | None:
        """The provider's delete, then the record; a failure to keep the work keeps the task."""
        keep = record.workspace.keep_work
        try:
            kept = await self._provider(record).delete(record.workspace.data, keep_work=keep)
        except TaskyardError as exc:
            if keep:
                failure = TaskFailure(
                    kind=exc.kind, message=f"the work folder could not be kept: {exc.message}"
                )
                await self._finish(record, Event.REMOVE_FAILED, error=failure)
                raise
            # What it left is found by `taskyard workspace orphans`; the user asked to be rid
            # of the task, so it goes.
            log.warning("task %s: removing its workspace failed: %s", record.name, exc)
            kept = None
        await self._finish(record, Event.REMOVED)
        return kept

    async def _finish(self, record: TaskRecord, event: Event, **changes: Any) -> TaskRecord:
        """Apply the outcome row of the step ``record`` is in."""
        row = self._transitions.row(record, event)
        assert row is not None, (record.workspace.phase, event)
        moved = await self._transitions.apply(record, row, **changes)
        return moved if moved is not None else record

    def _provider(self, record: TaskRecord) -> WorkspaceProvider:
        return self._providers[record.workspace.provider.value]


def new_workspace(provider: str, task_id: str, owner: Owner) -> WorkspaceRecord:
    """The workspace record of a task just created: pending, its provider chosen, ours."""
    return WorkspaceRecord(provider=ProviderName(provider), owner=owner, data={"id": task_id})


def _failure(exc: TaskyardError) -> TaskFailure:
    return TaskFailure(kind=exc.kind, message=exc.message)


async def _quietly(job: Awaitable[Any]) -> None:
    try:
        await job
    except (TaskyardError, PhaseChanged) as exc:
        log.warning("clean-up step failed: %s", exc)
