"""The task store's SQLite file: its errors, its schema migrations and how a connection is opened.

The sidecar and the CLI share one database and may both have it open at once. Every connection
therefore gets the same pragmas: WAL, so readers never block the writer; ``synchronous=NORMAL``,
which is durable enough under WAL at a fraction of the fsyncs; foreign keys, so deleting a task
removes its rows; and a busy timeout, so a second writer waits instead of failing.

The schema version lives in ``PRAGMA user_version``. :data:`MIGRATIONS` is an ordered list of SQL
scripts; migration *n* (1-based) takes the file from version *n - 1* to *n*. Each one runs once,
in its own write transaction, after the version is re-read under the write lock, so two
processes opening an old file at the same moment never apply a step twice.

Exceptions::

    StoreError           the store cannot do what was asked (bad file, newer schema, SQLite error)
    └── PhaseChanged     a transition found the task in another phase than it expected
    TaskNotFoundError    no task with that id (``task_id``)
    NameConflictError    a live task already has that name, compared case-insensitively (``name``)
    InvalidCursor        a ``list_tasks`` cursor this store did not hand out (invalidParameters)

All are :class:`~taskyard.errors.TaskyardError`, so they reach the wire as they are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from taskyard.errors import (
    InvalidParametersError,
    NameConflictError,
    TaskNotFoundError,
    TaskyardError,
)

__all__ = [
    "MIGRATIONS",
    "InvalidCursor",
    "NameConflictError",
    "PhaseChanged",
    "StoreError",
    "TaskNotFoundError",
    "migrate",
    "open_connection",
    "read_transaction",
    "split_statements",
    "write_transaction",
]

BUSY_TIMEOUT_MS = 5000


class StoreError(TaskyardError):
    """The task store cannot do what was asked."""

    kind = "workspaceFailure"


class InvalidCursor(InvalidParametersError):
    """A pagination cursor that this store did not hand out (or that was altered)."""


class PhaseChanged(StoreError):
    """A compare-and-set found the task in another phase than the caller expected."""

    def __init__(self, task_id: str, phase: str) -> None:
        super().__init__(f"task {task_id!r} is {phase} now")
        self.task_id = task_id
        self.phase = phase
        """The phase the task is in."""


# Task names are compared through ``name_key`` (``str.casefold()`` computed in Python) because
# SQLite's NOCASE collation folds ASCII only. The partial unique index frees a name as soon as
# its task is deleted, softly (``deleted = 1``) or for good.
_V1 = """
CREATE TABLE tasks (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    name_key            TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    template            TEXT NOT NULL,
    preset              TEXT,
    parameters          TEXT NOT NULL,  -- JSON object of strings
    prompt              TEXT NOT NULL,
    status              TEXT NOT NULL,
    state               TEXT,           -- JSON: the agent's last state, or NULL
    workspace           TEXT NOT NULL,  -- JSON: opaque provider data
    agent_type          TEXT NOT NULL,
    created_at          TEXT NOT NULL,  -- ISO 8601 UTC with milliseconds, sorts as text
    updated_at          TEXT NOT NULL,
    error               TEXT,           -- JSON or NULL
    initial_prompt_sent INTEGER NOT NULL DEFAULT 0,
    deleted             INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tasks_live_name ON tasks (name_key) WHERE deleted = 0;
CREATE INDEX tasks_created ON tasks (created_at, id);
CREATE INDEX tasks_status ON tasks (status, created_at, id);
CREATE INDEX tasks_template ON tasks (template, created_at, id);

CREATE TABLE messages (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    id      INTEGER NOT NULL,  -- the agent's own message index
    role    TEXT NOT NULL,
    content TEXT NOT NULL,
    time    TEXT NOT NULL,
    PRIMARY KEY (task_id, id)
) WITHOUT ROWID;

CREATE TABLE logs (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,  -- 1, 2, … per task
    time    TEXT NOT NULL,
    stream  TEXT NOT NULL,
    text    TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;

CREATE TABLE state_history (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    time    TEXT NOT NULL,
    state   TEXT NOT NULL,
    message TEXT NOT NULL,
    source  TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;

CREATE TABLE snapshots (
    task_id  TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    messages TEXT NOT NULL,  -- JSON array, at most SNAPSHOT_BUDGET bytes
    taken_at TEXT NOT NULL
);

-- No foreign key: the feed must outlive the tasks it mentions ("deleted" above all).
-- AUTOINCREMENT so a seq is never reused after old rows are pruned.
CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    time    TEXT NOT NULL
);
CREATE INDEX changes_time ON changes (time);
"""

# Version 2: the lifecycle is typed. The workspace's phase leaves the JSON for a column of its
# own (indexed: start-up reconciles only the tasks that are up or in a transient phase, and a
# transition compares and sets it in one transaction); the JSON keeps the engine's fields
# (provider, made, owner, keep_work) and the provider's own record under ``data``. Values no
# release wrote are mapped to the nearest honest state: an unknown phase is ``failed``.
_V2 = """
ALTER TABLE tasks ADD COLUMN phase TEXT NOT NULL DEFAULT 'pending';
UPDATE tasks SET phase = CASE json_extract(workspace, '$.status')
    WHEN 'pending' THEN 'pending'
    WHEN 'creating' THEN 'creating'
    WHEN 'starting' THEN 'starting'
    WHEN 'running' THEN 'running'
    WHEN 'stopping' THEN 'stopping'
    WHEN 'stopped' THEN 'stopped'
    WHEN 'deleting' THEN 'deleting'
    WHEN 'deleted' THEN 'deleting'
    ELSE 'failed' END;
UPDATE tasks SET workspace = json_object(
    'provider', COALESCE(json_extract(workspace, '$.provider'), 'local'),
    'made', json(CASE WHEN json_extract(workspace, '$.runtime') IS NULL
                      THEN 'false' ELSE 'true' END),
    'owner', json(json_extract(workspace, '$.owner')),
    'keep_work', json('false'),
    'data', json(json_remove(workspace, '$.status', '$.provider', '$.owner'))
);
UPDATE tasks SET status = 'unknown'
    WHERE status NOT IN ('pending', 'initializing', 'active', 'paused', 'error', 'unknown');
CREATE INDEX tasks_phase ON tasks (phase);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2)
"""Schema scripts in order; never edit a released one, append a new one instead."""


def open_connection(path: Path, migrations: Sequence[str] = MIGRATIONS) -> sqlite3.Connection:
    """Open (creating folders and file if needed) and migrate the database at ``path``.

    Must run on the thread that will own the connection: sqlite3 connections refuse other threads.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, see write_transaction.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _configure(conn)
        migrate(conn, migrations)
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    # The timeout first: switching to WAL briefly needs a lock another process may hold.
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if str(mode).lower() != "wal":
        raise StoreError(f"cannot switch the database to WAL (journal_mode is {mode})")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply the pending ``migrations``, one transaction each; return the final version."""
    while True:
        with write_transaction(conn):
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > len(migrations):
                raise StoreError(
                    f"the database has schema version {version}, newer than this Taskyard "
                    f"understands ({len(migrations)}); upgrade Taskyard to use it"
                )
            if version == len(migrations):
                return int(version)
            for statement in split_statements(migrations[version]):
                conn.execute(statement)
            # PRAGMA takes no parameters; the value is an int we computed.
            conn.execute(f"PRAGMA user_version = {version + 1}")


def split_statements(script: str) -> list[str]:
    """Split an SQL script into statements (``;`` inside strings or comments does not split).

    ``executescript`` would be simpler but commits any open transaction first, which would
    break the one-transaction-per-migration rule.
    """
    statements: list[str] = []
    current = ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \t\r\n;"):
                statements.append(current.strip())
            current = ""
    if current.strip(" \t\r\n;"):
        raise StoreError(f"incomplete SQL statement in migration: {current.strip()[:80]!r}")
    return statements


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one write transaction, taking the write lock up front.

    ``BEGIN IMMEDIATE`` matters with two processes: a deferred transaction that reads first and
    writes later fails with "database is locked" when it cannot upgrade, without honouring the
    busy timeout; an immediate one waits for the lock at BEGIN instead.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        # SQLite rolls back by itself after some errors (disk full, I/O); a second ROLLBACK
        # would then fail and hide the real error.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Run several reads against one consistent snapshot of the file."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")
