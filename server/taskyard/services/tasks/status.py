"""How a task's status and allowed actions follow from its layers, as Coder derives them.

``status`` is infrastructure, evaluated in layers, the first layer that is not healthy decides:
workspace (``creating``/``starting`` → initializing, ``failed`` → error, ``stopped`` → paused,
``stopping`` → paused), then the bridge (not reached yet → initializing, lost → unknown), then
the agent (``starting`` → initializing, its process failed → error). ``state`` is what the agent
itself is doing; the bridge's ``starting`` and ``exited`` have no wire counterpart and map to no
state and to ``complete`` respectively.
"""

from __future__ import annotations

from typing import Any

from taskyard.protocol import TaskActions

WORKSPACE_LAYER = {
    "pending": "pending",
    "creating": "initializing",
    "starting": "initializing",
    "failed": "error",
    "stopping": "paused",
    "stopped": "paused",
    "deleting": "unknown",
    "deleted": "unknown",
}
WIRE_STATES = {"working", "idle", "needs_input", "complete", "failed"}


def derive_status(workspace: str, bridge: str, agent: str | None) -> str:
    """The task status from the workspace status, the bridge link and the agent's state.

    ``bridge`` is ``connecting``, ``connected`` or ``lost``.
    """
    if workspace in WORKSPACE_LAYER:
        return WORKSPACE_LAYER[workspace]
    if workspace != "running":
        return "unknown"
    if bridge == "lost":
        return "unknown"
    if bridge == "connecting" or agent in (None, "starting"):
        return "initializing"
    if agent == "failed_process":
        return "error"
    return "active"


def wire_state(bridge_state: dict[str, Any]) -> dict[str, Any] | None:
    """The bridge's ``/taskyard/state`` document as the wire's ``TaskState``, or None."""
    state = bridge_state.get("state")
    if state == "exited":
        state = "complete"
    if state not in WIRE_STATES:
        return None
    return {
        "state": state,
        "message": str(bridge_state.get("message", "")),
        "timestamp": bridge_state.get("timestamp"),
        "source": bridge_state.get("source", "screen"),
    }


def agent_layer(bridge_state: dict[str, Any]) -> str | None:
    """The agent's condition for :func:`derive_status`."""
    state = bridge_state.get("state")
    if state == "failed" and bridge_state.get("source") == "process":
        return "failed_process"
    return str(state) if state else None


def allowed_actions(status: str, state: str | None) -> TaskActions:
    """What the user may do now; the editor shows exactly these."""
    return TaskActions(
        send=status in ("active", "paused", "error"),
        interrupt=status == "active" and state in ("working", "needs_input"),
        pause=status in ("active", "initializing", "error", "unknown"),
        resume=status in ("paused", "error", "unknown"),
        delete=True,
    )
