"""Auto-pause from inside the workspace: the bridge ends itself after the agent sat idle.

A task's template may set ``idle_timeout_minutes``; the bridge gets it as ``--idle-timeout``
(seconds). When the agent has been ``idle`` or ``complete`` that long, with nothing being
delivered or queued, the bridge saves its state and exits: the container stops (or the local
processes end) whether or not any editor or CLI is running, and whichever Taskyard process
looks next finds the task paused, resumable with the agent's own session. The count starts at
the state's own timestamp, so it is not reset by a client reconnecting.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from .model import AgentState

IDLE_STATES = (AgentState.IDLE, AgentState.COMPLETE)


def describe(seconds: float) -> str:
    """ "30 minute(s)" or "5 s", as the reason says it."""
    return f"{seconds / 60:g} minute(s)" if seconds >= 60 else f"{seconds:g} s"


class IdlePause:
    """One timer, re-armed by every state the bridge reports; ``pause(reason)`` on expiry."""

    def __init__(
        self,
        timeout: float,
        pause: Callable[[str], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._timeout = timeout
        self._pause = pause
        self._clock = clock
        self._since: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def observe(self, state: AgentState, since: float, settled: bool) -> None:
        """The agent's state (true since ``since``) and whether nothing is on its way to it."""
        if self._timeout <= 0:
            return
        if not (settled and state in IDLE_STATES):
            self.close()
            return
        if self._timer is not None and self._since == since:
            return  # the same idle spell: its timer stands
        self.close()
        self._since = since
        delay = max(0.0, self._timeout - (self._clock() - since))
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._since = None

    def _fire(self) -> None:
        self._timer = None
        reason = (
            f"the agent was idle for {describe(self._timeout)} "
            "(the template's idle_timeout_minutes)"
        )
        self._pause(reason)
