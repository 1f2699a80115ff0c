"""How the ``taskyard`` command line writes: aligned tables, human times, wire JSON, errors.

Results go to stdout, in one of two modes chosen with ``-o``: ``table`` (aligned columns, times
relative to now) for people, ``json`` (the wire JSON of :mod:`taskyard.protocol`, camelCase)
for scripts. Progress, notes and errors go to stderr in both modes, so stdout stays parseable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

from taskyard.lifecycle import TaskStatus

if TYPE_CHECKING:
    from taskyard.protocol import Task

OutputMode = Literal["table", "json"]

PROG = "taskyard"
MESSAGE_WIDTH = 60
"""Longest message a table cell shows before it is cut with an ellipsis."""


def wire(obj: Any) -> Any:
    """The wire JSON of a protocol object, a list of them, or plain JSON data."""
    if isinstance(obj, list):
        return [wire(item) for item in obj]
    if isinstance(obj, dict):
        return {key: wire(value) for key, value in obj.items()}
    if hasattr(obj, "__attrs_attrs__"):
        from taskyard.protocol import unstructure  # the wire converter is heavy to import

        return unstructure(obj)
    return obj


def relative(when: datetime | None, now: datetime | None = None) -> str:
    """``12s ago``, ``3m ago``, ``2h ago``, ``4d ago``; ``-`` for no time."""
    if when is None:
        return "-"
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    if seconds < 2:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def local_time(when: datetime) -> str:
    """An aware time in the machine's time zone, to the second."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def clip(text: str, width: int = MESSAGE_WIDTH) -> str:
    """The first line of ``text``, cut to ``width`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns under upper-case headers; a cell may span several lines."""
    split = [[cell.splitlines() or [""] for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in split:
        for col, lines in enumerate(row):
            widths[col] = max(widths[col], *(len(line) for line in lines))
    out = [_line([h.upper() for h in headers], widths)]
    for row in split:
        for index in range(max(len(lines) for lines in row)):
            out.append(_line([c[index] if index < len(c) else "" for c in row], widths))
    return "\n".join(out)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


class Output:
    """Writes results in the chosen mode; notes and errors always go to stderr."""

    def __init__(
        self, mode: OutputMode, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.mode: OutputMode = mode
        self._stdout = stdout or sys.stdout
        self._stderr = stderr or sys.stderr

    @property
    def json(self) -> bool:
        return self.mode == "json"

    def print(self, text: str = "") -> None:
        """A line of the result (stdout)."""
        print(text, file=self._stdout, flush=True)

    def note(self, text: str) -> None:
        """Progress or a remark for a person (stderr)."""
        print(text, file=self._stderr, flush=True)

    def data(self, obj: Any, *, compact: bool = False) -> None:
        """``obj`` as wire JSON on stdout (one line when ``compact``)."""
        self.print(json.dumps(wire(obj), indent=None if compact else 2, ensure_ascii=False))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.print(render_table(headers, rows))

    def error(self, message: str, kind: str, code: int | None) -> None:
        """``taskyard: error: …`` on stderr; in JSON mode also the error object on stdout."""
        print(f"{PROG}: error: {message}", file=self._stderr, flush=True)
        if self.json:
            self.data({"error": {"kind": kind, "message": message, "code": code}})


# -- task rows ---------------------------------------------------------------------------------

TASK_COLUMNS = ("name", "status", "state", "state changed", "message")
STATUS_COLUMNS = ("state changed", "status", "healthy", "state", "message")


def task_message(task: Task) -> str:
    """What a task's row says: its error when it has one, else the agent's own message."""
    if task.error is not None:
        return clip(task.error.message)
    return clip(task.state.message) if task.state else ""


def task_cells(task: Task) -> dict[str, str]:
    """Every column a task row may show, by column name."""
    return {
        "name": task.name,
        "id": task.id,
        "status": task.status,
        "healthy": "yes" if TaskStatus(task.status) is TaskStatus.ACTIVE else "no",
        "state": task.state.state if task.state else "-",
        "state changed": relative(task.state.timestamp if task.state else None),
        "message": task_message(task),
    }


def where(task: Task, docker_detail: str | None = None) -> str:
    """Where the task runs, said plainly; ``docker_detail`` says why Docker was not used."""
    ws = task.workspace
    if ws.provider == "docker":
        text = f"It runs in the Docker container taskyard-{task.id}"
    else:
        text = f"It runs as local processes in {ws.path or 'its workspace folder'}"
        if docker_detail:
            text += f" (Docker is not used: {docker_detail})"
    if ws.preview_url:
        text += f"; preview at {ws.preview_url}"
    return text + "."


def task_row(task: Task, columns: Sequence[str]) -> list[str]:
    cells = task_cells(task)
    return [cells[column] for column in columns]
