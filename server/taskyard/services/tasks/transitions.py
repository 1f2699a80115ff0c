"""The one place a task moves: a row of the lifecycle table, applied by compare and set.

:meth:`Transitions.require` looks the row up for a request and refuses, with the error kind
the wire expects, what the table does not allow. :meth:`Transitions.apply` writes the row's
next phase (with the owner mark of a transient phase, the status derived from the table, and
the agent's turn settled) in one store transaction that first checks the task is still in the
row's phase: two processes acting on one task cannot both move it, and the loser learns so
through :class:`~taskyard.services.store.PhaseChanged`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from taskyard.errors import InvalidTransitionError, TaskNotReadyError, TaskyardError
from taskyard.lifecycle import (
    TRANSIENT,
    AgentReport,
    BridgeLink,
    Event,
    Phase,
    Row,
    TaskFailure,
    derive_status,
    lookup,
    settle_agent,
)
from taskyard.services.store import TaskRecord, TaskStore

from .announce import Announcer, Clock
from .owners import Owners
from .views import facts_of

_KEEP: Any = object()
"""Marks a field a transition leaves as it is."""

_REFUSALS: dict[Event, str] = {
    Event.PAUSE: "only a running task can be paused",
    Event.RESUME: "only a paused or failed task, or one whose agent ended, can be resumed",
    Event.DELETE: "it is being deleted",
    Event.SEND: "not ready for input",
    Event.INTERRUPT: "its agent is not working",
}
_NOT_READY = frozenset({Event.SEND, Event.INTERRUPT})
"""Refusals of these are ``taskNotReady`` (the agent cannot take it), not ``invalidTransition``."""


class Transitions:
    """Looks rows up and applies them; see the module docstring."""

    def __init__(
        self, store: TaskStore, announcer: Announcer, owners: Owners, clock: Clock
    ) -> None:
        self._store = store
        self.announcer = announcer
        self.owners = owners
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def row(self, record: TaskRecord, event: Event) -> Row | None:
        return lookup(record.workspace.phase, event, facts_of(record))

    def require(self, record: TaskRecord, event: Event) -> Row:
        """The row for a user's request, or the error that explains the refusal."""
        row = self.row(record, event)
        if row is not None:
            return row
        why = _REFUSALS.get(event, f"{event.value} is not possible now")
        message = f"task {record.name!r} is {record.status.value}: {why}"
        kind: type[TaskyardError] = (
            TaskNotReadyError if event in _NOT_READY else InvalidTransitionError
        )
        raise kind(message, status=record.status.value)

    async def apply(
        self,
        record: TaskRecord,
        row: Row,
        *,
        link: BridgeLink = BridgeLink.CONNECTING,
        agent: AgentReport | None = _KEEP,
        error: TaskFailure | None = _KEEP,
        data: dict[str, Any] | None = None,
        made: bool | None = None,
        keep_work: bool | None = None,
        reason: str = "",
    ) -> TaskRecord | None:
        """Move the task as ``row`` says; None when the row removes it.

        Raises :class:`~taskyard.services.store.PhaseChanged` when the task left the row's
        phase meanwhile (another process moved it first).
        """
        if row.next is None:
            await self._store.delete_task(record.id, expect={row.phase})
            self.announcer.deleted(record.id, record.name)
            return None
        ws = record.workspace
        workspace = attrs.evolve(
            ws,
            phase=row.next,
            owner=self.owners.me() if row.next in TRANSIENT else None,
            data=ws.data if data is None else data,
            made=ws.made if made is None else made,
            keep_work=ws.keep_work if keep_work is None else keep_work,
        )
        given = record.state if agent is _KEEP else agent
        state = settle_agent(row, given, self._clock(), reason)
        fields: dict[str, Any] = {
            "workspace": workspace,
            "state": state,
            "status": derive_status(row.next, link, state),
        }
        if error is not _KEEP:
            fields["error"] = error
        elif row.next is not Phase.FAILED:
            fields["error"] = None  # leaving the failure behind
        updated = await self._store.update_task(record.id, expect={row.phase}, **fields)
        if state is not given and state is not None:
            # A turn cut short (a question dropped) goes to the task's log as well.
            await self.announcer.log(record.id, "system", state.message)
        await self.announcer.changed(record.id)
        return updated
