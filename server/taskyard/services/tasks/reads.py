"""The task engine's reads: one task, a page of tasks, a conversation, an exported log.

Nothing here changes a task. A running task's newest message updates may still sit in its
monitor's coalescing buffer, so reads that return messages flush it first.
"""

from __future__ import annotations

import asyncio

from taskyard.errors import TaskNotFoundError
from taskyard.lifecycle import TaskStatus
from taskyard.protocol import (
    LogFormat,
    Task,
    TasksListParams,
    TasksListResult,
    TasksLogsResult,
    TasksMessagesResult,
)
from taskyard.services.logexport import export
from taskyard.services.secrets import SecretStore
from taskyard.services.store import TaskRecord, TaskStore

from .monitor import Monitors
from .views import message_view, task_view


class TaskReads:
    """Queries on tasks."""

    def __init__(self, store: TaskStore, secrets: SecretStore, monitors: Monitors) -> None:
        self.store = store
        self._secrets = secrets
        self._monitors = monitors

    async def resolve(self, ref: str) -> TaskRecord:
        record = await self.store.get_task(ref)
        if record is None or record.deleted:
            raise TaskNotFoundError(ref)
        return record

    async def get(self, ref: str) -> Task:
        return task_view(await self.resolve(ref))

    async def list_tasks(self, params: TasksListParams) -> TasksListResult:
        records, total, cursor = await self.store.list_tasks(
            params.status, params.template, params.limit, params.cursor
        )
        return TasksListResult(
            tasks=[task_view(r) for r in records], total=total, next_cursor=cursor
        )

    async def messages(self, ref: str, after: int | None) -> TasksMessagesResult:
        record = await self.resolve(ref)
        if record.status is TaskStatus.PAUSED:
            snap = await self.store.snapshot(record.id)
            if snap is not None:
                msgs = [m for m in snap.messages if after is None or m.id > after]
                return TasksMessagesResult(
                    messages=[message_view(m) for m in msgs],
                    snapshot=True,
                    snapshot_at=snap.taken_at,
                )
        await self._flush(record.id)
        msgs = await self.store.messages(record.id, after)
        return TasksMessagesResult(messages=[message_view(m) for m in msgs], snapshot=False)

    async def logs(self, ref: str, fmt: LogFormat) -> TasksLogsResult:
        record = await self.resolve(ref)
        await self._flush(record.id)
        messages = await self.store.messages(record.id)
        logs = await self.store.logs(record.id)
        summary = {
            "id": record.id,
            "name": record.name,
            "display_name": record.display_name,
            "template": record.template,
            "status": record.status.value,
            "created_at": record.created_at,
            "prompt": record.prompt,
        }
        out = await asyncio.to_thread(
            export,
            summary,
            [(m.id, m.role, m.content, m.time) for m in messages],
            [(lg.time, lg.stream, lg.text) for lg in logs],
            fmt,
            self._secrets.redactor,
        )
        return TasksLogsResult(
            file_name=out.file_name, content=out.content, mime_type=out.mime_type
        )

    async def _flush(self, task_id: str) -> None:
        await self._monitors.flush(task_id)
