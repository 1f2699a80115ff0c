"""Merges every signal about the agent into one state: the bridge's state machine.

Each signal is *evidence*: a state, the time it became true, where it came from and a message.
The agent's state is the newest evidence, after three rules that stop the classic failures
(shown idle while working, stuck working after it finished):

1. A process exit is final (``exited`` or ``failed``) and beats everything.
2. The screen only gives evidence it can vouch for: a permission dialog (``needs_input``) or
   a busy marker (``working``) from the moment it appeared, and an idle prompt only once that
   prompt has stayed unchanged for a whole stability window *after* the newest other evidence.
   So a lost ``Stop`` hook still ends in ``idle`` (the prompt sat quiet after the last hook),
   and a fast ``UserPromptSubmit`` hook is never undone by a screen that has not redrawn yet.
   Silence alone (no prompt) never means idle, except for the ``custom`` agent, whose only
   signal is stability.
3. Until the agent has shown its ready prompt once, screen evidence reads as ``starting``.

Self-reports of ``complete``/``failed`` (from the agent, through the signal endpoint) stand
until newer evidence (a new user message, a hook) arrives.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Callable

from .model import AgentState, ScreenKind, ScreenReading, SignalSource

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class Evidence:
    """A claim about the agent's state, true from ``at`` (a wall-clock UNIX time) on."""

    state: AgentState
    source: SignalSource
    at: float
    message: str = ""


@dataclass(frozen=True)
class ScreenFacts:
    """What the screen watcher knows: the detector's reading and when the screen last changed."""

    reading: ScreenReading
    changed_at: float
    stable: bool


@dataclass(frozen=True)
class Inputs:
    """Everything :func:`derive` needs; a pure value, so the rules are testable as a table."""

    now: float
    window: float
    idle_on_stable: bool
    ready_seen: bool
    screen: ScreenFacts | None = None
    external: Evidence | None = None  # newest of hook / notification / api / self-report
    exit: Evidence | None = None
    hook_grace: float = 0.0  # how long the screen may lag a hook before it can contradict it


def screen_evidence(inputs: Inputs) -> Evidence | None:
    """The claim the screen can make on its own, or None."""
    facts = inputs.screen
    if facts is None:
        return None
    kind, message = facts.reading.kind, steady_text(facts.reading.message)
    if kind is ScreenKind.PERMISSION:
        return Evidence(AgentState.NEEDS_INPUT, SignalSource.SCREEN, facts.changed_at, message)
    if kind is ScreenKind.BUSY:
        return Evidence(AgentState.WORKING, SignalSource.SCREEN, facts.changed_at, message)
    quiet_since = facts.changed_at
    if inputs.external is not None:
        quiet_since = max(quiet_since, inputs.external.at)
    quiet_long_enough = inputs.now - quiet_since + 1e-3 >= inputs.window
    if kind is ScreenKind.READY and quiet_long_enough:
        return Evidence(AgentState.IDLE, SignalSource.SCREEN, quiet_since + inputs.window, message)
    if inputs.idle_on_stable:
        if quiet_long_enough:
            at = quiet_since + inputs.window
            return Evidence(AgentState.IDLE, SignalSource.STABILITY, at, message)
        if not facts.stable and inputs.ready_seen:
            return Evidence(AgentState.WORKING, SignalSource.STABILITY, facts.changed_at, message)
    return None


_SPINNER_NOISE = re.compile(r"^\W+|\s*\([^)]*\)\s*$")


def steady_text(message: str) -> str:
    """A screen message without what animates (spinner glyph, elapsed time, token counts).

    "✢ Sleeping… (1s · esc to interrupt)" and "✳ Sleeping… (2s · esc to interrupt)" are the
    same news; announcing each frame would flood every client with identical states.
    """
    return _SPINNER_NOISE.sub("", message).strip()


def derive(inputs: Inputs, previous: Evidence) -> Evidence:
    """The agent's state under the module's rules; ``previous`` stands when nothing is newer."""
    if inputs.exit is not None:
        return inputs.exit
    screen = screen_evidence(inputs)
    if screen is not None and _lags_hook(inputs.external, screen, inputs.hook_grace):
        screen = None
    candidates = [e for e in (inputs.external, screen) if e is not None]
    if not candidates:
        return previous
    newest = max(candidates, key=lambda e: (e.at, e.source is not SignalSource.SCREEN))
    if newest.at < previous.at:
        # Older than what is already known: evidence that resurfaces (an old "working" from the
        # last delivery, once text typed into the input line hides the idle prompt) must not
        # rewind the state to an older one.
        return previous
    from_screen = newest.source in (SignalSource.SCREEN, SignalSource.STABILITY)
    if not inputs.ready_seen and from_screen and newest.state is not AgentState.NEEDS_INPUT:
        return replace(newest, state=AgentState.STARTING)
    return newest


def _lags_hook(external: Evidence | None, screen: Evidence, grace: float) -> bool:
    """The screen still shows what a hook just reported over (it redraws a moment later)."""
    if external is None or external.source is not SignalSource.HOOK:
        return False
    return 0 <= screen.at - external.at < grace and screen.state is not external.state


class StateTracker:
    """Holds the current evidence and re-derives the state whenever a signal arrives.

    ``on_change(evidence)`` fires on every change of state or message. A single timer re-checks
    the rules when a quiet window will elapse, so no loop runs while nothing happens.
    """

    def __init__(
        self,
        *,
        window: float,
        idle_on_stable: bool,
        on_change: Callable[[Evidence], None],
        idle_message: Callable[[], str] = lambda: "",
        hook_grace: float = 0.0,
        clock: Clock = time.time,
    ) -> None:
        self._idle_message = idle_message
        self._hook_grace = hook_grace
        self._window = window
        self._idle_on_stable = idle_on_stable
        self._on_change = on_change
        self._clock = clock
        self.ready_seen = False
        self._screen: ScreenFacts | None = None
        self._external: Evidence | None = None
        self._exit: Evidence | None = None
        self.current = Evidence(AgentState.STARTING, SignalSource.PROCESS, clock(), "Starting")
        self._timer: asyncio.TimerHandle | None = None

    # -- signals ---------------------------------------------------------------------------

    def screen(self, reading: ScreenReading, changed_at: float, stable: bool) -> None:
        if reading.kind is ScreenKind.READY or (stable and self._idle_on_stable):
            # A custom agent has no prompt to recognise: its first quiet screen is "ready".
            self.ready_seen = True
        self._screen = ScreenFacts(reading, changed_at, stable)
        self._update()

    def external(self, state: AgentState, source: SignalSource, message: str = "") -> None:
        """A hook, notification, self-report or delivered user message."""
        if state in (AgentState.IDLE, AgentState.WORKING, AgentState.NEEDS_INPUT):
            self.ready_seen = True
        self._external = Evidence(state, source, self._clock(), message)
        self._update()

    def exited(self, ok: bool, message: str) -> None:
        state = AgentState.EXITED if ok else AgentState.FAILED
        self._exit = Evidence(state, SignalSource.PROCESS, self._clock(), message)
        self._update()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- derivation ------------------------------------------------------------------------

    def inputs(self) -> Inputs:
        return Inputs(
            now=self._clock(),
            window=self._window,
            idle_on_stable=self._idle_on_stable,
            ready_seen=self.ready_seen,
            screen=self._screen,
            external=self._external,
            exit=self._exit,
            hook_grace=self._hook_grace,
        )

    def _update(self) -> None:
        inputs = self.inputs()
        new = derive(inputs, self.current)
        if new.state in (AgentState.IDLE, AgentState.COMPLETE) and not new.message:
            new = replace(new, message=self._idle_message())
        changed = (new.state, new.message) != (self.current.state, self.current.message)
        if changed:
            log.info(
                "agent state %s -> %s (%s)",
                self.current.state.value,
                new.state.value,
                new.source.value,
            )
        self.current = new
        # Armed before the listeners hear of the change: a listener may report new evidence
        # at once (a delivery starting), whose own update must leave the last timer standing.
        self._arm_timer(inputs)
        if changed:
            self._on_change(new)

    def _arm_timer(self, inputs: Inputs) -> None:
        """Wake up when a quiet window that could turn the screen into evidence elapses."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if inputs.exit is not None or inputs.screen is None:
            return
        quiet_since = inputs.screen.changed_at
        if inputs.external is not None:
            quiet_since = max(quiet_since, inputs.external.at)
        due = quiet_since + self._window - inputs.now
        if inputs.external is not None and self._hook_grace:
            grace_end = inputs.external.at + self._hook_grace - inputs.now
            if grace_end > 0:
                due = min(due, grace_end) if due > 0 else grace_end
        if due > 0:
            self._timer = asyncio.get_running_loop().call_later(due + 0.005, self._update)
