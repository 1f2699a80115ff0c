"""Sidecar benchmarks with live tasks: create-to-ready, memory, bridge-event latency, delete.

One sidecar on an empty store creates demo tasks in local workspaces, each with its own bridge
and demo agent. The first creates run one at a time and are timed from the request to each step
the editor sees in ``taskyard/tasks/didChange``; the rest are created a few at a time until the
wanted number is live, then memory and idle CPU are read from ``/proc``. A self-report posted
straight to one bridge then times the whole path bridge → SSE → monitor → store →
notification. Every task is deleted at the end and no process of the run may survive that.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.sidecar_harness import (
    Sidecar,
    cpu_seconds,
    leftover_pids,
    pct,
    peak_rss_mib,
    report,
    rss_mib,
    tree,
)
from taskyard.services.store import TaskStore

DID_CHANGE = "taskyard/tasks/didChange"
# The template's "Instant" speed: the agent thinks 60 ms a turn, so what is timed is Taskyard.
SPEED = "20"
CONCURRENT_CREATES = 4  # more would start dozens of Python processes at once on two cores


def state_of(task: dict[str, Any]) -> str | None:
    return (task.get("state") or {}).get("state")


async def create_and_wait(sidecar: Sidecar, n: int) -> dict[str, Any]:
    """Create demo task ``n``; wait until its first reply is done; return its step times (ms)."""
    mark = sidecar.mark()
    t0 = time.perf_counter()
    task = await sidecar.call(
        "taskyard/tasks/create",
        {
            "template": "demo",
            "prompt": f"create notes-{n}.txt with hello {n}",
            "parameters": {"speed": SPEED},
        },
    )
    rtt = (time.perf_counter() - t0) * 1000
    tid = task["id"]
    # The prompt shows up as a user message once typed in; the next idle is the reply's end.
    typed, _, _ = await sidecar.wait(
        "taskyard/tasks/messageDidChange",
        lambda p: p["taskId"] == tid and p["message"]["role"] == "user",
        after=mark,
        timeout=90,
    )
    _, ready, _ = await sidecar.wait(
        DID_CHANGE,
        lambda p: (
            p["task"]["id"] == tid
            and p["task"]["status"] == "active"
            and state_of(p["task"]) == "idle"
        ),
        after=typed,
        timeout=60,
    )
    steps = sidecar.task_notes(tid, mark)
    bridge = next(ts for ts, t in steps if t["workspace"]["status"] == "running")
    active = next(ts for ts, t in steps if t["status"] == "active")
    return {
        "id": tid,
        "rtt": rtt,
        "bridge": (bridge - t0) * 1000,
        "active": (active - t0) * 1000,
        "ready": (ready - t0) * 1000,
    }


async def bench_creates(sidecar: Sidecar, count: int) -> list[str]:
    results = [await create_and_wait(sidecar, n) for n in range(count)]

    def row(key: str, label: str) -> None:
        values = [r[key] for r in results]
        median, p90 = statistics.median(values), pct(values, 0.9)
        report(f"{label}, median / p90", f"{median:.0f} / {p90:.0f} ms", "-")

    print(f"  create -> ready, {count} sequential demo tasks (local workspace, speed {SPEED}):")
    row("rtt", "  tasks/create round trip (task is pending)")
    row("bridge", "  -> bridge listening (workspace running)")
    row("active", "  -> first went active")
    row("ready", "  -> first reply done, idle: accepting input")
    return [r["id"] for r in results]


async def fill_up(sidecar: Sidecar, first: int, total: int) -> list[str]:
    """Create tasks ``first`` … ``total - 1``, a few at a time; return their ids."""
    gate = asyncio.Semaphore(CONCURRENT_CREATES)

    async def one(n: int) -> str:
        async with gate:
            return str((await create_and_wait(sidecar, n))["id"])

    t0 = time.perf_counter()
    ids = await asyncio.gather(*(one(n) for n in range(first, total)))
    report(
        f"{total - first} more tasks, {CONCURRENT_CREATES} at a time, all ready in",
        f"{time.perf_counter() - t0:.1f} s",
        "-",
    )
    return list(ids)


async def workspaces(db: Path, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each task's workspace data as the sidecar stored it, read through a second store."""
    async with TaskStore(db) as store:
        records = [await store.get_task(tid) for tid in ids]
    return {r.id: r.workspace.data for r in records if r is not None}


async def bench_memory(sidecar: Sidecar, ids: list[str], idle_seconds: float) -> None:
    """Memory and idle CPU with every task live."""
    await asyncio.sleep(1.0)  # let the last replies' writes settle
    statuses = [(await sidecar.call("taskyard/tasks/get", {"task": t}))["status"] for t in ids]
    live = statuses.count("active")
    spaces = await workspaces(sidecar.data / "taskyard.db", ids)
    bridges = [int(ws["pid"]) for ws in spaces.values() if ws.get("pid")]
    pids = tree(bridges)
    report(
        f"sidecar RSS with {live} live tasks",
        f"{rss_mib(sidecar.pid):.1f} MiB",
        "<= 80 MB",
    )
    report("  sidecar peak RSS so far (VmHWM)", f"{peak_rss_mib(sidecar.pid):.1f} MiB", "-")
    total = sum(rss_mib(pid) for pid in pids)
    report(
        f"  {len(bridges)} bridges + agents ({len(pids)} processes), total RSS",
        f"{total:.0f} MiB ({total / max(1, len(bridges)):.0f}/task)",
        "-",
    )
    side0 = cpu_seconds(sidecar.pid)
    rest0 = sum(cpu_seconds(pid) for pid in pids)
    await asyncio.sleep(idle_seconds)
    side = (cpu_seconds(sidecar.pid) - side0) / idle_seconds * 100
    rest = (sum(cpu_seconds(pid) for pid in tree(bridges)) - rest0) / idle_seconds * 100
    report(f"  idle CPU over {idle_seconds:.0f} s: sidecar", f"{side:.2f} % core", "-")
    report("  idle CPU, same window: all bridges + agents", f"{rest:.2f} % core", "-")


def saying(task_id: str, message: str) -> Callable[[dict[str, Any]], bool]:
    """Accepts a didChange of ``task_id`` whose state carries ``message``."""

    def pred(params: dict[str, Any]) -> bool:
        task = params["task"]
        return bool(task["id"] == task_id and (task.get("state") or {}).get("message") == message)

    return pred


async def bench_events(sidecar: Sidecar, task_id: str, live: int, rounds: int) -> None:
    """Self-reports posted to one bridge, timed until their didChange reaches the client."""
    ws = (await workspaces(sidecar.data / "taskyard.db", [task_id]))[task_id]
    token = (Path(ws["runtime"]) / "token").read_text().strip()
    latencies: list[float] = []
    posts: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=ws["bridge_url"], headers=headers) as bridge:
        for i in range(rounds + 4):  # the first four warm the path and are not counted
            state = "working" if i % 2 == 0 else "idle"
            message = f"round {i}"
            mark = sidecar.mark()
            t0 = time.perf_counter()
            response = await bridge.post(
                "/taskyard/signal", json={"state": state, "message": message}
            )
            posted = time.perf_counter()
            response.raise_for_status()
            _, ts, _ = await sidecar.wait(
                DID_CHANGE, saying(task_id, message), after=mark, timeout=10
            )
            if i >= 4:
                posts.append((posted - t0) * 1000)
                latencies.append((ts - t0) * 1000)
    label = f"bridge signal -> didChange at the client ({live} live tasks)"
    report(f"{label}, p50", f"{statistics.median(latencies):.1f} ms", "-")
    report(
        f"  p95 / max over {rounds} rounds",
        f"{pct(latencies, 0.95):.1f} / {max(latencies):.1f} ms",
        "p95 <= 100 ms",
    )
    report("  of which the POST to the bridge, p50", f"{statistics.median(posts):.1f} ms", "-")


async def delete_all(sidecar: Sidecar, marker: Path) -> None:
    """Delete every task the sidecar lists (a failed run may have made more than it knows)."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = await sidecar.call("taskyard/tasks/list", params)
        ids += [t["id"] for t in page["tasks"]]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    if not ids:
        return
    times = [(await sidecar.timed("taskyard/tasks/delete", {"task": t}))[0] for t in ids]
    report(
        f"tasks/delete of a live task, median / max ({len(ids)})",
        f"{statistics.median(times):.0f} / {max(times):.0f} ms",
        "-",
    )
    left = await wait_gone(marker)
    folders = list((sidecar.data / "workspaces").glob("*"))
    report("processes of the run left after deleting every task", str(len(left)), "0")
    report("  workspace folders left", str(len(folders)), "0")


async def wait_gone(marker: Path, within: float = 5.0) -> list[int]:
    """The run's processes still alive after up to ``within`` s (agents exit after bridges)."""
    end = time.monotonic() + within
    left = leftover_pids(marker)
    while left and time.monotonic() < end:
        await asyncio.sleep(0.1)
        left = leftover_pids(marker)
    return left


async def bench_live(base: Path, quick: bool) -> None:
    live, sequential = (10, 3) if quick else (50, 10)
    rounds = 20 if quick else 60
    sidecar = Sidecar(base)
    await sidecar.start()
    try:
        await sidecar.call("taskyard/tasks/list", {"limit": 1})  # services up before timing
        report("sidecar RSS, started, no tasks", f"{rss_mib(sidecar.pid):.1f} MiB", "-")
        ids = await bench_creates(sidecar, sequential)
        await bench_events(sidecar, ids[0], len(ids), rounds)
        ids += await fill_up(sidecar, sequential, live)
        await bench_memory(sidecar, ids, 2.0 if quick else 5.0)
        await bench_events(sidecar, ids[-1], len(ids), rounds)
    finally:
        try:
            await delete_all(sidecar, base)
        finally:
            await sidecar.stop()
