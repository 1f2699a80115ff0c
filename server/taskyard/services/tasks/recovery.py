"""Making the records true again: at start-up, and whenever another process may have died.

When an engine starts (a sidecar, a CLI command, even after ``kill -9``) it looks at every
task that is up or in a transient phase. A running task's workspace is inspected: a live
bridge is followed again; a stopped one moves the task to ``stopped`` (its state file keeps
the conversation), a vanished one to ``failed``. A transient phase whose owner died is
recovered through the table's ``owner died`` row; one whose owner lives (another process is
starting or pausing it) is watched, so that its owner dying later is noticed too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from taskyard.lifecycle import TRANSIENT, Phase, Presence
from taskyard.services.store import PhaseChanged, TaskRecord, TaskStore
from taskyard.workspaces.base import WorkspaceProvider

from .announce import Announcer
from .jobs import Jobs
from .lifecycle import TaskLifecycle
from .monitor import Monitors, bridge_gone
from .transitions import Transitions

log = logging.getLogger(__name__)

OWNER_CHECK = 1.0
"""Seconds between two looks at another process that owns a transient phase."""


class Reconciler:
    """Brings records in line with what exists; see the module docstring."""

    def __init__(
        self,
        *,
        store: TaskStore,
        providers: Mapping[str, WorkspaceProvider],
        lifecycle: TaskLifecycle,
        transitions: Transitions,
        announcer: Announcer,
        monitors: Monitors,
        jobs: Jobs,
        owner_check: float = OWNER_CHECK,
    ) -> None:
        self._store = store
        self._providers = providers
        self._lifecycle = lifecycle
        self._transitions = transitions
        self._announcer = announcer
        self._monitors = monitors
        self._jobs = jobs
        self._owner_check = owner_check
        self._watched: set[str] = set()

    async def reconcile_all(self) -> None:
        for record in await self._store.tasks_in_phases({Phase.RUNNING, *TRANSIENT}):
            try:
                await self.reconcile(record)
            except PhaseChanged:
                continue  # another process moved it meanwhile; its change reaches us

    async def reconcile(self, record: TaskRecord) -> None:
        """One task: follow it, correct it, recover it or watch its owner."""
        phase = record.workspace.phase
        if phase is Phase.RUNNING:
            await self._running(record)
        elif phase in TRANSIENT:
            if self._transitions.owners.alive(record.workspace.owner):
                self.watch(record.id)
            else:
                await self._lifecycle.recover(record)

    def watch(self, task_id: str) -> None:
        """Follow another process's step on the task until it ends or its owner dies."""
        if task_id in self._watched:
            return
        self._watched.add(task_id)
        self._jobs.spawn(self._watch(task_id))

    async def _watch(self, task_id: str) -> None:
        try:
            while True:
                await asyncio.sleep(self._owner_check)
                record = await self._store.get_task(task_id)
                if record is None or record.workspace.phase not in TRANSIENT:
                    return
                if record.workspace.owner == self._transitions.owners.me():
                    return  # this engine took the step over
                if not self._transitions.owners.alive(record.workspace.owner):
                    await self._lifecycle.recover(record)
                    return
        finally:
            self._watched.discard(task_id)

    async def _running(self, record: TaskRecord) -> None:
        provider = self._providers[record.workspace.provider.value]
        presence = await provider.inspect(record.workspace.data)
        if presence is Presence.RUNNING:
            self._monitors.follow(record.id)
            return
        found = "it was found stopped (its bridge pauses itself when idle, or it was stopped)"
        await bridge_gone(self._store, self._transitions, provider, record, presence, reason=found)
