"""The bridge itself: one agent, its terminal, its state, its conversation and its queue.

Lifecycle of a :class:`Bridge`: ``created`` → ``running`` (agent spawned, API served) →
``agent-ended`` (the agent exited; the API keeps serving the final state and last screen) →
``closed``. Every signal (screen samples, hook posts, process exit) ends in the state tracker;
every change is published as events and persisted (debounced) to the state file.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import signal
import time
import uuid
from collections.abc import Mapping
from typing import Any, Callable

from . import persistence
from .adapters.base import Adapter, LaunchContext
from .config import BridgeConfig
from .conversation import Conversation
from .events import Event, EventHub
from .idlepause import IdlePause
from .model import AgentState, Message, SignalSource, rfc3339
from .outbox import Outbox
from .persistence import SavedState, StateFileError
from .screenwatch import ScreenWatcher
from .signals import SignalRouter, idle_message, summary
from .statetracker import Evidence, StateTracker
from .terminal import ExitInfo, Terminal
from .typist import BRACKETED_PASTE_MODE, Typist

log = logging.getLogger(__name__)

READY_STATES = (AgentState.IDLE, AgentState.COMPLETE, AgentState.FAILED)
STABLE_STATES = (*READY_STATES, AgentState.NEEDS_INPUT, AgentState.EXITED)


class AgentBusy(Exception):
    """A user message arrived while the agent cannot take one."""


class Bridge:
    """Supervises one agent; the HTTP layer (:mod:`.api`) calls the public methods."""

    def __init__(
        self,
        config: BridgeConfig,
        adapter: Adapter,
        hook_command: str,
        redact: Callable[[str], str] = str,
        request_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.adapter = adapter
        self.hub = EventHub()
        self.errors: list[dict[str, Any]] = []
        self.signal_token = secrets.token_urlsafe(24)
        self._hook_command = hook_command
        self._redact = redact
        self._saved = SavedState(agent_type=adapter.name)
        self.conversation = Conversation(adapter, self._message_changed, redact=redact)
        self.tracker = StateTracker(
            window=config.window or adapter.window,
            idle_on_stable=adapter.idle_on_stable,
            on_change=self._state_changed,
            idle_message=functools.partial(idle_message, self.conversation),
            hook_grace=0.5 if adapter.has_hooks else 0.0,
        )
        self.signals = SignalRouter(adapter, self.tracker, self.conversation)
        self.terminal: Terminal | None = None
        self.watcher: ScreenWatcher | None = None
        self._typist: Typist | None = None
        self._send_lock = asyncio.Lock()
        self._delivering = False
        self.outbox = Outbox(
            lambda: self._saved,
            deliver=self._deliver,
            ready=self._outbox_ready,
            sending=self._sending,
            changed=self._queue_changed,
            report=self.report_error,
            retry_after=config.window or adapter.window,
        )
        self._request_stop = request_stop
        self._idle = IdlePause(config.idle_timeout, self._pause_when_idle)
        self._save_handle: asyncio.TimerHandle | None = None
        self._last_status = ""
        self._exited = asyncio.Event()
        self.started_at = time.time()

    # -- start-up --------------------------------------------------------------------------

    async def start(self, bridge_url: str) -> None:
        """Load the state file, then launch the agent (resuming its session when it has one)."""
        resuming = self._load_state()
        self._saved.session_id = (
            self._saved.session_id or self.config.session_id or str(uuid.uuid4())
        )
        if self.config.initial_prompt and self.config.initial_prompt != self._saved.initial_prompt:
            # A different prompt than the saved one is a new task: send it (agentapi's rule).
            self._saved.initial_prompt = self.config.initial_prompt
            self._saved.initial_prompt_sent = False
        env = dict(self.config.agent_env)
        env.update(TASKYARD_BRIDGE_URL=bridge_url, TASKYARD_SIGNAL_TOKEN=self.signal_token)
        ctx = LaunchContext(
            argv=self.config.argv,
            workdir=self.config.workdir,
            env=env,
            runtime_dir=self.config.runtime_dir,
            session_id=self._saved.session_id,
            bridge_url=bridge_url,
            signal_token=self.signal_token,
            hook_command=self._hook_command,
            resuming=resuming,
        )
        plan = self.adapter.plan(ctx)
        env.update(plan.env)
        for note in plan.notes:
            log.info("%s", note)
        loop = asyncio.get_running_loop()
        self.terminal = Terminal(
            plan.argv,
            cwd=self.config.workdir,
            env=env,
            columns=self.config.columns,
            rows=self.config.rows,
            loop=loop,
            on_dirty=self._on_dirty,
            on_exit=self._on_exit,
        )
        self.terminal.start()
        self.watcher = ScreenWatcher(
            self.terminal.lines,
            window=self.config.window or self.adapter.window,
            on_change=self._on_screen_change,
            on_stable=self._on_screen_stable,
        )
        self._typist = Typist(
            self.terminal,
            self.watcher.sample_now,
            self._paste_mode,
            submit_timeout=self.config.submit_timeout,
        )
        self.watcher.start()
        self._schedule_save(0)
        log.info("agent started: pid %s, session %s", self.terminal.pid, self._saved.session_id)

    def _load_state(self) -> bool:
        if not self.config.state_file:
            return False
        try:
            saved = persistence.load(self.config.state_file)
        except StateFileError as exc:
            self.report_error(f"Failed to restore previous session: {exc}", "warning")
            return False
        if saved is None:
            return False
        self._saved = saved
        self._saved.agent_type = self.adapter.name
        self.conversation.restore(saved.messages)
        return True

    # -- status ----------------------------------------------------------------------------

    @property
    def state(self) -> Evidence:
        return self.tracker.current

    @property
    def status(self) -> str:
        """agentapi's two-valued status: ``stable`` when a user message may be sent."""
        busy = self._delivering or self.outbox.busy or self.outbox.waiting
        if busy or self.state.state not in STABLE_STATES:
            return "running"
        return "stable"

    def state_json(self) -> dict[str, Any]:
        ev = self.state
        term = self.terminal
        return {
            "state": ev.state.value,
            "message": ev.message,
            "source": ev.source.value,
            "timestamp": rfc3339(ev.at),
            "status": self.status,
            "agent_type": self.adapter.name,
            "session_id": self._saved.session_id,
            "initial_prompt_sent": self._saved.initial_prompt_sent,
            "queue_length": len(self._saved.queue),
            "pid": term.pid if term else None,
            "exit": (term.exit_info.describe() if term and term.exit_info else None),
            "started_at": rfc3339(self.started_at),
        }

    # -- messages --------------------------------------------------------------------------

    async def send_user(self, content: str) -> Message:
        """Deliver a user message now; :class:`AgentBusy` unless the agent can take it."""
        text = content.strip()
        if self._delivering or self._send_lock.locked():
            raise AgentBusy("another message is being delivered")
        if self.state.state not in (*READY_STATES, AgentState.NEEDS_INPUT):
            raise AgentBusy(f"the agent is {self.state.state.value}; wait for status stable")
        return await self._deliver(text)

    async def send_raw(self, content: str) -> None:
        """Keystrokes straight to the PTY (ESC, arrows); not stored, never refused for busyness."""
        assert self.terminal is not None
        await self.terminal.write_async(content.encode())

    async def interrupt(self) -> None:
        assert self.terminal is not None
        await self.terminal.write_async(self.adapter.interrupt_keys)

    async def _deliver(self, text: str) -> Message:
        assert self._typist is not None
        async with self._send_lock:
            self._delivering = True
            self._status_maybe_changed()
            typing_from = time.time()
            try:
                answering = self.state.state is AgentState.NEEDS_INPUT
                self.conversation.typing = True
                if answering:
                    before = await self._typist.press(self.adapter.answer_keys(text))
                else:
                    before = await self._typist.type_message(text)
            finally:
                self.conversation.typing = False
                self._delivering = False
            message = self.conversation.add_user(text, before)
            if self.watcher is not None:
                # The agent may have answered while we were still typing (a one-key dialog
                # answer is acted on at once): start the reply from the screen as it is now.
                self.conversation.on_screen(self.watcher.lines)
            asked = self.state.state is AgentState.NEEDS_INPUT and self.state.at >= typing_from
            if not self.signals.delivered() and not asked:
                # Unless the agent already answered (its Stop hook was held for this turn) or
                # asked something about this very message (Aider's "Add file to the chat?" can
                # appear before the typing is done).
                self.tracker.external(AgentState.WORKING, SignalSource.API, summary(text))
            self._schedule_save(0)
            self._status_maybe_changed()
            return message

    # -- the outbox ----------------------------------------------------------------------

    def _outbox_ready(self) -> bool:
        free = not self._delivering and not self._send_lock.locked()
        return free and self.state.state in READY_STATES

    def _sending(self, what: str) -> None:
        self.tracker.external(AgentState.WORKING, SignalSource.API, "Sending: " + what)

    def _queue_changed(self) -> None:
        items = [
            {"id": q.id, "content": q.content, "time": rfc3339(q.time)} for q in self.outbox.items
        ]
        self.hub.publish(Event("queue_change", {"items": items}, "taskyard"))
        self._status_maybe_changed()
        self._schedule_save(0)

    # -- signals from hooks and self-reports -----------------------------------------------

    def signal(self, body: Mapping[str, Any]) -> str | None:
        """Apply a posted signal; returns the state it produced, or None when ignored."""
        return self.signals.apply(body)

    def report_error(self, message: str, level: str) -> None:
        entry = {"message": self._redact(message), "level": level, "time": rfc3339(time.time())}
        self.errors = [*self.errors[-99:], entry]
        log.warning("agent_error (%s): %s", level, message)
        self.hub.publish(Event("agent_error", entry))
        self.hub.publish(Event("agent_error", entry, "taskyard"))

    # -- terminal callbacks ----------------------------------------------------------------

    def _on_dirty(self) -> None:
        if self.watcher is not None:
            self.watcher.poke()

    def _on_screen_change(self, lines: list[str]) -> None:
        if self._typist is not None:
            self._typist.changed()
        self.conversation.on_screen(lines)
        self.tracker.screen(self.adapter.classify(lines), time.time(), stable=False)
        self.hub.publish(Event("screen", self.screen_json(lines), "screen"))

    def _on_screen_stable(self, lines: list[str]) -> None:
        assert self.watcher is not None
        changed_at = time.time() - self.watcher.quiet_for()
        self.tracker.screen(self.adapter.classify(lines), changed_at, stable=True)
        self.outbox.pump()

    def _on_exit(self, info: ExitInfo) -> None:
        self._exited.set()
        lines = self.terminal.lines() if self.terminal else []
        if self.watcher is not None:
            self.watcher.sample_now()
        message = f"The agent {info.describe()}"
        self.tracker.exited(info.ok, message)
        if not info.ok:
            screen = "\n".join(lines).strip()
            self.report_error(f"{message}. Last screen:\n{screen}", "error")
        self._schedule_save(0)

    def screen_json(self, lines: list[str] | None = None) -> dict[str, Any]:
        term = self.terminal
        if lines is None:
            lines = term.lines() if term else []
        return {
            "screen": self._redact("\n".join(lines).rstrip("\n")),
            "columns": term.columns if term else 0,
            "rows": term.rows if term else 0,
        }

    def _paste_mode(self) -> bool:
        term = self.terminal
        return bool(term is not None and BRACKETED_PASTE_MODE in term._screen.mode)

    # -- change fan-out --------------------------------------------------------------------

    def _message_changed(self, message: Message) -> None:
        data = {
            "id": message.id,
            "role": message.role,
            "message": message.content,
            "time": rfc3339(message.time),
        }
        self.hub.publish(Event("message_update", data))
        self.hub.publish(Event("message_update", data, "taskyard"))
        self._schedule_save(0.3)

    def _state_changed(self, evidence: Evidence) -> None:
        # A turn boundary: persist now, so a kill -9 right after loses nothing the user saw.
        self._schedule_save(0)
        if evidence.state in READY_STATES and self.outbox.pump():
            return  # the delivery already announced "working" instead of this free state
        self.hub.publish(Event("state_change", self.state_json(), "taskyard"))
        self._status_maybe_changed()

    def _pause_when_idle(self, reason: str) -> None:
        """The idle timeout ran out: tell the followers why, then end (state saved on close)."""
        if self.status != "stable" or self.state.state not in (
            AgentState.IDLE,
            AgentState.COMPLETE,
        ):
            return
        log.info("pausing: %s", reason)
        self.hub.publish(Event("shutdown", {"reason": reason}, "taskyard"))
        self._request_stop()

    def _status_maybe_changed(self) -> None:
        self._idle.observe(self.state.state, self.state.at, self.status == "stable")
        status = self.status
        if status != self._last_status:
            self._last_status = status
            data = {"status": status, "agent_type": self.adapter.name}
            self.hub.publish(Event("status_change", data))
            self.hub.publish(Event("status_change", data, "taskyard"))

    def replay(self, channel: str) -> list[Event]:
        """The current state as events, for a subscriber that just connected."""
        if channel == "screen":
            return [Event("screen", self.screen_json(), "screen")]
        events = [
            Event(
                "message_update",
                {"id": m.id, "role": m.role, "message": m.content, "time": rfc3339(m.time)},
                channel,
            )
            for m in self.conversation.messages
        ]
        events.append(
            Event(
                "status_change", {"status": self.status, "agent_type": self.adapter.name}, channel
            )
        )
        if channel == "taskyard":
            events.append(Event("state_change", self.state_json(), channel))
        events.extend(Event("agent_error", e, channel) for e in self.errors)
        return events

    # -- persistence and shutdown ----------------------------------------------------------

    def _schedule_save(self, delay: float) -> None:
        if not self.config.state_file:
            return
        if self._save_handle is not None:
            if delay > 0:
                return
            self._save_handle.cancel()
        self._save_handle = asyncio.get_running_loop().call_later(delay, self.save_now)

    def save_now(self) -> None:
        self._save_handle = None
        if not self.config.state_file:
            return
        self._saved.messages = list(self.conversation.messages)
        try:
            persistence.save(self.config.state_file, self._saved)
        except OSError as exc:
            self.report_error(f"Could not save the state file: {exc.strerror}", "warning")

    async def close(self, grace: float = 5.0) -> None:
        """Save, ask the agent to quit, and stop it if it does not within ``grace`` seconds."""
        self.save_now()
        term = self.terminal
        if term is not None and term.alive:
            for signum, wait in ((signal.SIGHUP, grace), (signal.SIGKILL, 1.0)):
                term.signal(signum)
                try:
                    await asyncio.wait_for(self._exited.wait(), wait)
                    break
                except asyncio.TimeoutError:
                    continue
        self._idle.close()
        self.tracker.close()
        if self.watcher is not None:
            self.watcher.close()
        self.hub.close()
