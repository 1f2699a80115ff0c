"""The task engine's conversation with a running agent: send, queue, interrupt, keys, screen.

A mixin of :class:`~.tasks.TaskService` (split out to keep each file readable). Every call
goes to the task's bridge through its provider's client; a task that is not active answers
``taskNotReady``, except ``send``, which may resume a paused task first (the CLI's way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from taskyard.errors import TaskNotReadyError
from taskyard.protocol import Task, TaskIdentity, TasksScreenResult, TasksSendResult
from taskyard.services.store import TaskRecord
from taskyard.workspaces.base import WorkspaceProvider

from .events import Progress
from .reads import TaskReads
from .views import task_view


class TaskTalk(TaskReads):
    """Requests that talk to a task's agent; resume and providers are the engine's."""

    resume: Callable[[str, Progress | None], Awaitable[Task]]
    _provider: Callable[[TaskRecord], WorkspaceProvider]

    async def send(self, ref: str, content: str, queue: bool) -> TasksSendResult:
        """Deliver (or queue) a message; a paused or failed task is resumed first."""
        record = await self.resolve(ref)
        resumed = False
        if record.status in ("paused", "error"):
            await self.resume(ref, None)
            resumed = True
            record = await self._wait_active(record.id)
        record = await self._ready(record.id)
        client = self._provider(record).client(record.workspace)
        try:
            state = (record.state or {}).get("state")
            if queue and state not in ("idle", "complete", "failed"):
                item = await client.enqueue(content)
                return TasksSendResult(
                    delivered=False, queued=True, queue_id=item["id"], resumed=resumed
                )
            await client.send(content)
        finally:
            await client.aclose()
        return TasksSendResult(delivered=True, queued=False, resumed=resumed)

    async def interrupt(self, ref: str) -> Task:
        record = await self._ready(ref)
        client = self._provider(record).client(record.workspace)
        try:
            await client.interrupt()
        finally:
            await client.aclose()
        return task_view(record)

    async def screen(self, ref: str) -> TasksScreenResult:
        record = await self._ready(ref)
        client = self._provider(record).client(record.workspace)
        try:
            data = await client.screen()
        finally:
            await client.aclose()
        return TasksScreenResult(
            screen=self.secrets.redactor(data["screen"]), columns=data["columns"], rows=data["rows"]
        )

    async def keys(self, ref: str, data: str) -> TaskIdentity:
        """Type raw keystrokes into the agent's terminal (an attached terminal's input)."""
        record = await self._ready(ref)
        client = self._provider(record).client(record.workspace)
        try:
            await client.raw(data)
        finally:
            await client.aclose()
        return TaskIdentity(id=record.id, name=record.name)

    async def _ready(self, ref: str) -> TaskRecord:
        record = await self.resolve(ref)
        if record.status != "active":
            raise TaskNotReadyError(
                f"task {record.name!r} is {record.status}, not ready for input",
                status=record.status,
            )
        return record

    async def _wait_active(self, task_id: str, within: float = 60.0) -> TaskRecord:
        def settled(r: TaskRecord) -> bool:
            ready = r.status == "active" and (r.state or {}).get("state") != "working"
            return ready or r.status == "error"

        return await self._wait_for(task_id, settled, within)

    async def _wait_for(
        self, task_id: str, done: Callable[[TaskRecord], bool], within: float
    ) -> TaskRecord:
        """The task's record once ``done`` holds (or as it is after ``within`` seconds)."""
        end = asyncio.get_running_loop().time() + within
        record = await self.resolve(task_id)
        while not done(record) and asyncio.get_running_loop().time() < end:
            await asyncio.sleep(0.1)
            record = await self.resolve(task_id)
        return record
