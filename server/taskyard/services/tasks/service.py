"""The task engine's face: one object the JSON-RPC handlers and the CLI call.

:class:`TaskService` holds the engine's collaborators, each given in its constructor and
wired by :func:`build_engine` (which ``app.build_services`` and the unit tests both call):
:class:`~.creation.TaskCreation` (create), :class:`~.lifecycle.TaskLifecycle` (pause, resume,
delete, recovery), :class:`~.talk.TaskTalk` (send, interrupt, keys, screen),
:class:`~.reads.TaskReads` (get, list, messages, logs), :class:`~.recovery.Reconciler`
(start-up and other processes' crashes) and :class:`~.monitor.Monitors` (one per running task).
A task's truth is its record in the store; every change is announced through
:class:`~.events.TaskEvents`. It also follows the store's change feed, so tasks that other
processes create or move are announced and followed here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

import attrs

from taskyard.lifecycle import TRANSIENT, Event, Phase
from taskyard.protocol import (
    LogFormat,
    Task,
    TaskIdentity,
    TasksCreateParams,
    TasksDeleteResult,
    TasksListParams,
    TasksListResult,
    TasksLogsResult,
    TasksMessagesResult,
    TasksScreenResult,
    TasksSendResult,
)
from taskyard.services.names import NameGenerator
from taskyard.services.secrets import SecretStore
from taskyard.services.store import Change, TaskRecord, TaskStore
from taskyard.services.templates import TemplateService
from taskyard.workspaces.base import WorkspaceProvider

from .announce import Announcer, Clock
from .creation import ChooseProvider, TaskCreation
from .events import Progress, TaskEvents
from .jobs import Jobs
from .lifecycle import STOP_GRACE, TaskLifecycle
from .monitor import Monitors, TaskMonitor
from .owners import Owners, ProcessOwners
from .reads import TaskReads
from .recovery import Reconciler
from .talk import TaskTalk
from .transitions import Transitions
from .views import task_view


@attrs.define(kw_only=True)
class TaskService:
    """Requests on tasks; see the module docstring."""

    store: TaskStore
    creation: TaskCreation
    lifecycle: TaskLifecycle
    talk: TaskTalk
    reads: TaskReads
    reconciler: Reconciler
    monitors: Monitors
    announcer: Announcer
    owners: Owners
    jobs: Jobs
    _watch_stop: asyncio.Event = attrs.field(factory=asyncio.Event)

    @property
    def source_repo(self) -> str | None:
        return self.lifecycle.source_repo

    # -- running ---------------------------------------------------------------------------

    async def start(self, *, watch: bool = True) -> None:
        """Reconcile every task that is up or mid-step; follow other processes' changes."""
        await self.reconciler.reconcile_all()
        if watch:
            self.jobs.spawn(self.store.watch_changes(self._on_changes, self._watch_stop))

    async def close(self) -> None:
        """Stop following; running bridges keep running (they outlive this process)."""
        self._watch_stop.set()
        await self.monitors.close()
        if isinstance(self.owners, ProcessOwners):
            self.owners.closed = True  # a step cut off below is recovered by the next engine
        await self.jobs.close()

    async def _on_changes(self, changes: list[Change]) -> None:
        """Changes from any process; only what this process has not announced goes out."""
        for task_id in dict.fromkeys(c.task_id for c in changes):
            record = await self.store.get_task(task_id)
            if record is None or record.deleted:
                self.announcer.deleted(task_id, "")
                continue
            await self.announcer.changed(task_id)
            phase = record.workspace.phase
            if phase is Phase.RUNNING:
                self.monitors.follow(task_id)
            elif phase in TRANSIENT and record.workspace.owner != self.owners.me():
                self.reconciler.watch(task_id)

    # -- requests --------------------------------------------------------------------------

    async def create(self, params: TasksCreateParams, progress: Progress | None = None) -> Task:
        return task_view(await self.creation.create(params, progress))

    async def pause(self, ref: str, progress: Progress | None = None) -> Task:
        return task_view(await self.lifecycle.pause(ref, progress))

    async def resume(self, ref: str, progress: Progress | None = None) -> Task:
        record, _ = await self.lifecycle.begin(ref, Event.RESUME, progress)
        return task_view(record)

    async def delete(self, ref: str, *, keep_work: bool = False) -> TasksDeleteResult:
        record, kept = await self.lifecycle.delete(ref, keep_work=keep_work)
        return TasksDeleteResult(id=record.id, name=record.name, kept_work=kept)

    async def send(self, ref: str, content: str, queue: bool = False) -> TasksSendResult:
        return await self.talk.send(ref, content, queue)

    async def interrupt(self, ref: str) -> Task:
        return await self.talk.interrupt(ref)

    async def screen(self, ref: str) -> TasksScreenResult:
        return await self.talk.screen(ref)

    async def keys(self, ref: str, data: str) -> TaskIdentity:
        return await self.talk.keys(ref, data)

    async def resolve(self, ref: str) -> TaskRecord:
        return await self.reads.resolve(ref)

    async def get(self, ref: str) -> Task:
        return await self.reads.get(ref)

    async def list_tasks(self, params: TasksListParams) -> TasksListResult:
        return await self.reads.list_tasks(params)

    async def messages(self, ref: str, after: int | None) -> TasksMessagesResult:
        return await self.reads.messages(ref, after)

    async def logs(self, ref: str, fmt: LogFormat) -> TasksLogsResult:
        return await self.reads.logs(ref, fmt)


def build_engine(
    *,
    store: TaskStore,
    catalog: TemplateService,
    secrets: SecretStore,
    names: NameGenerator,
    providers: Mapping[str, WorkspaceProvider],
    events: TaskEvents,
    choose_provider: ChooseProvider,
    source_repo: str | None = None,
    owners: Owners | None = None,
    clock: Clock = lambda: datetime.now(UTC),
    stop_grace: float = STOP_GRACE,
    owner_check: float = 1.0,
    idle_minute: float = 60.0,
) -> TaskService:
    """The task engine, its collaborators wired; nothing runs until :meth:`TaskService.start`."""
    owners = owners or ProcessOwners()
    jobs = Jobs()
    announcer = Announcer(store, events, secrets.redactor, clock)
    transitions = Transitions(store, announcer, owners, clock)

    def monitor(task_id: str) -> TaskMonitor:
        return TaskMonitor(task_id, store, providers, transitions, announcer)

    monitors = Monitors(monitor)
    lifecycle = TaskLifecycle(
        store=store,
        catalog=catalog,
        secrets=secrets,
        providers=providers,
        transitions=transitions,
        announcer=announcer,
        monitors=monitors,
        jobs=jobs,
        source_repo=source_repo,
        stop_grace=stop_grace,
        idle_minute=idle_minute,
    )
    reads = TaskReads(store, secrets, monitors)
    return TaskService(
        store=store,
        creation=TaskCreation(
            store=store,
            catalog=catalog,
            secrets=secrets,
            names=names,
            lifecycle=lifecycle,
            announcer=announcer,
            owners=owners,
            choose_provider=choose_provider,
            clock=clock,
        ),
        lifecycle=lifecycle,
        talk=TaskTalk(lifecycle=lifecycle, reads=reads, providers=providers, secrets=secrets),
        reads=reads,
        reconciler=Reconciler(
            store=store,
            providers=providers,
            lifecycle=lifecycle,
            transitions=transitions,
            announcer=announcer,
            monitors=monitors,
            jobs=jobs,
            owner_check=owner_check,
        ),
        monitors=monitors,
        announcer=announcer,
        owners=owners,
        jobs=jobs,
    )
