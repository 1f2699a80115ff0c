"""Auto-pause: which task changes start, keep, move or cancel the idle timer.

Each row feeds a sequence of task snapshots (status, agent state, seconds since that state
began) to :class:`AutoPause` with a 0.2 s timeout, and checks whether the task got paused and
that every event still reached the editor.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from taskyard.protocol import Task, TaskActions, TaskState, WorkspaceInfo
from taskyard.services.autopause import AutoPause

TIMEOUT = 0.2
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def task(status: str, state: str | None, began: float = 0.0, template: str = "demo") -> Task:
    return Task(
        id="t1",
        name="t1",
        display_name="T1",
        template=template,
        parameters={},
        prompt="p",
        status=status,  # type: ignore[arg-type]
        state=None
        if state is None
        else TaskState(
            state=state, message="", timestamp=T0 + timedelta(seconds=began), source="hook"
        ),  # type: ignore[arg-type]
        workspace=WorkspaceInfo(provider="local", status="running"),
        agent_type="demo",
        created_at=T0,
        updated_at=T0,
        actions=TaskActions(send=True, interrupt=True, pause=True, resume=False, delete=True),
    )


class Sink:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def task_changed(self, task: Task) -> None:
        self.seen.append(f"changed:{task.status}")

    def task_deleted(self, task_id: str, name: str) -> None:
        self.seen.append("deleted")

    def message_changed(self, task_id: str, message: Any) -> None: ...
    def log_appended(self, task_id: str, lines: Any) -> None: ...


CASES = [
    ("idle long enough", [task("active", "idle")], True),
    ("complete counts as idle", [task("active", "complete")], True),
    ("working is never paused", [task("active", "working")], False),
    ("needs input is left alone", [task("active", "needs_input")], False),
    ("not yet reported", [task("active", None)], False),
    ("starting", [task("initializing", "idle")], False),
    ("already paused", [task("paused", "idle")], False),
    ("work resumed before the timeout", [task("active", "idle"), task("active", "working")], False),
    ("error", [task("active", "idle"), task("error", "idle")], False),
    ("no idle timeout in the template", [task("active", "idle", template="none")], False),
    ("deleted", [task("active", "idle"), "delete"], False),
]


@pytest.mark.parametrize(("name", "changes", "paused"), CASES, ids=[c[0] for c in CASES])
async def test_when_a_task_is_auto_paused(name: str, changes: list[Any], paused: bool) -> None:
    sink, calls = Sink(), []
    clock = [T0]
    auto = AutoPause(
        sink,
        lambda t: None if t.template == "none" else TIMEOUT,
        now=lambda: clock[0],
    )

    async def pause(task_id: str, reason: str) -> None:
        calls.append((task_id, reason))

    auto.attach(pause)
    for change in changes:
        if change == "delete":
            auto.task_deleted("t1", "t1")
        else:
            auto.task_changed(change)
    await asyncio.sleep(TIMEOUT * 2)
    assert bool(calls) is paused
    assert len(sink.seen) == len(changes)
    if paused:
        assert calls == [
            ("t1", "paused: the agent was idle for 0.2 s (the template's idle_timeout_minutes)")
        ]
    auto.close()


async def test_the_same_idle_spell_keeps_its_timer_and_a_restart_counts_the_time_already_idle() -> (
    None
):
    sink, calls = Sink(), []
    clock = [T0]
    auto = AutoPause(sink, lambda t: 60.0, now=lambda: clock[0])

    async def pause(task_id: str, reason: str) -> None:
        calls.append(task_id)

    auto.attach(pause)
    auto.task_changed(task("active", "idle", began=0))
    clock[0] = T0 + timedelta(seconds=59.9)
    auto.task_changed(task("active", "idle", began=0))  # a message grew: same spell
    await asyncio.sleep(0.3)
    assert calls == []  # 60 s from the spell's start, not from the last change
    # A sidecar started 61 s into an idle spell pauses at once.
    fresh = AutoPause(Sink(), lambda t: 60.0, now=lambda: T0 + timedelta(seconds=61))
    fresh.attach(pause)
    fresh.task_changed(task("active", "idle", began=0))
    await asyncio.sleep(0.05)
    assert calls == ["t1"]
    auto.close()
    fresh.close()
