"""The ``demo`` agent: a small terminal coding agent of our own that needs no API key.

It imitates Claude Code's inline TUI (a chevron prompt between two rules, a spinner with an
"esc to interrupt" footer while busy, numbered permission dialogs) so the product demo and most
fast tests can drive a realistic agent through the bridge. Behaviours are chosen from the prompt
text (``create``/``edit``/``delete`` files, ``sleep N``, ``fail``, ``exit``), and every turn is
appended to ``<workdir>/.taskyard-demo/<session-id>.jsonl`` so ``--resume`` can reload it.
Run it as ``python -m taskyard.bridge.demo_agent``; ``adapters/demo_screen.py`` reads its screen.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import os
import re
import select
import signal
import sys
import termios
import textwrap
import time
import tty
import unicodedata
import uuid
from pathlib import Path

from .demo_turns import Turn, plan_turn, positive

TITLE = "Taskyard demo agent v1"
SESSION_DIR = ".taskyard-demo"
THINK_SECONDS = 1.2  # the busy phase of an ordinary turn, divided by --speed
FRAME_SECONDS = 0.1  # spinner animation period (real time, so screens stay readable)
ESC_WAIT = 0.03  # how long a lone ESC may wait for the rest of an escape sequence
CTRL_C_WINDOW = 2.0  # a second Ctrl-C within this window exits
SPINNER = "·✢✳✶✻✽"
PROMPT = "\u276f"  # the chevron Claude Code draws before the input; detectors match it
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
PREFIXES = {"user": ("> ", "  "), "reply": ("● ", "● "), "note": ("", ""), "dialog": (" ", " ")}
SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class SessionStore:
    """Appends each turn to a JSON-lines transcript, as Claude Code does under ``~/.claude``."""

    def __init__(self, workdir: Path, session_id: str) -> None:
        self.session_id = session_id
        self.path = workdir / SESSION_DIR / f"{session_id}.jsonl"

    def load(self) -> list[dict[str, object]]:
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a line torn by a crash must not block resuming
        return entries

    def append(self, kind: str, text: str) -> None:
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True)
            # The transcript is the agent's own bookkeeping, not the task's work: git (and so
            # Taskyard's diff of the work) ignores the folder, as pytest does its cache.
            ignore = self.path.parent / ".gitignore"
            ignore.write_text("# Made by the Taskyard demo agent.\n*\n", encoding="utf-8")
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"type": kind, "text": text, "time": time.time()}) + "\n")


class KeyReader:
    """Turns raw terminal bytes into key events, keeping pastes and escape sequences whole."""

    KEYS = {"\r": "enter", "\n": "enter", "\x7f": "backspace", "\x08": "backspace"}
    KEYS.update({"\x03": "ctrl_c", "\x1b": "esc"})

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buf = ""
        self._paste: str | None = None  # the text of a bracketed paste still arriving
        self._after_cr = False

    @property
    def pending(self) -> bool:
        """True while a lone ESC may still be the start of a longer sequence."""
        return self._paste is None and self._buf.startswith("\x1b")

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        self._buf += self._decoder.decode(data)
        events: list[tuple[str, str]] = []
        while self._buf and (self._paste is None or self._end_paste(events)):
            size = _escape_size(self._buf) if self._buf[0] == "\x1b" else 1
            if size == 0:
                break
            self._key(self._buf[:size], events)
            self._buf = self._buf[size:]
        return events

    def flush(self) -> list[tuple[str, str]]:
        """Nothing followed the ESC in time: it was the Escape key itself."""
        self._buf = ""
        return [("esc", "")]

    def _key(self, key: str, events: list[tuple[str, str]]) -> None:
        if key == PASTE_START:
            self._paste = ""
        elif key in self.KEYS and not (key == "\n" and self._after_cr):  # CR LF is one Enter
            events.append((self.KEYS[key], ""))
        elif key >= " " and not key.startswith("\x1b"):
            events.append(("char", key))
        # other sequences (arrows, focus reports, terminal replies) are ignored
        self._after_cr = key == "\r"

    def _end_paste(self, events: list[tuple[str, str]]) -> bool:
        """Collect paste text; True once its end marker arrived (text is literal, Enter too)."""
        text = (self._paste or "") + self._buf
        end = text.find(PASTE_END)
        if end < 0:
            self._paste, self._buf = text, ""
            return False
        self._paste, self._buf = None, text[end + len(PASTE_END) :]
        events.append(("paste", text[:end].replace("\r\n", "\n").replace("\r", "\n")))
        return bool(self._buf)


def _escape_size(buf: str) -> int:
    """Length of the escape sequence starting ``buf``, or 0 while it may be incomplete."""
    if len(buf) < 2:
        return 0
    if buf[1] == "[":
        return next((i + 1 for i in range(2, len(buf)) if "@" <= buf[i] <= "~"), 0)
    if buf[1] == "O":
        return 3 if len(buf) >= 3 else 0
    return 1  # ESC then an ordinary key: the Escape key, then that key


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, cols: int) -> str:
    while _width(text) > cols:
        text = text[:-1]
    return text


def _wrap(text: str, cols: int, kind: str) -> list[str]:
    first, other = PREFIXES[kind]
    lines: list[str] = []
    for index, para in enumerate(text.split("\n")):
        lead = first if index == 0 else other
        wrapped = textwrap.wrap(para, max(cols, 8), initial_indent=lead, subsequent_indent="  ")
        lines += wrapped or [lead.rstrip()]
    return [_fit(line, cols) for line in lines]


class Painter:
    """Paints frames onto the terminal, rewriting only the rows that changed since the last one."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.rows, self.cols = 24, 80
        self._shown: list[str] | None = None
        self._cursor = (0, 0)

    def resize(self) -> None:
        with contextlib.suppress(OSError):  # not a terminal: keep the last known size
            self.cols, self.rows = os.get_terminal_size(self.fd)  # TIOCGWINSZ
        self._shown = None  # a resized terminal reflows old rows: repaint from scratch

    def paint(self, frame: list[str], cursor: tuple[int, int]) -> None:
        out = []
        if self._shown is None:
            out.append("\x1b[H\x1b[2J")
        shown = self._shown or []
        out += [
            f"\x1b[{i + 1};1H\x1b[2K{row}"
            for i, row in enumerate(frame)
            if i >= len(shown) or shown[i] != row
        ]
        if len(frame) < len(shown):
            out.append(f"\x1b[{len(frame) + 1};1H\x1b[J")
        if out or cursor != self._cursor:
            out.append(f"\x1b[{cursor[0] + 1};{cursor[1] + 1}H")
        self._shown, self._cursor = frame, cursor
        write_all(self.fd, "".join(out).encode())


def write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


class DemoAgent:
    """The interactive loop: reads keys, runs each turn as timed phases, repaints the frame."""

    def __init__(
        self, fd_in: int, painter: Painter, store: SessionStore, workdir: Path, speed: float
    ) -> None:
        self.fd_in, self.painter, self.store, self.workdir = fd_in, painter, store, workdir
        self.think = THINK_SECONDS / speed
        self.keys = KeyReader()
        self.entries: list[tuple[str, str]] = []  # the conversation; kinds as in PREFIXES
        self.text = ""  # what is typed in the input box
        self.mode = "idle"  # idle | busy | ask | done
        self.turn: Turn | None = None
        self.started = self.until = self.ctrl_c_until = 0.0
        self.exit_code: int | None = None

    def resume(self) -> None:
        """Show a saved session's size and last reply; nothing of it is run again."""
        entries = self.store.load()
        turns = sum(1 for entry in entries if entry.get("type") == "user")
        self.entries.append(("note", f"Resumed session {self.store.session_id} ({turns} turns)"))
        replies = [str(entry.get("text")) for entry in entries if entry.get("type") == "assistant"]
        if replies:
            self.entries.append(("reply", replies[-1]))

    def run(self, wake: int) -> int:
        self.painter.resize()
        self._draw()
        while self.exit_code is None:
            ready = select.select([self.fd_in, wake], [], [], self._timeout())[0]
            if wake in ready:
                os.read(wake, 64)
                self.painter.resize()
            for kind, value in self._read_keys() if self.fd_in in ready else []:
                if self.exit_code is None:
                    self.on_key(kind, value)
            self._tick()
            self._draw()
        self.mode = "done"
        self._draw()
        return self.exit_code

    def on_key(self, kind: str, value: str) -> None:
        if kind == "ctrl_c":
            self._ctrl_c()
            return
        self.ctrl_c_until = 0.0
        if self.mode == "ask":
            self._answer(kind, value)
        elif kind == "esc" and self.mode == "busy":
            self._interrupt()
        elif kind in ("char", "paste"):
            self.text += value
        elif kind == "backspace":
            self.text = self.text[:-1]
        elif kind == "enter" and self.mode == "idle":
            self._submit()

    def _read_keys(self) -> list[tuple[str, str]]:
        events = self.keys.feed(_read(self.fd_in))
        while self.keys.pending:  # a lone ESC: give the rest of a sequence a moment to arrive
            more = select.select([self.fd_in], [], [], ESC_WAIT)[0]
            events += self.keys.feed(_read(self.fd_in)) if more else self.keys.flush()
        return events

    def _timeout(self) -> float | None:
        """Seconds until the next timed change; None when idle, so nothing is redrawn."""
        now = time.monotonic()
        waits = [self.ctrl_c_until - now] if self.ctrl_c_until else []
        if self.mode == "busy":
            waits += [self.until - now, FRAME_SECONDS - (now - self.started) % FRAME_SECONDS]
        return max(0.0, min(waits)) if waits else None

    def _tick(self) -> None:
        now = time.monotonic()
        if self.ctrl_c_until and now >= self.ctrl_c_until:
            self.ctrl_c_until = 0.0
        if self.mode == "busy" and now >= self.until and self.turn:
            if self.turn.question:
                self.mode = "ask"
            else:
                self._finish(self.turn.act())

    def _submit(self) -> None:
        text, self.text = self.text.strip(), ""
        if re.fullmatch(r"/?(exit|quit)", text.lower()):
            self.exit_code = 0
        elif text:
            self.entries.append(("user", text))
            self.store.append("user", text)
            turn = plan_turn(text, self.workdir, self.think)
            self._busy(turn, turn.seconds)

    def _busy(self, turn: Turn, seconds: float) -> None:
        self.turn, self.mode = turn, "busy"
        self.started = time.monotonic()
        self.until = self.started + seconds

    def _finish(self, lines: list[str]) -> None:
        text = "\n".join(lines)
        self.entries.append(("reply", text))
        self.store.append("assistant", text)
        if self.turn and self.turn.exit_code is not None:
            self.exit_code = self.turn.exit_code
        self.mode, self.turn = "idle", None

    def _interrupt(self) -> None:
        self.turn = None  # the action never runs: interrupting undoes nothing
        self._finish(["Interrupted by user."])

    def _answer(self, kind: str, value: str) -> None:
        """``1`` or Enter (option 1 is highlighted) approve; ``2`` or Esc deny."""
        if self.turn and (value == "1" or kind == "enter"):
            # Approved: act after a short busy phase, as a tool runs after its approval.
            self._busy(self.turn._replace(question=""), self.think / 2)
        elif self.turn and (value == "2" or kind == "esc"):
            self._finish([self.turn.denied])

    def _ctrl_c(self) -> None:
        if self.ctrl_c_until:
            self.exit_code = 0
        elif self.mode == "ask":
            self._answer("esc", "")
        elif self.mode == "busy":
            self._interrupt()
        self.text = ""
        self.ctrl_c_until = time.monotonic() + CTRL_C_WINDOW

    def _draw(self) -> None:
        rows, cols = self.painter.rows, self.painter.cols
        head = [_fit(f"{TITLE} · {self.workdir}", cols), ""]
        body = [row for kind, text in self.entries for row in [*_wrap(text, cols, kind), ""]]
        box = self._box(cols)
        room = max(0, rows - len(head) - len(box))
        frame = (head + body[max(0, len(body) - room) :] + box)[-rows:]
        prompt = [i for i, row in enumerate(frame) if row.lstrip().startswith(PROMPT)]
        row = prompt[-1] if prompt else len(frame) - 1
        self.painter.paint(frame, (row, min(_width(frame[row]), cols - 1) if prompt else 0))

    def _box(self, cols: int) -> list[str]:
        rule = "─" * cols
        if self.mode == "done":
            command = f"python -m taskyard.bridge.demo_agent --resume {self.store.session_id}"
            return [_fit(f"Resume this session with: {command}", cols)]
        if self.mode == "ask" and self.turn:
            question = _wrap(self.turn.question, cols, "dialog")
            options = [f" {PROMPT} 1. Yes", "   2. No"]
            return [rule, " Permission request", "", *question, *options, "", " Esc to cancel"]
        busy = self.mode == "busy"
        status = [_fit(self._spinner(), cols), ""] if busy else []
        footer = "esc to interrupt" if busy else "? for help"
        footer = "Press Ctrl-C again to exit" if self.ctrl_c_until else footer
        shown = self.text.replace("\n", " ").replace("\t", " ")
        while _width(shown) > cols - 3:  # show the tail of a long input, as a text field does
            shown = shown[1:]
        return [*status, rule, f"{PROMPT} {shown}", rule, f"  {footer}"]

    def _spinner(self) -> str:
        elapsed = time.monotonic() - self.started
        glyph = SPINNER[int(elapsed / FRAME_SECONDS) % len(SPINNER)]
        verb = self.turn.verb if self.turn else "Thinking"
        return f"{glyph} {verb}… ({int(elapsed)}s · esc to interrupt)"


def _read(fd: int) -> bytes:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the terminal hung up
        data = b""
    if not data:
        raise EOFError("the terminal closed")
    return data


def main(argv: list[str] | None = None) -> int:
    """Run the demo agent on this process's terminal; returns the exit code."""
    args = _parser().parse_args(argv)
    workdir = args.workdir.resolve()
    session_id = args.resume or args.session_id or str(uuid.uuid4())
    problem = _problem(workdir, session_id, bool(args.resume))
    if problem:
        print(f"demo-agent: {problem}", file=sys.stderr)
        return 2
    speed = args.speed or positive(os.environ.get("TASKYARD_DEMO_SPEED", "")) or 1.0
    store = SessionStore(workdir, session_id)
    agent = DemoAgent(sys.stdin.fileno(), Painter(sys.stdout.fileno()), store, workdir, speed)
    if args.resume:
        agent.resume()
    return _run_in_terminal(agent)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="demo-agent", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="folder to work in")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", metavar="SESSION_ID", help="reload a saved session")
    group.add_argument("--session-id", metavar="ID", help="start a new session with this id")
    speed_help = "divide thinking time by FACTOR (default: $TASKYARD_DEMO_SPEED or 1)"
    parser.add_argument("--speed", type=float, metavar="FACTOR", help=speed_help)
    return parser


def _problem(workdir: Path, session_id: str, resume: bool) -> str:
    if not workdir.is_dir():
        return f"no such directory: {workdir}"
    if not SESSION_ID.fullmatch(session_id):
        return f"invalid session id: {session_id!r}"
    if resume and not SessionStore(workdir, session_id).path.is_file():
        return f"No conversation found with session ID: {session_id}"
    if not (os.isatty(sys.stdin.fileno()) and os.isatty(sys.stdout.fileno())):
        return "stdin and stdout must be a terminal"
    return ""


def _run_in_terminal(agent: DemoAgent) -> int:
    fd_in, fd_out = agent.fd_in, agent.painter.fd
    saved = termios.tcgetattr(fd_in)
    wake_read, wake_write = os.pipe()  # signals (SIGWINCH) wake select() through this pipe
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGWINCH, lambda *_: None)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # exit through `finally` to restore the tty
        signal.signal(signum, lambda number, _frame: sys.exit(128 + number))
    try:
        tty.setraw(fd_in, termios.TCSANOW)  # TCSANOW keeps keys typed before we started
        write_all(fd_out, b"\x1b[?2004h")  # bracketed paste, as Claude Code enables it
        return agent.run(wake_read)
    except EOFError:
        return 0
    finally:
        try:
            write_all(fd_out, b"\x1b[?2004l\r\n")
            termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)
        except OSError:
            pass  # the terminal is already gone


if __name__ == "__main__":
    sys.exit(main())
