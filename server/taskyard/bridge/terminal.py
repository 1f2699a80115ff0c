"""The agent's terminal: a PTY running the agent, and the screen a real VT emulator renders from it.

A reader thread owns the PTY's output. It feeds pyte under a lock and tells the event loop that
the screen may have changed through one coalesced ``call_soon_threadsafe``, so a burst of output
costs the loop one wake-up per sample, not one per chunk. pyte answers the terminal queries agents
send (cursor position, device attributes) by writing back to the PTY, the way a terminal does;
without that Aider warns that the terminal lacks CPR support.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable

import ptyprocess
import pyte

log = logging.getLogger(__name__)

ESC = b"\x1b"


@dataclass(frozen=True)
class ExitInfo:
    """How the agent process ended: its exit code, or the signal that killed it."""

    code: int | None
    signal: int | None

    @property
    def ok(self) -> bool:
        return self.code == 0

    def describe(self) -> str:
        if self.signal is not None:
            return f"killed by signal {self.signal}"
        return f"exited with code {self.code}"


class _AnsweringScreen(pyte.Screen):
    """A pyte screen that sends its replies to terminal queries back to the program."""

    def __init__(self, columns: int, lines: int, reply: Callable[[bytes], None]) -> None:
        super().__init__(columns, lines)
        self._reply = reply

    def write_process_input(self, data: str) -> None:
        self._reply(data.encode())


class Terminal:
    """A running agent in a PTY, with its rendered screen.

    ``on_dirty`` is called on the event loop (coalesced) after new output reached the screen;
    ``on_exit`` is called on the event loop once with the process's :class:`ExitInfo`.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str],
        columns: int,
        rows: int,
        loop: asyncio.AbstractEventLoop,
        on_dirty: Callable[[], None],
        on_exit: Callable[[ExitInfo], None],
    ) -> None:
        self.argv = list(argv)
        self._cwd = cwd
        self._env = dict(env)
        self.columns = columns
        self.rows = rows
        self._loop = loop
        self._on_dirty = on_dirty
        self._on_exit = on_exit
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._screen = _AnsweringScreen(columns, rows, self._write_from_reader)
        self._stream = pyte.ByteStream(self._screen)
        self._proc: ptyprocess.PtyProcess | None = None
        self._dirty_pending = False
        self.exit_info: ExitInfo | None = None
        self.bytes_read = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Spawn the agent; raises ``OSError``/``FileNotFoundError`` when it cannot start."""
        env = dict(self._env)
        env.setdefault("TERM", "xterm-256color")
        env["COLUMNS"], env["LINES"] = str(self.columns), str(self.rows)
        self._proc = ptyprocess.PtyProcess.spawn(
            self.argv, cwd=self._cwd, env=env, dimensions=(self.rows, self.columns)
        )
        threading.Thread(target=self._pump, name="pty-reader", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self.exit_info is None and self._proc.isalive()

    def signal(self, signum: int) -> None:
        """Send a signal to the agent's process group (its children too: tools it runs)."""
        if self._proc is None or self.exit_info is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(self._proc.pid), signum)

    def resize(self, columns: int, rows: int) -> None:
        with self._lock:
            self._screen.resize(rows, columns)
            self.columns, self.rows = columns, rows
        if self._proc is not None and self.exit_info is None:
            self._proc.setwinsize(rows, columns)

    # -- I/O -------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write keystrokes to the agent. Blocking only when the PTY's buffer is full."""
        if self._proc is None or self.exit_info is not None:
            raise BrokenPipeError("the agent process is not running")
        with self._write_lock:
            view = memoryview(data)
            while view:
                written = os.write(self._proc.fd, view)
                view = view[written:]

    async def write_async(self, data: bytes) -> None:
        """Write without ever blocking the loop, even if the agent stopped reading."""
        if len(data) <= 1024:
            self.write(data)
        else:
            await asyncio.get_running_loop().run_in_executor(None, self.write, data)

    def lines(self) -> list[str]:
        """The screen's rows as text, right-stripped."""
        with self._lock:
            return [line.rstrip() for line in self._screen.display]

    def text(self) -> str:
        return "\n".join(self.lines()).rstrip("\n")

    # -- reader thread ---------------------------------------------------------------------

    def _write_from_reader(self, data: bytes) -> None:
        # The agent may go away between its query and our answer.
        with contextlib.suppress(OSError):
            self.write(data)

    def _pump(self) -> None:
        assert self._proc is not None
        while True:
            try:
                data = self._proc.read(65536)
            except EOFError:
                break
            except OSError:
                break
            self.bytes_read += len(data)
            # pyte handles ~1 MB/s; feeding in slices keeps the lock (and the GIL) short so
            # the HTTP side stays responsive during a flood of output.
            for start in range(0, len(data), 4096):
                with self._lock:
                    self._stream.feed(data[start : start + 4096])
            self._signal_dirty()
        self._finish()

    def _signal_dirty(self) -> None:
        if self._dirty_pending:
            return
        self._dirty_pending = True
        # The loop may already be closed while we shut down.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._deliver_dirty)

    def _deliver_dirty(self) -> None:
        self._dirty_pending = False
        self._on_dirty()

    def _finish(self) -> None:
        assert self._proc is not None
        with contextlib.suppress(ptyprocess.PtyProcessError):
            self._proc.wait()
        info = ExitInfo(code=self._proc.exitstatus, signal=self._proc.signalstatus)
        with contextlib.suppress(OSError):
            self._proc.close(force=True)

        def deliver() -> None:
            self.exit_info = info
            self._on_exit(info)

        try:
            self._loop.call_soon_threadsafe(deliver)
        except RuntimeError:
            self.exit_info = info
