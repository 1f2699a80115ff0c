"""The demo's side of the wire: the sidecar subprocess, its JSON-RPC client, and the task feed.

:class:`Sidecar` starts ``taskyard serve`` with pygls's language client over stdio, exactly as
the VS Code extension does, and bounds every request by a timeout and by the process staying
alive, so a broken sidecar ends the demo with a message instead of a hang. :class:`TaskFeed`
receives the ``taskyard/*`` notifications as raw JSON (as the editor sees them), prints the
followed task's events as they arrive, and lets the demo wait for conditions on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from taskyard import __version__
from taskyard.demo.out import Out, short
from taskyard.protocol.client import make_raw_client, record_notifications

TASK_NOTIFICATIONS = (
    "taskyard/tasks/didChange",
    "taskyard/tasks/didDelete",
    "taskyard/tasks/messageDidChange",
    "taskyard/tasks/logDidAppend",
)
# States in which the agent waits for the user: its reply so far is final.
SETTLED = {"idle", "complete", "needs_input", "failed"}


class DemoError(Exception):
    """A failure the demo explains in one sentence (plus optional detail lines)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


@attrs.define
class Message:
    id: int
    role: str
    content: str
    at: float  # monotonic time of its latest update
    tick: int  # position in the notification stream of its latest update


class TaskFeed:
    """The followed task as the notifications describe it; see the module docstring."""

    def __init__(self, out: Out) -> None:
        self.out = out
        self.task_id: str | None = None
        self.task: dict[str, Any] = {}
        self.tick = 0  # counts notifications, so waits can ask "after this point"
        self.state_tick = 0
        self.statuses: list[str] = []
        self.messages: dict[int, Message] = {}
        self.deleted = False
        self.first_active: float | None = None
        self.chatty_tokens: set[str] = set()  # progress tokens whose reports are printed
        self.alive: Callable[[str], None] = lambda what: None  # raises once the sidecar is gone
        self.muted = False  # set while the task is torn down: only didDelete is printed
        self._buffer: list[tuple[str, dict[str, Any]]] = []
        self._printed: dict[int, str] = {}  # message id -> the content printed
        self._changed = asyncio.Event()

    @property
    def status(self) -> str | None:
        return self.task.get("status")

    @property
    def state(self) -> str | None:
        return (self.task.get("state") or {}).get("state")

    # -- input -----------------------------------------------------------------------------

    def follow(self, task: dict[str, Any]) -> None:
        """Follow ``task``; its notifications that came before the create answer are replayed."""
        self.task_id = task["id"]
        self._snapshot(task)
        buffered, self._buffer = self._buffer, []
        for method, params in buffered:
            self.on_notification(method, params)

    def on_notification(self, method: str, params: dict[str, Any]) -> None:
        task_id = params.get("taskId") or params.get("id") or params.get("task", {}).get("id")
        if self.task_id is None:
            self._buffer.append((method, params))
            return
        if task_id != self.task_id:
            return  # another task in a reused data folder
        self.tick += 1
        if self.muted and method != "taskyard/tasks/didDelete":
            self._changed.set()
            return
        if method == "taskyard/tasks/didChange":
            self._snapshot(params["task"])
        elif method == "taskyard/tasks/messageDidChange":
            self._message(params["message"])
        elif method == "taskyard/tasks/logDidAppend":
            for line in params["lines"]:
                self.out.line(line["stream"], line["text"], "dim")
        elif method == "taskyard/tasks/didDelete":
            self.deleted = True
            self.out.line("deleted", f"task {params.get('name') or task_id}", "yellow")
        self._changed.set()

    def on_progress(self, token: Any, value: Any) -> None:
        kind = value.get("kind") if isinstance(value, dict) else None
        if kind == "begin":
            self.out.line("progress", f"{value.get('title', '')}…", "blue")
        elif kind == "report" and str(token) in self.chatty_tokens:
            self.out.line("progress", str(value.get("message", "")), "blue")
        elif kind == "end":
            self.out.line("progress", f"{value.get('message') or 'done'} (done)", "blue")

    def _snapshot(self, task: dict[str, Any]) -> None:
        before_status, before_state = self.status, self.state
        self.task, self.state_tick = task, self.tick
        if self.status != before_status:
            self.flush()
            self.statuses.append(task["status"])
            self.out.line("status", task["status"], "yellow")
            if task["status"] == "active" and self.first_active is None:
                self.first_active = time.monotonic()
        if self.state != before_state and self.state is not None:
            if self.state in SETTLED:
                self.flush()
            self.out.line("state", self.state, "magenta")

    def _message(self, data: dict[str, Any]) -> None:
        msg = Message(data["id"], data["role"], data["content"], time.monotonic(), self.tick)
        self.messages[msg.id] = msg
        self.flush(below=msg.id)  # a newer message makes the earlier ones final
        if msg.role == "user":
            self.flush(below=msg.id + 1)

    def flush(self, below: int | None = None) -> None:
        """Print what is new or changed (of the messages older than ``below``), oldest first.

        Messages are keyed by id, as a view keys them: the sidecar announces the whole
        conversation again whenever it reconnects to the bridge, and that prints nothing.
        """
        for msg_id in sorted(self.messages):
            msg = self.messages[msg_id]
            if (below is None or msg_id < below) and self._printed.get(msg_id) != msg.content:
                self._print(msg, again=msg_id in self._printed)

    def _print(self, msg: Message, again: bool) -> None:
        self._printed[msg.id] = msg.content
        text = ("(updated) " if again else "") + (msg.content.strip("\n") or "(empty)")
        if msg.role == "user":
            self.out.line("you", text, "cyan")
        else:
            self.out.line("agent", text, "green", "bold green")

    # -- queries ---------------------------------------------------------------------------

    def user_message(self, text: str) -> Message | None:
        found = [m for m in self.messages.values() if m.role == "user" and m.content == text]
        return found[-1] if found else None

    def reply_to(self, text: str) -> Message | None:
        """The agent's reply to the user message ``text`` (its first agent message after it)."""
        asked = self.user_message(text)
        if asked is None:
            return None
        later = [m for m in self.messages.values() if m.role == "agent" and m.id > asked.id]
        return min(later, key=lambda m: m.id) if later else None

    def turn_done(self, text: str) -> bool:
        """The agent replied to ``text`` and then settled (the reply is final)."""
        asked = self.user_message(text)
        return (
            asked is not None
            and self.reply_to(text) is not None
            and self.status == "active"
            and self.state in SETTLED
            and self.state_tick > asked.tick
        )

    async def wait(self, pred: Callable[[], bool], what: str, within: float = 30.0) -> None:
        """Until ``pred()`` holds; a :class:`DemoError` naming ``what`` after ``within`` s."""
        end = time.monotonic() + within
        while not pred():
            self.alive(what)
            self._changed.clear()
            left = end - time.monotonic()
            if left <= 0:
                raise DemoError(
                    f"timed out after {within:g}s waiting for {what} "
                    f"(task status {self.status}, agent {self.state})"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))


class Sidecar:
    """``taskyard serve`` as a subprocess, spoken to over stdio; see the module docstring."""

    def __init__(self, command: list[str], env: dict[str, str], feed: TaskFeed) -> None:
        self.command = command
        self.env = env
        self.feed = feed
        # Taskyard's messages stay raw JSON, as in the e2e tests: the demo shows the wire as is.
        self.client = make_raw_client("taskyard-demo", __version__)
        self.stderr: deque[str] = deque(maxlen=200)
        self._proc: asyncio.subprocess.Process | None = None
        self._exit: asyncio.Task[int] | None = None
        self._drain: asyncio.Task[None] | None = None
        self.initialized = False
        record_notifications(
            self.client,
            lambda _at, method, params: feed.on_notification(method, params),
            TASK_NOTIFICATIONS,
        )
        self.client.feature(types.PROGRESS)(
            lambda params: feed.on_progress(params.token, params.value)
        )
        feed.alive = self.check_alive

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc is not None else None

    def tail(self, lines: int = 15) -> str:
        """The end of the sidecar's stderr, without pygls's per-message INFO chatter."""
        kept = [line for line in self.stderr if " INFO pygls." not in line]
        return "\n".join(short(line, 160) for line in kept[-lines:])

    def check_alive(self, what: str = "") -> None:
        if self._exit is not None and self._exit.done():
            during = f" while waiting for {what}" if what else ""
            raise DemoError(
                f"the sidecar exited unexpectedly (code {self.returncode}){during}", self.tail()
            )

    async def start(self, workspace: Path, within: float = 20.0) -> types.InitializeResult:
        """Start the process and initialize it with work-done progress, as VS Code does."""
        try:
            await self.client.start_io(*self.command, env=self.env)
        except OSError as exc:
            why = exc.strerror or str(exc)
            command = shlex.join(self.command)
            raise DemoError(f"could not start the sidecar `{command}`: {why}") from None
        proc = self.client._server
        assert proc is not None and proc.stderr is not None
        self._proc = proc
        self._exit = asyncio.create_task(proc.wait())
        # pygls pipes the server's stderr without reading it: read it, or a chatty server
        # blocks on a full pipe; the tail explains failures.
        self._drain = asyncio.create_task(self._read_stderr(proc.stderr))
        params = types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            ),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
            client_info=types.ClientInfo(name="taskyard-demo", version=__version__),
        )
        result: types.InitializeResult = await self._bounded(
            self.client.initialize_async(params), "initialize", within
        )
        self.client.initialized(types.InitializedParams())
        self.initialized = True
        return result

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            self.stderr.append(raw.decode(errors="replace").rstrip())

    async def call(self, method: str, params: dict[str, Any], within: float = 20.0) -> Any:
        """A Taskyard request; its result as raw JSON."""
        return await self._bounded(
            self.client.protocol.send_request_async(method, params), method, within
        )

    async def _bounded(self, request: Awaitable[Any], what: str, within: float) -> Any:
        """The request's result, unless the sidecar exits or stays silent for ``within`` s."""
        assert self._exit is not None
        job = asyncio.ensure_future(request)
        await asyncio.wait({job, self._exit}, timeout=within, return_when="FIRST_COMPLETED")
        if not job.done():
            job.cancel()
            self.check_alive(what)
            raise DemoError(f"the sidecar did not answer {what} within {within:g}s", self.tail())
        exc = job.exception()
        if exc is None:
            return job.result()
        if isinstance(exc, JsonRpcException):
            kind = (exc.data or {}).get("kind") if isinstance(exc.data, dict) else None
            raise DemoError(f"{what} failed: {exc.message} ({kind or exc.code})")
        await asyncio.sleep(0.1)  # a request that failed because the process died: say so
        self.check_alive(what)
        raise DemoError(f"{what} failed: {exc}", self.tail())

    async def stop(self, within: float = 5.0) -> int | None:
        """``shutdown`` then ``exit``, as an editor closes; the process is killed if it hangs."""
        if self._proc is None or self._exit is None:
            return None
        if not self._exit.done() and self.initialized:
            with contextlib.suppress(DemoError):
                await self._bounded(self.client.shutdown_async(None), "shutdown", within)
            if not self._exit.done():
                with contextlib.suppress(Exception):
                    self.client.exit(None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._exit), within)
        if not self._exit.done():  # never initialized, or deaf to exit: nothing to lose
            self._proc.kill()
            await self._exit
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 5.0)  # type: ignore[no-untyped-call]
        if self._drain is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._drain, 2.0)
        return self._proc.returncode
