"""Regression tests for the lifecycle bugs users met (each failed before the typed engine).

Numbers follow the issue that reported them. Bug 1 (stuck ``stopping``) is
``test_recovery.py::test_a_request_recovers_first[pause]``; bugs 6 and 7 live in the bridge
and the CLI suites (``tests/bridge/test_queue_delivery.py``, ``tests/cli/test_autopause.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from taskyard.lifecycle import AgentState, Phase, StateSource, TaskStatus
from taskyard.protocol import TasksCreateParams
from tests.engine.conftest import Engine
from tests.engine.steps import running


async def test_2_a_paused_task_offers_send_and_send_resumes_it(engine: Engine) -> None:
    task_id = await running(engine)
    paused = await engine.service.pause(task_id)
    assert paused.actions.send and paused.actions.resume and not paused.actions.pause
    sent = await engine.service.send(task_id, "pick it up again")
    assert sent.resumed and sent.delivered
    assert engine.world.bridge(task_id).typed == ["pick it up again"]


async def test_3_an_older_state_never_rewinds_a_newer_one(engine: Engine) -> None:
    task_id = await running(engine)
    bridge = engine.world.bridge(task_id)
    newer = await engine.active(task_id)
    assert newer.state is not None
    stale = (newer.state.timestamp - timedelta(seconds=5)).isoformat()
    bridge.state = {"state": "working", "message": "old", "source": "api", "timestamp": stale}
    bridge._publish("state_change", bridge.state_json())  # a lagging replay from the bridge
    bridge.set_state("idle", "fresh")  # and the newest word after it
    record = await engine.until(
        task_id, lambda r: r is not None and r.state is not None and r.state.message == "fresh"
    )
    assert record is not None and record.state is not None
    history = await engine.store.state_history(task_id)
    assert "old" not in [h.message for h in history]


async def test_4_a_question_left_by_a_pause_is_reported_as_dropped(engine: Engine) -> None:
    task_id = await running(engine)
    engine.world.bridge(task_id).ask("Allow writing notes.txt?")
    await engine.until(
        task_id,
        lambda r: r is not None and r.state is not None and r.state.state is AgentState.NEEDS_INPUT,
    )
    assert (await engine.service.get(task_id)).state.state == "needs_input"  # type: ignore[union-attr]
    paused = await engine.service.pause(task_id)
    assert paused.state is not None and paused.state.state == "idle"
    assert "Allow writing notes.txt?" in paused.state.message
    assert "question was dropped" in paused.state.message
    logged = [line.text for t, line in engine.events.logs if t == task_id]
    assert any("question was dropped" in text for text in logged)


async def test_5_no_preset_means_none_applied_and_none_recorded(engine: Engine) -> None:
    plain = await engine.service.create(TasksCreateParams(template="plain", prompt="a"))
    quick = await engine.service.create(
        TasksCreateParams(template="plain", prompt="b", preset="quick")
    )
    assert (plain.preset, plain.parameters["speed"]) == (None, "1")
    assert (quick.preset, quick.parameters["speed"]) == ("quick", "4")


async def test_8_a_bridge_killed_mid_turn_is_paused_not_working(engine: Engine) -> None:
    task_id = await running(engine)
    bridge = engine.world.bridge(task_id)
    bridge.auto_reply = False
    await engine.service.send(task_id, "sleep 30")
    bridge.set_state("working", "Sleeping…")
    await engine.until(
        task_id, lambda r: r is not None and r.state is not None and r.state.message == "Sleeping…"
    )
    engine.world.workspaces[task_id].presence = engine.world.workspaces[task_id].presence.STOPPED
    bridge.crash()  # kill -9 of the bridge
    record = await engine.in_phase(task_id, Phase.STOPPED)
    assert record.status is TaskStatus.PAUSED
    assert record.state is not None and record.state.state is AgentState.IDLE
    assert record.state.source is StateSource.PROCESS
    assert "cut short" in record.state.message and "Sleeping…" in record.state.message
    assert record.state.timestamp > datetime.now(UTC) - timedelta(seconds=5)
