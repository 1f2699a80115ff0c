"""The task store's queries, run on its worker thread.

Each function takes the store's one connection and values that :mod:`.store` has already
encoded: ISO 8601 text for times, JSON text for JSON columns. Rows come back as
:class:`sqlite3.Row`. Every write runs in one transaction that also appends a row to the
``changes`` feed, so another process never sees a write without its change, or the reverse.
Reads of unknown tasks return nothing; writes to unknown tasks raise :class:`TaskNotFoundError`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .schema import (
    NameConflictError,
    PhaseChanged,
    StoreError,
    TaskNotFoundError,
    read_transaction,
    write_transaction,
)

TASK_COLUMNS = (
    "id",
    "name",
    "name_key",
    "display_name",
    "template",
    "preset",
    "parameters",
    "prompt",
    "status",
    "phase",
    "state",
    "workspace",
    "agent_type",
    "created_at",
    "updated_at",
    "error",
    "initial_prompt_sent",
    "deleted",
)
UPDATABLE_COLUMNS = frozenset(TASK_COLUMNS) - {"id", "created_at", "updated_at"}

SNAPSHOT_BUDGET = 64 * 1024
"""Most bytes a snapshot's JSON array of messages may take."""

TRUNCATION_MARKER = "…[truncated]…"
"""Leads the kept tail of a message too large for a snapshot on its own."""

_NEWEST_FIRST = "ORDER BY created_at DESC, id DESC"


# --- tasks ---------------------------------------------------------------------------------


def insert_task(conn: sqlite3.Connection, row: Mapping[str, Any], now: str) -> None:
    """Insert an encoded task row; its name must be free unless the task is deleted."""
    with write_transaction(conn):
        if not row["deleted"]:
            _ensure_name_free(conn, row["name"], row["name_key"], row["id"])
        if _task_row(conn, row["id"]) is not None:
            raise StoreError(f"a task with id {row['id']!r} already exists")
        placeholders = ", ".join(f":{column}" for column in TASK_COLUMNS)
        conn.execute(f"INSERT INTO tasks ({', '.join(TASK_COLUMNS)}) VALUES ({placeholders})", row)
        _record_change(conn, row["id"], "created", now)


def update_task(
    conn: sqlite3.Connection,
    task_id: str,
    values: Mapping[str, Any],
    now: str,
    expect: Collection[str] | None = None,
) -> sqlite3.Row:
    """Set some columns of a task and its ``updated_at``; return the new row.

    With ``expect``, only while the task's phase is one of those (compare and set, under the
    write lock, so two processes can never both move a task out of the same phase).
    """
    unknown = set(values) - UPDATABLE_COLUMNS
    if unknown:
        raise ValueError(f"cannot update task columns {sorted(unknown)}")
    with write_transaction(conn):
        old = _require_task(conn, task_id)
        if expect is not None and (old["deleted"] or old["phase"] not in expect):
            raise PhaseChanged(task_id, "deleted" if old["deleted"] else old["phase"])
        merged = {**dict(old), **values}
        if not merged["deleted"]:
            _ensure_name_free(conn, merged["name"], merged["name_key"], task_id)
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        conn.execute(
            f"UPDATE tasks SET {assignments}, updated_at = :updated_at WHERE id = :id",
            {**values, "updated_at": now, "id": task_id},
        )
        # A soft delete reads as a deletion to watchers: the task leaves every list.
        kind = "deleted" if merged["deleted"] and not old["deleted"] else "updated"
        _record_change(conn, task_id, kind, now)
        return _require_task(conn, task_id)


def get_task(conn: sqlite3.Connection, id_or_name: str, name_key: str) -> sqlite3.Row | None:
    """The task with this id, else the live task with this name (``name_key`` is its fold)."""
    row = _task_row(conn, id_or_name)
    if row is not None:
        return row
    return conn.execute(  # type: ignore[no-any-return]
        "SELECT * FROM tasks WHERE name_key = ? AND deleted = 0", (name_key,)
    ).fetchone()


def list_tasks(
    conn: sqlite3.Connection,
    *,
    statuses: Sequence[str] | None,
    template: str | None,
    include_deleted: bool,
    limit: int,
    after: tuple[str, str] | None,
) -> tuple[list[sqlite3.Row], int]:
    """A page of matching tasks, newest first, after the ``(created_at, id)`` key; and the total."""
    where, params = _task_filters(statuses, template, include_deleted)
    page_where, page_params = list(where), list(params)
    if after is not None:
        # Keyset pagination: id breaks created_at ties, so equal timestamps never repeat or skip.
        page_where.append("(created_at, id) < (?, ?)")
        page_params.extend(after)
    with read_transaction(conn):
        (total,) = conn.execute(f"SELECT COUNT(*) FROM tasks {_where(where)}", params).fetchone()
        rows = conn.execute(
            f"SELECT * FROM tasks {_where(page_where)} {_NEWEST_FIRST} LIMIT ?",
            [*page_params, limit],
        ).fetchall()
    return rows, int(total)


def tasks_in_phases(conn: sqlite3.Connection, phases: Sequence[str]) -> list[sqlite3.Row]:
    """Live tasks in any of these phases (by the phase index), oldest first."""
    marks = ", ".join("?" * len(phases))
    return conn.execute(
        f"SELECT * FROM tasks WHERE phase IN ({marks}) AND deleted = 0 ORDER BY created_at, id",
        tuple(phases),
    ).fetchall()


def delete_task(
    conn: sqlite3.Connection, task_id: str, now: str, expect: Collection[str] | None = None
) -> None:
    """Remove a task and, through the foreign keys, every row that belongs to it.

    With ``expect``, only while its phase is one of those (compare and set).
    """
    with write_transaction(conn):
        if expect is not None:
            old = _require_task(conn, task_id)
            if old["phase"] not in expect:
                raise PhaseChanged(task_id, old["phase"])
        if conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,)).rowcount == 0:
            raise TaskNotFoundError(task_id)
        _record_change(conn, task_id, "deleted", now)


def _task_filters(
    statuses: Sequence[str] | None, template: str | None, include_deleted: bool
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if statuses is not None:
        # An empty list matches nothing, as "status is one of []" should.
        where.append(f"status IN ({', '.join('?' * len(statuses))})" if statuses else "0")
        params.extend(statuses)
    if template is not None:
        where.append("template = ?")
        params.append(template)
    if not include_deleted:
        where.append("deleted = 0")
    return where, params


def _where(conditions: Sequence[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def _task_row(conn: sqlite3.Connection, task_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()  # type: ignore[no-any-return]


def _require_task(conn: sqlite3.Connection, task_id: str) -> sqlite3.Row:
    row = _task_row(conn, task_id)
    if row is None:
        raise TaskNotFoundError(task_id)
    return row


def _ensure_name_free(conn: sqlite3.Connection, name: str, name_key: str, task_id: str) -> None:
    clash = conn.execute(
        "SELECT 1 FROM tasks WHERE name_key = ? AND deleted = 0 AND id != ?", (name_key, task_id)
    ).fetchone()
    if clash is not None:
        raise NameConflictError(name)


# --- messages, states, logs, snapshots ---------------------------------------------------


def upsert_messages(
    conn: sqlite3.Connection, task_id: str, rows: Sequence[tuple[int, str, str, str]], now: str
) -> None:
    """Insert ``(id, role, content, time)`` rows, replacing those with the same id."""
    with write_transaction(conn):
        _require_task(conn, task_id)
        conn.executemany(
            "INSERT INTO messages (task_id, id, role, content, time) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (task_id, id) DO UPDATE SET "
            "role = excluded.role, content = excluded.content, time = excluded.time",
            [(task_id, *row) for row in rows],
        )
        if rows:
            _record_change(conn, task_id, "message", now)


def messages(conn: sqlite3.Connection, task_id: str, after: int | None) -> list[sqlite3.Row]:
    """A task's messages in id order, only those with an id above ``after`` if given."""
    return conn.execute(
        "SELECT * FROM messages WHERE task_id = ? AND id > ? ORDER BY id",
        (task_id, -(2**63) if after is None else after),
    ).fetchall()


def append_state(
    conn: sqlite3.Connection, task_id: str, entry: tuple[str, str, str, str], now: str
) -> int:
    """Append a ``(time, state, message, source)`` entry to a task's history; return its seq."""
    with write_transaction(conn):
        _require_task(conn, task_id)
        seq = _next_seq(conn, "state_history", task_id)
        conn.execute(
            "INSERT INTO state_history (task_id, seq, time, state, message, source) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (task_id, seq, *entry),
        )
        _record_change(conn, task_id, "updated", now)
        return seq


def state_history(conn: sqlite3.Connection, task_id: str) -> list[sqlite3.Row]:
    """A task's state history, oldest first."""
    return conn.execute(
        "SELECT * FROM state_history WHERE task_id = ? ORDER BY seq", (task_id,)
    ).fetchall()


def append_logs(
    conn: sqlite3.Connection, task_id: str, entries: Sequence[tuple[str, str, str]], now: str
) -> int:
    """Append ``(time, stream, text)`` lines in one transaction; return the first line's seq."""
    with write_transaction(conn):
        _require_task(conn, task_id)
        first = _next_seq(conn, "logs", task_id)
        conn.executemany(
            "INSERT INTO logs (task_id, seq, time, stream, text) VALUES (?, ?, ?, ?, ?)",
            [(task_id, first + i, *entry) for i, entry in enumerate(entries)],
        )
        if entries:
            _record_change(conn, task_id, "log", now)
        return first


def logs(conn: sqlite3.Connection, task_id: str, after: int | None) -> list[sqlite3.Row]:
    """A task's log lines in order, only those with a seq above ``after`` if given."""
    return conn.execute(
        "SELECT * FROM logs WHERE task_id = ? AND seq > ? ORDER BY seq",
        (task_id, 0 if after is None else after),
    ).fetchall()


def _next_seq(conn: sqlite3.Connection, table: str, task_id: str) -> int:
    # Safe inside the write transaction: no other writer can take the same number.
    (last,) = conn.execute(
        f"SELECT COALESCE(MAX(seq), 0) FROM {table} WHERE task_id = ?", (task_id,)
    ).fetchone()
    return int(last) + 1


def save_snapshot(
    conn: sqlite3.Connection,
    task_id: str,
    messages: Sequence[dict[str, Any]],
    taken_at: str,
    now: str,
) -> list[dict[str, Any]]:
    """Store (replacing any previous one) a trimmed snapshot; return the messages kept."""
    kept = trim_snapshot(messages)
    with write_transaction(conn):
        _require_task(conn, task_id)
        conn.execute(
            "INSERT OR REPLACE INTO snapshots (task_id, messages, taken_at) VALUES (?, ?, ?)",
            (task_id, _dumps(kept), taken_at),
        )
        _record_change(conn, task_id, "message", now)
    return kept


def snapshot(conn: sqlite3.Connection, task_id: str) -> sqlite3.Row | None:
    """A task's snapshot row (``messages`` is JSON text), if one was saved."""
    return conn.execute(  # type: ignore[no-any-return]
        "SELECT * FROM snapshots WHERE task_id = ?", (task_id,)
    ).fetchone()


def trim_snapshot(
    messages: Sequence[dict[str, Any]], budget: int = SNAPSHOT_BUDGET
) -> list[dict[str, Any]]:
    """Keep the newest messages whose JSON array fits in ``budget`` bytes, dropping the oldest.

    When the newest message alone is too large, keep its tail behind :data:`TRUNCATION_MARKER`.
    """
    kept: list[dict[str, Any]] = []
    used = 1  # "[" and "]", less the comma the last element does not need
    for message in reversed(messages):
        size = _json_size(message) + 1
        if used + size > budget:
            break
        kept.append(message)
        used += size
    if not kept and messages:
        kept.append(_tail(messages[-1], budget - 2))
    kept.reverse()
    return kept


def _tail(message: dict[str, Any], budget: int) -> dict[str, Any]:
    content: str = message["content"]
    # Binary search for the longest tail that fits: JSON escapes and UTF-8 make bytes per
    # character vary, but the size grows with the tail, and no tail fits more characters
    # than the budget has bytes.
    low, high = 0, min(len(content), budget)
    while low < high:
        middle = (low + high + 1) // 2
        if _json_size(_with_tail(message, middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    return _with_tail(message, low)


def _with_tail(message: dict[str, Any], keep: int) -> dict[str, Any]:
    content: str = message["content"]
    tail = content[len(content) - keep :] if keep else ""
    return {**message, "content": TRUNCATION_MARKER + tail}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_size(value: Any) -> int:
    return len(_dumps(value).encode())


# --- change feed ---------------------------------------------------------------------------


def _record_change(conn: sqlite3.Connection, task_id: str, kind: str, now: str) -> None:
    conn.execute("INSERT INTO changes (task_id, kind, time) VALUES (?, ?, ?)", (task_id, kind, now))


def changes_since(conn: sqlite3.Connection, seq: int) -> list[sqlite3.Row]:
    """Changes with a seq above ``seq``, in order."""
    return conn.execute("SELECT * FROM changes WHERE seq > ? ORDER BY seq", (seq,)).fetchall()


def latest_seq(conn: sqlite3.Connection) -> int:
    """The last seq ever handed out (still right after old changes were pruned)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return 0 if row is None else int(row[0])


def prune_changes(conn: sqlite3.Connection, before: str) -> int:
    """Forget changes older than ``before``; return how many went."""
    with write_transaction(conn):
        return conn.execute("DELETE FROM changes WHERE time < ?", (before,)).rowcount
