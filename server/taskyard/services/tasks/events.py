"""How the task engine reports what happens: change events and long-operation progress.

The JSON-RPC layer implements :class:`TaskEvents` as notifications, the CLI as printed lines;
:class:`Progress` becomes ``$/progress`` for clients that offered a work-done token.
"""

from __future__ import annotations

from typing import Protocol

from taskyard.protocol import LogLine, Task, TaskMessage


class Progress(Protocol):
    """Reports the steps of a long operation; ``done=True`` on its last call."""

    def __call__(self, message: str, done: bool = False) -> None: ...


def no_progress(message: str, done: bool = False) -> None:
    return None


class TaskEvents(Protocol):
    """Where the engine announces changes (the JSON-RPC layer, or the CLI)."""

    def task_changed(self, task: Task) -> None: ...
    def task_deleted(self, task_id: str, name: str) -> None: ...
    def message_changed(self, task_id: str, message: TaskMessage) -> None: ...
    def log_appended(self, task_id: str, lines: list[LogLine]) -> None: ...
