"""Steps the engine suite's scenarios share: tasks placed in a phase, crashes, gates."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from taskyard.lifecycle import (
    AgentReport,
    AgentState,
    Owner,
    Phase,
    Presence,
    ProviderName,
    StateSource,
    TaskStatus,
    WorkspaceRecord,
)
from taskyard.lifecycle.table import PHASE_STATUS
from taskyard.services.store import TaskRecord
from tests.engine.conftest import Engine
from tests.fakes.provider import FakeBridge, FakeWorkspace

DEAD = Owner(pid=999, started="gone", instance="dead-process")
"""The owner mark of a process that was killed."""


def owner(name: str) -> Owner:
    return Owner(pid=1000, started="fake", instance=name)


async def placed(
    engine: Engine,
    phase: Phase,
    *,
    by: Owner | None = None,
    made: bool = True,
    presence: Presence | None = None,
    agent: AgentState | None = None,
    keep_work: bool = False,
) -> str:
    """A task recorded in ``phase`` (as a crashed or busy process left it); its workspace in
    the fake world as ``presence`` says (absent: none)."""
    task_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    report = None
    if agent is not None:
        report = AgentReport(state=agent, message="", source=StateSource.SCREEN, timestamp=now)
    record = TaskRecord(
        id=task_id,
        name=f"placed-{task_id[:8]}",
        display_name="Placed",
        template="plain",
        prompt="placed",
        status=PHASE_STATUS.get(phase, TaskStatus.ACTIVE),
        state=report,
        workspace=WorkspaceRecord(
            provider=ProviderName.LOCAL,
            phase=phase,
            made=made,
            owner=by,
            keep_work=keep_work,
            data={"id": task_id},
        ),
        agent_type="demo",
        created_at=now,
        updated_at=now,
    )
    await engine.store.insert_task(record)
    if presence is not None:
        ws = FakeWorkspace(task_id, presence=presence, starts=1)
        if presence is Presence.RUNNING:
            ws.bridge = FakeBridge()
            ws.bridge.ready()
        engine.world.workspaces[task_id] = ws
    return task_id


async def running(engine: Engine, prompt: str = "hello") -> str:
    """A task created through the engine, its agent idle after its first turn."""
    task = await engine.create(prompt)
    await engine.active(task.id)
    bridge = engine.world.bridge(task.id)
    await engine.until(task.id, lambda r: bridge.prompt_sent and r is not None and _idle(r))
    return task.id


def _idle(record: TaskRecord) -> bool:
    return record.state is not None and record.state.state is AgentState.IDLE


def gate() -> asyncio.Event:
    return asyncio.Event()


def calls(engine: Engine, task_id: str) -> list[str]:
    return [call for call, task in engine.world.calls if task == task_id]


async def later(coro: Any) -> asyncio.Task[Any]:
    """Start a request in the background and let it run up to its first wait."""
    job = asyncio.ensure_future(coro)
    await asyncio.sleep(0.05)
    return job
