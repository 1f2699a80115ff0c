"""Fan-out of bridge events to SSE subscribers, with agentapi's replay and back-pressure rules.

Each subscriber gets a bounded buffer (1024 events, as agentapi). A subscriber that falls that
far behind is dropped (its stream ends) instead of slowing the bridge or growing memory; the
client reconnects and gets the current state replayed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Callable

BUFFER = 1024


@dataclass(frozen=True)
class Event:
    """One SSE event: its name, its JSON payload, and the channel it belongs to."""

    name: str
    data: dict[str, Any]
    channel: str = "agentapi"  # "agentapi" | "taskyard" | "screen"

    def encode(self) -> bytes:
        return f"event: {self.name}\ndata: {json.dumps(self.data, ensure_ascii=False)}\n\n".encode()


class _Subscriber:
    def __init__(self, channels: set[str]) -> None:
        self.channels = channels
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=BUFFER)
        self.dropped = False


class EventHub:
    """Publishes events to every live subscriber of the event's channel."""

    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []

    def publish(self, event: Event) -> None:
        for sub in list(self._subscribers):
            if event.channel not in sub.channels:
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(sub)

    def close(self) -> None:
        """End every stream (the bridge is shutting down)."""
        for sub in list(self._subscribers):
            self._drop(sub)

    def _drop(self, sub: _Subscriber) -> None:
        if sub in self._subscribers:
            self._subscribers.remove(sub)
        sub.dropped = True
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    async def stream(
        self, channels: set[str], replay: Callable[[], list[Event]], keepalive: float = 15.0
    ) -> AsyncIterator[bytes]:
        """SSE bytes: the replayed current state, then live events, with comment keep-alives."""
        sub = _Subscriber(channels)
        self._subscribers.append(sub)
        try:
            for past in replay():
                yield past.encode()
            while True:
                try:
                    event = await asyncio.wait_for(sub.queue.get(), keepalive)
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if event is None:
                    return
                yield event.encode()
        finally:
            if sub in self._subscribers:
                self._subscribers.remove(sub)
