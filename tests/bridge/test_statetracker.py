"""The state-merging rules as a table: each row is a situation real agents produce."""

from __future__ import annotations

import asyncio
import time

import pytest

from taskyard.bridge.model import AgentState, ScreenKind, ScreenReading, SignalSource
from taskyard.bridge.statetracker import (
    Evidence,
    Inputs,
    ScreenFacts,
    StateTracker,
    derive,
    steady_text,
)

W = 2.0
READY = ScreenReading(ScreenKind.READY)
BUSY = ScreenReading(ScreenKind.BUSY, "✻ Thinking…")
PERM = ScreenReading(ScreenKind.PERMISSION, "Do you want to delete x?")
UNKNOWN = ScreenReading(ScreenKind.UNKNOWN)
PREV = Evidence(AgentState.STARTING, SignalSource.PROCESS, 0.0, "Starting")


def ev(state: AgentState, source: SignalSource, at: float, message: str = "") -> Evidence:
    return Evidence(state, source, at, message)


def facts(reading: ScreenReading, changed_at: float, stable: bool = False) -> ScreenFacts:
    return ScreenFacts(reading, changed_at, stable)


CASES = [
    pytest.param(
        Inputs(
            now=1.0, window=W, idle_on_stable=False, ready_seen=False, screen=facts(UNKNOWN, 0.5)
        ),
        AgentState.STARTING,
        SignalSource.PROCESS,
        id="boot-noise-keeps-starting",
    ),
    pytest.param(
        Inputs(
            now=3.0, window=W, idle_on_stable=False, ready_seen=True, screen=facts(READY, 0.5, True)
        ),
        AgentState.IDLE,
        SignalSource.SCREEN,
        id="quiet-ready-prompt-is-idle",
    ),
    pytest.param(
        Inputs(now=1.0, window=W, idle_on_stable=False, ready_seen=True, screen=facts(READY, 0.5)),
        AgentState.STARTING,
        SignalSource.PROCESS,
        id="ready-prompt-not-quiet-yet-changes-nothing",
    ),
    pytest.param(
        Inputs(
            now=5.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(UNKNOWN, 1.0, True),
            external=ev(AgentState.WORKING, SignalSource.API, 0.9),
        ),
        AgentState.WORKING,
        SignalSource.API,
        id="aider-silent-after-prompt-stays-working",
    ),
    pytest.param(
        Inputs(
            now=9.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(READY, 6.0, True),
            external=ev(AgentState.WORKING, SignalSource.API, 0.9),
        ),
        AgentState.IDLE,
        SignalSource.SCREEN,
        id="prompt-back-after-reply-is-idle",
    ),
    pytest.param(
        Inputs(
            now=3.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(READY, 0.5, True),
            external=ev(AgentState.WORKING, SignalSource.HOOK, 2.9),
        ),
        AgentState.WORKING,
        SignalSource.HOOK,
        id="hook-beats-a-screen-not-yet-redrawn",
    ),
    pytest.param(
        Inputs(
            now=8.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(READY, 5.0, True),
            external=ev(AgentState.WORKING, SignalSource.HOOK, 4.0),
        ),
        AgentState.IDLE,
        SignalSource.SCREEN,
        id="lost-stop-hook-still-ends-idle",
    ),
    pytest.param(
        Inputs(
            now=4.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(BUSY, 3.9),
            external=ev(AgentState.IDLE, SignalSource.HOOK, 3.0),
        ),
        AgentState.WORKING,
        SignalSource.SCREEN,
        id="busy-marker-after-stop-is-working",
    ),
    pytest.param(
        Inputs(
            now=4.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(BUSY, 3.9),
            external=ev(AgentState.NEEDS_INPUT, SignalSource.HOOK, 3.95),
        ),
        AgentState.NEEDS_INPUT,
        SignalSource.HOOK,
        id="permission-hook-beats-stale-spinner",
    ),
    pytest.param(
        Inputs(
            now=4.0, window=W, idle_on_stable=False, ready_seen=True, screen=facts(PERM, 3.0, True)
        ),
        AgentState.NEEDS_INPUT,
        SignalSource.SCREEN,
        id="dialog-on-screen-needs-input",
    ),
    pytest.param(
        Inputs(now=1.0, window=W, idle_on_stable=False, ready_seen=False, screen=facts(PERM, 0.5)),
        AgentState.NEEDS_INPUT,
        SignalSource.SCREEN,
        id="dialog-during-boot-needs-input",
    ),
    pytest.param(
        Inputs(
            now=4.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(READY, 3.5),
            external=ev(AgentState.IDLE, SignalSource.HOOK, 3.4),
        ),
        AgentState.IDLE,
        SignalSource.HOOK,
        id="stop-hook-is-idle-at-once",
    ),
    pytest.param(
        Inputs(
            now=4.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(READY, 3.0),
            external=ev(AgentState.IDLE, SignalSource.NOTIFICATION, 3.5),
        ),
        AgentState.IDLE,
        SignalSource.NOTIFICATION,
        id="aider-notification-is-idle",
    ),
    pytest.param(
        Inputs(
            now=3.5,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            hook_grace=0.5,
            screen=facts(BUSY, 3.45),
            external=ev(AgentState.IDLE, SignalSource.HOOK, 3.4),
        ),
        AgentState.IDLE,
        SignalSource.HOOK,
        id="screen-lagging-a-stop-hook-is-ignored",
    ),
    pytest.param(
        Inputs(
            now=4.5,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            hook_grace=0.5,
            screen=facts(BUSY, 4.4),
            external=ev(AgentState.IDLE, SignalSource.HOOK, 3.4),
        ),
        AgentState.WORKING,
        SignalSource.SCREEN,
        id="busy-screen-after-the-grace-wins",
    ),
    pytest.param(
        Inputs(now=4.0, window=W, idle_on_stable=True, ready_seen=True, screen=facts(UNKNOWN, 3.9)),
        AgentState.WORKING,
        SignalSource.STABILITY,
        id="custom-changing-screen-is-working",
    ),
    pytest.param(
        Inputs(
            now=6.0,
            window=W,
            idle_on_stable=True,
            ready_seen=True,
            screen=facts(UNKNOWN, 3.9, True),
        ),
        AgentState.IDLE,
        SignalSource.STABILITY,
        id="custom-quiet-screen-is-idle",
    ),
    pytest.param(
        Inputs(
            now=6.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(READY, 1.0, True),
            external=ev(AgentState.COMPLETE, SignalSource.HOOK, 5.0, "done"),
        ),
        AgentState.COMPLETE,
        SignalSource.HOOK,
        id="self-report-complete-stands",
    ),
    pytest.param(
        Inputs(
            now=6.0,
            window=W,
            idle_on_stable=False,
            ready_seen=True,
            screen=facts(BUSY, 5.9),
            exit=ev(AgentState.FAILED, SignalSource.PROCESS, 5.95, "exited with code 3"),
        ),
        AgentState.FAILED,
        SignalSource.PROCESS,
        id="exit-beats-everything",
    ),
]


@pytest.mark.parametrize(
    ("text", "steady"),
    [
        pytest.param("✢ Sleeping… (1s · esc to interrupt)", "Sleeping…", id="demo-spinner"),
        pytest.param("✽ Forging… (3s · ↓ 20 tokens)", "Forging…", id="claude-spinner"),
        pytest.param("Do you want to delete x?", "Do you want to delete x?", id="question"),
    ],
)
def test_spinner_frames_read_as_one_message(text: str, steady: str) -> None:
    assert steady_text(text) == steady


REWINDS = [
    pytest.param(
        ev(AgentState.WORKING, SignalSource.SCREEN, 5.0, "Sleeping…"),
        ev(AgentState.WORKING, SignalSource.API, 1.0),
        id="same-state-older",
    ),
    pytest.param(
        # Text typed into the input line hides the idle prompt: the last delivery's "working"
        # (older than the idle it was followed by) must not come back, for ever.
        ev(AgentState.IDLE, SignalSource.SCREEN, 5.0, "Done"),
        ev(AgentState.WORKING, SignalSource.API, 1.0, "make it so"),
        id="typed-input-keeps-idle",
    ),
    pytest.param(
        ev(AgentState.NEEDS_INPUT, SignalSource.HOOK, 5.0, "Allow?"),
        ev(AgentState.WORKING, SignalSource.HOOK, 4.0),
        id="older-hook-after-a-question",
    ),
]


@pytest.mark.parametrize(("previous", "older"), REWINDS)
def test_older_evidence_never_rewinds_the_state(previous: Evidence, older: Evidence) -> None:
    inputs = Inputs(
        now=6.0,
        window=W,
        idle_on_stable=False,
        ready_seen=True,
        screen=facts(UNKNOWN, 5.5),
        external=older,
    )
    assert derive(inputs, previous) == previous


@pytest.mark.parametrize(("inputs", "state", "source"), CASES)
def test_derive(inputs: Inputs, state: AgentState, source: SignalSource) -> None:
    result = derive(inputs, PREV)
    assert (result.state, result.source) == (state, source)


async def test_tracker_turns_idle_when_the_quiet_window_elapses_without_polling() -> None:
    changes: list[Evidence] = []
    tracker = StateTracker(window=0.2, idle_on_stable=False, on_change=changes.append)
    tracker.screen(READY, time.time(), stable=False)
    assert tracker.current.state is AgentState.STARTING
    await asyncio.sleep(0.35)
    assert tracker.current.state is AgentState.IDLE
    assert [c.state for c in changes] == [AgentState.IDLE]
    tracker.close()


async def test_tracker_exit_is_final() -> None:
    tracker = StateTracker(window=0.1, idle_on_stable=True, on_change=lambda e: None)
    tracker.exited(False, "The agent exited with code 3")
    tracker.external(AgentState.WORKING, SignalSource.HOOK, "late hook")
    assert tracker.current.state is AgentState.FAILED
    assert tracker.current.message == "The agent exited with code 3"
    tracker.close()
