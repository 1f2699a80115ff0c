"""The task store: everything about every task, in one SQLite file shared by sidecar and CLI.

:class:`TaskStore` is an async facade. Every query runs on one dedicated worker thread that owns
the connection, so the event loop never waits on disk and sqlite3's one-thread-per-connection
rule holds. The file may be open in several processes at once (the sidecar and a CLI run). Each
write also appends to a ``changes`` table in the same transaction, and
:meth:`TaskStore.watch_changes` turns file-system events on the database into those changes:
that is how a task created by the CLI appears in the editor within a second, without polling.

This module is the public face: import records and errors from here. The records and their row
encoding live in :mod:`.store_records`, the schema and migrations in :mod:`.store_schema`, the
SQL in :mod:`.store_sql`. Times are aware UTC datetimes stored as ISO 8601 text with
milliseconds, so a record read back has millisecond precision. Nothing secret belongs here:
callers redact before storing.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import watchfiles

from taskyard.lifecycle import Phase

from . import sql
from .records import (
    Change,
    ChangeKind,
    LogRecord,
    LogStream,
    MessageRecord,
    MessageRole,
    Snapshot,
    StateRecord,
    TaskRecord,
    change_from_row,
    decode_cursor,
    encode_cursor,
    iso_time,
    log_from_row,
    maybe,
    message_from_row,
    message_json,
    parse_time,
    snapshot_from_row,
    state_from_row,
    task_from_row,
    task_row,
    task_update,
)
from .schema import (
    InvalidCursor,
    NameConflictError,
    PhaseChanged,
    StoreError,
    TaskNotFoundError,
    open_connection,
)
from .sql import SNAPSHOT_BUDGET, TRUNCATION_MARKER

__all__ = [
    "SNAPSHOT_BUDGET",
    "TRUNCATION_MARKER",
    "Change",
    "ChangeKind",
    "Clock",
    "InvalidCursor",
    "LogEntry",
    "LogRecord",
    "LogStream",
    "MessageRecord",
    "MessageRole",
    "NameConflictError",
    "PhaseChanged",
    "Snapshot",
    "StateRecord",
    "StoreError",
    "TaskNotFoundError",
    "TaskRecord",
    "TaskStore",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], datetime]
"""Returns the current aware UTC time."""
LogEntry = tuple[datetime, LogStream, str]
"""One log line to append: ``(time, stream, text)``."""
ChangeCallback = Callable[[list[Change]], Awaitable[None] | None]
"""Receives each batch of new changes; may be a coroutine function."""

CHANGE_RETENTION = timedelta(hours=1)
"""How long the change feed remembers; a watcher further behind should reload everything."""

_WATCH_DEBOUNCE_MS = 50


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TaskStore:
    """Async access to the task database at ``path``; see the module docstring.

    Parameters
    ----------
    path:
        The database file, normally ``$XDG_DATA_HOME/taskyard/taskyard.db``.
    clock:
        Returns the current aware UTC time; ``updated_at`` and the change feed use it.
    """

    def __init__(self, path: Path, *, clock: Clock = _utc_now) -> None:
        self.path = path
        """The database file."""
        self._clock = clock
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    async def __aenter__(self) -> TaskStore:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Create the file and folders if needed, migrate the schema and prune old changes."""
        if self._executor is not None:
            raise StoreError("the store is already open")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="taskyard-store")
        try:
            self._conn = await self._submit(lambda: open_connection(self.path))
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise
        cutoff = iso_time(self._clock() - CHANGE_RETENTION)
        await self._run(lambda c: sql.prune_changes(c, cutoff))

    async def close(self) -> None:
        """Close the connection once queued queries have run; a closed store may be reopened."""
        executor, conn = self._executor, self._conn
        self._executor = self._conn = None
        if executor is None:
            return
        try:
            if conn is not None:
                await asyncio.get_running_loop().run_in_executor(executor, conn.close)
        finally:
            # The close job ran last, so the thread is idle and exits without being waited for.
            executor.shutdown(wait=False)

    # --- tasks ---------------------------------------------------------------------------

    async def insert_task(self, record: TaskRecord) -> None:
        """Add a task; raise :class:`NameConflictError` if a live task has its name in any case."""
        row, now = task_row(record), self._now()
        await self._run(lambda c: sql.insert_task(c, row, now))

    async def update_task(
        self, task_id: str, *, expect: Collection[Phase] | None = None, **fields: Any
    ) -> TaskRecord:
        """Change some fields of a task, bump ``updated_at`` and return the task as stored.

        Every :class:`TaskRecord` field but ``id``, ``created_at`` and ``updated_at`` may be set.
        With ``expect``, the change is made only while the task's phase is one of those, in the
        same transaction (:class:`PhaseChanged` otherwise). Raises :class:`TaskNotFoundError`, or
        :class:`NameConflictError` when a rename (or an undelete) would clash with a live task.
        """
        values, now = task_update(fields), self._now()
        phases = None if expect is None else {p.value for p in expect}
        return await self._run(
            lambda c: task_from_row(sql.update_task(c, task_id, values, now, phases))
        )

    async def tasks_in_phases(self, phases: Collection[Phase]) -> list[TaskRecord]:
        """Live tasks in any of these phases, oldest first (start-up reconciles these)."""
        wanted = sorted(p.value for p in phases)
        return await self._run(lambda c: [task_from_row(r) for r in sql.tasks_in_phases(c, wanted)])

    async def get_task(self, id_or_name: str) -> TaskRecord | None:
        """The task with this id (even if soft-deleted), else the live task with this name."""
        key = id_or_name.casefold()
        return await self._run(lambda c: maybe(task_from_row, sql.get_task(c, id_or_name, key)))

    async def list_tasks(
        self,
        status: Sequence[str] | None = None,
        template: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        *,
        include_deleted: bool = False,
    ) -> tuple[list[TaskRecord], int, str | None]:
        """One page of tasks, newest first: ``(tasks, total matching, next cursor or None)``.

        Pass the returned cursor back (with the same filters) for the next page; pages never
        repeat or skip a task, even among tasks created in the same millisecond.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = None if cursor is None else decode_cursor(cursor)
        statuses = None if status is None else tuple(status)

        def job(c: sqlite3.Connection) -> tuple[list[TaskRecord], int]:
            rows, total = sql.list_tasks(
                c,
                statuses=statuses,
                template=template,
                include_deleted=include_deleted,
                limit=limit + 1,  # one more than asked tells whether a next page exists
                after=after,
            )
            return [task_from_row(row) for row in rows], total

        tasks, total = await self._run(job)
        more = len(tasks) > limit
        tasks = tasks[:limit]
        return tasks, total, encode_cursor(tasks[-1]) if more else None

    async def delete_task(self, task_id: str, *, expect: Collection[Phase] | None = None) -> None:
        """Remove a task and all its rows; raise :class:`TaskNotFoundError` if there is none.

        With ``expect``, only while its phase is one of those (:class:`PhaseChanged` otherwise).
        """
        now = self._now()
        phases = None if expect is None else {p.value for p in expect}
        await self._run(lambda c: sql.delete_task(c, task_id, now, phases))

    # --- messages, states, logs, snapshots -----------------------------------------------

    async def upsert_messages(self, task_id: str, messages: Sequence[MessageRecord]) -> None:
        """Insert messages in one transaction, replacing those with the same ``id``."""
        rows = [(m.id, m.role, m.content, iso_time(m.time)) for m in messages]
        now = self._now()
        await self._run(lambda c: sql.upsert_messages(c, task_id, rows, now))

    async def messages(self, task_id: str, after: int | None = None) -> list[MessageRecord]:
        """A task's messages by id, only those with an id above ``after`` if given."""
        return await self._run(
            lambda c: [message_from_row(r) for r in sql.messages(c, task_id, after)]
        )

    async def append_state(
        self, task_id: str, state: str, message: str, source: str, time: datetime | None = None
    ) -> StateRecord:
        """Add an entry to a task's state history (``time`` defaults to now) and return it."""
        when = iso_time(time or self._clock())
        now = self._now()
        seq = await self._run(
            lambda c: sql.append_state(c, task_id, (when, state, message, source), now)
        )
        return StateRecord(task_id, seq, parse_time(when), state, message, source)

    async def state_history(self, task_id: str) -> list[StateRecord]:
        """A task's state history, oldest first."""
        return await self._run(lambda c: [state_from_row(r) for r in sql.state_history(c, task_id)])

    async def append_logs(self, task_id: str, entries: Sequence[LogEntry]) -> int:
        """Append log lines in one transaction; return the seq of the first one."""
        rows = [(iso_time(time), stream, text) for time, stream, text in entries]
        now = self._now()
        return await self._run(lambda c: sql.append_logs(c, task_id, rows, now))

    async def logs(self, task_id: str, after: int | None = None) -> list[LogRecord]:
        """A task's log lines in order, only those with a seq above ``after`` if given."""
        return await self._run(lambda c: [log_from_row(r) for r in sql.logs(c, task_id, after)])

    async def save_snapshot(
        self, task_id: str, messages: Sequence[MessageRecord], taken_at: datetime
    ) -> Snapshot:
        """Replace a task's snapshot with the newest messages that fit; return what was kept."""
        items = [message_json(m) for m in messages]
        taken, now = iso_time(taken_at), self._now()
        kept = await self._run(lambda c: sql.save_snapshot(c, task_id, items, taken, now))
        return Snapshot(task_id, [message_from_row(m, task_id) for m in kept], parse_time(taken))

    async def snapshot(self, task_id: str) -> Snapshot | None:
        """A task's last saved snapshot, if any."""
        return await self._run(lambda c: maybe(snapshot_from_row, sql.snapshot(c, task_id)))

    # --- change feed -----------------------------------------------------------------------

    async def changes_since(self, seq: int) -> list[Change]:
        """Changes after ``seq`` (from every process), oldest first."""
        return await self._run(lambda c: [change_from_row(r) for r in sql.changes_since(c, seq)])

    async def latest_seq(self) -> int:
        """The seq of the newest change; 0 for a new database."""
        return await self._run(sql.latest_seq)

    async def watch_changes(
        self, callback: ChangeCallback, stop_event: asyncio.Event, *, since: int | None = None
    ) -> None:
        """Call ``callback`` with each batch of new changes until ``stop_event`` is set.

        Starts after ``since`` (default: the newest change now). Batches include this process's
        own writes; the caller filters them. ``callback`` may be sync or async; its exceptions
        are logged and watching goes on. Set ``stop_event`` (and await this) before
        :meth:`close`.
        """
        last = await self.latest_seq() if since is None else since
        wake = asyncio.Event()
        pump = asyncio.create_task(self._pump_file_events(wake, stop_event))
        # One turn of the loop lets the pump arm its watcher (awatch does that synchronously on
        # the first step); the catch-up read below then covers commits made before it.
        await asyncio.sleep(0)
        wake.set()
        try:
            while True:
                await wake.wait()
                wake.clear()
                if pump.done():
                    pump.result()  # re-raise a watcher failure; otherwise stop_event was set
                    return
                last = await self._deliver(callback, last)
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    async def _pump_file_events(self, wake: asyncio.Event, stop_event: asyncio.Event) -> None:
        names = {self.path.name, f"{self.path.name}-wal", f"{self.path.name}-shm"}
        try:
            async for _ in watchfiles.awatch(
                self.path.parent,
                watch_filter=lambda _change, path: Path(path).name in names,
                debounce=_WATCH_DEBOUNCE_MS,
                stop_event=stop_event,
                recursive=False,
            ):
                wake.set()
        finally:
            wake.set()

    async def _deliver(self, callback: ChangeCallback, last: int) -> int:
        changes = await self.changes_since(last)
        if not changes:
            return last
        try:
            result = callback(changes)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("change feed callback failed")
        return changes[-1].seq

    # --- plumbing ------------------------------------------------------------------------

    def _now(self) -> str:
        return iso_time(self._clock())

    async def _run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise StoreError("the store is not open")
        return await self._submit(lambda: job(conn))

    async def _submit(self, job: Callable[[], T]) -> T:
        # The one place SQLite and file-system failures (busy after the timeout, a corrupt
        # file, a data folder we may not create) become ours.
        if self._executor is None:
            raise StoreError("the store is not open")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, job)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"the task database failed ({self.path}): {exc}") from exc
