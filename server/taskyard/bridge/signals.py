"""Signals posted to the bridge (the agent's hooks, notifications, self-reports) → its state.

A hook event is mapped by the agent's adapter (Claude's ``Stop`` → idle, ``PermissionRequest``
→ needs input, …) and handed to the state tracker as external evidence; a notification means
idle; a self-report names its state. On ``Stop`` the turn's reply is taken from the agent's
transcript, read again a moment later, because the hook can outrun the agent's last write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from .adapters.base import Adapter
from .conversation import Conversation
from .model import AgentState, SignalSource
from .statetracker import StateTracker

TRANSCRIPT_RECHECKS = (0.3, 1.0)
"""Seconds after a Stop hook at which the transcript is read again (it may lag the hook)."""
SELF_REPORT = {"failure": AgentState.FAILED, **{s.value: s for s in AgentState}}


class SignalRouter:
    """Applies posted signals to a bridge's tracker and conversation."""

    def __init__(self, adapter: Adapter, tracker: StateTracker, conversation: Conversation) -> None:
        self._adapter = adapter
        self._tracker = tracker
        self._conversation = conversation
        self._held: Mapping[str, Any] | None = None
        """A ``Stop`` that arrived while a message was still being typed (see :meth:`apply`)."""

    def apply(self, body: Mapping[str, Any]) -> str | None:
        """Apply one signal; returns the state it produced, or None when ignored."""
        if "state" in body:
            state = SELF_REPORT.get(str(body["state"]))
            if state is None or state in (AgentState.STARTING, AgentState.EXITED):
                raise ValueError(f"unknown state {body['state']!r}")
            self._tracker.external(state, SignalSource.HOOK, str(body.get("message", ""))[:500])
            return str(state.value)
        event, payload = str(body.get("event", "")), body.get("payload") or {}
        if body.get("source") == "notification":
            self._tracker.external(AgentState.IDLE, SignalSource.NOTIFICATION, self.idle_message())
            return str(AgentState.IDLE.value)
        mapped = self._adapter.hook_state(event, payload)
        if event == "Stop" and self._conversation.typing:
            # The agent answered the message being typed before the bridge recorded it (a fast
            # model): the reply and the idle belong to that turn, so they wait for it.
            self._held = body
            return None if mapped is None else str(mapped[0].value)
        if event == "Stop":
            self._reply_from_transcript(payload)
        if mapped is None:
            return None
        state, message = mapped
        if state is AgentState.IDLE and not message:
            message = self.idle_message()
        self._tracker.external(state, SignalSource.HOOK, message)
        return str(state.value)

    def delivered(self) -> bool:
        """The message being typed is recorded: apply a ``Stop`` held for it; whether one was."""
        held, self._held = self._held, None
        if held is None:
            return False
        self.apply(held)
        return True

    def idle_message(self) -> str:
        return idle_message(self._conversation)

    def _reply_from_transcript(self, payload: Mapping[str, Any]) -> None:
        reply = self._own(self._adapter.transcript_reply(payload))
        if not reply:
            return
        self._conversation.set_reply(reply)
        turn = self._conversation.turn_marker()

        def again() -> None:
            later = self._own(self._adapter.transcript_reply(payload))
            if later and later != reply and self._conversation.turn_marker() is turn:
                self._conversation.set_reply(later)

        loop = asyncio.get_running_loop()
        for delay in TRANSCRIPT_RECHECKS:
            loop.call_later(delay, again)

    def _own(self, reply: str | None) -> str | None:
        """The reply without the previous turn's, which a transcript read before the agent
        recorded this turn's prompt still ends with (this turn's final text is appended)."""
        before = self._conversation.previous_reply()
        if reply and before and reply.startswith(before) and reply != before:
            return reply[len(before) :].lstrip()
        return reply


def idle_message(conversation: Conversation) -> str:
    """What an idle agent's state says: the first line of its last reply."""
    return summary(conversation.last_agent_text()) or "Waiting for input"


def summary(text: str, limit: int = 160) -> str:
    """The first non-blank line of ``text``, cut to ``limit`` characters."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"
