"""Keeps one running task's record in step with its bridge, from the bridge's event stream.

A monitor is a small state machine, its link to the bridge: ``connecting`` → ``connected`` ⇄
``lost``, until closed. While connected it applies the bridge's events as they come (no
polling): state changes become the task's agent report and status, message updates are stored
(coalesced, so a streaming reply costs a few writes a second) and announced at once. Every
write is a compare and set on ``running``: a monitor never undoes a pause another process made.
When the stream drops, the monitor asks the provider what really exists: a bridge that still
runs is reconnected with backoff; one that is gone moves the task through the table's ``bridge
stopped`` or ``workspace missing`` row, never leaving it "working" with nothing behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from taskyard.lifecycle import (
    AgentReport,
    AgentState,
    BridgeLink,
    Event,
    Phase,
    Presence,
    StateSource,
    TaskFailure,
    derive_status,
)
from taskyard.services.store import MessageRecord, PhaseChanged, TaskRecord, TaskStore
from taskyard.workspaces.base import WorkspaceProvider
from taskyard.workspaces.bridge_client import BridgeError

from .announce import Announcer
from .transitions import Transitions
from .views import parse_time

log = logging.getLogger(__name__)

_WIRE_STATES = {s.value: s for s in AgentState}
_SOURCES = {s.value: s for s in StateSource}


def agent_report(bridge_state: Mapping[str, Any]) -> AgentReport | None:
    """The bridge's ``state_change`` document as an agent report (None while it starts)."""
    name = str(bridge_state.get("state"))
    if name == "exited":
        name = AgentState.COMPLETE.value  # the agent ended cleanly; its last turn stands
    state = _WIRE_STATES.get(name)
    if state is None:
        return None
    return AgentReport(
        state=state,
        message=str(bridge_state.get("message", "")),
        source=_SOURCES.get(str(bridge_state.get("source")), StateSource.SCREEN),
        timestamp=parse_time(bridge_state.get("timestamp")),
        uri=bridge_state.get("uri"),
    )


class TaskMonitor:
    """Follows one task's bridge until closed."""

    def __init__(
        self,
        task_id: str,
        store: TaskStore,
        providers: Mapping[str, WorkspaceProvider],
        transitions: Transitions,
        announcer: Announcer,
        *,
        flush_interval: float = 0.1,
    ) -> None:
        self.task_id = task_id
        self._store = store
        self._providers = providers
        self._transitions = transitions
        self._announcer = announcer
        self._flush_interval = flush_interval
        self.link = BridgeLink.CONNECTING
        self._pending: dict[int, MessageRecord] = {}
        self._known: dict[int, str] = {}
        self._logged: set[tuple[Any, str]] = set()
        self._stop_reason = ""
        self._flush_task: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.caught_up = asyncio.Event()
        """Set once the record shows the bridge's current state (after each connect)."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"monitor-{self.task_id}")

    @property
    def following(self) -> bool:
        """False once the task left ``running`` (or the monitor was closed)."""
        return self._task is not None and not self._task.done()

    async def close(self) -> None:
        for task in (self._task, self._flush_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.flush()

    async def _run(self) -> None:
        delay = 0.2
        try:
            while True:
                record = await self._store.get_task(self.task_id)
                if not _running(record):
                    return
                assert record is not None
                await self._follow(record)
                self.caught_up.clear()
                if not await self._still_running(record):
                    return
                self.link = BridgeLink.LOST
                await self._write(agent=None)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        except PhaseChanged:
            return  # the task left "running" (paused, deleted): nothing left to follow
        finally:
            self.caught_up.set()  # nobody waits for a monitor that stopped

    async def _follow(self, record: TaskRecord) -> None:
        client = self._provider(record).client(record.workspace.data)
        # The bridge replays the whole conversation on connect: only changes are news.
        self._known = {m.id: m.content for m in await self._store.messages(self.task_id)}
        self._logged = {
            (lg.time, lg.text)
            for lg in await self._store.logs(self.task_id)
            if lg.stream == "agent"
        }
        try:
            async for name, data in client.events():
                self.link = BridgeLink.CONNECTED
                await self._apply(name, data)
        except BridgeError as exc:
            log.info("task %s: bridge stream ended (%s)", self.task_id, exc)

    async def _still_running(self, record: TaskRecord) -> bool:
        """After a drop: reconnect if the bridge lives, else move the task by the table."""
        presence = await self._provider(record).inspect(record.workspace.data)
        if presence is Presence.RUNNING:
            return True
        await self.flush()
        current = await self._store.get_task(self.task_id)
        if not _running(current):
            return False
        assert current is not None
        await bridge_gone(
            self._store,
            self._transitions,
            self._provider(current),
            current,
            presence,
            reason=self._stop_reason,
        )
        return False

    def _provider(self, record: TaskRecord) -> WorkspaceProvider:
        return self._providers[record.workspace.provider.value]

    async def _apply(self, name: str, data: dict[str, Any]) -> None:
        if name == "state_change":
            await self._write(agent=agent_report(data), prompt_sent=data.get("initial_prompt_sent"))
            self.caught_up.set()
        elif name == "message_update":
            self._message(data)
        elif name == "agent_error":
            await self._agent_error(data)
        elif name == "shutdown":
            self._stop_reason = str(data.get("reason", ""))

    def _message(self, data: dict[str, Any]) -> None:
        if self._known.get(int(data["id"])) == data["message"]:
            return
        self._known[int(data["id"])] = data["message"]
        record = MessageRecord(
            task_id=self.task_id,
            id=int(data["id"]),
            role=data["role"],
            content=data["message"],
            time=parse_time(data["time"]),
        )
        self._announcer.message(self.task_id, record)
        self._pending[record.id] = record
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush_later())

    async def _agent_error(self, data: dict[str, Any]) -> None:
        level, text = data.get("level", "error"), str(data.get("message", ""))
        when, entry = parse_time(data.get("time")), f"{level}: {text}"
        if (when, entry) in self._logged:
            return  # replayed on reconnect; already in the task's log
        self._logged.add((when, entry))
        await self._store.append_logs(self.task_id, [(when, "agent", entry)])

    async def _write(self, *, agent: AgentReport | None, prompt_sent: Any = None) -> None:
        """The record as the bridge now has it (status and, while connected, the agent)."""
        record = await self._store.get_task(self.task_id)
        if not _running(record):
            raise PhaseChanged(self.task_id, "not running")
        assert record is not None
        state = record.state
        if self.link is BridgeLink.CONNECTED and not _older(agent, record.state):
            state = agent  # an older report (a replay, a lagging process) never rewinds it
        fields: dict[str, Any] = {}
        if state != record.state:
            fields["state"] = state
        status = derive_status(Phase.RUNNING, self.link, state)
        if status is not record.status:
            fields["status"] = status
        if prompt_sent and not record.initial_prompt_sent:
            fields["initial_prompt_sent"] = True
        if not fields:
            return
        await self._store.update_task(self.task_id, expect={Phase.RUNNING}, **fields)
        if "state" in fields and state is not None:
            await self._store.append_state(
                self.task_id, state.state.value, state.message, state.source.value, state.timestamp
            )
        await self._announcer.changed(self.task_id)

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._flush_interval)
        await self.flush()

    async def flush(self) -> None:
        """Store the message updates not written yet (readers call this first)."""
        if not self._pending:
            return
        batch, self._pending = list(self._pending.values()), {}
        with contextlib.suppress(PhaseChanged):
            await self._store.upsert_messages(self.task_id, batch)


def _running(record: TaskRecord | None) -> bool:
    return record is not None and not record.deleted and record.workspace.phase is Phase.RUNNING


def _older(new: AgentReport | None, old: AgentReport | None) -> bool:
    return new is not None and old is not None and new.timestamp < old.timestamp


async def bridge_gone(
    store: TaskStore,
    transitions: Transitions,
    provider: WorkspaceProvider,
    record: TaskRecord,
    presence: Presence,
    *,
    reason: str = "",
) -> None:
    """A running task's bridge is gone: the table's row for what is left, with its log line.

    A stopped workspace (the bridge paused itself, crashed, its engine restarted) leaves the
    task paused with a snapshot of the conversation, as a pause does; a vanished one, failed.
    What no process saw (the bridge ran while no editor or CLI followed it) is read from the
    bridge's state file first, so the conversation and its download are complete.
    """
    if presence is Presence.STOPPED:
        why = reason or "its agent bridge stopped"
        log.warning("task %s: %s; it is paused now", record.name, why)
        await transitions.announcer.log(record.id, "system", f"paused: {why}")
        await catch_up(store, record, await provider.saved_state(record.workspace.data))
        messages = await store.messages(record.id)
        await store.save_snapshot(record.id, messages, transitions.now())
        row = transitions.row(record, Event.BRIDGE_STOPPED)
        error = None
    else:
        log.warning("task %s: its workspace is gone", record.name)
        row = transitions.row(record, Event.WORKSPACE_MISSING)
        error = TaskFailure(kind="workspaceFailure", message="the workspace disappeared")
    assert row is not None  # both rows exist for "running"
    await transitions.apply(record, row, error=error, reason=reason)


async def catch_up(store: TaskStore, record: TaskRecord, saved: Mapping[str, Any] | None) -> None:
    """Store the conversation of a bridge's state file (its own format) as the task's."""
    if not saved:
        return
    try:
        messages = [
            MessageRecord(
                task_id=record.id,
                id=int(m["id"]),
                role="user" if m["role"] == "user" else "agent",
                content=str(m["message"]),
                time=datetime.fromtimestamp(float(m["time"]), UTC),
            )
            for m in saved.get("messages", [])
        ]
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("task %s: its bridge's state file is unreadable (%s)", record.name, exc)
        return
    if messages:
        await store.upsert_messages(record.id, messages)
    if saved.get("initial_prompt_sent") and not record.initial_prompt_sent:
        await store.update_task(record.id, initial_prompt_sent=True)


MonitorFactory = Callable[[str], TaskMonitor]
"""Makes the monitor of a task (the engine's; tests may wrap it)."""


class Monitors:
    """The monitors of this process, at most one per task."""

    def __init__(self, factory: MonitorFactory) -> None:
        self._factory = factory
        self._monitors: dict[str, TaskMonitor] = {}

    def follow(self, task_id: str) -> TaskMonitor:
        """Follow the task's bridge (a monitor that stopped is replaced)."""
        current = self._monitors.get(task_id)
        if current is not None and current.following:
            return current
        monitor = self._factory(task_id)
        self._monitors[task_id] = monitor
        monitor.start()
        return monitor

    def get(self, task_id: str) -> TaskMonitor | None:
        return self._monitors.get(task_id)

    def all(self) -> list[TaskMonitor]:
        return list(self._monitors.values())

    async def stop(self, task_id: str) -> None:
        monitor = self._monitors.pop(task_id, None)
        if monitor is not None:
            await monitor.close()

    async def flush(self, task_id: str) -> None:
        monitor = self._monitors.get(task_id)
        if monitor is not None:
            await monitor.flush()

    async def close(self) -> None:
        for task_id in list(self._monitors):
            await self.stop(task_id)
