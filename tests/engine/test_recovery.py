"""A process killed at any step leaves no task without a way out.

Engine ``a`` is killed (``crash``) while its step is held on a gate: mid-create, mid-start
(resume), mid-stop (pause), mid-delete. Engine ``b`` then starts on the same store and world,
as the next sidecar or CLI would, or was already running and notices the owner die. Each case
checks where the task ends, that the world holds nothing it should not, and that the way out
the table offers works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from taskyard.lifecycle import Phase, Presence, TaskStatus
from tests.engine.conftest import Engine
from tests.engine.steps import gate, later, running

Engines = Callable[..., Awaitable[Engine]]


async def _mid_create(a: Engine) -> str:
    a.world.script.gate_up = gate()
    task = await a.create()
    await a.in_phase(task.id, Phase.CREATING)
    return task.id


async def _mid_start(a: Engine) -> str:
    task_id = await running(a)
    await a.service.pause(task_id)
    a.world.script.gate_up = gate()
    await a.service.resume(task_id)
    await a.in_phase(task_id, Phase.STARTING)
    return task_id


async def _mid_stop(a: Engine) -> str:
    task_id = await running(a)
    a.world.script.gate_stop = gate()
    await later(a.service.pause(task_id))
    await a.in_phase(task_id, Phase.STOPPING)
    return task_id


async def _mid_delete(a: Engine) -> str:
    task_id = await running(a)
    a.world.script.gate_delete = gate()
    await later(a.service.delete(task_id))
    await a.in_phase(task_id, Phase.DELETING)
    return task_id


CUT_OFF = [
    pytest.param(_mid_create, Phase.FAILED, id="create"),
    pytest.param(_mid_start, Phase.FAILED, id="resume"),
    pytest.param(_mid_stop, Phase.STOPPED, id="pause"),
    pytest.param(_mid_delete, None, id="delete"),
]


async def _way_out(b: Engine, task_id: str, phase: Phase | None) -> None:
    """The task ends where the table says, and resuming (or nothing, if gone) works."""
    if phase is None:
        await b.until(task_id, lambda r: r is None)
        assert task_id not in b.world.workspaces
        return
    record = await b.in_phase(task_id, phase)
    assert record.workspace.owner is None
    if phase is Phase.FAILED:
        assert record.error is not None and "interrupted" in record.error.message
    view = await b.service.get(task_id)
    assert view.actions.resume and view.actions.delete and view.actions.send
    await b.service.resume(task_id)
    await b.active(task_id)
    assert b.world.running() == [task_id]


@pytest.mark.parametrize(("cut", "phase"), CUT_OFF)
async def test_the_next_process_recovers_at_start(
    engines: Engines, cut: Callable[[Engine], Awaitable[str]], phase: Phase | None
) -> None:
    a = await engines("a")
    task_id = await cut(a)
    await a.crash()
    a.world.script = type(a.world.script)()  # the gates were a's; the world moves on
    b = await engines("b")
    await _way_out(b, task_id, phase)


@pytest.mark.parametrize(("cut", "phase"), CUT_OFF)
async def test_a_running_process_notices_the_owner_die(
    engines: Engines, cut: Callable[[Engine], Awaitable[str]], phase: Phase | None
) -> None:
    b = await engines("b")  # the editor's sidecar, already running
    a = await engines("a")  # a CLI command, killed mid-step
    task_id = await cut(a)
    await b.until(task_id, lambda r: r is not None and r.workspace.owner == a.owners.me())
    await a.crash()
    a.world.script = type(a.world.script)()
    await _way_out(b, task_id, phase)


@pytest.mark.parametrize(("cut", "phase"), CUT_OFF)
async def test_a_request_recovers_first(
    engines: Engines, cut: Callable[[Engine], Awaitable[str]], phase: Phase | None
) -> None:
    """A request that meets a dead owner's step recovers it, then is served (bug: stuck
    ``stopping`` after a sidecar killed mid-pause, resume refused)."""
    a = await engines("a")
    task_id = await cut(a)
    await a.crash()
    a.world.script = type(a.world.script)()
    b = await engines("b", reconcile=False)  # no start-up pass, no watch: only the request
    assert (await b.record(task_id)).workspace.owner == a.owners.me()  # type: ignore[union-attr]
    if phase is None:
        await b.service.delete(task_id)
        assert await b.record(task_id) is None
        return
    await b.service.resume(task_id)
    record = await b.active(task_id)
    assert record.status is TaskStatus.ACTIVE


async def test_a_live_owner_is_left_to_finish(engines: Engines) -> None:
    a = await engines("a")
    task_id = await _mid_stop(a)
    b = await engines("b")
    await b.service.reconciler.reconcile_all()
    record = await b.in_phase(task_id, Phase.STOPPING)
    assert record.workspace.owner == a.owners.me()  # not taken over: a is alive
    assert a.world.script.gate_stop is not None
    a.world.script.gate_stop.set()
    await b.in_phase(task_id, Phase.STOPPED)


@pytest.mark.parametrize(
    ("presence", "phase", "status"),
    [
        pytest.param(Presence.RUNNING, Phase.RUNNING, TaskStatus.ACTIVE, id="bridge-lives"),
        pytest.param(Presence.STOPPED, Phase.STOPPED, TaskStatus.PAUSED, id="bridge-stopped"),
        pytest.param(None, Phase.FAILED, TaskStatus.ERROR, id="workspace-gone"),
    ],
)
async def test_a_running_task_is_reconciled_with_its_workspace(
    engines: Engines, presence: Presence | None, phase: Phase, status: TaskStatus
) -> None:
    a = await engines("a")
    task_id = await running(a)
    await a.crash()
    if presence is None:
        a.world.workspaces.pop(task_id)
    elif presence is Presence.STOPPED:
        a.world.workspaces[task_id].presence = presence
        a.world.bridge(task_id).crash()
    b = await engines("b")
    record = await b.until(task_id, lambda r: r is not None and r.status is status)
    assert record is not None and record.workspace.phase is phase
    if phase is Phase.RUNNING:
        assert (await b.service.send(task_id, "still there?")).delivered
