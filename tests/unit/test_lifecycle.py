"""The lifecycle table on its own: its shape, the status it derives, the actions it offers.

The engine suite (``tests/engine``) drives every row through a real engine; these tables pin
what the rows and the derivations say, and that ``docs/ARCHITECTURE.md`` draws this table.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from taskyard.lifecycle import (
    TABLE,
    TRANSIENT,
    Action,
    AgentCondition,
    AgentReport,
    AgentState,
    BridgeLink,
    Event,
    Facts,
    Guard,
    Phase,
    StateSource,
    TaskStatus,
    allowed_actions,
    derive_status,
    lookup,
    settle_agent,
)
from taskyard.lifecycle.diagram import DOC, render

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
P, S, F = Phase, TaskStatus, Facts
ON, CONNECTING, LOST = BridgeLink.CONNECTED, BridgeLink.CONNECTING, BridgeLink.LOST
SEND, DEL, PAUSE, RESUME, INT = "send", "delete", "pause", "resume", "interrupt"


def report(
    state: AgentState, source: StateSource = StateSource.SCREEN, message: str = ""
) -> AgentReport:
    return AgentReport(state=state, source=source, message=message, timestamp=NOW)


IDLE = report(AgentState.IDLE)
WORKING = report(AgentState.WORKING, message="Sleeping…")
DIED = report(AgentState.FAILED, StateSource.PROCESS)


@pytest.mark.parametrize(
    ("phase", "link", "agent", "status"),
    [
        pytest.param(P.PENDING, ON, IDLE, S.PENDING, id="pending"),
        pytest.param(P.CREATING, ON, IDLE, S.INITIALIZING, id="creating"),
        pytest.param(P.STARTING, ON, IDLE, S.INITIALIZING, id="starting"),
        pytest.param(P.RUNNING, CONNECTING, IDLE, S.INITIALIZING, id="connecting"),
        pytest.param(P.RUNNING, ON, None, S.INITIALIZING, id="starting"),
        pytest.param(P.RUNNING, ON, WORKING, S.ACTIVE, id="working"),
        pytest.param(P.RUNNING, ON, DIED, S.ERROR, id="agent-died"),
        pytest.param(
            P.RUNNING, ON, report(AgentState.COMPLETE, StateSource.PROCESS),
            S.ACTIVE, id="agent-exited-cleanly",
        ),
        pytest.param(P.RUNNING, LOST, IDLE, S.UNKNOWN, id="lost"),
        pytest.param(P.STOPPING, ON, IDLE, S.PAUSED, id="stopping"),
        pytest.param(P.STOPPED, ON, IDLE, S.PAUSED, id="stopped"),
        pytest.param(P.FAILED, ON, IDLE, S.ERROR, id="failed"),
        pytest.param(P.DELETING, ON, IDLE, S.UNKNOWN, id="deleting"),
    ],
)  # fmt: skip
def test_status_in_layers(
    phase: Phase, link: BridgeLink, agent: AgentReport | None, status: TaskStatus
) -> None:
    assert derive_status(phase, link, agent) is status


ACTIVE_IDLE = Facts(TaskStatus.ACTIVE, IDLE, made=True)
ACTIVE_BUSY = Facts(TaskStatus.ACTIVE, WORKING, made=True)


@pytest.mark.parametrize(
    ("phase", "facts", "offered"),
    [
        pytest.param(P.PENDING, F(S.PENDING, None, False), {SEND, DEL}, id="pending"),
        pytest.param(P.CREATING, F(S.INITIALIZING, None, False), {SEND, DEL}, id="creating"),
        pytest.param(P.RUNNING, F(S.INITIALIZING, None, True), {SEND, PAUSE, DEL}, id="starting"),
        pytest.param(P.RUNNING, ACTIVE_IDLE, {SEND, PAUSE, DEL}, id="idle"),
        pytest.param(P.RUNNING, ACTIVE_BUSY, {SEND, INT, PAUSE, DEL}, id="working"),
        pytest.param(P.RUNNING, F(S.ERROR, DIED, True), {SEND, PAUSE, RESUME, DEL}, id="died"),
        pytest.param(P.RUNNING, F(S.UNKNOWN, IDLE, True), {PAUSE, DEL}, id="link-lost"),
        pytest.param(P.STOPPING, F(S.PAUSED, IDLE, True), {SEND, RESUME, DEL}, id="stopping"),
        pytest.param(P.STOPPED, F(S.PAUSED, IDLE, True), {SEND, RESUME, DEL}, id="paused"),
        pytest.param(P.FAILED, F(S.ERROR, None, False), {SEND, RESUME, DEL}, id="failed"),
        pytest.param(P.DELETING, F(S.UNKNOWN, None, True), {DEL}, id="deleting"),
    ],
)  # fmt: skip
def test_actions_offered(phase: Phase, facts: Facts, offered: set[str]) -> None:
    actions = allowed_actions(phase, facts)
    assert {a.value for a, allowed in actions.items() if allowed} == offered


def test_every_transient_phase_has_a_way_out_when_its_owner_dies() -> None:
    for phase in TRANSIENT:
        rows = [r for r in TABLE if r.phase is phase and r.event is Event.OWNER_DIED]
        assert len(rows) == 1, phase


def test_rows_are_unambiguous() -> None:
    keys = [(r.phase, r.event, r.guard) for r in TABLE]
    assert len(keys) == len(set(keys))
    exclusive = {frozenset({Guard.MADE, Guard.NOT_MADE})}
    live_vs = {Guard.AGENT_LIVE, Guard.AGENT_STARTING, Guard.AGENT_ENDED}
    for phase in Phase:
        for event in Event:
            guards = {r.guard for r in TABLE if r.phase is phase and r.event is event}
            if len(guards) > 1:
                assert frozenset(guards) in exclusive or guards <= live_vs, (phase, event, guards)


@pytest.mark.parametrize(
    "facts",
    [
        Facts(TaskStatus.ACTIVE, IDLE, True),
        Facts(TaskStatus.INITIALIZING, None, True),
        Facts(TaskStatus.ERROR, DIED, True),
        Facts(TaskStatus.UNKNOWN, IDLE, True),
    ],
)
def test_at_most_one_send_row_holds(facts: Facts) -> None:
    holding = [
        r
        for r in TABLE
        if r.phase is Phase.RUNNING and r.event is Event.SEND and facts.holds(r.guard)
    ]
    assert len(holding) <= 1


def test_every_phase_is_reached_and_every_user_action_exists() -> None:
    reached = {r.next for r in TABLE} | {Phase.PENDING}
    assert set(Phase) <= reached
    events = {r.event for r in TABLE}
    assert {Event(a.value) for a in Action} <= events


@pytest.mark.parametrize(
    ("agent", "event", "state", "says"),
    [
        pytest.param(WORKING, Event.PAUSE, AgentState.IDLE, "cut short", id="pause-working"),
        pytest.param(
            report(AgentState.NEEDS_INPUT, message="Allow?"), Event.PAUSE, AgentState.IDLE,
            "question was dropped", id="pause-asking",
        ),
        pytest.param(
            WORKING, Event.BRIDGE_STOPPED, AgentState.IDLE, "workspace stopped", id="bridge-died"
        ),
        pytest.param(IDLE, Event.PAUSE, AgentState.IDLE, "", id="idle-stays"),
        pytest.param(None, Event.PAUSE, None, "", id="no-report"),
    ],
)  # fmt: skip
def test_a_stopped_workspace_ends_the_turn_truthfully(
    agent: AgentReport | None, event: Event, state: AgentState | None, says: str
) -> None:
    row = lookup(Phase.RUNNING, event, Facts(TaskStatus.ACTIVE, agent, True))
    assert row is not None
    settled = settle_agent(row, agent, NOW)
    assert (settled.state if settled else None) is state
    if says:
        assert settled is not None and says in settled.message
        assert settled.source is StateSource.PROCESS
    else:
        assert settled is agent


def test_condition_of_a_report() -> None:
    assert IDLE.condition is AgentCondition.LIVE
    assert DIED.condition is AgentCondition.ENDED_FAILED
    assert report(AgentState.FAILED, StateSource.HOOK).condition is AgentCondition.LIVE


def test_the_architecture_document_draws_this_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, "run: python -m taskyard.lifecycle.diagram"
