"""The task engine's conversation with a running agent: send, queue, interrupt, keys, screen.

Whether a request may go to the agent is the lifecycle table's call: ``send`` to a paused or
failed task (or one whose agent ended) resumes it first; sent while the task starts, it waits;
either way it goes once the agent can take a message, queued if the agent is busy then;
``interrupt`` needs a busy agent. Every call goes to the task's bridge through its provider's
client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from taskyard.errors import TaskNotReadyError, TaskyardError
from taskyard.lifecycle import AgentCondition, AgentState, Effect, Event, Phase, TaskStatus
from taskyard.protocol import Task, TaskIdentity, TasksScreenResult, TasksSendResult
from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskRecord
from taskyard.workspaces.base import WorkspaceProvider
from taskyard.workspaces.bridge_client import BridgeClient

from .lifecycle import TaskLifecycle
from .reads import TaskReads
from .views import task_view

READY_WAIT = 90.0
"""How long a send that resumed its task waits for the agent to take messages."""


class TaskTalk:
    """Requests that talk to a task's agent; see the module docstring."""

    def __init__(
        self,
        *,
        lifecycle: TaskLifecycle,
        reads: TaskReads,
        providers: Mapping[str, WorkspaceProvider],
        secrets: SecretStore,
        poll: float = 0.1,
        ready_wait: float = READY_WAIT,
    ) -> None:
        self._lifecycle = lifecycle
        self._reads = reads
        self._providers = providers
        self._secrets = secrets
        self._poll = poll
        self._ready_wait = ready_wait

    async def send(self, ref: str, content: str, queue: bool) -> TasksSendResult:
        """Deliver (or queue) a message; a paused or failed task is resumed first."""
        record, row = await self._lifecycle.begin(ref, Event.SEND)
        resumed = row.effect in (Effect.CREATE, Effect.START, Effect.RESTART)
        waited = row.effect is not Effect.DELIVER
        if waited:
            record = await self._until_ready(record)
        busy = record.state is None or record.state.state is AgentState.WORKING
        client = self._client(record)
        if busy and (queue or waited):
            # A message that waited for a start-up is never refused for the agent's first turn.
            item = await client.enqueue(content)
            return TasksSendResult(
                delivered=False, queued=True, queue_id=item["id"], resumed=resumed
            )
        await client.send(content)
        return TasksSendResult(delivered=True, queued=False, resumed=resumed)

    async def interrupt(self, ref: str) -> Task:
        record, _ = await self._lifecycle.begin(ref, Event.INTERRUPT)
        await self._client(record).interrupt()
        return task_view(record)

    async def screen(self, ref: str) -> TasksScreenResult:
        record = await self._running(ref)
        data = await self._client(record).screen()
        return TasksScreenResult(
            screen=self._secrets.redactor(data["screen"]),
            columns=data["columns"],
            rows=data["rows"],
        )

    async def keys(self, ref: str, data: str) -> TaskIdentity:
        """Type raw keystrokes into the agent's terminal (an attached terminal's input)."""
        record = await self._running(ref)
        await self._client(record).raw(data)
        return TaskIdentity(id=record.id, name=record.name)

    async def _running(self, ref: str) -> TaskRecord:
        record = await self._reads.resolve(ref)
        if record.workspace.phase is not Phase.RUNNING:
            raise TaskNotReadyError(
                f"task {record.name!r} is {record.status.value}, not ready for input",
                status=record.status.value,
            )
        return record

    async def _until_ready(self, record: TaskRecord) -> TaskRecord:
        """The task once its agent takes messages; its own error if the start-up failed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._ready_wait
        while loop.time() < deadline:
            record = await self._reads.resolve(record.id)
            if record.status is TaskStatus.ERROR and record.workspace.phase is Phase.FAILED:
                raise _start_error(record)
            live = record.state is not None and record.state.condition is AgentCondition.LIVE
            if record.status is TaskStatus.ACTIVE and live:
                return record
            await asyncio.sleep(self._poll)
        raise TaskNotReadyError(
            f"task {record.name!r} did not become ready within {self._ready_wait:g} s "
            "after resuming; the message was not sent",
            status=record.status.value,
        )

    def _client(self, record: TaskRecord) -> BridgeClient:
        provider = self._providers[record.workspace.provider.value]
        return provider.client(record.workspace.data)


def _start_error(record: TaskRecord) -> TaskyardError:
    why = record.error.message if record.error else "its workspace failed"
    err = TaskyardError(
        f"task {record.name!r} could not be resumed to take the message: {why}",
        status=record.status.value,
    )
    err.kind = record.error.kind if record.error else "workspaceFailure"
    return err
