"""Replies taken from an agent's transcript when its Stop hook arrives, and read again later.

The hook can outrun the agent's last transcript write: the first read may miss a tool call,
or still show the previous turn. The bridge reads it again a moment later and corrects the
reply, unless the next turn has begun meanwhile (its reply is not the old turn's to change).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from taskyard.bridge.adapters.base import Adapter
from taskyard.bridge.conversation import Conversation
from taskyard.bridge.model import Message
from taskyard.bridge.signals import TRANSCRIPT_RECHECKS, SignalRouter


class LaggingTranscript(Adapter):
    """An agent whose transcript returns the given replies, one per read (the last repeats)."""

    name = "lagging"

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.reads = 0

    def transcript_reply(self, payload: Mapping[str, Any]) -> str | None:
        self.reads += 1
        return self.replies[min(self.reads, len(self.replies)) - 1]


class Tracker:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def external(self, state: Any, source: Any, message: str = "") -> None:
        self.seen.append((state.value, message))


def router(replies: list[str]) -> tuple[SignalRouter, Conversation, Tracker]:
    adapter = LaggingTranscript(replies)
    updates: list[Message] = []
    conversation = Conversation(adapter, updates.append)
    conversation.add_user("first", before=[])
    conversation.set_reply("Old.")
    conversation.add_user("do it", before=[])
    tracker = Tracker()
    return SignalRouter(adapter, tracker, conversation), conversation, tracker  # type: ignore[arg-type]


CASES = [
    ("complete at once", ["▸ Write\n\nDone."], None, "▸ Write\n\nDone."),
    ("the tool call arrives late", ["Done.", "▸ Write\n\nDone."], None, "▸ Write\n\nDone."),
    ("the previous turn leaks", ["Old.\n\nDone."], None, "Done."),
    (
        "the previous turn leaks, then the tool",
        ["Old.\n\nDone.", "▸ Write\n\nDone."],
        None,
        "▸ Write\n\nDone.",
    ),
    ("a new turn began meanwhile", ["Done.", "▸ Write\n\nDone."], "next", "Done."),
]


@pytest.mark.parametrize(("name", "replies", "then", "final"), CASES, ids=[c[0] for c in CASES])
async def test_the_reply_settles_on_the_transcript(
    name: str, replies: list[str], then: str | None, final: str
) -> None:
    signals, conversation, _ = router(replies)
    assert signals.apply({"source": "hook", "event": "Stop", "payload": {}}) is None
    first_reply = conversation.messages[-1]
    assert first_reply.content == replies[0].removeprefix("Old.\n\n")  # never another turn's
    if then is not None:
        conversation.add_user(then, before=[])
    await asyncio.sleep(max(TRANSCRIPT_RECHECKS) + 0.1)
    assert first_reply.content == final


def test_self_reports_and_notifications_become_evidence() -> None:
    signals, _, tracker = router(["x"])
    assert signals.apply({"state": "complete", "message": "all done"}) == "complete"
    assert signals.apply({"source": "notification", "event": "idle"}) == "idle"
    with pytest.raises(ValueError, match="unknown state 'exited'"):
        signals.apply({"state": "exited"})
    assert tracker.seen == [("complete", "all done"), ("idle", "Old.")]  # the last reply


async def test_a_stop_during_typing_waits_for_its_turn() -> None:
    """A fast agent's Stop hook can arrive before the bridge recorded the message it answers:
    its reply then belongs to that message's turn, not to the one before."""
    signals, conversation, _ = router(["Echo: second"])
    conversation.typing = True
    signals.apply({"source": "hook", "event": "Stop", "payload": {}})
    before = [m.content for m in conversation.messages]
    assert before[-1] == "do it"  # nothing attributed to the turn that is still being typed
    conversation.typing = False
    conversation.add_user("second", before=[])
    assert signals.delivered() is True
    assert conversation.messages[-1].content == "Echo: second"
    assert conversation.messages[-2].content == "second"
    assert signals.delivered() is False  # held once, applied once
