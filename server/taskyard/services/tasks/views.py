"""Stored records as wire types: what the editor and the CLI see of a task."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from taskyard.protocol import (
    LogLine,
    Task,
    TaskError,
    TaskMessage,
    TaskState,
    WorkspaceInfo,
)
from taskyard.services.store import LogRecord, MessageRecord, TaskRecord

from .status import allowed_actions


def parse_time(text: Any) -> datetime:
    """An RFC 3339 time from the bridge (``...Z``) as an aware datetime; now when unreadable."""
    if isinstance(text, datetime):
        return text
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def task_view(record: TaskRecord) -> Task:
    state = None
    if record.state:
        state = TaskState(
            state=record.state["state"],
            message=record.state.get("message", ""),
            uri=record.state.get("uri"),
            timestamp=parse_time(record.state.get("timestamp")),
            source=record.state.get("source", "screen"),
        )
    ws = record.workspace
    error = (
        TaskError(kind=record.error["kind"], message=record.error["message"])
        if record.error
        else None
    )
    return Task(
        id=record.id,
        name=record.name,
        display_name=record.display_name,
        template=record.template,
        preset=record.preset,
        parameters=dict(record.parameters),
        prompt=record.prompt,
        status=record.status,  # type: ignore[arg-type]
        state=state,
        workspace=WorkspaceInfo(
            provider=ws.get("provider", "local"),
            id=ws.get("id"),
            status=ws.get("status", "pending"),
            path=ws.get("path"),
            preview_url=ws.get("preview_url"),
        ),
        agent_type=record.agent_type,
        created_at=record.created_at,
        updated_at=record.updated_at,
        actions=allowed_actions(record.status, state.state if state else None),
        error=error,
    )


def message_view(record: MessageRecord) -> TaskMessage:
    return TaskMessage(id=record.id, role=record.role, content=record.content, time=record.time)


def log_view(record: LogRecord) -> LogLine:
    return LogLine(time=record.time, stream=record.stream, text=record.text)
