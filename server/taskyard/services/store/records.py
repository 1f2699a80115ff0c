"""The task store's records and their conversion to and from SQLite rows.

:class:`TaskRecord`, :class:`MessageRecord`, :class:`LogRecord`, :class:`StateRecord`,
:class:`Snapshot` and :class:`Change` are what :class:`~.store.TaskStore` takes and returns
(import them from :mod:`.store`). The functions below encode records for :mod:`.store_sql`:
times as ISO 8601 UTC text with milliseconds (which sorts as text), JSON fields with
``json.dumps``, task names also as their ``casefold()`` for case-insensitive uniqueness.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast

import attrs
import cattrs

from taskyard.lifecycle import AgentReport, TaskFailure, TaskStatus, WorkspaceRecord

from . import sql
from .schema import InvalidCursor

T = TypeVar("T")
MessageRole = Literal["user", "agent"]
LogStream = Literal["build", "startup", "agent", "system"]
ChangeKind = Literal["created", "updated", "deleted", "message", "log"]


@attrs.define(kw_only=True)
class TaskRecord:
    """Everything the store keeps about one task."""

    id: str
    """Stable identifier chosen by the caller."""
    name: str
    """Unique among tasks that are not deleted, ignoring case."""
    display_name: str
    """What the editor shows."""
    template: str
    """Id of the template the task was made from."""
    preset: str | None = None
    """The template preset chosen, if any."""
    parameters: dict[str, str] = attrs.Factory(dict)
    """Template parameter values (never secrets: those stay in the secret store)."""
    prompt: str = ""
    """The initial prompt for the agent."""
    status: TaskStatus
    """The task's status as last derived (kept for listing and filtering)."""
    state: AgentReport | None = None
    """The agent's last reported state."""
    workspace: WorkspaceRecord
    """The workspace: its phase (also a column of its own), provider and provider data."""
    agent_type: str = ""
    """Which agent runs in the workspace."""
    created_at: datetime
    """Aware UTC; tasks list newest first by this."""
    updated_at: datetime
    """Aware UTC; :meth:`TaskStore.update_task` sets it from the store's clock."""
    error: TaskFailure | None = None
    """The failure that stopped the task, if any."""
    initial_prompt_sent: bool = False
    """Whether the agent has received ``prompt``."""
    deleted: bool = False
    """Soft-deleted: hidden from lists and name look-ups, its name free for reuse."""


@attrs.define
class MessageRecord:
    """One message of a task's conversation with its agent."""

    task_id: str
    """The task the message belongs to."""
    id: int
    """The agent's own index of the message; unique per task."""
    role: MessageRole
    """Who wrote it."""
    content: str
    """The text."""
    time: datetime
    """When it was written (aware UTC)."""


@attrs.define
class LogRecord:
    """One line of a task's log."""

    task_id: str
    """The task the line belongs to."""
    seq: int
    """Position in the task's log: 1, 2, …"""
    time: datetime
    """When the line was produced (aware UTC)."""
    stream: LogStream
    """Which part of the task produced it."""
    text: str
    """The line, without its newline."""


@attrs.define
class StateRecord:
    """One entry of a task's agent state history."""

    task_id: str
    """The task the entry belongs to."""
    seq: int
    """Position in the task's history: 1, 2, …"""
    time: datetime
    """When the agent entered the state (aware UTC)."""
    state: str
    """The agent state, such as ``running`` or ``stable``."""
    message: str
    """A human-readable detail."""
    source: str
    """Who reported it (the bridge, the sidecar, …)."""


@attrs.define
class Snapshot:
    """The newest part of a conversation, kept for when the workspace is gone."""

    task_id: str
    """The task the snapshot belongs to."""
    messages: list[MessageRecord]
    """Oldest first; at most ``SNAPSHOT_BUDGET`` bytes of JSON."""
    taken_at: datetime
    """When the messages were read from the agent (aware UTC)."""


@attrs.define(frozen=True)
class Change:
    """One entry of the cross-process change feed."""

    seq: int
    """Increasing across all processes; never reused."""
    task_id: str
    """The task that changed."""
    kind: ChangeKind
    """What changed: the task itself, its messages (or snapshot) or its log."""


# --- records ↔ rows: TaskStore decodes on its worker thread, so reading never costs the loop ---


def iso_time(time: datetime) -> str:
    """Encode an aware datetime as ISO 8601 UTC text with milliseconds (``…T12:00:00.000Z``)."""
    if time.tzinfo is None:
        raise ValueError(f"naive datetime {time!r}: the store keeps aware UTC times")
    return time.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_time(text: str) -> datetime:
    """Decode :func:`iso_time` text into an aware UTC datetime."""
    return datetime.fromisoformat(text)


_records = cattrs.Converter()
_records.register_unstructure_hook(datetime, iso_time)
_records.register_structure_hook(datetime, lambda v, _: _any_time(v))


def _any_time(value: Any) -> datetime:
    # States written before version 2 carry the bridge's RFC 3339 text (``…Z``, microseconds).
    time = datetime.fromisoformat(str(value))
    return time if time.tzinfo else time.replace(tzinfo=UTC)


def _json_or_none(value: object) -> str | None:
    return None if value is None else json.dumps(_records.unstructure(value))


def _workspace_json(workspace: WorkspaceRecord) -> str:
    # The phase has a column of its own; the JSON holds the rest.
    fields = _records.unstructure(workspace)
    del fields["phase"]
    return json.dumps(fields)


def task_row(record: TaskRecord) -> dict[str, Any]:
    """The ``tasks`` row for a record, every column encoded."""
    columns = set(sql.TASK_COLUMNS) - {"name_key", "phase"}
    row = {name: getattr(record, name) for name in columns}
    return _encode_task_values(row) | {
        "name_key": record.name.casefold(),
        "phase": record.workspace.phase.value,
    }


def task_update(fields: dict[str, Any]) -> dict[str, Any]:
    """Encode ``update_task`` keyword arguments as column values; refuse unknown fields."""
    allowed = sql.UPDATABLE_COLUMNS - {"name_key", "phase"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}; allowed: {sorted(allowed)}")
    values = _encode_task_values(dict(fields))
    if "name" in fields:
        values["name_key"] = fields["name"].casefold()
    if "workspace" in fields:
        values["phase"] = fields["workspace"].phase.value
    return values


_TASK_ENCODERS: dict[str, Callable[[Any], object]] = {
    "parameters": json.dumps,
    "status": lambda status: TaskStatus(status).value,
    "workspace": _workspace_json,
    "state": _json_or_none,
    "error": _json_or_none,
    "created_at": iso_time,
    "updated_at": iso_time,
    "initial_prompt_sent": bool,
    "deleted": bool,
}


def _encode_task_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _TASK_ENCODERS.get(k, _same)(v) for k, v in values.items()}


def _same(value: T) -> T:
    return value


def task_from_row(row: sqlite3.Row) -> TaskRecord:
    """Decode a ``tasks`` row."""
    return TaskRecord(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        template=row["template"],
        preset=row["preset"],
        parameters=json.loads(row["parameters"]),
        prompt=row["prompt"],
        status=TaskStatus(row["status"]),
        state=_structure_or_none(row["state"], AgentReport),
        workspace=_records.structure(
            {**json.loads(row["workspace"]), "phase": row["phase"]}, WorkspaceRecord
        ),
        agent_type=row["agent_type"],
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
        error=_structure_or_none(row["error"], TaskFailure),
        initial_prompt_sent=bool(row["initial_prompt_sent"]),
        deleted=bool(row["deleted"]),
    )


def _structure_or_none(text: str | None, kind: type[T]) -> T | None:
    return None if text is None else _records.structure(json.loads(text), kind)


def maybe(decode: Callable[[sqlite3.Row], T], row: sqlite3.Row | None) -> T | None:
    """``decode(row)``, or None when there is no row."""
    return None if row is None else decode(row)


def message_from_row(
    row: sqlite3.Row | dict[str, Any], task_id: str | None = None
) -> MessageRecord:
    """Decode a ``messages`` row, or a snapshot item (which needs ``task_id``)."""
    role = cast(MessageRole, row["role"])
    owner = task_id if task_id is not None else row["task_id"]
    return MessageRecord(owner, row["id"], role, row["content"], parse_time(row["time"]))


def message_json(message: MessageRecord) -> dict[str, Any]:
    """A message as stored in a snapshot's JSON (the task id is the snapshot's)."""
    return {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "time": iso_time(message.time),
    }


def state_from_row(row: sqlite3.Row) -> StateRecord:
    """Decode a ``state_history`` row."""
    time = parse_time(row["time"])
    return StateRecord(
        row["task_id"], row["seq"], time, row["state"], row["message"], row["source"]
    )


def log_from_row(row: sqlite3.Row) -> LogRecord:
    """Decode a ``logs`` row."""
    stream = cast(LogStream, row["stream"])
    return LogRecord(row["task_id"], row["seq"], parse_time(row["time"]), stream, row["text"])


def snapshot_from_row(row: sqlite3.Row) -> Snapshot:
    """Decode a ``snapshots`` row, messages included."""
    task_id = row["task_id"]
    items = [message_from_row(item, task_id) for item in json.loads(row["messages"])]
    return Snapshot(task_id, items, parse_time(row["taken_at"]))


def change_from_row(row: sqlite3.Row) -> Change:
    """Decode a ``changes`` row."""
    return Change(row["seq"], row["task_id"], cast(ChangeKind, row["kind"]))


def encode_cursor(last: TaskRecord) -> str:
    """An opaque cursor pointing just past ``last`` in newest-first order."""
    key = json.dumps([iso_time(last.created_at), last.id]).encode()
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The ``(created_at, id)`` key inside a cursor; :class:`InvalidCursor` if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, task_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor(f"not a task list cursor: {cursor!r}") from exc
    if not isinstance(created_at, str) or not isinstance(task_id, str):
        raise InvalidCursor(f"not a task list cursor: {cursor!r}")
    return created_at, task_id
