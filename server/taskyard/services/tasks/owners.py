"""Who owns a transient phase, and whether that owner still lives.

A task in ``creating``, ``starting``, ``stopping`` or ``deleting`` records its :class:`Owner`:
the process (pid plus its start time from ``/proc``, so a reused pid is not mistaken for it)
and the task engine instance inside it. Any other process that finds the owner gone finishes
or undoes the step (the table's ``owner died`` rows), so no task is left without a way out.
"""

from __future__ import annotations

import os
import uuid
from typing import Protocol

from taskyard.lifecycle import Owner


class Owners(Protocol):
    """Makes this engine's owner mark and judges others' (a fake one in the unit tests)."""

    def me(self) -> Owner: ...

    def alive(self, owner: Owner | None) -> bool: ...


class ProcessOwners:
    """Owners are processes of this machine; this engine is one of them."""

    def __init__(self) -> None:
        pid = os.getpid()
        self._me = Owner(pid=pid, started=process_start(pid), instance=uuid.uuid4().hex[:12])
        self.closed = False
        """Set when this engine closes: its own marks then count as dead (nothing drives them)."""

    def me(self) -> Owner:
        return self._me

    def alive(self, owner: Owner | None) -> bool:
        if owner is None:
            return False
        if owner.pid == self._me.pid:
            # This process: only this engine's own marks are alive (an earlier engine of the
            # same process, or a test's, left its steps unfinished).
            return owner.instance == self._me.instance and not self.closed
        return process_start(owner.pid) == owner.started != ""


def process_start(pid: int) -> str:
    """The process's start time (from /proc), or "" when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""
