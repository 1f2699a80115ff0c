"""Requests that cross: in one process, and from two processes acting on one task.

Two engines on one store stand for the editor's sidecar and a CLI command. The store's
compare and set lets only one of two crossing requests move a task; the other is answered
truthfully (refused, or served after the first one's step), and the world never ends up with
a workspace no task owns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from taskyard.errors import InvalidTransitionError, TaskyardError
from taskyard.lifecycle import Phase
from tests.engine.conftest import Engine
from tests.engine.steps import calls, gate, later, running

Engines = Callable[..., Awaitable[Engine]]


async def test_pause_during_start_is_refused_then_works(engine: Engine) -> None:
    engine.world.script.gate_up = held = gate()
    task = await engine.create()
    await engine.in_phase(task.id, Phase.CREATING)
    with pytest.raises(InvalidTransitionError, match="only a running task can be paused"):
        await engine.service.pause(task.id)
    assert not (await engine.service.get(task.id)).actions.pause  # not offered either
    held.set()
    await engine.active(task.id)
    assert (await engine.service.pause(task.id)).status == "paused"


async def test_two_resumes_at_once_start_once(engine: Engine) -> None:
    task_id = await running(engine)
    await engine.service.pause(task_id)
    results = await asyncio.gather(
        engine.service.resume(task_id), engine.service.resume(task_id), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, InvalidTransitionError)]
    assert len(refused) == 1
    await engine.active(task_id)
    assert calls(engine, task_id).count("start") == 1


async def test_two_processes_pause_at_once(engines: Engines) -> None:
    a, b = await engines("a"), await engines("b")
    task_id = await running(a)
    await b.active(task_id)
    results = await asyncio.gather(
        a.service.pause(task_id), b.service.pause(task_id), return_exceptions=True
    )
    assert sum(isinstance(r, InvalidTransitionError) for r in results) == 1
    assert calls(a, task_id).count("stop") == 1
    await a.in_phase(task_id, Phase.STOPPED)


async def test_delete_while_another_process_resumes(engines: Engines) -> None:
    a, b = await engines("a"), await engines("b")
    task_id = await running(a)
    await a.service.pause(task_id)
    a.world.script.gate_up = held = gate()
    await a.service.resume(task_id)
    await b.in_phase(task_id, Phase.STARTING)
    await b.service.delete(task_id)
    held.set()  # a's start-up finishes after the task is gone: what it made must go too
    await a.until(task_id, lambda r: r is None)
    await asyncio.sleep(0.1)
    assert task_id not in a.world.workspaces


async def test_send_while_another_process_resumes(engines: Engines) -> None:
    a, b = await engines("a"), await engines("b")
    task_id = await running(a)
    await a.service.pause(task_id)
    a.world.script.gate_up = held = gate()
    await a.service.resume(task_id)
    await b.in_phase(task_id, Phase.STARTING)
    sending = await later(b.service.send(task_id, "after you"))
    assert not sending.done()
    held.set()
    sent = await sending
    assert not sent.resumed and (sent.delivered or sent.queued)
    await a.until(task_id, lambda _: "after you" in a.world.bridge(task_id).typed)


async def test_delete_while_another_process_pauses(engines: Engines) -> None:
    a, b = await engines("a"), await engines("b")
    task_id = await running(a)
    a.world.script.gate_stop = held = gate()
    pausing = await later(a.service.pause(task_id))
    await b.in_phase(task_id, Phase.STOPPING)
    await b.service.delete(task_id)
    held.set()
    with pytest.raises(TaskyardError, match="deleted while it paused"):
        await pausing
    assert await a.record(task_id) is None and task_id not in a.world.workspaces


async def test_a_monitor_never_undoes_another_process_pause(engines: Engines) -> None:
    a, b = await engines("a"), await engines("b")
    task_id = await running(a)
    await b.active(task_id)  # both follow the bridge
    await b.service.pause(task_id)
    await asyncio.sleep(0.2)
    record = await a.record(task_id)
    assert record is not None and record.workspace.phase is Phase.STOPPED
    assert record.status.value == "paused"
