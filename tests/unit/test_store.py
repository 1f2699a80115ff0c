"""The task store on real SQLite files: schema, CRUD, paging, feeds, cross-process changes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from taskyard.lifecycle import (
    AgentReport,
    AgentState,
    Owner,
    Phase,
    ProviderName,
    StateSource,
    TaskFailure,
    TaskStatus,
    WorkspaceRecord,
)
from taskyard.services.store import (
    SNAPSHOT_BUDGET,
    TRUNCATION_MARKER,
    Change,
    InvalidCursor,
    MessageRecord,
    NameConflictError,
    PhaseChanged,
    StoreError,
    TaskNotFoundError,
    TaskRecord,
    TaskStore,
)
from taskyard.services.store.schema import (
    MIGRATIONS,
    migrate,
    open_connection,
    split_statements,
)
from taskyard.services.store.sql import trim_snapshot

DATA = Path(__file__).resolve().parents[1] / "data"

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "taskyard" / "taskyard.db"


@pytest.fixture
async def store(db_path: Path, clock: FakeClock) -> AsyncIterator[TaskStore]:
    async with TaskStore(db_path, clock=clock) as opened:
        yield opened


def task(n: int | str, created: datetime = T0, **fields: Any) -> TaskRecord:
    values: dict[str, Any] = {
        "id": f"id-{n}",
        "name": f"task-{n}",
        "display_name": f"Task {n}",
        "template": "python",
        "status": TaskStatus.ACTIVE,
        "workspace": WorkspaceRecord(provider=ProviderName.LOCAL, phase=Phase.RUNNING),
        "created_at": created,
        "updated_at": created,
    }
    return TaskRecord(**(values | fields))


def message(i: int, content: str = "", role: str = "agent") -> MessageRecord:
    return MessageRecord("id-1", i, role, content or f"message {i}", T0 + timedelta(seconds=i))  # type: ignore[arg-type]


# --- schema --------------------------------------------------------------------------------


async def test_open_creates_folders_and_migrates_then_reopens(db_path: Path) -> None:
    async with TaskStore(db_path) as first:
        await first.insert_task(task(1))
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    async with TaskStore(db_path) as again:
        assert (await again.get_task("id-1")) is not None


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        pytest.param("journal_mode", "wal", id="wal"),
        pytest.param("synchronous", 1, id="synchronous-normal"),
        pytest.param("foreign_keys", 1, id="foreign-keys"),
        pytest.param("busy_timeout", 5000, id="busy-timeout"),
    ],
)
def test_connection_pragmas(db_path: Path, pragma: str, expected: object) -> None:
    conn = open_connection(db_path)
    try:
        assert conn.execute(f"PRAGMA {pragma}").fetchone()[0] == expected
    finally:
        conn.close()


def _newer_schema(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"this is not SQLite" * 100)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        pytest.param(_newer_schema, "newer than this Taskyard", id="newer-schema"),
        pytest.param(_not_a_database, "not a database", id="not-a-database"),
    ],
)
async def test_unusable_database_is_refused(
    db_path: Path, spoil: Callable[[Path], None], message: str
) -> None:
    db_path.parent.mkdir(parents=True)
    spoil(db_path)
    store = TaskStore(db_path)
    with pytest.raises(StoreError, match=message):
        await store.open()
    with pytest.raises(StoreError, match="not open"):
        await store.list_tasks()


def test_migrations_run_once_each_in_order(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    first = "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);"
    assert migrate(conn, [first]) == 1
    assert migrate(conn, [first, "INSERT INTO a VALUES (2);"]) == 2
    assert migrate(conn, [first, "INSERT INTO a VALUES (2);"]) == 2
    assert conn.execute("SELECT x FROM a ORDER BY x").fetchall() == [(1,), (2,)]


def test_a_failing_migration_leaves_no_trace(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    broken = "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);"
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, ["CREATE TABLE a (x INTEGER);", broken])
    assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("a",)]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        pytest.param("SELECT 1; SELECT 2;", ["SELECT 1;", "SELECT 2;"], id="two"),
        pytest.param("SELECT 'a;b';", ["SELECT 'a;b';"], id="semicolon-in-string"),
        pytest.param("-- x; y\nSELECT 1;", ["-- x; y\nSELECT 1;"], id="semicolon-in-comment"),
        pytest.param("  ;\n", [], id="empty"),
    ],
)
def test_split_statements(script: str, expected: list[str]) -> None:
    assert split_statements(script) == expected


# --- tasks ---------------------------------------------------------------------------------


async def test_task_round_trips_every_field(store: TaskStore) -> None:
    rec = task(
        1,
        created=datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC),
        preset="fast",
        parameters={"repo": "x/y"},
        prompt="Fix it",
        state=AgentReport(
            state=AgentState.NEEDS_INPUT,
            message="Allow?",
            source=StateSource.HOOK,
            timestamp=datetime(2026, 3, 1, 12, 0, 1, 500000, tzinfo=UTC),
            uri="https://example.invalid/pr/1",
        ),
        workspace=WorkspaceRecord(
            provider=ProviderName.DOCKER,
            phase=Phase.STOPPING,
            made=True,
            owner=Owner(pid=42, started="123", instance="abc"),
            keep_work=True,
            data={"id": "c1", "pid": 42, "extra": [1, 2]},
        ),
        agent_type="claude",
        error=TaskFailure(kind="workspaceFailure", message="boom"),
        initial_prompt_sent=True,
    )
    await store.insert_task(rec)
    assert await store.get_task("id-1") == rec
    assert await store.get_task("TASK-1") == rec


async def test_update_bumps_updated_at_from_the_clock(store: TaskStore, clock: FakeClock) -> None:
    await store.insert_task(task(1))
    clock.advance(90)
    stopped = WorkspaceRecord(provider=ProviderName.LOCAL, phase=Phase.STOPPED, data={"id": "w"})
    updated = await store.update_task("id-1", status=TaskStatus.PAUSED, workspace=stopped)
    assert (updated.status, updated.workspace, updated.updated_at) == (
        TaskStatus.PAUSED,
        stopped,
        clock.now,
    )
    assert updated.created_at == T0
    assert await store.get_task("id-1") == updated


@pytest.mark.parametrize(
    ("task_id", "fields", "error"),
    [
        pytest.param(
            "missing", {"status": TaskStatus.PAUSED}, TaskNotFoundError, id="unknown-task"
        ),
        pytest.param("id-1", {"colour": "red"}, ValueError, id="unknown-field"),
        pytest.param("id-1", {"created_at": T0}, ValueError, id="read-only-field"),
        pytest.param("id-1", {"name": "TASK-2"}, NameConflictError, id="rename-onto-live-name"),
    ],
)
async def test_update_refuses(
    store: TaskStore, task_id: str, fields: dict[str, Any], error: type[Exception]
) -> None:
    await store.insert_task(task(1))
    await store.insert_task(task(2))
    with pytest.raises(error):
        await store.update_task(task_id, **fields)


@pytest.mark.parametrize(
    ("first", "second", "free_first"),
    [
        pytest.param("Fix-Bug", "fix-bug", None, id="ascii-case"),
        pytest.param("straße", "STRASSE", None, id="unicode-casefold"),
        pytest.param("fix", "FIX", "delete", id="reusable-after-delete"),
        pytest.param("fix", "FIX", "soft-delete", id="reusable-after-soft-delete"),
    ],
)
async def test_names_are_unique_among_live_tasks(
    store: TaskStore, first: str, second: str, free_first: str | None
) -> None:
    await store.insert_task(task(1, name=first))
    if free_first is None:
        with pytest.raises(NameConflictError) as caught:
            await store.insert_task(task(2, name=second))
        assert caught.value.name == second
        return
    if free_first == "delete":
        await store.delete_task("id-1")
    else:
        await store.update_task("id-1", deleted=True)
    await store.insert_task(task(2, name=second))
    found = await store.get_task(first)
    assert found is not None and found.id == "id-2"


async def test_undeleting_onto_a_taken_name_conflicts(store: TaskStore) -> None:
    await store.insert_task(task(1, name="same"))
    await store.update_task("id-1", deleted=True)
    await store.insert_task(task(2, name="Same"))
    with pytest.raises(NameConflictError):
        await store.update_task("id-1", deleted=False)
    soft = await store.get_task("id-1")
    assert soft is not None and soft.deleted


async def test_duplicate_id_is_refused(store: TaskStore) -> None:
    await store.insert_task(task(1))
    with pytest.raises(StoreError, match="already exists"):
        await store.insert_task(task(1, name="other"))


async def test_delete_removes_everything_and_twice_raises(store: TaskStore) -> None:
    await store.insert_task(task(1))
    await store.upsert_messages("id-1", [message(0)])
    await store.append_logs("id-1", [(T0, "build", "line")])
    await store.append_state("id-1", "running", "", "bridge")
    await store.save_snapshot("id-1", [message(0)], T0)
    await store.delete_task("id-1")
    with pytest.raises(TaskNotFoundError):
        await store.delete_task("id-1")
    await store.insert_task(task(1))  # same id again: nothing of the old task must remain
    assert await store.messages("id-1") == []
    assert await store.logs("id-1") == []
    assert await store.state_history("id-1") == []
    assert await store.snapshot("id-1") is None


async def test_naive_datetimes_are_refused(store: TaskStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        await store.insert_task(task(1, created=datetime(2026, 1, 1)))


# --- listing -------------------------------------------------------------------------------


@pytest.fixture
async def listed(store: TaskStore) -> TaskStore:
    rows = [
        ("a", TaskStatus.ACTIVE, "python", False),
        ("b", TaskStatus.PAUSED, "python", False),
        ("c", TaskStatus.ACTIVE, "node", False),
        ("d", TaskStatus.ERROR, "node", False),
        ("e", TaskStatus.ACTIVE, "python", True),
    ]
    for i, (n, status, template, deleted) in enumerate(rows):
        created = T0 + timedelta(minutes=i)
        await store.insert_task(task(n, created, status=status, template=template, deleted=deleted))
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({}, ["d", "c", "b", "a"], id="all-newest-first"),
        pytest.param({"status": ["active"]}, ["c", "a"], id="status"),
        pytest.param({"status": ["error", "paused"]}, ["d", "b"], id="statuses"),
        pytest.param({"status": []}, [], id="no-status-matches-nothing"),
        pytest.param({"template": "node"}, ["d", "c"], id="template"),
        pytest.param({"status": ["active"], "template": "python"}, ["a"], id="both"),
        pytest.param({"include_deleted": True}, ["e", "d", "c", "b", "a"], id="with-deleted"),
    ],
)
async def test_list_filters(listed: TaskStore, query: dict[str, Any], expected: list[str]) -> None:
    tasks, total, cursor = await listed.list_tasks(**query)
    assert [t.id for t in tasks] == [f"id-{n}" for n in expected]
    assert (total, cursor) == (len(expected), None)


@pytest.mark.parametrize(
    ("count", "limit", "same_time"),
    [
        pytest.param(23, 5, False, id="distinct-times"),
        pytest.param(23, 5, True, id="equal-times"),
        pytest.param(10, 10, True, id="exact-page"),
        pytest.param(10, 1, False, id="one-per-page"),
    ],
)
async def test_cursor_walks_every_task_once(
    store: TaskStore, count: int, limit: int, same_time: bool
) -> None:
    for i in range(count):
        created = T0 if same_time else T0 + timedelta(milliseconds=i)
        await store.insert_task(task(f"{i:03}", created))
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(count + 1):
        page, total, cursor = await store.list_tasks(limit=limit, cursor=cursor)
        assert total == count
        seen += [t.id for t in page]
        if cursor is None:
            break
    assert seen == [f"id-{i:03}" for i in reversed(range(count))]


async def test_cursor_survives_inserts_between_pages(store: TaskStore) -> None:
    for i in range(6):
        await store.insert_task(task(i, T0 + timedelta(seconds=i)))
    first, _, cursor = await store.list_tasks(limit=3)
    await store.insert_task(task("new", T0 + timedelta(hours=1)))
    second, total, end = await store.list_tasks(limit=3, cursor=cursor)
    assert [t.id for t in first + second] == [f"id-{i}" for i in (5, 4, 3, 2, 1, 0)]
    assert (total, end) == (7, None)


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "WzEsMl0"], ids=["b64", "json", "shape"])
async def test_foreign_cursor_is_refused(store: TaskStore, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        await store.list_tasks(cursor=cursor)


# --- messages, states, logs ----------------------------------------------------------------


async def test_messages_upsert_and_after(store: TaskStore) -> None:
    await store.insert_task(task(1))
    await store.upsert_messages("id-1", [message(i) for i in range(5)])
    await store.upsert_messages("id-1", [message(2, "edited", "user"), message(5)])
    later = await store.messages("id-1", after=2)
    assert [(m.id, m.content) for m in later] == [
        (3, "message 3"),
        (4, "message 4"),
        (5, "message 5"),
    ]
    everything = await store.messages("id-1")
    assert len(everything) == 6
    assert everything[2] == MessageRecord("id-1", 2, "user", "edited", T0 + timedelta(seconds=2))


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda s: s.upsert_messages("nope", [message(0)]), id="messages"),
        pytest.param(lambda s: s.append_logs("nope", [(T0, "agent", "x")]), id="logs"),
        pytest.param(lambda s: s.append_state("nope", "running", "", "bridge"), id="state"),
        pytest.param(lambda s: s.save_snapshot("nope", [], T0), id="snapshot"),
    ],
)
async def test_writes_to_unknown_tasks_raise(store: TaskStore, write: Any) -> None:
    with pytest.raises(TaskNotFoundError):
        await write(store)


async def test_state_history_in_order(store: TaskStore, clock: FakeClock) -> None:
    await store.insert_task(task(1))
    first = await store.append_state("id-1", "running", "working", "bridge")
    second = await store.append_state("id-1", "stable", "", "sidecar", T0 + timedelta(seconds=5))
    assert (first.seq, first.time, second.seq) == (1, clock.now, 2)
    assert await store.state_history("id-1") == [first, second]


async def test_logs_keep_one_sequence_across_batches(store: TaskStore) -> None:
    await store.insert_task(task(1))
    assert await store.append_logs("id-1", [(T0, "build", "a"), (T0, "build", "b")]) == 1
    assert await store.append_logs("id-1", [(T0, "agent", "c")]) == 3
    lines = await store.logs("id-1")
    assert [(line.seq, line.stream, line.text) for line in lines] == [
        (1, "build", "a"),
        (2, "build", "b"),
        (3, "agent", "c"),
    ]
    assert [line.text for line in await store.logs("id-1", after=2)] == ["c"]


# --- snapshots -----------------------------------------------------------------------------


def _json_size(items: list[dict[str, Any]]) -> int:
    return len(json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode())


def _item(i: int, content: str) -> dict[str, Any]:
    return {"id": i, "role": "agent", "content": content, "time": "2026-03-01T12:00:00.000Z"}


@pytest.mark.parametrize(
    ("items", "kept_ids", "truncated"),
    [
        pytest.param([_item(i, "x" * 100) for i in range(10)], list(range(10)), False, id="fits"),
        pytest.param(
            [_item(i, "x" * 1000) for i in range(100)], list(range(39, 100)), False, id="oldest-go"
        ),
        pytest.param([_item(0, "y" * 100_000)], [0], True, id="one-huge-ascii"),
        pytest.param([_item(0, "é\n" * 60_000)], [0], True, id="one-huge-multibyte"),
        pytest.param([_item(0, "small"), _item(1, "z" * 70_000)], [1], True, id="huge-newest-only"),
        pytest.param([], [], False, id="empty"),
    ],
)
def test_trim_snapshot(items: list[dict[str, Any]], kept_ids: list[int], truncated: bool) -> None:
    kept = trim_snapshot(items)
    assert [m["id"] for m in kept] == kept_ids
    assert _json_size(kept) <= SNAPSHOT_BUDGET
    if truncated:
        content = kept[-1]["content"]
        assert content.startswith(TRUNCATION_MARKER)
        assert items[-1]["content"].endswith(content.removeprefix(TRUNCATION_MARKER))
        assert _json_size(kept) > SNAPSHOT_BUDGET - 16  # the tail fills the budget
    elif len(kept) < len(items):
        one_more = items[-len(kept) - 1 :]
        assert _json_size(one_more) > SNAPSHOT_BUDGET  # nothing more would have fitted


async def test_snapshot_round_trip(store: TaskStore) -> None:
    await store.insert_task(task(1))
    assert await store.snapshot("id-1") is None
    messages = [message(i, "x" * 1000) for i in range(100)]
    saved = await store.save_snapshot("id-1", messages, T0)
    assert saved.messages == messages[-len(saved.messages) :]
    assert 40 < len(saved.messages) < 100
    assert await store.snapshot("id-1") == saved


# --- change feed ---------------------------------------------------------------------------


async def test_every_write_lands_in_the_change_feed(store: TaskStore) -> None:
    start = await store.latest_seq()
    await store.insert_task(task(1))
    await store.update_task("id-1", status=TaskStatus.PAUSED)
    await store.upsert_messages("id-1", [message(0)])
    await store.save_snapshot("id-1", [message(0)], T0)
    await store.append_logs("id-1", [(T0, "system", "x")])
    await store.append_state("id-1", "stable", "", "bridge")
    await store.update_task("id-1", deleted=True)
    await store.delete_task("id-1")
    changes = await store.changes_since(start)
    kinds = ["created", "updated", "message", "message", "log", "updated", "deleted", "deleted"]
    assert [(c.task_id, c.kind) for c in changes] == [("id-1", k) for k in kinds]
    assert [c.seq for c in changes] == list(range(start + 1, start + 9))
    assert await store.latest_seq() == start + 8
    assert await store.changes_since(start + 7) == changes[-1:]


async def test_old_changes_are_pruned_on_open(db_path: Path, clock: FakeClock) -> None:
    async with TaskStore(db_path, clock=clock) as store:
        await store.insert_task(task(1))
        clock.advance(2 * 3600)
        await store.insert_task(task(2))
    async with TaskStore(db_path, clock=clock) as store:
        assert [c.task_id for c in await store.changes_since(0)] == ["id-2"]
        assert await store.latest_seq() == 2


class Collector:
    """A watch_changes callback that remembers when each change arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.changes: list[Change] = []
        self.event = asyncio.Event()

    async def __call__(self, changes: list[Change]) -> None:
        for change in changes:
            self.arrivals.setdefault(change.task_id, time.time())
        self.changes += changes
        self.event.set()

    async def wait_for(self, task_id: str, seconds: float = 5.0) -> float:
        async with asyncio.timeout(seconds):
            while task_id not in self.arrivals:
                self.event.clear()
                await self.event.wait()
        return self.arrivals[task_id]


@pytest.fixture
async def watched(db_path: Path) -> AsyncIterator[tuple[TaskStore, Collector]]:
    """A second store on the same file (as the editor would be) and what it sees."""
    collector, stop = Collector(), asyncio.Event()
    async with TaskStore(db_path) as watcher:
        watching = asyncio.create_task(watcher.watch_changes(collector, stop))
        await asyncio.sleep(0.1)  # so it takes its starting seq before the test writes
        yield watcher, collector
        stop.set()
        await asyncio.wait_for(watching, 2)


async def test_another_store_sees_a_new_task_within_a_second(
    store: TaskStore, watched: tuple[TaskStore, Collector]
) -> None:
    _, collector = watched
    writing = time.time()
    await store.insert_task(task("cli", datetime.now(UTC)))
    assert await collector.wait_for("id-cli") - writing < 1.0
    await store.update_task("id-cli", status=TaskStatus.PAUSED)
    async with asyncio.timeout(2):
        while len(collector.changes) < 2:
            collector.event.clear()
            await collector.event.wait()
    assert [c.kind for c in collector.changes] == ["created", "updated"]


CHILD = """
import asyncio, sys, time
from datetime import UTC, datetime
from pathlib import Path
from taskyard.lifecycle import ProviderName, TaskStatus, WorkspaceRecord
from taskyard.services.store import TaskRecord, TaskStore

async def main() -> None:
    now = datetime.now(UTC)
    rec = TaskRecord(id="id-child", name="child", display_name="Child", template="python",
                     status=TaskStatus.PENDING, created_at=now, updated_at=now,
                     workspace=WorkspaceRecord(provider=ProviderName.LOCAL))
    async with TaskStore(Path(sys.argv[1])) as store:
        await store.insert_task(rec)
        print(time.time(), flush=True)

asyncio.run(main())
"""


async def test_a_task_written_by_another_process_arrives_within_a_second(
    db_path: Path, watched: tuple[TaskStore, Collector]
) -> None:
    watcher, collector = watched
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(db_path), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(child.communicate(), 30)
    assert child.returncode == 0
    assert await collector.wait_for("id-child") - float(out) < 1.0
    found = await watcher.get_task("child")
    assert found is not None and found.id == "id-child"


async def test_watch_catches_up_from_a_given_seq(store: TaskStore) -> None:
    await store.insert_task(task(1))
    collector, stop = Collector(), asyncio.Event()
    watching = asyncio.create_task(store.watch_changes(collector, stop, since=0))
    await collector.wait_for("id-1", seconds=1.0)
    stop.set()
    await asyncio.wait_for(watching, 2)


async def test_a_failing_callback_does_not_stop_the_feed(
    store: TaskStore, caplog: pytest.LogCaptureFixture
) -> None:
    batches: asyncio.Queue[list[str]] = asyncio.Queue()

    def flaky(changes: list[Change]) -> None:
        batches.put_nowait([c.task_id for c in changes])
        raise RuntimeError("boom")

    await store.insert_task(task(1))
    stop = asyncio.Event()
    watching = asyncio.create_task(store.watch_changes(flaky, stop, since=0))
    async with asyncio.timeout(2):
        assert await batches.get() == ["id-1"]
        await store.insert_task(task(2))
        assert await batches.get() == ["id-2"]
    stop.set()
    await asyncio.wait_for(watching, 2)
    assert "change feed callback failed" in caplog.text


async def test_concurrent_writers_on_one_file(store: TaskStore, db_path: Path) -> None:
    async with TaskStore(db_path) as other:
        await asyncio.gather(
            *(store.insert_task(task(f"a{i}")) for i in range(50)),
            *(other.insert_task(task(f"b{i}")) for i in range(50)),
        )
        _, total, _ = await other.list_tasks()
    assert total == 100


# --- volume (the timings live in bench/) ---------------------------------------------------


async def test_a_thousand_tasks_list_by_status_and_template(store: TaskStore) -> None:
    for i in range(1000):
        status = (TaskStatus.ACTIVE, TaskStatus.PAUSED)[i % 2]
        await store.insert_task(task(i, T0 + timedelta(seconds=i), status=status))
    for query, count in (
        ({}, 1000),
        ({"status": ["paused"]}, 500),
        ({"template": "python", "limit": 200}, 1000),
    ):
        tasks, total, _ = await store.list_tasks(**query)
        assert total == count and tasks[0].id == "id-999"  # newest first


async def test_ten_thousand_messages_write_and_load(store: TaskStore) -> None:
    await store.insert_task(task(1))
    await store.upsert_messages("id-1", [message(i) for i in range(10_000)])
    loaded = await store.messages("id-1")
    tail = await store.messages("id-1", after=9_990)
    assert (len(loaded), [m.id for m in tail]) == (10_000, list(range(9_991, 10_000)))


# --- the lifecycle's compare and set ---------------------------------------------------------


def _in(phase: Phase) -> WorkspaceRecord:
    return WorkspaceRecord(provider=ProviderName.LOCAL, phase=phase)


@pytest.mark.parametrize(
    ("stored", "expect", "moves"),
    [
        pytest.param(Phase.RUNNING, {Phase.RUNNING}, True, id="expected-phase"),
        pytest.param(Phase.RUNNING, {Phase.STOPPED, Phase.RUNNING}, True, id="one-of"),
        pytest.param(Phase.STOPPING, {Phase.RUNNING}, False, id="moved-meanwhile"),
        pytest.param(Phase.RUNNING, set(), False, id="none-expected"),
    ],
)
async def test_update_with_expect_is_a_compare_and_set(
    store: TaskStore, stored: Phase, expect: set[Phase], moves: bool
) -> None:
    await store.insert_task(task(1, workspace=_in(stored)))
    if moves:
        updated = await store.update_task("id-1", expect=expect, workspace=_in(Phase.STOPPING))
        assert updated.workspace.phase is Phase.STOPPING
        return
    with pytest.raises(PhaseChanged) as caught:
        await store.update_task("id-1", expect=expect, workspace=_in(Phase.STOPPED))
    assert caught.value.phase == stored.value
    assert (await store.get_task("id-1")).workspace.phase is stored  # type: ignore[union-attr]


async def test_delete_with_expect_keeps_a_task_that_moved(store: TaskStore) -> None:
    await store.insert_task(task(1, workspace=_in(Phase.RUNNING)))
    with pytest.raises(PhaseChanged):
        await store.delete_task("id-1", expect={Phase.DELETING})
    await store.delete_task("id-1", expect={Phase.RUNNING})
    assert await store.get_task("id-1") is None


async def test_tasks_in_phases_finds_only_those(store: TaskStore) -> None:
    for n, phase in enumerate(Phase):
        await store.insert_task(task(n, T0 + timedelta(seconds=n), workspace=_in(phase)))
    await store.insert_task(task("gone", workspace=_in(Phase.RUNNING), deleted=True))
    found = await store.tasks_in_phases({Phase.RUNNING, Phase.STOPPING})
    assert sorted(t.workspace.phase for t in found) == [Phase.RUNNING, Phase.STOPPING]


async def test_a_version_1_file_is_migrated_to_typed_records(db_path: Path) -> None:
    """Rows written before the lifecycle was typed load as typed records (tests/data)."""
    db_path.parent.mkdir(parents=True)
    script = (DATA / "store" / "v1.sql").read_text()
    with sqlite3.connect(db_path) as raw:
        for statement in split_statements(MIGRATIONS[0]):
            raw.execute(statement)
        raw.executescript(script)
        raw.execute("PRAGMA user_version = 1")
    async with TaskStore(db_path) as store:
        running, stopping, odd = [await store.get_task(n) for n in ("v1-run", "v1-stop", "v1-odd")]
    assert running is not None and stopping is not None and odd is not None
    assert running.workspace == WorkspaceRecord(
        provider=ProviderName.DOCKER,
        phase=Phase.RUNNING,
        made=True,
        data={"id": "v1-run", "runtime": "/r", "bridge_url": "http://127.0.0.1:5"},
    )
    assert running.state == AgentReport(
        state=AgentState.IDLE,
        message="Done",
        source=StateSource.SCREEN,
        timestamp=datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC),
    )
    assert running.status is TaskStatus.ACTIVE
    assert stopping.workspace.phase is Phase.STOPPING
    assert stopping.workspace.owner == Owner(pid=4242, started="99")
    assert (odd.workspace.phase, odd.workspace.made, odd.status) == (
        Phase.FAILED,
        False,
        TaskStatus.UNKNOWN,
    )
