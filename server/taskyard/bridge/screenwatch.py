"""Event-driven screen sampling and stability tracking.

agentapi snapshots the screen every 25 ms and calls it stable after 2 s of identical snapshots,
which burns CPU forever even when nothing happens. Here the terminal's reader thread only says
"something changed"; the watcher then samples the screen at most once per ``sample_interval``
while output flows, and arms a single timer for ``window`` seconds after the last real change.
When nothing is written, nothing runs.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

Clock = Callable[[], float]


class ScreenWatcher:
    """Samples a screen on demand and reports content changes and stability.

    States: ``changing`` (a sample differed from the previous one less than ``window`` ago) and
    ``stable`` (no sample differed for ``window`` seconds). ``on_change(lines)`` fires for every
    sample whose text differs; ``on_stable(lines)`` fires once per quiet period.
    """

    def __init__(
        self,
        read_lines: Callable[[], list[str]],
        *,
        window: float,
        sample_interval: float = 0.05,
        on_change: Callable[[list[str]], None],
        on_stable: Callable[[list[str]], None],
        clock: Clock = time.monotonic,
    ) -> None:
        self._read = read_lines
        self.window = window
        self._interval = sample_interval
        self._on_change = on_change
        self._on_stable = on_stable
        self._clock = clock
        self.lines: list[str] = read_lines()
        self.last_change = clock()
        self.stable = False
        self.samples = 0
        self._sample_handle: asyncio.TimerHandle | None = None
        self._stable_handle: asyncio.TimerHandle | None = None
        self._last_sample = 0.0

    def start(self) -> None:
        """Begin the first quiet-period countdown (a silent agent becomes stable too)."""
        self._arm_stability()

    def close(self) -> None:
        for handle in (self._sample_handle, self._stable_handle):
            if handle is not None:
                handle.cancel()
        self._sample_handle = self._stable_handle = None

    def poke(self) -> None:
        """The screen may have changed: sample now or as soon as the rate limit allows."""
        if self._sample_handle is not None:
            return
        delay = max(0.0, self._last_sample + self._interval - self._clock())
        self._sample_handle = asyncio.get_running_loop().call_later(delay, self._sample)

    def sample_now(self) -> list[str]:
        """Take a sample immediately (used right before and after typing into the agent)."""
        if self._sample_handle is not None:
            self._sample_handle.cancel()
        self._sample()
        return self.lines

    def quiet_for(self) -> float:
        return self._clock() - self.last_change

    def _sample(self) -> None:
        self._sample_handle = None
        self._last_sample = self._clock()
        self.samples += 1
        lines = self._read()
        if lines == self.lines:
            return
        self.lines = lines
        self.last_change = self._clock()
        self.stable = False
        self._arm_stability()
        self._on_change(lines)

    def _arm_stability(self) -> None:
        if self._stable_handle is not None:
            self._stable_handle.cancel()
        due = max(0.0, self.last_change + self.window - self._clock())
        self._stable_handle = asyncio.get_running_loop().call_later(due, self._check_stable)

    def _check_stable(self) -> None:
        self._stable_handle = None
        if self._sample_handle is not None:
            # Output arrived and its sample is pending: decide after that sample.
            self._stable_handle = asyncio.get_running_loop().call_later(
                self._interval, self._check_stable
            )
            return
        if self.quiet_for() + 1e-3 < self.window:
            self._arm_stability()
            return
        if not self.stable:
            self.stable = True
            self._on_stable(self.lines)
