"""Auto-pause: a task whose agent sat idle for its template's ``idle_timeout_minutes`` is paused.

Paused tasks free their container (or local processes) and resume later with their session,
so an idle agent costs nothing. The rule, per task:

    active and agent idle/complete ──(idle_timeout_minutes pass)──→ pause
    anything else (working, needs input, starting, paused, error) → no timer

"Idle since" is the agent state's own timestamp, so a sidecar restarted halfway through the
wait pauses on time rather than starting the count again. A task is never paused while its
agent works: the timer is cancelled by the first change that is not idle, and checked again
against the store right before pausing. Needs-input tasks are left alone: the question on
screen would not survive a restart of the agent.

It sits on the event stream (:class:`TaskEvents`) rather than inside the task engine: every
change of every task passes through it on its way to the editor, which is exactly when a timer
has to be set, moved or cancelled. Only the sidecar runs it; short-lived CLI processes do not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from taskyard.protocol import LogLine, Task, TaskMessage

from .tasks.events import TaskEvents

log = logging.getLogger(__name__)

IDLE_STATES = frozenset({"idle", "complete"})

Pause = Callable[[str, str], Awaitable[Any]]
"""``pause(task_id, reason)``: pause the task if it is still idle; ``reason`` goes to its log."""

TimeoutOf = Callable[[Task], float | None]
"""Seconds a task may stay idle (None: never auto-paused)."""


class AutoPause:
    """A :class:`TaskEvents` that forwards everything and pauses idle tasks on time."""

    def __init__(
        self,
        events: TaskEvents,
        timeout_of: TimeoutOf,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._events = events
        self._timeout_of = timeout_of
        self._now = now
        self._pause: Pause | None = None
        self._timers: dict[str, tuple[datetime, asyncio.TimerHandle]] = {}
        self._jobs: set[asyncio.Task[None]] = set()

    def attach(self, pause: Pause) -> None:
        """Start pausing through ``pause`` (the task engine exists after its event sink)."""
        self._pause = pause

    def close(self) -> None:
        for _, timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for job in self._jobs:
            job.cancel()

    # -- TaskEvents ------------------------------------------------------------------------

    def task_changed(self, task: Task) -> None:
        self._observe(task)
        self._events.task_changed(task)

    def task_deleted(self, task_id: str, name: str) -> None:
        self._cancel(task_id)
        self._events.task_deleted(task_id, name)

    def message_changed(self, task_id: str, message: TaskMessage) -> None:
        self._events.message_changed(task_id, message)

    def log_appended(self, task_id: str, lines: list[LogLine]) -> None:
        self._events.log_appended(task_id, lines)

    # -- timers ----------------------------------------------------------------------------

    def _observe(self, task: Task) -> None:
        idle = task.status == "active" and task.state is not None
        idle = idle and task.state.state in IDLE_STATES  # type: ignore[union-attr]
        timeout = self._timeout_of(task) if idle and self._pause is not None else None
        if timeout is None:
            self._cancel(task.id)
            return
        since = task.state.timestamp  # type: ignore[union-attr]
        current = self._timers.get(task.id)
        if current is not None and current[0] == since:
            return  # the same idle spell: its timer stands
        self._cancel(task.id)
        delay = max(0.0, timeout - (self._now() - since).total_seconds())
        loop = asyncio.get_running_loop()
        timer = loop.call_later(delay, self._fire, task.id, timeout)
        self._timers[task.id] = (since, timer)

    def _cancel(self, task_id: str) -> None:
        entry = self._timers.pop(task_id, None)
        if entry is not None:
            entry[1].cancel()

    def _fire(self, task_id: str, timeout: float) -> None:
        self._timers.pop(task_id, None)
        job = asyncio.ensure_future(self._run(task_id, timeout))
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    async def _run(self, task_id: str, seconds: float) -> None:
        assert self._pause is not None
        spell = f"{seconds / 60:g} minute(s)" if seconds >= 60 else f"{seconds:g} s"
        reason = f"paused: the agent was idle for {spell} (the template's idle_timeout_minutes)"
        try:
            await self._pause(task_id, reason)
        except Exception as exc:  # another window paused it first, the task went away…
            log.info("task %s: auto-pause skipped: %s", task_id, exc)
