"""The bridge's state file: conversation, queue and "initial prompt already sent", kept on disk.

The format extends agentapi's (``{version, messages:[{id, message, role, time}], initial_prompt,
initial_prompt_sent}``) with our own keys, so a file written by either can be read by a human the
same way. Writes are atomic (temp file, fsync, rename) so a kill -9 at any moment leaves either
the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from .model import Message

VERSION = 1


class StateFileError(Exception):
    """The state file exists but cannot be used (unreadable, not JSON, wrong shape)."""


@dataclass
class QueueItem:
    """A user message waiting for the agent to become ready."""

    id: str
    content: str
    time: float


@dataclass
class SavedState:
    """Everything that must survive a restart of the bridge."""

    messages: list[Message] = field(default_factory=list)
    queue: list[QueueItem] = field(default_factory=list)
    initial_prompt: str = ""
    initial_prompt_sent: bool = False
    session_id: str = ""
    agent_type: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "agent_type": self.agent_type,
            "session_id": self.session_id,
            "initial_prompt": self.initial_prompt,
            "initial_prompt_sent": self.initial_prompt_sent,
            "messages": [
                {"id": m.id, "message": m.content, "role": m.role, "time": m.time}
                for m in self.messages
            ],
            "queue": [{"id": q.id, "content": q.content, "time": q.time} for q in self.queue],
        }

    @classmethod
    def from_json(cls, data: Any) -> SavedState:
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise StateFileError("unsupported state file version")
        try:
            messages = [
                Message(int(m["id"]), str(m["role"]), str(m["message"]), float(m["time"]))
                for m in data.get("messages", [])
            ]
            queue = [
                QueueItem(str(q["id"]), str(q["content"]), float(q["time"]))
                for q in data.get("queue", [])
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise StateFileError(f"malformed entry: {exc!r}") from None
        return cls(
            messages=messages,
            queue=queue,
            initial_prompt=str(data.get("initial_prompt", "")),
            initial_prompt_sent=bool(data.get("initial_prompt_sent", False)),
            session_id=str(data.get("session_id", "")),
            agent_type=str(data.get("agent_type", "")),
        )


def load(path: str) -> SavedState | None:
    """Read the state file; None when it does not exist, StateFileError when it is unusable."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise StateFileError(f"{path} is not valid JSON ({exc})") from None
    return SavedState.from_json(data)


def save(path: str, state: SavedState) -> None:
    """Write the state file atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    payload = json.dumps(state.to_json(), ensure_ascii=False, indent=1).encode()
    fd, tmp = tempfile.mkstemp(prefix=".state-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
