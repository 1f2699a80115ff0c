"""The CLI's side of :class:`~taskyard.services.tasks.service.TaskEvents`: waiting and watching.

The task engine announces every change through synchronous callbacks. :class:`Follower` keeps
them so a command can wait for a condition (a workspace that runs, an agent that is ready) or
stream one task's changes (``task status --watch``) without polling the store in a tight loop.

:func:`settle` exists because state is only recorded while some process follows a task's bridge:
when the previous CLI exited, nobody wrote down what the agent did next. Each command therefore
lets the monitors started by ``TaskService.start`` replay their bridges' current state into the
store before it reads anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from taskyard.app import Services
from taskyard.protocol import LogLine, Task, TaskMessage
from taskyard.services.tasks import TaskService

log = logging.getLogger(__name__)

SETTLE_TIMEOUT = 3.0
"""How long a command waits for running bridges to report before it reads the store anyway."""

RECHECK_SECONDS = 0.5
"""A waiter re-reads the store this often even without an event (changes by other processes)."""


class Follower:
    """Collects task events; commands wait on them or subscribe to one task's changes."""

    def __init__(self) -> None:
        self._seq = 0
        self._wake = asyncio.Event()
        self._queues: dict[str, list[asyncio.Queue[Task | None]]] = {}
        self.progress_sink: Callable[[str], None] | None = None

    # -- TaskEvents --------------------------------------------------------------------------

    def task_changed(self, task: Task) -> None:
        self._bump()
        for queue in self._queues.get(task.id, []):
            queue.put_nowait(task)

    def task_deleted(self, task_id: str, name: str) -> None:
        self._bump()
        for queue in self._queues.get(task_id, []):
            queue.put_nowait(None)

    def message_changed(self, task_id: str, message: TaskMessage) -> None:
        return None

    def log_appended(self, task_id: str, lines: list[LogLine]) -> None:
        return None

    # -- for commands ------------------------------------------------------------------------

    def progress(self, message: str, done: bool = False) -> None:
        """A :class:`~taskyard.services.tasks.service.Progress` that forwards to ``progress_sink``.

        The last step ("Paused", "The agent is starting") is left out: the command's own
        result line says the same with the task's name.
        """
        if self.progress_sink is not None and not done:
            self.progress_sink(message)

    def subscribe(self, task_id: str) -> asyncio.Queue[Task | None]:
        """Every later snapshot of the task, in order; ``None`` when it is deleted."""
        queue: asyncio.Queue[Task | None] = asyncio.Queue()
        self._queues.setdefault(task_id, []).append(queue)
        return queue

    async def until(self, tasks: TaskService, ref: str, done: Callable[[Task], bool]) -> Task:
        """The task's snapshot once ``done`` holds for it (re-read after every change)."""
        while True:
            seen = self._seq
            task = await tasks.get(ref)
            if done(task):
                return task
            await self.changed_since(seen)

    @property
    def seq(self) -> int:
        """Counts task events; compare two readings to learn whether anything happened."""
        return self._seq

    async def changed_since(self, seen: int, within: float = RECHECK_SECONDS) -> None:
        """Return once an event came after ``seen`` was read, or after ``within`` seconds."""
        if self._seq != seen:
            return
        self._wake.clear()
        # Not asyncio.wait_for: on 3.11 it can swallow a cancellation (Ctrl-C) that arrives
        # as the event is set.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._wake.wait()

    def _bump(self) -> None:
        self._seq += 1
        self._wake.set()


async def settle(services: Services, follower: Follower) -> None:
    """Wait until every followed task's record shows its bridge's current state."""
    monitors = services.tasks.monitors.all()
    if not monitors:
        return
    try:
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await asyncio.gather(*(m.caught_up.wait() for m in monitors))
    except TimeoutError:
        log.info("bridges did not all report within %.1fs; using the stored state", SETTLE_TIMEOUT)
