"""Keeps one running task's record in step with its bridge, from the bridge's event stream.

A monitor is a small state machine: ``connecting`` → ``connected`` ⇄ ``lost`` → ``closed``.
While connected it applies the bridge's events as they come (no polling): state changes become
the task's ``state`` and ``status``, message updates are stored (coalesced, so a streaming reply
costs a few writes a second) and announced at once. When the stream drops, the monitor asks the
provider what really exists: a bridge that still runs is reconnected with backoff; one that is
gone leaves the task honestly ``paused`` (its state file keeps the conversation), never
"working" with nothing behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from taskyard.services.store import MessageRecord, TaskStore
from taskyard.workspaces.base import WorkspaceProvider
from taskyard.workspaces.bridge_client import BridgeError

from .status import agent_layer, derive_status, wire_state
from .views import parse_time

log = logging.getLogger(__name__)

Announce = Callable[[str], Awaitable[None]]
MessageSink = Callable[[str, MessageRecord], None]


class TaskMonitor:
    """Follows one task's bridge until closed."""

    def __init__(
        self,
        task_id: str,
        store: TaskStore,
        providers: Mapping[str, WorkspaceProvider],
        *,
        changed: Announce,
        message: MessageSink,
        flush_interval: float = 0.1,
    ) -> None:
        self.task_id = task_id
        self._store = store
        self._providers = providers
        self._changed = changed
        self._message = message
        self._flush_interval = flush_interval
        self.link = "connecting"
        self.bridge_state: dict[str, Any] = {}
        self._pending: dict[int, MessageRecord] = {}
        self._known: dict[int, str] = {}
        self._logged: set[tuple[Any, str]] = set()
        self._flush_task: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"monitor-{self.task_id}")

    @property
    def following(self) -> bool:
        """False once the bridge went away for good (the task was marked paused or failed)."""
        return self._task is not None and not self._task.done()

    async def close(self) -> None:
        for task in (self._task, self._flush_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.flush()
        self.link = "closed"

    async def _run(self) -> None:
        delay = 0.2
        while True:
            record = await self._store.get_task(self.task_id)
            if record is None or record.deleted or record.workspace.get("status") != "running":
                return
            client = self._provider(record.workspace).client(record.workspace)
            # The bridge replays the whole conversation on connect: only changes are news.
            self._known = {m.id: m.content for m in await self._store.messages(self.task_id)}
            self._logged = {
                (lg.time, lg.text)
                for lg in await self._store.logs(self.task_id)
                if lg.stream == "agent"
            }
            try:
                async for name, data in client.events():
                    if self.link != "connected":
                        self.link, delay = "connected", 0.2
                        self.connected.set()
                    await self._apply(name, data)
            except BridgeError as exc:
                log.info("task %s: bridge stream ended (%s)", self.task_id, exc)
            finally:
                await client.aclose()
            self.connected.clear()
            if not await self._still_running(record.workspace):
                return
            self.link = "lost"
            await self._set_status()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _still_running(self, workspace: dict[str, Any]) -> bool:
        """After a drop: reconnect if the bridge lives, else record the task as paused."""
        reality = await self._provider(workspace).inspect(workspace)
        if reality == "running":
            return True
        log.warning("task %s: its bridge is gone (%s); marking it paused", self.task_id, reality)
        await self.flush()
        record = await self._store.get_task(self.task_id)
        if record is None or record.deleted:
            return False
        ws = {
            **record.workspace,
            "status": "stopped" if reality == "stopped" else "failed",
            "pid": None,
        }
        status = derive_status(ws["status"], "lost", None)
        error = (
            None
            if reality == "stopped"
            else {"kind": "workspaceFailure", "message": "the workspace disappeared"}
        )
        await self._store.update_task(self.task_id, workspace=ws, status=status, error=error)
        await self._changed(self.task_id)
        return False

    def _provider(self, workspace: dict[str, Any]) -> WorkspaceProvider:
        return self._providers[workspace.get("provider", "local")]

    async def _apply(self, name: str, data: dict[str, Any]) -> None:
        if name == "state_change":
            self.bridge_state = data
            await self._set_status()
        elif name == "message_update":
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
            self._message(self.task_id, record)
            self._pending[record.id] = record
            if self._flush_task is None or self._flush_task.done():
                self._flush_task = asyncio.create_task(self._flush_later())
        elif name == "agent_error":
            level, text = data.get("level", "error"), str(data.get("message", ""))
            when, entry = parse_time(data.get("time")), f"{level}: {text}"
            if (when, entry) in self._logged:
                return  # replayed on reconnect; already in the task's log
            self._logged.add((when, entry))
            await self._store.append_logs(self.task_id, [(when, "agent", entry)])

    async def _set_status(self) -> None:
        record = await self._store.get_task(self.task_id)
        if record is None or record.deleted:
            return
        state = wire_state(self.bridge_state) if self.link == "connected" else record.state
        status = derive_status(
            record.workspace.get("status", "running"),
            self.link,
            agent_layer(self.bridge_state) if self.link == "connected" else "idle",
        )
        fields: dict[str, Any] = {}
        if state != record.state:
            fields["state"] = state
        if status != record.status:
            fields["status"] = status
        if self.bridge_state.get("initial_prompt_sent") and not record.initial_prompt_sent:
            fields["initial_prompt_sent"] = True
        if not fields:
            return
        await self._store.update_task(self.task_id, **fields)
        if "state" in fields and state:
            await self._store.append_state(
                self.task_id,
                state["state"],
                state["message"],
                state["source"],
                parse_time(state["timestamp"]),
            )
        await self._changed(self.task_id)

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._flush_interval)
        await self.flush()

    async def flush(self) -> None:
        """Store the message updates not written yet (readers call this first)."""
        if not self._pending:
            return
        batch, self._pending = list(self._pending.values()), {}
        await self._store.upsert_messages(self.task_id, batch)
