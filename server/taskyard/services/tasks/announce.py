"""The engine's voice: task snapshots, deletions, message updates and log lines, announced once.

Every part of the engine reports through one :class:`Announcer`. A task snapshot is announced
only when it differs from the last one this process sent (another process's change and our own
write of the same change arrive both, through the change feed and directly); log lines are
redacted, stored and announced together.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from taskyard.protocol import LogLine, Task
from taskyard.services.store import LogStream, MessageRecord, StoreError, TaskStore

from .events import TaskEvents
from .views import message_view, task_view

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""The current aware UTC time."""


class Announcer:
    """Announces what changed; see the module docstring."""

    def __init__(
        self, store: TaskStore, events: TaskEvents, redact: Callable[[str], str], clock: Clock
    ) -> None:
        self._store = store
        self._events = events
        self._redact = redact
        self._clock = clock
        self._sent: dict[str, Task] = {}

    async def changed(self, task_id: str) -> None:
        """Announce the task as stored now, unless this process already sent exactly that."""
        record = await self._store.get_task(task_id)
        if record is None or record.deleted:
            return
        view = task_view(record)
        if self._sent.get(task_id) == view:
            return
        self._sent[task_id] = view
        self._events.task_changed(view)

    def deleted(self, task_id: str, name: str) -> None:
        """Announce a deletion once (whichever process deleted it)."""
        if self._sent.pop(task_id, None) is not None or name:
            self._events.task_deleted(task_id, name)

    def known(self, task_id: str) -> bool:
        return task_id in self._sent

    def message(self, task_id: str, record: MessageRecord) -> None:
        self._events.message_changed(task_id, message_view(record))

    async def log(self, task_id: str, stream: LogStream, text: str) -> None:
        """Store and announce one log line of a task, redacted."""
        now, clean = self._clock(), self._redact(text)
        with contextlib.suppress(StoreError):  # a task deleted meanwhile has no log to keep
            await self._store.append_logs(task_id, [(now, stream, clean)])
        self._events.log_appended(task_id, [LogLine(time=now, stream=stream, text=clean)])
