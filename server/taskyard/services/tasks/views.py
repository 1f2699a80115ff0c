"""Stored records as wire types: what the editor and the CLI see of a task.

The status and the allowed actions come from the lifecycle table, never from rules of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from taskyard.lifecycle import Facts, allowed_actions
from taskyard.protocol import Task, TaskActions, TaskError, TaskMessage, TaskState, WorkspaceInfo
from taskyard.services.store import MessageRecord, TaskRecord


def parse_time(text: Any) -> datetime:
    """An RFC 3339 time from the bridge (``...Z``) as an aware datetime; now when unreadable."""
    if isinstance(text, datetime):
        return text
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def facts_of(record: TaskRecord) -> Facts:
    """What the table's guards look at in a record."""
    return Facts(status=record.status, agent=record.state, made=record.workspace.made)


def task_view(record: TaskRecord) -> Task:
    agent, ws = record.state, record.workspace
    state = None
    if agent is not None:
        state = TaskState(
            state=agent.state.value,
            message=agent.message,
            uri=agent.uri,
            timestamp=agent.timestamp,
            source=agent.source.value,
        )
    error = None
    if record.error is not None:
        error = TaskError(kind=record.error.kind, message=record.error.message)  # type: ignore[arg-type]
    actions = allowed_actions(ws.phase, facts_of(record))
    return Task(
        id=record.id,
        name=record.name,
        display_name=record.display_name,
        template=record.template,
        preset=record.preset,
        parameters=dict(record.parameters),
        prompt=record.prompt,
        status=record.status.value,
        state=state,
        workspace=WorkspaceInfo(
            provider=ws.provider.value,
            id=ws.provider_id if ws.made else None,
            status=ws.phase.value,
            path=ws.path,
            preview_url=ws.preview_url,
        ),
        agent_type=record.agent_type,
        created_at=record.created_at,
        updated_at=record.updated_at,
        actions=TaskActions(**{action.value: allowed for action, allowed in actions.items()}),
        error=error,
    )


def message_view(record: MessageRecord) -> TaskMessage:
    return TaskMessage(id=record.id, role=record.role, content=record.content, time=record.time)
