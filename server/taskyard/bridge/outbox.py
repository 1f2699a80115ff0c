"""What waits to be typed to the agent: the initial prompt, then queued messages, in order.

The outbox delivers one item whenever the agent is ready (the bridge calls :meth:`Outbox.pump`
on every free state). An item counts as sent only once it was typed and the agent took it:
a delivery the agent did not take stays in the outbox, is tried again after a moment, and is
given up (and said so, never silently) after :data:`MAX_TRIES`. The items live in the bridge's
saved state, so a restart keeps them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Coroutine
from typing import Any, Callable

from .persistence import QueueItem, SavedState
from .signals import summary
from .typist import DeliveryError

MAX_TRIES = 3
"""Attempts at delivering one item before giving up on it."""


class Outbox:
    """The initial prompt and the queue of one bridge; see the module docstring."""

    def __init__(
        self,
        saved: Callable[[], SavedState],
        *,
        deliver: Callable[[str], Awaitable[Any]],
        ready: Callable[[], bool],
        sending: Callable[[str], None],
        changed: Callable[[], None],
        report: Callable[[str, str], None],
        retry_after: float,
    ) -> None:
        self._saved = saved
        self._deliver = deliver
        self._ready = ready
        self._sending = sending
        self._changed = changed
        self._report = report
        self._retry_after = retry_after
        self.busy = False
        """An item is on its way to the agent."""
        self._failures: dict[str, int] = {}
        self._tasks: set[asyncio.Future[None]] = set()

    @property
    def items(self) -> list[QueueItem]:
        return list(self._saved().queue)

    @property
    def waiting(self) -> bool:
        """Something is queued (the initial prompt is not counted: it goes first anyway)."""
        return bool(self._saved().queue)

    def enqueue(self, content: str) -> QueueItem:
        item = QueueItem(uuid.uuid4().hex[:12], content.strip(), time.time())
        self._saved().queue.append(item)
        self._changed()
        asyncio.get_running_loop().call_soon(self.pump)
        return item

    def cancel(self, item_id: str) -> bool:
        saved = self._saved()
        before = len(saved.queue)
        saved.queue = [q for q in saved.queue if q.id != item_id]
        if len(saved.queue) == before:
            return False
        self._changed()
        return True

    def pump(self) -> bool:
        """Start delivering the next item if the agent is ready; whether one started.

        ``sending`` is told first, so the state turns ``working`` before the typing and no
        client ever sees the agent free while a message is on its way to it.
        """
        if self.busy or not self._ready():
            return False
        saved = self._saved()
        item: QueueItem | None = None
        if not saved.initial_prompt_sent and saved.initial_prompt:
            text = saved.initial_prompt
        elif saved.queue:
            item = saved.queue[0]
            text = item.content
        else:
            return False
        self.busy = True
        self._sending(summary(text))
        self._spawn(self._send(text, item))
        return True

    async def _send(self, text: str, item: QueueItem | None) -> None:
        key = item.id if item is not None else "initial prompt"
        try:
            await self._deliver(text)
        except (DeliveryError, OSError) as exc:
            self._failed(key, item, str(exc))
            return
        finally:
            self.busy = False
        self._failures.pop(key, None)
        self._done(item)

    def _done(self, item: QueueItem | None) -> None:
        if item is None:
            self._saved().initial_prompt_sent = True
            self._changed()
        else:
            self.cancel(item.id)

    def _failed(self, key: str, item: QueueItem | None, why: str) -> None:
        tries = self._failures[key] = self._failures.get(key, 0) + 1
        what = "the initial prompt" if item is None else "a queued message"
        if tries < MAX_TRIES:
            self._report(f"Could not deliver {what} ({why}); it stays queued", "warning")
            # Again once the agent had a moment: it may look ready already, and then no state
            # change would come to trigger the retry.
            asyncio.get_running_loop().call_later(self._retry_after, self.pump)
            return
        self._failures.pop(key, None)
        text = item.content if item else self._saved().initial_prompt
        self._report(
            f"Could not deliver {what} after {tries} tries ({why}); send it again: "
            + summary(text),
            "error",
        )
        self._done(item)  # given up on, and said so

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
