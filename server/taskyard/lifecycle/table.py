"""The task lifecycle as data: one transition table, and the status and actions read from it.

A row says: in this phase, on this event, when this guard holds, the task moves to that phase
and the engine performs that effect. The engine's guards (may I pause?), the wire's
``actions`` (is Pause offered?), crash recovery (a transient phase whose owner died) and the
monitor's findings (the bridge is gone) all look rows up here, so they cannot disagree. The
diagram in ``docs/ARCHITECTURE.md`` is generated from :data:`TABLE` (:mod:`.diagram`).

Status is a second, smaller table: the phase decides, except while running, where the link to
the bridge and the agent's condition refine it (Coder's layered derivation).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum

import attrs

from .states import (
    Action,
    AgentCondition,
    AgentReport,
    AgentState,
    BridgeLink,
    Phase,
    StateSource,
    TaskStatus,
)


class Event(StrEnum):
    """What can happen to a task: a request, the outcome of a provider call, or a finding."""

    BRING_UP = "bring up"
    """The engine starts the first start-up of a new task."""
    PAUSE = "pause"
    RESUME = "resume"
    SEND = "send"
    INTERRUPT = "interrupt"
    DELETE = "delete"
    UP = "up"
    """The provider's create or start succeeded: the bridge serves."""
    UP_FAILED = "up failed"
    DOWN = "down"
    """The provider's stop finished."""
    DOWN_FAILED = "down failed"
    REMOVED = "removed"
    """The provider's delete finished: the record goes."""
    REMOVE_FAILED = "remove failed"
    BRIDGE_STOPPED = "bridge stopped"
    """A running task's bridge is found stopped (it paused itself, crashed, or its engine
    restarted)."""
    WORKSPACE_MISSING = "workspace missing"
    """A running task's workspace is found gone."""
    OWNER_DIED = "owner died"
    """The process that drove a transient phase is gone; this one finishes or undoes the step."""


class Effect(StrEnum):
    """What the engine does when a row applies."""

    NONE = "-"
    CREATE = "create workspace"
    START = "start workspace"
    RESTART = "stop, then start workspace"
    STOP = "snapshot, stop workspace"
    HALT = "stop what a cut-off start left"
    CLEAN_UP = "remove what a cut-off create left"
    REMOVE = "remove workspace"
    FOLLOW = "follow the bridge"
    DELIVER = "deliver or queue the message"
    AWAIT_AGENT = "wait until the agent takes messages, then deliver or queue"
    INTERRUPT = "interrupt the agent"
    WAIT = "wait for the step in progress, then apply again"


class Guard(StrEnum):
    """A condition on the task beyond its phase."""

    ANY = ""
    AGENT_LIVE = "agent live"
    """The bridge is connected and the agent runs (status active, its process alive)."""
    AGENT_STARTING = "agent starting"
    """The bridge is not followed yet, or the agent has not shown its ready prompt."""
    AGENT_BUSY = "agent busy"
    """The agent is live and working or asking the user."""
    AGENT_ENDED = "agent ended"
    """The agent's process ended while its bridge still serves."""
    MADE = "made"
    """The provider made the workspace: it can be started again."""
    NOT_MADE = "not made"


@attrs.frozen
class Facts:
    """What guards look at, besides the phase."""

    status: TaskStatus
    agent: AgentReport | None
    made: bool

    def holds(self, guard: Guard) -> bool:
        condition = self.agent.condition if self.agent else AgentCondition.STARTING
        live = self.status is TaskStatus.ACTIVE and condition is AgentCondition.LIVE
        checks = {
            Guard.ANY: True,
            Guard.AGENT_LIVE: live,
            Guard.AGENT_STARTING: self.status is TaskStatus.INITIALIZING,
            Guard.AGENT_BUSY: live and self.agent is not None and self.agent.state in BUSY,
            Guard.AGENT_ENDED: condition in (AgentCondition.ENDED_OK, AgentCondition.ENDED_FAILED),
            Guard.MADE: self.made,
            Guard.NOT_MADE: not self.made,
        }
        return checks[guard]


BUSY = frozenset({AgentState.WORKING, AgentState.NEEDS_INPUT})
"""Agent states that a stopped workspace cuts short."""


@attrs.frozen
class Row:
    """One transition; ``next`` None means the task is gone."""

    phase: Phase
    event: Event
    guard: Guard
    next: Phase | None
    effect: Effect
    cuts_turn: bool = False
    """Leaving ``running`` here ends whatever turn the agent was in (see :func:`settle_agent`)."""


def _rows() -> Iterator[Row]:
    p, e, g, x = Phase, Event, Guard, Effect
    # A new task, and every start-up: create or start, then follow the bridge.
    yield Row(p.PENDING, e.BRING_UP, g.ANY, p.CREATING, x.CREATE)
    # A message sent while the task starts waits for its agent (bounded), then goes.
    for starting in (p.PENDING, p.CREATING, p.STARTING):
        yield Row(starting, e.SEND, g.ANY, starting, x.AWAIT_AGENT)
    yield Row(p.PENDING, e.DELETE, g.ANY, p.DELETING, x.REMOVE)
    yield Row(p.PENDING, e.OWNER_DIED, g.ANY, p.FAILED, x.NONE)
    for starting, cut_off in ((p.CREATING, x.CLEAN_UP), (p.STARTING, x.HALT)):
        yield Row(starting, e.UP, g.ANY, p.RUNNING, x.FOLLOW)
        yield Row(starting, e.UP_FAILED, g.ANY, p.FAILED, x.NONE)
        yield Row(starting, e.DELETE, g.ANY, p.DELETING, x.REMOVE)
        yield Row(starting, e.OWNER_DIED, g.ANY, p.FAILED, cut_off)
    # Running: talk to the agent, pause, restart an agent that ended, notice the bridge go.
    yield Row(p.RUNNING, e.SEND, g.AGENT_LIVE, p.RUNNING, x.DELIVER)
    yield Row(p.RUNNING, e.SEND, g.AGENT_STARTING, p.RUNNING, x.AWAIT_AGENT)
    yield Row(p.RUNNING, e.SEND, g.AGENT_ENDED, p.STARTING, x.RESTART)
    yield Row(p.RUNNING, e.INTERRUPT, g.AGENT_BUSY, p.RUNNING, x.INTERRUPT)
    yield Row(p.RUNNING, e.PAUSE, g.ANY, p.STOPPING, x.STOP, cuts_turn=True)
    yield Row(p.RUNNING, e.RESUME, g.AGENT_ENDED, p.STARTING, x.RESTART)
    yield Row(p.RUNNING, e.DELETE, g.ANY, p.DELETING, x.REMOVE)
    yield Row(p.RUNNING, e.BRIDGE_STOPPED, g.ANY, p.STOPPED, x.NONE, cuts_turn=True)
    yield Row(p.RUNNING, e.WORKSPACE_MISSING, g.ANY, p.FAILED, x.NONE, cuts_turn=True)
    # Pausing: resume and send wait for the stop to end; a dead pauser's stop is finished.
    yield Row(p.STOPPING, e.DOWN, g.ANY, p.STOPPED, x.NONE)
    yield Row(p.STOPPING, e.DOWN_FAILED, g.ANY, p.FAILED, x.NONE)
    yield Row(p.STOPPING, e.RESUME, g.ANY, p.STOPPING, x.WAIT)
    yield Row(p.STOPPING, e.SEND, g.ANY, p.STOPPING, x.WAIT)
    yield Row(p.STOPPING, e.DELETE, g.ANY, p.DELETING, x.REMOVE)
    yield Row(p.STOPPING, e.OWNER_DIED, g.ANY, p.STOPPING, x.STOP)
    # Paused: resume (sending resumes first), or delete.
    yield Row(p.STOPPED, e.RESUME, g.ANY, p.STARTING, x.START)
    yield Row(p.STOPPED, e.SEND, g.ANY, p.STARTING, x.START)
    yield Row(p.STOPPED, e.DELETE, g.ANY, p.DELETING, x.REMOVE)
    # Failed: resume retries (a workspace never made is created again), or delete.
    for event in (e.RESUME, e.SEND):
        yield Row(p.FAILED, event, g.MADE, p.STARTING, x.RESTART)
        yield Row(p.FAILED, event, g.NOT_MADE, p.CREATING, x.CREATE)
    yield Row(p.FAILED, e.DELETE, g.ANY, p.DELETING, x.REMOVE)
    # Deleting: the record goes with the workspace; a dead deleter's delete is finished.
    yield Row(p.DELETING, e.REMOVED, g.ANY, None, x.NONE)
    yield Row(p.DELETING, e.REMOVE_FAILED, g.ANY, p.FAILED, x.NONE)
    yield Row(p.DELETING, e.DELETE, g.ANY, p.DELETING, x.WAIT)
    yield Row(p.DELETING, e.OWNER_DIED, g.ANY, p.DELETING, x.REMOVE)


TABLE: tuple[Row, ...] = tuple(_rows())
"""Every transition there is; nothing else moves a task."""

ACTION_EVENTS: dict[Action, Event] = {
    Action.SEND: Event.SEND,
    Action.INTERRUPT: Event.INTERRUPT,
    Action.PAUSE: Event.PAUSE,
    Action.RESUME: Event.RESUME,
    Action.DELETE: Event.DELETE,
}

_BY_KEY: dict[tuple[Phase, Event], tuple[Row, ...]] = {}
for _row in TABLE:
    _BY_KEY[_row.phase, _row.event] = (*_BY_KEY.get((_row.phase, _row.event), ()), _row)


def lookup(phase: Phase, event: Event, facts: Facts) -> Row | None:
    """The row that applies (the first whose guard holds), or None: not allowed now."""
    for row in _BY_KEY.get((phase, event), ()):
        if facts.holds(row.guard):
            return row
    return None


def allowed_actions(phase: Phase, facts: Facts) -> dict[Action, bool]:
    """Each user action, and whether the table has a row for it now."""
    return {a: lookup(phase, event, facts) is not None for a, event in ACTION_EVENTS.items()}


def rows_for(phase: Phase, event: Event) -> tuple[Row, ...]:
    """Every row for a phase and event, whatever their guards (for error messages)."""
    return _BY_KEY.get((phase, event), ())


# -- status ----------------------------------------------------------------------------------

PHASE_STATUS: dict[Phase, TaskStatus] = {
    Phase.PENDING: TaskStatus.PENDING,
    Phase.CREATING: TaskStatus.INITIALIZING,
    Phase.STARTING: TaskStatus.INITIALIZING,
    Phase.STOPPING: TaskStatus.PAUSED,
    Phase.STOPPED: TaskStatus.PAUSED,
    Phase.FAILED: TaskStatus.ERROR,
    Phase.DELETING: TaskStatus.UNKNOWN,
}
"""The status of every phase but ``running``."""

RUNNING_STATUS: dict[tuple[BridgeLink, AgentCondition], TaskStatus] = {
    **{(BridgeLink.CONNECTING, c): TaskStatus.INITIALIZING for c in AgentCondition},
    **{(BridgeLink.LOST, c): TaskStatus.UNKNOWN for c in AgentCondition},
    (BridgeLink.CONNECTED, AgentCondition.STARTING): TaskStatus.INITIALIZING,
    (BridgeLink.CONNECTED, AgentCondition.LIVE): TaskStatus.ACTIVE,
    (BridgeLink.CONNECTED, AgentCondition.ENDED_OK): TaskStatus.ACTIVE,
    (BridgeLink.CONNECTED, AgentCondition.ENDED_FAILED): TaskStatus.ERROR,
}
"""While running: the link to the bridge, then the agent's condition."""


def derive_status(phase: Phase, link: BridgeLink, agent: AgentReport | None) -> TaskStatus:
    """The task's status from its phase, a process's link to the bridge and the agent."""
    if phase is not Phase.RUNNING:
        return PHASE_STATUS[phase]
    condition = agent.condition if agent else AgentCondition.STARTING
    return RUNNING_STATUS[link, condition]


def settle_agent(
    row: Row, agent: AgentReport | None, now: datetime, reason: str = ""
) -> AgentReport | None:
    """The agent's report once ``row`` applied: a turn the row cuts short ends truthfully.

    A stopped workspace has no working agent, and a question on its screen will not be there
    after resume: the report says so (and what was cut) instead of "working" or "asking".
    """
    if not row.cuts_turn or agent is None or agent.state not in BUSY:
        return agent
    what = "asked" if agent.state is AgentState.NEEDS_INPUT else "was working"
    cut = f" ({agent.message})" if agent.message else ""
    if agent.state is AgentState.NEEDS_INPUT:
        after = "the question was dropped; after resuming, tell the agent how to go on"
    else:
        after = "that turn was cut short"
    why = reason or ("paused" if row.event is Event.PAUSE else "its workspace stopped")
    message = f"Stopped while the agent {what}{cut}: {why}; {after}."
    return AgentReport(
        state=AgentState.IDLE, message=message, source=StateSource.PROCESS, timestamp=now
    )
