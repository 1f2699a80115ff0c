"""Value types shared by the whole bridge: agent states, signals, screen readings, messages."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field


class AgentState(str, enum.Enum):
    """What the agent is doing, as the bridge best knows it.

    ``starting``     the agent process runs but has not shown its ready prompt yet
    ``working``      the agent is thinking, editing or running tools
    ``idle``         the agent waits for the next user message
    ``needs_input``  the agent asks the user something (a permission dialog, a question)
    ``complete``     the agent reported its task done (it still accepts follow-ups)
    ``failed``       the agent reported failure, or its process died with a non-zero code
    ``exited``       the agent process ended normally
    """

    STARTING = "starting"
    WORKING = "working"
    IDLE = "idle"
    NEEDS_INPUT = "needs_input"
    COMPLETE = "complete"
    FAILED = "failed"
    EXITED = "exited"


class SignalSource(str, enum.Enum):
    """Where a state came from, best first."""

    PROCESS = "process"  # the agent process started or ended
    HOOK = "hook"  # the agent's own hooks (Claude Code) or a structured self-report
    NOTIFICATION = "notification"  # the agent's "waiting for input" command (Aider)
    SCREEN = "screen"  # prompt, busy-marker and dialog detectors on the rendered screen
    STABILITY = "stability"  # the screen stopped changing (the generic fallback)
    API = "api"  # a user message was just delivered through the bridge


class ScreenKind(str, enum.Enum):
    """What a per-agent detector sees on one rendered screen."""

    READY = "ready"  # the input prompt is visible and empty, nothing marks the agent busy
    BUSY = "busy"  # a spinner or an "esc to interrupt"-style marker is visible
    PERMISSION = "permission"  # a permission or confirmation dialog waits for an answer
    UNKNOWN = "unknown"  # none of the above


@dataclass(frozen=True)
class ScreenReading:
    """The verdict of a detector on one screen, with the text worth showing (e.g. the question)."""

    kind: ScreenKind
    message: str = ""


@dataclass
class Message:
    """One conversation entry, in agentapi's shape (``id`` is the index from 0)."""

    id: int
    role: str  # "user" | "agent"
    content: str
    time: float = field(default_factory=time.time)


def rfc3339(ts: float) -> str:
    """Format a UNIX time as RFC 3339 in UTC with milliseconds, as agentapi's clients parse it."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{whole}.{int((ts % 1) * 1000):03d}Z"
