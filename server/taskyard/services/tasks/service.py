"""The task engine: create, follow, talk to, pause, resume and delete tasks.

A task's truth is its record in the store; this service changes records and announces each
change through :class:`TaskEvents` (the JSON-RPC layer turns those into notifications, the CLI
prints them). Long steps (creating or resuming a workspace) run in the background after the
request returns, so the editor sees ``pending`` → ``initializing`` → ``active`` as they happen.
Every running task has a :class:`~.task_monitor.TaskMonitor` following its bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from taskyard.errors import (
    InvalidParametersError,
    InvalidTransitionError,
    as_taskyard_error,
)
from taskyard.protocol import (
    LogLine,
    Task,
    TasksCreateParams,
    TasksDeleteResult,
)
from taskyard.services.names import NameGenerator, is_valid_name
from taskyard.services.secrets import SecretStore
from taskyard.services.store import Change, MessageRecord, TaskRecord, TaskStore
from taskyard.services.templates import TemplateCatalog
from taskyard.workspaces.base import WorkspaceProvider

from .events import Progress, TaskEvents, no_progress
from .monitor import TaskMonitor
from .status import derive_status
from .talk import TaskTalk
from .views import message_view, task_view
from .workspace import reconciled, workspace_spec

__all__ = ["Progress", "TaskEvents", "TaskService"]

log = logging.getLogger(__name__)

STOP_GRACE = 10.0
"""Seconds a stopping bridge gets to save its state and end the agent before it is killed."""


class TaskService(TaskTalk):
    """Requests on tasks; see the module docstring."""

    def __init__(
        self,
        *,
        store: TaskStore,
        catalog: TemplateCatalog,
        secrets: SecretStore,
        names: NameGenerator,
        providers: dict[str, WorkspaceProvider],
        events: TaskEvents,
        source_repo: str | None = None,
        choose_provider: Callable[[str], Awaitable[str]] | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.secrets = secrets
        self.names = names
        self.providers = providers
        self.events = events
        self.source_repo = source_repo
        self.choose_provider = choose_provider or self._first_provider
        self.monitors: dict[str, TaskMonitor] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._announced: dict[str, Task] = {}
        self._watch_stop = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, *, watch: bool = True) -> None:
        """Reattach every running task; follow changes made by other Taskyard processes."""
        tasks, _, _ = await self.store.list_tasks(None, None, 10_000, None)
        for record in tasks:
            await self._reconcile(record)
        if watch:
            self._spawn(self.store.watch_changes(self._on_changes, self._watch_stop))

    async def close(self) -> None:
        """Stop following; running bridges keep running (they outlive the sidecar)."""
        self._watch_stop.set()
        for monitor in list(self.monitors.values()):
            await monitor.close()
        self.monitors.clear()
        for job in list(self._jobs):
            job.cancel()
        for job in list(self._jobs):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job

    async def _reconcile(self, record: TaskRecord) -> None:
        ws = record.workspace
        if ws.get("status") not in ("running", "starting", "creating"):
            return
        if ws.get("status") != "running" and _owner_alive(ws.get("owner")):
            return  # another live process is bringing it up; its changes will reach us
        reality = await self._provider(record).inspect(ws)
        if reality == "running" and ws.get("status") == "running":
            self._follow(record.id)
            return
        new_ws, status, error = reconciled(ws, reality)
        await self.store.update_task(record.id, workspace=new_ws, status=status, error=error)
        await self._announce(record.id)

    # -- create ----------------------------------------------------------------------------

    async def create(self, params: TasksCreateParams, progress: Progress | None = None) -> Task:
        result = self.catalog.validate(params.template, params.preset, params.parameters)
        if not result.valid:
            errors = [{"parameter": e.parameter, "message": e.message} for e in result.errors]
            summary = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
            raise InvalidParametersError(
                f"invalid parameters: {summary}", parameterErrors=errors, template=params.template
            )
        spec = self.catalog.spec(params.template)
        if params.name is not None and not is_valid_name(params.name):
            raise InvalidParametersError(
                f"invalid task name {params.name!r}: use a-z, 0-9 and '-', at most 32 characters"
            )
        name, display = await self._names(params)
        preset = params.preset or next((p.name for p in spec.template.presets if p.default), None)
        now = datetime.now(UTC)
        record = TaskRecord(
            id=str(uuid.uuid4()),
            name=name,
            display_name=display,
            template=params.template,
            preset=preset,
            parameters=result.resolved,
            prompt=params.prompt,
            status="pending",
            workspace={
                "provider": await self.choose_provider(spec.template.workspace.provider),
                "status": "pending",
            },
            agent_type=spec.template.agent.type,
            created_at=now,
            updated_at=now,
        )
        await self.store.insert_task(record)
        await self._announce(record.id)
        self._spawn(self._bring_up(record.id, progress, create=True))
        return await self.get(record.id)

    async def _names(self, params: TasksCreateParams) -> tuple[str, str]:
        if params.name:
            return params.name, params.display_name or params.name

        async def taken(candidate: str) -> bool:
            return await self.store.get_task(candidate) is not None

        generated = await self.names.generate(self.secrets.redactor(params.prompt), taken)
        return generated.name, params.display_name or generated.display_name

    # -- pause, resume, delete -------------------------------------------------------------

    async def pause(self, ref: str, progress: Progress | None = None) -> Task:
        record = await self.resolve(ref)
        if record.workspace.get("status") not in ("running", "failed"):
            raise InvalidTransitionError(
                f"task {record.name!r} is {record.status}; only a running task can be paused",
                status=record.status,
            )
        step = progress or no_progress
        step("Saving a snapshot of the conversation")
        monitor = self.monitors.pop(record.id, None)
        if monitor is not None:
            await monitor.close()
        await self.store.save_snapshot(
            record.id, await self.store.messages(record.id), datetime.now(UTC)
        )
        await self._set_workspace(record.id, "stopping")
        step("Stopping the workspace")
        ws = await self._provider(record).stop(record.workspace, grace=STOP_GRACE)
        await self.store.update_task(record.id, workspace=ws, status="paused")
        await self._announce(record.id)
        step("Paused", done=True)
        return await self.get(record.id)

    async def pause_if_idle(self, task_id: str, reason: str) -> None:
        """Pause a task whose agent is still idle (auto-pause); ``reason`` goes to its log."""
        record = await self.resolve(task_id)
        state = (record.state or {}).get("state")
        if record.status == "active" and state in ("idle", "complete"):
            await self._log(task_id, "system", reason)
            await self.pause(task_id)

    async def resume(self, ref: str, progress: Progress | None = None) -> Task:
        record = await self.resolve(ref)
        if record.workspace.get("status") == "stopping":
            # Paused a moment ago (the editor already shows "paused"): let the stop finish.
            record = await self._wait_for(
                record.id, lambda r: r.workspace.get("status") != "stopping", STOP_GRACE + 5
            )
        running = record.workspace.get("status") == "running"
        if running and record.status == "error":
            # The agent died but its bridge still runs: restart both, the session resumes.
            await self._close_monitor(record.id)
            ws = await self._provider(record).stop(record.workspace, grace=STOP_GRACE)
            await self.store.update_task(record.id, workspace=ws)
            record = await self.resolve(record.id)
        if record.workspace.get("status") not in ("stopped", "failed"):
            raise InvalidTransitionError(
                f"task {record.name!r} is {record.status}; only a paused task can be resumed",
                status=record.status,
            )
        await self.store.update_task(record.id, error=None)
        await self._set_workspace(record.id, "starting")
        self._spawn(self._bring_up(record.id, progress, create=False))
        return await self.get(record.id)

    async def delete(self, ref: str, *, keep_work: bool = False) -> TasksDeleteResult:
        """Remove the task and its workspace; with ``keep_work`` its work folder stays."""
        record = await self.resolve(ref)
        monitor = self.monitors.pop(record.id, None)
        if monitor is not None:
            await monitor.close()
        # Not "running" any more before the bridge goes: no process follows a dying bridge.
        await self.store.update_task(
            record.id, workspace={**record.workspace, "status": "deleting"}
        )
        kept = await self._remove_workspace(record, keep_work)
        await self.store.delete_task(record.id)
        self._announced.pop(record.id, None)
        self.events.task_deleted(record.id, record.name)
        return TasksDeleteResult(id=record.id, name=record.name, kept_work=kept)

    async def _remove_workspace(self, record: TaskRecord, keep_work: bool) -> str | None:
        """The provider's delete; a failure is logged (``taskyard workspace orphans`` finds
        what it left) rather than keeping a task the user asked to be rid of."""
        try:
            return await self._provider(record).delete(record.workspace, keep_work=keep_work)
        except Exception as exc:
            if keep_work:
                # The work could not be saved: keep the task, so nothing is lost.
                await self.store.update_task(record.id, workspace=record.workspace)
                if record.workspace.get("status") == "running":
                    self._follow(record.id)
                raise
            log.warning("task %s: removing its workspace failed: %s", record.name, exc)
            return None

    # -- internals -------------------------------------------------------------------------

    async def _bring_up(self, task_id: str, progress: Progress | None, create: bool) -> None:
        """Create (or restart) the workspace and its bridge, logging every step."""
        step = progress or no_progress
        record = await self.resolve(task_id)

        def sink(stream: str, text: str) -> None:
            self._spawn(self._log(task_id, stream, text))
            step(text)

        try:
            spec = await workspace_spec(self.catalog, self.secrets, record, self.source_repo)
            await self._set_workspace(task_id, "creating" if create else "starting")
            provider = self._provider(record)
            if create:
                ws = await provider.create(spec, sink)
            else:
                ws = await provider.start(record.workspace, spec, sink)
            await self.store.update_task(task_id, workspace=ws, status="initializing")
            await self._announce(task_id)
            self._follow(task_id)
            step("The agent is starting", done=True)
        except Exception as exc:
            err = as_taskyard_error(exc)
            if err is None:
                log.exception("task %s: start-up failed", task_id)
            message = err.message if err else f"unexpected error: {type(exc).__name__}"
            detail = str(err.data.get("detail", "")) if err else ""
            await self._log(task_id, "system", message + (f"\n{detail}" if detail else ""))
            record = await self.resolve(task_id)
            await self.store.update_task(
                task_id,
                workspace={**record.workspace, "status": "failed"},
                status="error",
                error={"kind": err.kind if err else "workspaceFailure", "message": message},
            )
            await self._announce(task_id)

    def _follow(self, task_id: str) -> None:
        current = self.monitors.get(task_id)
        if current is not None and current.following:
            return
        # A monitor whose bridge went away (the task was marked paused) is done: replace it.
        monitor = TaskMonitor(
            task_id, self.store, self.providers, changed=self._announce, message=self._message
        )
        self.monitors[task_id] = monitor
        monitor.start()

    def _message(self, task_id: str, record: MessageRecord) -> None:
        self.events.message_changed(task_id, message_view(record))

    async def _log(self, task_id: str, stream: str, text: str) -> None:
        now = datetime.now(UTC)
        clean = self.secrets.redactor(text)
        with contextlib.suppress(Exception):
            await self.store.append_logs(task_id, [(now, stream, clean)])  # type: ignore[list-item]
        self.events.log_appended(task_id, [LogLine(time=now, stream=stream, text=clean)])  # type: ignore[arg-type]

    async def _close_monitor(self, task_id: str) -> None:
        monitor = self.monitors.pop(task_id, None)
        if monitor is not None:
            await monitor.close()

    async def _set_workspace(self, task_id: str, status: str) -> None:
        record = await self.resolve(task_id)
        ws = {**record.workspace, "status": status}
        if status in ("creating", "starting"):
            # Whoever brings the workspace up owns it until it runs: other processes must not
            # take a start-up in progress for one cut short.
            ws["owner"] = {"pid": os.getpid(), "started": _process_start(os.getpid())}
        await self.store.update_task(
            task_id, workspace=ws, status=derive_status(status, "connecting", None)
        )
        await self._announce(task_id)

    async def _announce(self, task_id: str) -> None:
        record = await self.store.get_task(task_id)
        if record is None or record.deleted:
            return
        view = task_view(record)
        if self._announced.get(task_id) == view:
            return  # another process's change we already sent, or no real change
        self._announced[task_id] = view
        self.events.task_changed(view)

    async def _on_changes(self, changes: list[Change]) -> None:
        """Changes from any process; only what this process has not announced goes out."""
        for change in changes:
            if change.kind == "deleted" or await self.store.get_task(change.task_id) is None:
                if self._announced.pop(change.task_id, None) is not None:
                    self.events.task_deleted(change.task_id, "")
                continue
            await self._announce(change.task_id)
            record = await self.store.get_task(change.task_id)
            if record and record.workspace.get("status") == "running":
                self._follow(record.id)

    async def _first_provider(self, wanted: str) -> str:
        return wanted if wanted in self.providers else next(iter(self.providers))

    def _provider(self, record: TaskRecord) -> WorkspaceProvider:
        return self.providers[record.workspace.get("provider", "local")]

    def _spawn(self, coro: Any) -> None:
        job = asyncio.ensure_future(coro)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)


def _process_start(pid: int) -> str:
    """The process's start time (from /proc): tells a live owner from a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner_alive(owner: Any) -> bool:
    if not isinstance(owner, dict) or not owner.get("pid"):
        return False
    pid = int(owner["pid"])
    return pid != os.getpid() and _process_start(pid) == owner.get("started") != ""
