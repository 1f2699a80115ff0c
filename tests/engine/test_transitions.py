"""Every row of the lifecycle table, driven through a real engine over the fake provider.

One scenario per row: it brings a task into the row's phase (with its guard true), makes the
row's event happen the way it happens in use (a request, a provider outcome, a crash), and
checks the phase the task ends in and the row's effect on the world. A row without a scenario
fails :func:`test_every_row_has_a_scenario`, so the table cannot grow untested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from taskyard.errors import WorkspaceFailureError
from taskyard.lifecycle import TABLE, AgentState, Event, Guard, Phase, Presence, Row, TaskStatus
from taskyard.protocol import Task
from tests.engine.conftest import Engine
from tests.engine.steps import DEAD, calls, gate, later, owner, placed, running

Scenario = Callable[[Engine], Awaitable[None]]
SCENARIOS: dict[tuple[Phase, Event, Guard], Scenario] = {}


def scenario(
    phase: Phase, event: Event, guard: Guard = Guard.ANY
) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        SCENARIOS[phase, event, guard] = fn
        return fn

    return register


# -- pending, creating, starting -------------------------------------------------------------


@scenario(Phase.PENDING, Event.BRING_UP)
async def _(e: Engine) -> None:
    e.world.script.gate_up = held = gate()
    task = await e.create()
    assert task.status == "pending"
    record = await e.in_phase(task.id, Phase.CREATING)
    assert record.workspace.owner == e.owners.me() and calls(e, task.id) == ["create"]
    held.set()
    await e.active(task.id)


@scenario(Phase.PENDING, Event.DELETE)
async def _(e: Engine) -> None:
    task_id = await placed(e, Phase.PENDING, by=e.owners.me(), made=False)
    await e.service.delete(task_id)
    assert await e.record(task_id) is None and task_id in e.events.deleted


@scenario(Phase.PENDING, Event.OWNER_DIED)
async def _(e: Engine) -> None:
    task_id = await placed(e, Phase.PENDING, by=DEAD, made=False)
    await e.service.reconciler.reconcile_all()
    record = await e.in_phase(task_id, Phase.FAILED)
    assert record.error is not None and "interrupted" in record.error.message


@scenario(Phase.PENDING, Event.SEND)
async def _(e: Engine) -> None:
    task_id = await placed(e, Phase.PENDING, by=e.owners.me(), made=False)
    sending = await later(e.service.send(task_id, "as soon as you can"))
    assert not sending.done()  # it waits for the start-up
    await e.service.lifecycle.begin(task_id, Event.BRING_UP)
    sent = await sending
    assert sent.delivered or sent.queued
    await e.until(task_id, lambda _: "as soon as you can" in e.world.bridge(task_id).typed)


async def _send_while(e: Engine, phase: Phase) -> None:
    held = gate()
    if phase is Phase.STARTING:
        task_id = await _paused(e)
        e.world.script.gate_up = held
        await e.service.resume(task_id)
    else:
        e.world.script.gate_up = held
        task_id = (await e.create()).id
    await e.in_phase(task_id, phase)
    sending = await later(e.service.send(task_id, "next step"))
    assert not sending.done()
    held.set()
    sent = await sending
    assert not sent.resumed and (sent.delivered or sent.queued)
    await e.until(task_id, lambda _: "next step" in e.world.bridge(task_id).typed)


@scenario(Phase.CREATING, Event.SEND)
async def _(e: Engine) -> None:
    await _send_while(e, Phase.CREATING)


@scenario(Phase.STARTING, Event.SEND)
async def _(e: Engine) -> None:
    await _send_while(e, Phase.STARTING)


@scenario(Phase.RUNNING, Event.SEND, Guard.AGENT_STARTING)
async def _(e: Engine) -> None:
    e.world.script.ready_at_once = False  # the bridge serves, the agent has not drawn yet
    task = await e.create("first")
    await e.until(
        task.id,
        lambda r: (
            r is not None
            and r.status is TaskStatus.INITIALIZING
            and r.workspace.phase is Phase.RUNNING
        ),
    )
    sending = await later(e.service.send(task.id, "second"))
    assert not sending.done()
    e.world.bridge(task.id).ready()
    sent = await sending
    assert sent.delivered or sent.queued
    await e.until(task.id, lambda _: e.world.bridge(task.id).typed == ["first", "second"])


@scenario(Phase.CREATING, Event.UP)
async def _(e: Engine) -> None:
    task = await e.create()
    record = await e.active(task.id)
    assert record.workspace.made and record.workspace.owner is None


@scenario(Phase.CREATING, Event.UP_FAILED)
async def _(e: Engine) -> None:
    e.world.script.fail_up = "no room for the workspace"
    task = await e.create()
    record = await e.in_phase(task.id, Phase.FAILED)
    assert record.error is not None and record.error.message == "no room for the workspace"
    assert not record.workspace.made and task.id not in e.world.workspaces


@scenario(Phase.CREATING, Event.DELETE)
async def _(e: Engine) -> None:
    e.world.script.gate_up = gate()  # held for ever: the delete must cut the start-up off
    task = await e.create()
    await e.in_phase(task.id, Phase.CREATING)
    await e.service.delete(task.id)
    assert await e.record(task.id) is None and task.id not in e.world.workspaces


@scenario(Phase.CREATING, Event.OWNER_DIED)
async def _(e: Engine) -> None:
    task_id = await placed(e, Phase.CREATING, by=DEAD, made=False, presence=Presence.STOPPED)
    await e.service.reconciler.reconcile_all()
    record = await e.in_phase(task_id, Phase.FAILED)
    assert not record.workspace.made and task_id not in e.world.workspaces
    assert "delete" in calls(e, task_id)


async def _paused(e: Engine) -> str:
    task_id = await running(e)
    await e.service.pause(task_id)
    return task_id


@scenario(Phase.STARTING, Event.UP)
async def _(e: Engine) -> None:
    task_id = await _paused(e)
    resumed = await e.service.resume(task_id)
    assert resumed.workspace.status == "starting"
    await e.active(task_id)
    assert calls(e, task_id)[-1] == "start"


@scenario(Phase.STARTING, Event.UP_FAILED)
async def _(e: Engine) -> None:
    task_id = await _paused(e)
    e.world.script.fail_up = "the image is gone"
    await e.service.resume(task_id)
    record = await e.in_phase(task_id, Phase.FAILED)
    assert record.workspace.made and record.status is TaskStatus.ERROR


@scenario(Phase.STARTING, Event.DELETE)
async def _(e: Engine) -> None:
    task_id = await _paused(e)
    e.world.script.gate_up = gate()
    await e.service.resume(task_id)
    await e.in_phase(task_id, Phase.STARTING)
    await e.service.delete(task_id)
    assert await e.record(task_id) is None and task_id not in e.world.workspaces


@scenario(Phase.STARTING, Event.OWNER_DIED)
async def _(e: Engine) -> None:
    task_id = await placed(e, Phase.STARTING, by=DEAD, presence=Presence.RUNNING)
    await e.service.reconciler.reconcile_all()
    await e.in_phase(task_id, Phase.FAILED)
    assert e.world.workspaces[task_id].presence is Presence.STOPPED  # its bridge was stopped


# -- running ----------------------------------------------------------------------------------


@scenario(Phase.RUNNING, Event.SEND, Guard.AGENT_LIVE)
async def _(e: Engine) -> None:
    task_id = await running(e)
    sent = await e.service.send(task_id, "now add a test")
    assert sent.delivered and not sent.resumed
    assert e.world.bridge(task_id).typed[-1] == "now add a test"


@scenario(Phase.RUNNING, Event.SEND, Guard.AGENT_ENDED)
async def _(e: Engine) -> None:
    task_id = await running(e)
    e.world.bridge(task_id).agent_exits(ok=False)
    await e.until(task_id, lambda r: r is not None and r.status is TaskStatus.ERROR)
    sent = await e.service.send(task_id, "try again")
    assert sent.resumed and (sent.delivered or sent.queued)
    assert calls(e, task_id)[-2:] == ["stop", "start"]


@scenario(Phase.RUNNING, Event.INTERRUPT, Guard.AGENT_BUSY)
async def _(e: Engine) -> None:
    task_id = await running(e)
    e.world.bridge(task_id).auto_reply = False
    await e.service.send(task_id, "think hard")
    await e.until(task_id, lambda r: r is not None and r.state.state is AgentState.WORKING)  # type: ignore[union-attr]
    await e.service.interrupt(task_id)
    assert e.world.bridge(task_id).interrupts == 1


@scenario(Phase.RUNNING, Event.PAUSE)
async def _(e: Engine) -> None:
    task_id = await running(e)
    paused = await e.service.pause(task_id)
    assert (paused.status, paused.workspace.status) == ("paused", "stopped")
    assert await e.store.snapshot(task_id) is not None
    assert e.world.workspaces[task_id].presence is Presence.STOPPED


@scenario(Phase.RUNNING, Event.RESUME, Guard.AGENT_ENDED)
async def _(e: Engine) -> None:
    task_id = await running(e)
    e.world.bridge(task_id).agent_exits(ok=False)
    await e.until(task_id, lambda r: r is not None and r.status is TaskStatus.ERROR)
    await e.service.resume(task_id)
    await e.active(task_id)
    assert e.world.workspaces[task_id].starts == 2


@scenario(Phase.RUNNING, Event.DELETE)
async def _(e: Engine) -> None:
    task_id = await running(e)
    await e.service.delete(task_id)
    assert await e.record(task_id) is None and task_id not in e.world.workspaces


@scenario(Phase.RUNNING, Event.BRIDGE_STOPPED)
async def _(e: Engine) -> None:
    task_id = await running(e)
    e.world.workspaces[task_id].presence = Presence.STOPPED
    e.world.bridge(task_id).crash()
    record = await e.in_phase(task_id, Phase.STOPPED)
    assert record.status is TaskStatus.PAUSED and record.error is None


@scenario(Phase.RUNNING, Event.WORKSPACE_MISSING)
async def _(e: Engine) -> None:
    task_id = await running(e)
    e.world.workspaces.pop(task_id).bridge.crash()  # type: ignore[union-attr]
    record = await e.in_phase(task_id, Phase.FAILED)
    assert record.error is not None and "disappeared" in record.error.message


# -- stopping, stopped --------------------------------------------------------------------------


async def _stopping(e: Engine) -> tuple[str, asyncio.Event, asyncio.Task[Task]]:
    task_id = await running(e)
    e.world.script.gate_stop = held = gate()
    pausing = await later(e.service.pause(task_id))
    await e.in_phase(task_id, Phase.STOPPING)
    return task_id, held, pausing


@scenario(Phase.STOPPING, Event.DOWN)
async def _(e: Engine) -> None:
    _, held, pausing = await _stopping(e)
    held.set()
    assert (await pausing).status == "paused"


@scenario(Phase.STOPPING, Event.DOWN_FAILED)
async def _(e: Engine) -> None:
    task_id = await running(e)
    e.world.script.fail_stop = "the engine refused to stop it"
    with pytest.raises(WorkspaceFailureError):
        await e.service.pause(task_id)
    record = await e.in_phase(task_id, Phase.FAILED)
    assert record.error is not None and "refused" in record.error.message


@scenario(Phase.STOPPING, Event.RESUME)
async def _(e: Engine) -> None:
    task_id, held, pausing = await _stopping(e)
    resuming = await later(e.service.resume(task_id))
    assert not resuming.done()  # it waits for the stop
    held.set()
    await pausing
    assert (await resuming).workspace.status == "starting"
    await e.active(task_id)


@scenario(Phase.STOPPING, Event.SEND)
async def _(e: Engine) -> None:
    task_id, held, pausing = await _stopping(e)
    sending = await later(e.service.send(task_id, "after the pause"))
    assert not sending.done()
    held.set()
    await pausing
    sent = await sending
    assert sent.resumed and e.world.bridge(task_id).typed[-1] == "after the pause"


@scenario(Phase.STOPPING, Event.DELETE)
async def _(e: Engine) -> None:
    task_id, held, pausing = await _stopping(e)
    await e.service.delete(task_id)
    held.set()
    with pytest.raises(Exception, match="deleted"):
        await pausing
    assert await e.record(task_id) is None and task_id not in e.world.workspaces


@scenario(Phase.STOPPING, Event.OWNER_DIED)
async def _(e: Engine) -> None:
    task_id = await placed(e, Phase.STOPPING, by=DEAD, presence=Presence.RUNNING)
    await e.service.reconciler.reconcile_all()
    record = await e.in_phase(task_id, Phase.STOPPED)
    assert record.status is TaskStatus.PAUSED and calls(e, task_id) == ["stop"]


@scenario(Phase.STOPPED, Event.RESUME)
async def _(e: Engine) -> None:
    task_id = await _paused(e)
    await e.service.resume(task_id)
    await e.active(task_id)


@scenario(Phase.STOPPED, Event.SEND)
async def _(e: Engine) -> None:
    task_id = await _paused(e)
    sent = await e.service.send(task_id, "continue please")
    assert sent.resumed and sent.delivered
    assert e.world.bridge(task_id).typed == ["continue please"]


@scenario(Phase.STOPPED, Event.DELETE)
async def _(e: Engine) -> None:
    task_id = await _paused(e)
    result = await e.service.delete(task_id, keep_work=True)
    assert result.kept_work == f"/kept/{task_id}" and await e.record(task_id) is None


# -- failed, deleting ------------------------------------------------------------------------


async def _failed(e: Engine, made: bool) -> str:
    if made:
        task_id = await _paused(e)
        e.world.script.fail_up = "flaky"
        await e.service.resume(task_id)
    else:
        e.world.script.fail_up = "flaky"
        task_id = (await e.create()).id
    record = await e.in_phase(task_id, Phase.FAILED)
    assert record.workspace.made is made
    e.world.script.fail_up = ""
    return task_id


for _event in (Event.RESUME, Event.SEND):
    for _guard, _made in ((Guard.MADE, True), (Guard.NOT_MADE, False)):

        def _retry(event: Event, made: bool) -> Scenario:
            async def run(e: Engine) -> None:
                task_id = await _failed(e, made)
                if event is Event.SEND:
                    assert (await e.service.send(task_id, "retry")).resumed
                else:
                    await e.service.resume(task_id)
                record = await e.active(task_id)
                assert record.error is None
                assert (
                    calls(e, task_id)[-1] == "start" if made else calls(e, task_id)[-1] == "create"
                )

            return run

        scenario(Phase.FAILED, _event, _guard)(_retry(_event, _made))


@scenario(Phase.FAILED, Event.DELETE)
async def _(e: Engine) -> None:
    task_id = await _failed(e, made=True)
    await e.service.delete(task_id)
    assert await e.record(task_id) is None


@scenario(Phase.DELETING, Event.REMOVED)
async def _(e: Engine) -> None:
    task_id = await running(e)
    result = await e.service.delete(task_id)
    assert result.id == task_id and e.events.deleted == [task_id]


@scenario(Phase.DELETING, Event.REMOVE_FAILED)
async def _(e: Engine) -> None:
    task_id = await running(e)
    e.world.script.fail_delete = "cannot copy the work out"
    with pytest.raises(WorkspaceFailureError):
        await e.service.delete(task_id, keep_work=True)
    record = await e.in_phase(task_id, Phase.FAILED)
    assert record.error is not None and "could not be kept" in record.error.message


@scenario(Phase.DELETING, Event.DELETE)
async def _(e: Engine) -> None:
    e.world.alive.add("b")
    task_id = await placed(e, Phase.DELETING, by=owner("b"), presence=Presence.STOPPED)
    deleting = await later(e.service.delete(task_id))
    assert not deleting.done()  # another live process is deleting it: wait
    e.world.alive.discard("b")  # …and it dies: this one finishes the delete
    await deleting
    assert await e.record(task_id) is None and task_id not in e.world.workspaces


@scenario(Phase.DELETING, Event.OWNER_DIED)
async def _(e: Engine) -> None:
    task_id = await placed(e, Phase.DELETING, by=DEAD, presence=Presence.STOPPED, keep_work=True)
    await e.service.reconciler.reconcile_all()
    assert await e.record(task_id) is None and calls(e, task_id) == ["delete"]


# -- the tests ----------------------------------------------------------------------------


def _key(row: Row) -> str:
    guard = f"[{row.guard.value}]" if row.guard.value else ""
    return f"{row.phase.value}-{row.event.value}{guard}".replace(" ", "_")


def test_every_row_has_a_scenario() -> None:
    missing = [_key(r) for r in TABLE if (r.phase, r.event, r.guard) not in SCENARIOS]
    assert missing == []


@pytest.mark.parametrize("row", TABLE, ids=_key)
async def test_row(row: Row, engine: Engine) -> None:
    await SCENARIOS[row.phase, row.event, row.guard](engine)
