"""An in-memory workspace provider and bridge, scriptable, for the engine's unit suite.

:class:`FakeWorld` is what exists "out there": workspaces and their bridges, shared by every
engine of a test (two engines on one store stand for two processes). :class:`FakeProvider`
implements the provider interface over it, and each step can be scripted: held on a gate
(slow), failed, or crashed (the bridge ends as if killed). :class:`FakeBridge` speaks the
bridge's event stream and accepts messages like the real one, so the engine's real monitor
follows it. Nothing here touches the disk, a process or the network.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import attrs

from taskyard.errors import AgentBusyError, WorkspaceFailureError
from taskyard.lifecycle import Owner, Presence
from taskyard.workspaces.base import LogSink, WorkFolder, WorkspaceData, WorkspaceSpec
from taskyard.workspaces.bridge_client import BridgeUnavailable

READY = ("idle", "complete", "failed", "needs_input")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeBridge:
    """One agent bridge: its state, conversation and queue, and its followers' streams."""

    def __init__(self, *, auto_reply: bool = True, initial_prompt: str = "") -> None:
        self.auto_reply = auto_reply
        self.state: dict[str, Any] = {"state": "starting", "message": "", "source": "process"}
        self.messages: list[dict[str, Any]] = []
        self.queue: list[str] = []
        self.typed: list[str] = []
        """Raw keys and messages as the agent's terminal received them."""
        self.interrupts = 0
        self.alive = True
        self._streams: list[asyncio.Queue[tuple[str, dict[str, Any]] | None]] = []
        self._prompt = initial_prompt
        self.prompt_sent = False

    # -- what the test scripts ---------------------------------------------------------------

    def set_state(self, state: str, message: str = "", source: str = "screen") -> None:
        self.state = {"state": state, "message": message, "source": source, "timestamp": _now()}
        self._publish("state_change", self.state_json())
        if state in READY and state != "needs_input":
            self._pump()

    def ready(self) -> None:
        """The agent shows its ready prompt: the initial prompt goes first, as the bridge does."""
        self.set_state("idle", "Waiting for input")

    def reply(self, text: str, then: str = "idle") -> None:
        self._add("agent", text)
        self.set_state(then, text)

    def ask(self, question: str) -> None:
        self.set_state("needs_input", question)

    def crash(self) -> None:
        """The bridge dies (kill -9): its streams end, nothing answers."""
        self.alive = False
        for stream in self._streams:
            stream.put_nowait(None)
        self._streams.clear()

    def agent_exits(self, ok: bool) -> None:
        state = "exited" if ok else "failed"
        self.set_state(state, "The agent exited", source="process")

    # -- what the client calls ---------------------------------------------------------------

    def state_json(self) -> dict[str, Any]:
        return {**self.state, "initial_prompt_sent": self.prompt_sent, "queue_length": 0}

    def send(self, content: str) -> None:
        self._check()
        if self.state["state"] not in READY:
            raise AgentBusyError(f"the agent is {self.state['state']}")
        self._deliver(content)

    def enqueue(self, content: str) -> dict[str, Any]:
        self._check()
        self.queue.append(content)
        if self.state["state"] in READY:
            self._pump()
        return {"id": f"q{len(self.queue)}"}

    def events(self) -> asyncio.Queue[tuple[str, dict[str, Any]] | None]:
        self._check()
        stream: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()
        for message in self.messages:
            stream.put_nowait(("message_update", message))
        stream.put_nowait(("state_change", self.state_json()))
        self._streams.append(stream)
        return stream

    def _check(self) -> None:
        if not self.alive:
            raise BridgeUnavailable("the agent bridge does not answer (fake: it died)")

    def _deliver(self, content: str) -> None:
        self.typed.append(content)
        self._add("user", content)
        self.set_state("working", content, source="api")
        if self.auto_reply:
            asyncio.get_running_loop().call_soon(self._auto, content)

    def _auto(self, content: str) -> None:
        if self.alive and self.state["state"] == "working":
            self.reply(f"Done: {content}")

    def _pump(self) -> None:
        if self._prompt and not self.prompt_sent:
            self.prompt_sent = True
            self._deliver(self._prompt)
        elif self.queue:
            self._deliver(self.queue.pop(0))

    def _add(self, role: str, text: str) -> None:
        message = {"id": len(self.messages), "role": role, "message": text, "time": _now()}
        self.messages.append(message)
        self._publish("message_update", message)

    def _publish(self, name: str, data: dict[str, Any]) -> None:
        for stream in self._streams:
            stream.put_nowait((name, dict(data)))


class FakeClient:
    """The :class:`~taskyard.workspaces.bridge_client.BridgeClient` surface over a bridge."""

    def __init__(self, bridge: FakeBridge | None) -> None:
        self._bridge = bridge

    def _live(self) -> FakeBridge:
        if self._bridge is None or not self._bridge.alive:
            raise BridgeUnavailable("the agent bridge does not answer (fake)")
        return self._bridge

    async def state(self) -> dict[str, Any]:
        return self._live().state_json()

    async def send(self, content: str) -> None:
        self._live().send(content)

    async def raw(self, keys: str) -> None:
        self._live().typed.append(keys)

    async def enqueue(self, content: str) -> dict[str, Any]:
        return self._live().enqueue(content)

    async def interrupt(self) -> None:
        bridge = self._live()
        bridge.interrupts += 1
        bridge.set_state("idle", "Interrupted")

    async def screen(self) -> dict[str, Any]:
        self._live()
        return {"screen": "> ", "columns": 80, "rows": 24}

    async def shutdown(self) -> None:
        self._live().crash()

    async def events(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        stream = self._live().events()
        while True:
            item = await stream.get()
            if item is None:
                raise BridgeUnavailable("the agent bridge does not answer (stream ended)")
            yield item


@attrs.define
class FakeWorkspace:
    """One workspace as it exists in the fake world."""

    task_id: str
    presence: Presence = Presence.STOPPED
    bridge: FakeBridge | None = None
    starts: int = 0


@attrs.define
class Script:
    """How the next provider calls behave; a gate holds a step until the test opens it."""

    gate_up: asyncio.Event | None = None
    fail_up: str = ""
    gate_stop: asyncio.Event | None = None
    fail_stop: str = ""
    fail_delete: str = ""
    gate_delete: asyncio.Event | None = None
    auto_reply: bool = True
    ready_at_once: bool = True


@attrs.define
class FakeWorld:
    """Everything that exists outside the engines: workspaces, and which engines still live."""

    workspaces: dict[str, FakeWorkspace] = attrs.Factory(dict)
    alive: set[str] = attrs.Factory(set)
    """Engine instances (fake processes) that are running."""
    calls: list[tuple[str, str]] = attrs.Factory(list)
    """(call, task id) in order: what the providers were asked to do."""
    script: Script = attrs.Factory(Script)

    def bridge(self, task_id: str) -> FakeBridge:
        ws = self.workspaces[task_id]
        assert ws.bridge is not None, f"task {task_id} has no bridge"
        return ws.bridge

    def running(self) -> list[str]:
        return [t for t, ws in self.workspaces.items() if ws.presence is Presence.RUNNING]


class FakeProvider:
    """A provider over the fake world; ``name`` is the one the engine knows it by."""

    def __init__(self, world: FakeWorld, name: str = "local") -> None:
        self.world = world
        self.name = name

    async def create(self, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        self.world.calls.append(("create", spec.task_id))
        self.world.workspaces[spec.task_id] = FakeWorkspace(spec.task_id)
        try:
            return await self._up(spec, log)
        except (WorkspaceFailureError, asyncio.CancelledError):
            self.world.workspaces.pop(spec.task_id, None)
            raise

    async def start(self, data: WorkspaceData, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        self.world.calls.append(("start", spec.task_id))
        if spec.task_id not in self.world.workspaces:
            raise WorkspaceFailureError("the workspace is gone (fake)")
        return await self._up(spec, log)

    async def _up(self, spec: WorkspaceSpec, log: LogSink) -> WorkspaceData:
        script = self.world.script
        log("startup", "fake: starting the bridge")
        if script.gate_up is not None:
            await script.gate_up.wait()
        if script.fail_up:
            raise WorkspaceFailureError(script.fail_up, "fake detail")
        ws = self.world.workspaces[spec.task_id]
        prompt = spec.initial_prompt if ws.starts == 0 else ""
        ws.bridge = FakeBridge(auto_reply=script.auto_reply, initial_prompt=prompt)
        ws.presence, ws.starts = Presence.RUNNING, ws.starts + 1
        if script.ready_at_once:
            ws.bridge.ready()
        return {"id": spec.task_id, "bridge_url": f"fake://{spec.task_id}"}

    async def stop(self, data: WorkspaceData, grace: float) -> WorkspaceData:
        task_id = str(data["id"])
        self.world.calls.append(("stop", task_id))
        script = self.world.script
        if script.gate_stop is not None:
            await script.gate_stop.wait()
        if script.fail_stop:
            raise WorkspaceFailureError(script.fail_stop)
        ws = self.world.workspaces.get(task_id)
        if ws is not None:
            if ws.bridge is not None:
                ws.bridge.crash()
            ws.presence = Presence.STOPPED
        return {**data, "bridge_url": None}

    async def delete(self, data: WorkspaceData, *, keep_work: bool = False) -> str | None:
        task_id = str(data["id"])
        self.world.calls.append(("delete", task_id))
        if self.world.script.gate_delete is not None:
            await self.world.script.gate_delete.wait()
        if self.world.script.fail_delete:
            raise WorkspaceFailureError(self.world.script.fail_delete)
        ws = self.world.workspaces.pop(task_id, None)
        if ws is not None and ws.bridge is not None:
            ws.bridge.crash()
        return f"/kept/{task_id}" if keep_work else None

    async def inspect(self, data: WorkspaceData) -> Presence:
        ws = self.world.workspaces.get(str(data["id"]))
        return Presence.MISSING if ws is None else ws.presence

    async def saved_state(self, data: WorkspaceData) -> dict[str, Any] | None:
        ws = self.world.workspaces.get(str(data["id"]))
        if ws is None or ws.bridge is None:
            return None
        return {
            "initial_prompt_sent": ws.bridge.prompt_sent,
            "messages": [
                {**m, "time": datetime.fromisoformat(m["time"].replace("Z", "+00:00")).timestamp()}
                for m in ws.bridge.messages
            ],
        }

    def client(self, data: WorkspaceData) -> FakeClient:
        ws = self.world.workspaces.get(str(data["id"]))
        return FakeClient(None if ws is None else ws.bridge)

    @contextlib.asynccontextmanager
    async def work_folder(self, data: WorkspaceData) -> AsyncIterator[WorkFolder]:
        raise WorkspaceFailureError("the fake provider has no files")
        yield  # pragma: no cover


class FakeOwners:
    """Engine instances as fake processes: alive while the world says so."""

    def __init__(self, world: FakeWorld, instance: str) -> None:
        self._world = world
        self._me = Owner(pid=1000, started="fake", instance=instance)
        world.alive.add(instance)

    def me(self) -> Owner:
        return self._me

    def alive(self, owner: Owner | None) -> bool:
        return owner is not None and owner.instance in self._world.alive

    def die(self) -> None:
        self._world.alive.discard(self._me.instance)
