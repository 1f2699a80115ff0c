"""Sidecar benchmarks: list latency, memory with live tasks, create-to-ready, event latency, logs.

Each figure is printed with its target; nothing here fails a build. Everything is real: the
stdio sidecar (``python -m taskyard serve``) in a subprocess with its data folder in a temp
folder, its SQLite store, and one bridge plus demo agent per live task. Two sidecars run in turn:

* a *stored* one over a store filled directly through :class:`TaskStore` before it starts
  (1,000 paused tasks, one of them with 10,000 messages): ``tasks/list`` and ``tasks/logs``;
* a *live* one on an empty store (:mod:`bench.sidecar_live`): creates, memory, bridge events.

Latencies are round trips as the client sees them, JSON parsing on both sides included.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.sidecar_harness import Sidecar, kill_leftovers, pct, report
from bench.sidecar_live import bench_live
from taskyard.lifecycle import (
    AgentReport,
    AgentState,
    Phase,
    ProviderName,
    StateSource,
    TaskStatus,
    WorkspaceRecord,
)
from taskyard.services.store import MessageRecord, TaskRecord, TaskStore

STORED_TASKS = 1_000
LOG_MESSAGES = 10_000
LOG_LINES = 40
# A user turn and an agent reply of typical size: a short request, a few lines of answer.
USER_TEXT = "Please update the parser in src/module_{n}.py so that it handles empty input lines."
AGENT_TEXT = (
    "I read src/module_{n}.py and found the loop that splits input into records.\n"
    "Empty lines reached the tokenizer and raised IndexError; they are now skipped, and a test\n"
    "covers the case. Ran the test suite: 128 passed in 2.31s.\n"
    "```python\nfor line in lines:\n    if not line.strip():\n        continue\n```"
)


def stored_record(i: int, now: datetime) -> TaskRecord:
    """A paused demo task as the sidecar would have left it; task 0 is the newest."""
    created = now - timedelta(minutes=10 * i)
    return TaskRecord(
        id=f"00000000-0000-4000-8000-{i:012d}",
        name=f"stored-task-{i:04d}",
        display_name=f"Stored task {i}",
        template="demo",
        preset="quick",
        parameters={"style": "concise", "max_files": "5", "speed": "4"},
        prompt=f"create file-{i}.txt with some text",
        status=TaskStatus.PAUSED,
        state=AgentReport(
            state=AgentState.IDLE,
            message=f"Created file-{i}.txt (15 bytes).",
            timestamp=created,
            source=StateSource.SCREEN,
        ),
        workspace=WorkspaceRecord(
            provider=ProviderName.LOCAL, phase=Phase.STOPPED, data={"id": f"task-{i}"}
        ),
        agent_type="demo",
        created_at=created,
        updated_at=created,
        initial_prompt_sent=True,
    )


async def fill_store(db: Path) -> str:
    """Write the stored tasks, the long conversation and a start-up log; return its task id."""
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    async with TaskStore(db) as store:
        for i in range(STORED_TASKS):
            await store.insert_task(stored_record(i, now))
        filled = time.perf_counter() - t0
        task_id = stored_record(0, now).id
        start = now - timedelta(days=2)
        messages = [
            MessageRecord(
                task_id,
                n,
                "user" if n % 2 == 0 else "agent",
                (USER_TEXT if n % 2 == 0 else AGENT_TEXT).format(n=n),
                start + timedelta(seconds=10 * n),
            )
            for n in range(LOG_MESSAGES)
        ]
        await store.upsert_messages(task_id, messages)
        lines = [
            (start + timedelta(milliseconds=20 * n), "startup", f"start-up step {n}: done")
            for n in range(LOG_LINES)
        ]
        await store.append_logs(task_id, lines)  # type: ignore[arg-type]
    report(f"store filled: {STORED_TASKS} tasks via insert_task", f"{filled:.1f} s", "-")
    return task_id


async def bench_list(sidecar: Sidecar, calls: int) -> None:
    """First page and pages further on: each limit walks the list with nextCursor, round."""
    for limit in (100, 50):
        cursor: str | None = None
        times: list[float] = []
        for i in range(calls + 10):  # the first ten warm caches and are not counted
            params: dict[str, object] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            ms, result = await sidecar.timed("taskyard/tasks/list", params)
            if result["total"] != STORED_TASKS or len(result["tasks"]) != limit:
                raise RuntimeError(f"unexpected page: total {result['total']}")
            cursor = result.get("nextCursor")
            if i >= 10:
                times.append(ms)
        pages = STORED_TASKS // limit
        report(
            f"tasks/list of {STORED_TASKS}, limit {limit} ({calls} calls, {pages} pages), p50",
            f"{statistics.median(times):.2f} ms",
            "-",
        )
        report(
            f"  limit {limit}, p95 / max",
            f"{pct(times, 0.95):.2f} / {max(times):.1f} ms",
            "p95 <= 5 ms",
        )


async def bench_logs(sidecar: Sidecar, task_id: str, calls: int) -> None:
    for fmt in ("txt", "md", "jsonl"):
        params = {"task": task_id, "format": fmt}
        await sidecar.call("taskyard/tasks/logs", params)  # warm-up, not counted
        times, size = [], 0
        for _ in range(calls):
            ms, result = await sidecar.timed("taskyard/tasks/logs", params)
            times.append(ms)
            size = len(result["content"].encode())
        report(
            f"tasks/logs {fmt}, {LOG_MESSAGES:,} messages ({size / 1e6:.1f} MB), p50 of {calls}",
            f"{statistics.median(times):.0f} ms",
            "<= 300 ms",
        )
        report("  max", f"{max(times):.0f} ms", "-")


async def bench_stored(base: Path, quick: bool) -> None:
    sidecar = Sidecar(base)
    task_id = await fill_store(sidecar.data / "taskyard.db")
    t0 = time.perf_counter()
    await sidecar.start()
    # The first request waits for the services, which the sidecar builds after "initialized".
    await sidecar.call("taskyard/tasks/list", {"limit": 1})
    report(
        f"sidecar start over {STORED_TASKS} tasks -> first answer",
        f"{(time.perf_counter() - t0) * 1000:.0f} ms",
        "-",
    )
    log_before = (base / "sidecar.log").stat().st_size
    try:
        await bench_list(sidecar, 200)
        await bench_logs(sidecar, task_id, 5 if quick else 7)
    finally:
        await sidecar.stop()
    grew = (base / "sidecar.log").stat().st_size - log_before
    report("  sidecar stderr written during list + logs", f"{grew / 1e6:.1f} MB", "-")


async def run(quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="taskyard-sidecar-bench-") as tmp:
        base = Path(tmp)
        try:
            await bench_stored(base / "stored", quick)
            await bench_live(base / "live", quick)
        finally:
            killed = kill_leftovers(base)
            if killed:
                print(f"  !! killed {len(killed)} leftover processes of this run: {killed}")


def main(quick: bool = False) -> None:
    # Other work on the machine skews every figure here; the load average says how much.
    print(f"Sidecar benchmarks (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")
    t0 = time.monotonic()
    asyncio.run(run(quick))
    took, load = time.monotonic() - t0, os.getloadavg()[0]
    print(f"  (sidecar benchmarks took {took:.0f} s; load average {load:.1f} at the end)")
