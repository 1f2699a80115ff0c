"""The typed vocabulary of a task's life: its phases, statuses, agent states and records.

Every status a task, its workspace or its agent can be in is a member of one enum here, with
the wire's own spelling as its value (``tests/contract`` checks them against ``schemas/``), so
no other module spells a status as a string. The records are what the store keeps about the
workspace and the agent; :mod:`.table` says how they change.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs


class Phase(StrEnum):
    """Where a task's workspace is in its life (the wire's ``workspace.status``).

    ``creating``, ``starting``, ``stopping`` and ``deleting`` are transient: a process owns
    them (:class:`Owner`) and moves the task on when its provider call ends; should it die
    first, whichever process notices finishes or undoes the step (see :mod:`.table`).
    """

    PENDING = "pending"
    """Accepted; nothing has been asked of a provider yet."""
    CREATING = "creating"
    """The provider makes the workspace and starts its bridge."""
    STARTING = "starting"
    """The provider starts a workspace it made earlier (resume)."""
    RUNNING = "running"
    """The bridge serves; the agent runs inside it."""
    STOPPING = "stopping"
    """The bridge saves its state and stops (pause)."""
    STOPPED = "stopped"
    """Nothing runs; files, conversation and the agent's session are kept."""
    FAILED = "failed"
    """A step failed or the workspace vanished; resume retries, delete cleans up."""
    DELETING = "deleting"
    """The provider removes the workspace; the record goes when it is done."""


TRANSIENT = frozenset(
    {Phase.PENDING, Phase.CREATING, Phase.STARTING, Phase.STOPPING, Phase.DELETING}
)
"""Phases some process is moving the task through; each has a way out if that process dies."""


class TaskStatus(StrEnum):
    """The task's infrastructure status, derived in layers as Coder derives it (the wire's)."""

    PENDING = "pending"
    INITIALIZING = "initializing"
    ACTIVE = "active"
    PAUSED = "paused"
    ERROR = "error"
    UNKNOWN = "unknown"


class AgentState(StrEnum):
    """What the agent is doing, as its bridge best knows it (the wire's ``TaskState.state``)."""

    WORKING = "working"
    IDLE = "idle"
    NEEDS_INPUT = "needs_input"
    COMPLETE = "complete"
    FAILED = "failed"


class StateSource(StrEnum):
    """Which signal produced an agent state (the wire's ``TaskState.source``)."""

    PROCESS = "process"
    HOOK = "hook"
    NOTIFICATION = "notification"
    SCREEN = "screen"
    STABILITY = "stability"
    API = "api"


class BridgeLink(StrEnum):
    """A process's connection to a running task's bridge (its monitor's state)."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"


class AgentCondition(StrEnum):
    """The agent process as the status layers see it (derived from its last report)."""

    STARTING = "starting"
    """No report yet: the agent has not shown its ready prompt."""
    LIVE = "live"
    ENDED_OK = "ended_ok"
    """The agent process exited by itself, cleanly; the bridge still serves."""
    ENDED_FAILED = "ended_failed"
    """The agent process died; the bridge still serves."""


class Action(StrEnum):
    """What a user may ask of a task (the wire's ``TaskActions`` keys)."""

    SEND = "send"
    INTERRUPT = "interrupt"
    PAUSE = "pause"
    RESUME = "resume"
    DELETE = "delete"


class Presence(StrEnum):
    """What a provider finds of a workspace when it looks (``WorkspaceProvider.inspect``)."""

    RUNNING = "running"
    STOPPED = "stopped"
    MISSING = "missing"


class ProviderName(StrEnum):
    """The workspace providers (the wire's ``WorkspaceProvider``)."""

    LOCAL = "local"
    DOCKER = "docker"


@attrs.frozen(kw_only=True)
class Owner:
    """Who drives a transient phase: a process (pid and start time, so a reused pid differs)
    and the task engine instance inside it (a process may have had an earlier one)."""

    pid: int
    started: str
    instance: str = ""


@attrs.frozen(kw_only=True)
class WorkspaceRecord:
    """The engine's record of a task's workspace; ``data`` is the provider's own (opaque)."""

    provider: ProviderName
    phase: Phase = Phase.PENDING
    made: bool = False
    """The provider made the workspace (``start`` applies); False means ``create`` does."""
    owner: Owner | None = None
    """Who drives the phase while it is transient."""
    keep_work: bool = False
    """While ``deleting``: keep the work folder (so a finishing process does as asked)."""
    data: dict[str, Any] = attrs.field(factory=dict)
    """The provider's record: ids, paths, the bridge's URL, the preview URL, …"""

    @property
    def path(self) -> str | None:
        return self.data.get("path")

    @property
    def preview_url(self) -> str | None:
        return self.data.get("preview_url")

    @property
    def provider_id(self) -> str | None:
        value = self.data.get("id")
        return None if value is None else str(value)


@attrs.frozen(kw_only=True)
class AgentReport:
    """The agent's last state as its bridge reported it."""

    state: AgentState
    message: str = ""
    source: StateSource = StateSource.SCREEN
    timestamp: datetime
    uri: str | None = None

    @property
    def condition(self) -> AgentCondition:
        if self.source is StateSource.PROCESS and self.state is AgentState.FAILED:
            return AgentCondition.ENDED_FAILED
        if self.source is StateSource.PROCESS and self.state is AgentState.COMPLETE:
            return AgentCondition.ENDED_OK
        return AgentCondition.LIVE


@attrs.frozen(kw_only=True)
class TaskFailure:
    """Why a task is in ``error``: an error kind of ``schemas/errors.json`` and a sentence."""

    kind: str
    message: str
