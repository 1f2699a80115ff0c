"""Exports a task's conversation and logs as a file's content (``taskyard/tasks/logs``).

Three formats:

``txt``
    Exactly what Coder's VS Code extension saves from "Download Logs": each message as
    ``[<time>] [input|output]``, a newline and its content, the entries joined by newlines.
    Like Coder's, it holds the conversation only.
``md``
    A readable transcript: title, metadata table, the prompt, the start-up log in a fence, then
    the conversation under ``### User`` / ``### Agent`` headings.
``jsonl``
    One JSON object per line, for tools: a ``task`` header, ``log`` lines, ``message`` lines.

Every text taken from the task passes through ``redact`` before it is formatted, so escaping
(Markdown, JSON) cannot hide a secret from the redactor. Documents are built as lists joined
once, so a 10,000-message task exports in tens of milliseconds.
"""

from __future__ import annotations

import datetime
import enum
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

__all__ = [
    "MIME_TYPES",
    "LogEntry",
    "LogExport",
    "LogFormat",
    "MessageEntry",
    "export",
    "file_name",
    "format_time",
]

LogFormat = Literal["txt", "md", "jsonl"]
MessageEntry = tuple[int, str, str, datetime.datetime]
"""(id, role, content, time); role is ``user`` or ``agent`` (a str enum works too)."""
LogEntry = tuple[datetime.datetime, str, str]
"""(time, stream, text); stream is ``build``, ``startup``, ``agent`` or ``system``."""
Redact = Callable[[str], str]

MIME_TYPES: Mapping[str, str] = {
    "txt": "text/plain",
    "md": "text/markdown",
    "jsonl": "application/jsonl",
}
TASK_FIELDS = ("id", "name", "display_name", "template", "status", "created_at", "prompt")
# Coder's export labels messages by direction as seen from the agent.
_TXT_TAGS = {"user": "input", "agent": "output"}
_MD_HEADINGS = {"user": "User", "agent": "Agent"}
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_BACKTICK_RUNS = re.compile(r"`{3,}")
# One encoder for all lines: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


class LogExport(NamedTuple):
    """An export, ready for the client to save."""

    file_name: str
    """Suggested file name: ``task-<name>-logs.<ext>``."""
    content: str
    """The whole document."""
    mime_type: str
    """MIME type of ``content``."""


def export(
    task: Mapping[str, Any],
    messages: Sequence[MessageEntry],
    logs: Sequence[LogEntry],
    fmt: LogFormat,
    redact: Redact,
) -> LogExport:
    """Render a task's conversation (and, except in ``txt``, its logs) in ``fmt``.

    ``task`` is a summary with the keys of ``TASK_FIELDS`` (missing ones are left out or
    empty). Naive datetimes are taken as UTC. Raises ValueError for an unknown format.
    """
    if fmt not in _RENDERERS:
        raise ValueError(f"unknown log format {fmt!r}: expected one of {sorted(_RENDERERS)}")
    content = _RENDERERS[fmt](task, messages, logs, redact)
    return LogExport(file_name(task, fmt), content, MIME_TYPES[fmt])


def file_name(task: Mapping[str, Any], fmt: str) -> str:
    """``task-<name>-logs.<fmt>``, with the id standing in for a missing name."""
    label = str(task.get("name") or task.get("id") or "unnamed")
    return f"task-{_UNSAFE_FILE_CHARS.sub('-', label).strip('-') or 'unnamed'}-logs.{fmt}"


def format_time(value: datetime.datetime) -> str:
    """The wire's RFC 3339 form: UTC, milliseconds, ``Z`` (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    # isoformat is several times faster than strftime, which counts with 10,000 messages.
    return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _scalar(value: Any) -> str:
    """A task field as text: datetimes in wire form, enums by value."""
    if isinstance(value, datetime.datetime):
        return format_time(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return "" if value is None else str(value)


def _render_txt(
    task: Mapping[str, Any],
    messages: Sequence[MessageEntry],
    logs: Sequence[LogEntry],
    redact: Redact,
) -> str:
    return "\n".join(
        f"[{format_time(time)}] [{_TXT_TAGS.get(role, role)}]\n{redact(content)}"
        for _, role, content, time in _normalised(messages)
    )


def _render_md(
    task: Mapping[str, Any],
    messages: Sequence[MessageEntry],
    logs: Sequence[LogEntry],
    redact: Redact,
) -> str:
    fields = {key: redact(_scalar(task.get(key))) for key in TASK_FIELDS}
    title = " ".join((fields["display_name"] or fields["name"] or fields["id"] or "Task").split())
    parts = [f"# {title}", _md_table(fields, len(messages))]
    if fields["prompt"]:
        parts += ["## Prompt", _blockquote(fields["prompt"])]
    if logs:
        parts += ["## Start-up log", _md_log(logs, redact)]
    parts.append("## Conversation")
    parts += _md_messages(messages, redact) or ["_No messages._"]
    return "\n\n".join(parts) + "\n"


def _md_table(fields: Mapping[str, str], message_count: int) -> str:
    rows = [
        ("Name", fields["name"]),
        ("ID", fields["id"]),
        ("Template", fields["template"]),
        ("Status", fields["status"]),
        ("Created", fields["created_at"]),
        ("Messages", str(message_count)),
    ]
    lines = ["| Field | Value |", "| --- | --- |"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in rows if value]
    return "\n".join(lines)


def _cell(value: str) -> str:
    # A pipe would end the cell and a newline the table.
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _blockquote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def _md_log(logs: Sequence[LogEntry], redact: Redact) -> str:
    body = "\n".join(f"{format_time(t)} [{_scalar(s)}] {redact(text)}" for t, s, text in logs)
    # The fence must be longer than any backtick run inside, or a log line could close it.
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def _md_messages(messages: Sequence[MessageEntry], redact: Redact) -> list[str]:
    return [
        # An empty message (an agent that has not answered yet) leaves no blank body behind.
        "\n\n".join(
            filter(
                None,
                (f"### {_MD_HEADINGS.get(role, role)}", f"*{format_time(time)}*", redact(content)),
            )
        )
        for _, role, content, time in _normalised(messages)
    ]


def _render_jsonl(
    task: Mapping[str, Any],
    messages: Sequence[MessageEntry],
    logs: Sequence[LogEntry],
    redact: Redact,
) -> str:
    header = {"type": "task"} | {
        key: redact(_scalar(task[key])) if task.get(key) is not None else None
        for key in TASK_FIELDS
    }
    lines = [_json(header)]
    lines += [
        _json({"type": "log", "time": format_time(t), "stream": _scalar(s), "text": redact(text)})
        for t, s, text in logs
    ]
    lines += [
        _json(
            {
                "type": "message",
                "id": mid,
                "role": role,
                "content": redact(content),
                "time": format_time(time),
            }
        )
        for mid, role, content, time in _normalised(messages)
    ]
    return "\n".join(lines) + "\n"


def _json(record: Mapping[str, Any]) -> str:
    return _ENCODER.encode(record)


def _normalised(messages: Sequence[MessageEntry]) -> list[MessageEntry]:
    """Messages with their role as a plain string (the wire's MessageRole is an enum)."""
    return [(mid, _scalar(role), content, time) for mid, role, content, time in messages]


_RENDERERS: Mapping[str, Callable[..., str]] = {
    "txt": _render_txt,
    "md": _render_md,
    "jsonl": _render_jsonl,
}
