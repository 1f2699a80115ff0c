"""The conversation: user messages as sent, agent replies as read from the screen or transcript.

Messages follow agentapi: message 0 is an agent message holding the agent's start screen; each
user message opens a *turn*, and the agent's reply for that turn is recomputed from the screen
(the new text after the user's message, cleaned by the adapter's rules) until the next user
message. A structured source (Claude's transcript, via its Stop hook) replaces the screen-derived
reply and freezes it. Screen updates pause while a message is being typed, so the echo of the
user's own typing is never taken for a reply.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .adapters.base import Adapter
from .model import Message


@dataclass
class _Turn:
    before: list[str]
    user_input: str
    reply_id: int | None = None
    frozen: bool = False


class Conversation:
    """Holds the messages and keeps the current reply in step with the screen."""

    def __init__(
        self,
        adapter: Adapter,
        on_update: Callable[[Message], None],
        clock: Callable[[], float] = time.time,
        redact: Callable[[str], str] = str,
    ) -> None:
        self._adapter = adapter
        self._redact = redact
        self._on_update = on_update
        self._clock = clock
        self.messages: list[Message] = []
        self.typing = False
        self._turn: _Turn | None = None
        self._restored = False

    def restore(self, messages: list[Message]) -> None:
        """Load a saved conversation; its last reply stays as saved until the next user message."""
        self.messages = [Message(i, m.role, m.content, m.time) for i, m in enumerate(messages)]
        self._restored = bool(self.messages)

    def last_agent_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "agent":
                return message.content
        return ""

    def previous_reply(self) -> str:
        """The agent's reply to the user message before the current one ("" if none)."""
        users = [m.id for m in self.messages if m.role == "user"]
        if len(users) < 2:
            return ""
        earlier = [m for m in self.messages[users[-2] : users[-1]] if m.role == "agent"]
        return earlier[-1].content if earlier else ""

    def on_screen(self, lines: list[str]) -> None:
        """A new screen sample arrived."""
        if self.typing:
            return
        turn = self._turn
        if turn is None:
            if self._restored:
                return
            self._set_agent_text(0 if self.messages else None, self._adapter.initial_message(lines))
            return
        if turn.frozen:
            return
        reply = self._adapter.clean_reply(turn.before, lines, turn.user_input)
        if reply or turn.reply_id is not None:
            turn.reply_id = self._set_agent_text(turn.reply_id, reply)

    def add_user(self, text: str, before: list[str]) -> Message:
        """Record a delivered user message and start a new turn."""
        message = Message(len(self.messages), "user", self._redact(text), self._clock())
        self.messages.append(message)
        self._turn = _Turn(before=list(before), user_input=text)
        self._restored = False
        self._on_update(message)
        return message

    def turn_marker(self) -> object:
        """Identifies the current turn: it changes when the next user message opens one."""
        return self._turn

    def set_reply(self, text: str) -> None:
        """The agent's reply for the current turn from a structured source; it wins from now on."""
        text = text.strip()
        if not text:
            return
        if self._turn is None:
            self._turn = _Turn(before=[], user_input="")
        self._turn.reply_id = self._set_agent_text(self._turn.reply_id, text)
        self._turn.frozen = True

    def _set_agent_text(self, message_id: int | None, text: str) -> int:
        text = self._redact(text)
        if message_id is None:
            message = Message(len(self.messages), "agent", text, self._clock())
            self.messages.append(message)
            self._on_update(message)
            return message.id
        message = self.messages[message_id]
        if message.content != text:
            message.content = text
            message.time = self._clock()
            self._on_update(message)
        return message_id
