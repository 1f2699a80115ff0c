"""The built-in demo agent, driven in a real PTY and read through pyte like the bridge reads it.

Screens seen here are recorded under ``tests/data/screens/demo/<case>/`` when
``TASKYARD_RECORD_SCREENS=1`` is set; the table tests at the end check ``demo_screen``'s
``classify`` and ``clean_reply`` against those recordings.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyte
import pytest
from ptyprocess import PtyProcess

from taskyard.bridge.adapters.demo_screen import classify, clean_reply
from taskyard.bridge.demo_agent import KeyReader
from taskyard.bridge.model import ScreenKind, ScreenReading

ROWS, COLS = 30, 100
SERVER = Path(__file__).resolve().parents[2] / "server"
SCREENS = Path(__file__).resolve().parents[1] / "data" / "screens" / "demo"
RECORD = os.environ.get("TASKYARD_RECORD_SCREENS") == "1"
ENTER, ESC, CTRL_C, BACKSPACE = b"\r", b"\x1b", b"\x03", b"\x7f"
PROMPT = "\u276f"  # the chevron the demo agent draws, as Claude Code does
Lines = list[str]


class AgentTerminal:
    """The demo agent in a PTY, its output rendered by pyte on a reader thread."""

    def __init__(self, workdir: Path, *args: str, rows: int = ROWS, cols: int = COLS) -> None:
        env = {**os.environ, "PYTHONPATH": str(SERVER), "TASKYARD_DEMO_SPEED": "20"}
        argv = [sys.executable, "-m", "taskyard.bridge.demo_agent", "--workdir", str(workdir)]
        self.workdir = workdir
        self.proc = PtyProcess.spawn([*argv, *args], env=env, dimensions=(rows, cols))
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.received = 0  # bytes of output so far, to prove the agent stays quiet when idle
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        while True:
            try:
                data = self.proc.read(4096)
            except EOFError:
                return
            with self._lock:
                self.stream.feed(data)
                self.received += len(data)

    def lines(self) -> Lines:
        with self._lock:
            return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, check: Callable[[Lines], object], timeout: float = 10.0) -> Lines:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.lines()
            if check(lines):
                return lines
            time.sleep(0.02)
        raise AssertionError("screen never matched:\n" + self.text())

    def wait_kind(self, kind: ScreenKind, timeout: float = 10.0) -> Lines:
        return self.wait_for(lambda lines: classify(lines).kind == kind, timeout)

    def type(self, text: str) -> None:
        """Type ``text`` (not yet sent) and wait until the input box shows it."""
        self.proc.write(text.encode())
        self.wait_for(lambda lines: any(self._shows_input(line, text) for line in lines))

    def _shows_input(self, line: str, text: str) -> bool:
        # A long input shows only its tail, as in a one-line text field.
        shown = line[len(PROMPT) :].strip()
        whole = len(line) >= min(len(f"{PROMPT} {text}".rstrip()), self.screen.columns - 2)
        return line.startswith(PROMPT) and bool(shown) and text.rstrip().endswith(shown) and whole

    def ask(self, text: str) -> Lines:
        """Send one message the way the bridge does; returns the screen from before typing."""
        before = self.wait_kind(ScreenKind.READY)
        self.type(text)
        self.proc.write(ENTER)
        return before

    def turn(self, text: str) -> tuple[Lines, Lines]:
        """One whole turn: the screens before typing and after the agent is ready again."""
        before = self.ask(text)
        # Enter clears the box and starts the spinner in one repaint, so the next
        # ready screen is the end of this turn.
        return before, self.wait_kind(ScreenKind.READY)

    def resize(self, rows: int, cols: int) -> None:
        with self._lock:
            self.screen.resize(rows, cols)
        self.proc.setwinsize(rows, cols)

    def exit_code(self, timeout: float = 10.0) -> int | None:
        deadline = time.monotonic() + timeout
        while self.proc.isalive() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._reader.join(timeout=2)
        return None if self.proc.isalive() else self.proc.wait()

    def close(self) -> None:
        if self.proc.isalive():
            self.proc.terminate(force=True)
        self._reader.join(timeout=2)
        self.proc.delayafterclose = 0
        self.proc.close()  # the PTY's file object; left open it warns (warnings are errors)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.fixture
def agent(workdir: Path) -> Iterator[AgentTerminal]:
    term = AgentTerminal(workdir, "--session-id", "demo-test")
    yield term
    term.close()


def record(
    case: str,
    term: AgentTerminal,
    kind: ScreenKind,
    message: str = "",
    *,
    screen: Lines | None = None,
    turn: tuple[Lines, str, str] | None = None,
) -> None:
    """Save a screen (default: the current one) as a fixture, with TASKYARD_RECORD_SCREENS=1.

    ``turn`` is (screen before typing, input, expected reply) for ``clean_reply`` cases.
    """
    if not RECORD:
        return
    folder = SCREENS / case
    folder.mkdir(parents=True, exist_ok=True)

    def save(name: str, content: str | Lines) -> None:
        text = content if isinstance(content, str) else "\n".join(content) + "\n"
        (folder / name).write_text(text.replace(str(term.workdir), "/workspace"), encoding="utf-8")

    screen = screen or term.lines()
    save("screen.txt", screen)
    save("expected.json", json.dumps({"kind": kind.value, "message": message}, ensure_ascii=False))
    if turn:
        save("before.txt", turn[0])
        save("after.txt", screen)
        save("input.txt", turn[1])
        save("expected_reply.txt", turn[2])


def transcript(workdir: Path, session: str = "demo-test") -> list[tuple[str, str]]:
    path = workdir / ".taskyard-demo" / f"{session}.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(set(entry) == {"type", "text", "time"} for entry in entries)
    return [(entry["type"], entry["text"]) for entry in entries]


# -- the live agent -----------------------------------------------------------------------------


def test_ready_screen_shows_header_prompt_and_footer(agent: AgentTerminal, workdir: Path) -> None:
    lines = agent.wait_kind(ScreenKind.READY)
    assert lines[0] == f"Taskyard demo agent v1 · {workdir.resolve()}"
    rule = "─" * COLS
    box = lines.index(rule)
    assert lines[box : box + 4] == [rule, PROMPT, rule, "  ? for help"]
    record("ready", agent, ScreenKind.READY)


def test_idle_agent_writes_nothing(agent: AgentTerminal) -> None:
    agent.wait_kind(ScreenKind.READY)
    time.sleep(0.2)
    quiet_since = agent.received
    time.sleep(0.6)
    assert agent.received == quiet_since


def test_typing_echoes_and_backspace_edits(agent: AgentTerminal) -> None:
    agent.wait_kind(ScreenKind.READY)
    agent.type("helo")
    agent.proc.write(BACKSPACE + b"lo")
    lines = agent.wait_for(lambda lines: f"{PROMPT} hello" in lines)
    assert classify(lines).kind == ScreenKind.UNKNOWN  # typed but not sent: not "ready"
    record("typing", agent, ScreenKind.UNKNOWN)


def test_busy_screen_has_spinner_and_interrupt_footer(agent: AgentTerminal) -> None:
    before = agent.ask("sleep 0.8")
    lines = agent.wait_kind(ScreenKind.BUSY)
    assert "  esc to interrupt" in lines
    spinner = [
        line
        for line in lines
        if re.fullmatch(r"[·✢✳✶✻✽] Sleeping… \(\ds · esc to interrupt\)", line)
    ]
    assert classify(lines).message == spinner[0]
    record("busy", agent, ScreenKind.BUSY, spinner[0], screen=lines)
    agent.wait_for(lambda lines: "● Slept for 0.8 seconds." in lines)
    after = agent.wait_kind(ScreenKind.READY)
    assert clean_reply(before, after, "sleep 0.8") == "Slept for 0.8 seconds."


@pytest.mark.parametrize(
    ("prompt", "reply", "files", "case"),
    [
        pytest.param(
            "create hello.txt with hello world",
            "Created hello.txt (12 bytes).",
            {"hello.txt": "hello world\n"},
            "reply_create",
            id="create",
        ),
        pytest.param(
            "create src/app.py with print('hi')",
            "Created src/app.py (12 bytes).",
            {"src/app.py": "print('hi')\n"},
            "",
            id="create-in-subfolder",
        ),
        pytest.param(
            "edit notes.txt with second line",
            "Updated notes.txt (12 bytes).",
            {"notes.txt": "first line\nsecond line\n"},
            "",
            id="edit-appends",
        ),
        pytest.param(
            "create ../escape.txt with nope",
            "Refusing to touch ../escape.txt: it is outside the working directory.",
            {},
            "",
            id="refuse-outside",
        ),
        pytest.param(
            "what does this repo do?",
            "Demo reply to: what does this repo do?\n"
            "Plan: read the relevant files, make that change, then run the tests.",
            {},
            "reply_default",
            id="default",
        ),
        pytest.param(
            "please explain" + " the build and the tests" * 7,
            "Demo reply to: please explain" + " the build and the tests" * 7 + "\n"
            "Plan: read the relevant files, make that change, then run the tests.",
            {},
            "reply_wrapped",
            id="long-prompt-wraps",
        ),
    ],
)
def test_turn_replies_and_writes_files(
    workdir: Path, prompt: str, reply: str, files: dict[str, str], case: str
) -> None:
    (workdir / "notes.txt").write_text("first line\n")
    term = AgentTerminal(workdir, "--session-id", "demo-test")
    try:
        before = term.ask(prompt)
        after = term.wait_for(
            lambda ls: classify(ls).kind == ScreenKind.READY and "● " in "".join(ls)
        )
        assert clean_reply(before, after, prompt) == reply
        for name, content in files.items():
            assert (workdir / name).read_text() == content
        assert not (workdir.parent / "escape.txt").exists()
        assert transcript(workdir) == [("user", prompt), ("assistant", reply)]
        if case:
            record(case, term, ScreenKind.READY, turn=(before, prompt, reply))
    finally:
        term.close()


DELETE = ("delete notes.txt", "Do you want to delete notes.txt?")
DELETED, DENIED = "Deleted notes.txt.", "Permission denied: notes.txt was not deleted."


@pytest.mark.parametrize(
    ("ask", "answer", "outcome"),
    [
        pytest.param(DELETE, b"1", (DELETED, False), id="yes-1"),
        pytest.param(DELETE, ENTER, (DELETED, False), id="yes-enter"),
        pytest.param(DELETE, b"2", (DENIED, True), id="no-2"),
        pytest.param(DELETE, ESC, (DENIED, True), id="no-esc"),
        pytest.param(
            ("ask permission, then create made.txt with yes", "Do you want to create made.txt?"),
            b"1",
            ("Created made.txt (4 bytes).", True),
            id="create-yes",
        ),
        pytest.param(
            ("create todo.txt with delete old logs", "Do you want to create todo.txt?"),
            b"1",
            ("Created todo.txt (16 bytes).", True),
            id="first-verb-wins",
        ),
        pytest.param(
            ("deploy it, with permission", "Do you want to proceed?"),
            ESC,
            ("Permission denied: nothing was changed.", True),
            id="proceed-no",
        ),
    ],
)
def test_permission_dialog_and_answers(
    request: pytest.FixtureRequest,
    workdir: Path,
    ask: tuple[str, str],
    answer: bytes,
    outcome: tuple[str, bool],
) -> None:
    (prompt, question), (reply, kept) = ask, outcome
    (workdir / "notes.txt").write_text("keep me\n")
    term = AgentTerminal(workdir, "--session-id", "demo-test")
    case = request.node.callspec.id
    try:
        before = term.ask(prompt)
        lines = term.wait_kind(ScreenKind.PERMISSION)
        assert classify(lines).message == question
        at = lines.index(f" {question}")
        assert lines[at + 1 : at + 5] == [f" {PROMPT} 1. Yes", "   2. No", "", " Esc to cancel"]
        assert "? for help" not in term.text()  # the dialog replaces the input box
        assert (workdir / "notes.txt").exists()  # nothing happens before the answer
        if case in ("yes-1", "proceed-no"):
            record(f"permission_{case.replace('-', '_')}", term, ScreenKind.PERMISSION, question)
        term.proc.write(answer)
        after = term.wait_for(
            lambda ls: classify(ls).kind == ScreenKind.READY and f"● {reply}" in ls
        )
        assert clean_reply(before, after, prompt) == reply
        assert (workdir / "notes.txt").exists() == kept
        if case == "no-esc":
            record("reply_denied", term, ScreenKind.READY, turn=(before, prompt, reply))
    finally:
        term.close()


def test_escape_interrupts_a_busy_turn(agent: AgentTerminal, workdir: Path) -> None:
    before = agent.ask("sleep 30 then create late.txt")
    agent.wait_kind(ScreenKind.BUSY)
    started = time.monotonic()
    agent.proc.write(ESC)
    after = agent.wait_for(
        lambda ls: "● Interrupted by user." in ls and classify(ls).kind == ScreenKind.READY
    )
    assert time.monotonic() - started < 3
    assert clean_reply(before, after, "sleep 30 then create late.txt") == "Interrupted by user."
    assert not (workdir / "late.txt").exists()
    record(
        "reply_interrupted",
        agent,
        ScreenKind.READY,
        turn=(before, "sleep 30 then create late.txt", "Interrupted by user."),
    )


def test_fail_prints_an_error_and_exits_3(agent: AgentTerminal) -> None:
    agent.ask("fail")
    assert agent.exit_code() == 3
    lines = agent.lines()
    assert "● Error: the demo agent failed on purpose (exit code 3)." in lines
    assert classify(lines).kind == ScreenKind.UNKNOWN  # the input box is gone
    record("exited_failed", agent, ScreenKind.UNKNOWN)


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(b"exit\r", id="exit"),
        pytest.param(b"/exit\r", id="slash-exit"),
        pytest.param(CTRL_C + CTRL_C, id="ctrl-c-twice"),
    ],
)
def test_exit_commands_end_with_code_0(agent: AgentTerminal, keys: bytes) -> None:
    agent.wait_kind(ScreenKind.READY)
    agent.proc.write(keys)
    assert agent.exit_code() == 0
    assert (
        "Resume this session with: python -m taskyard.bridge.demo_agent --resume demo-test"
        in agent.text()
    )


def test_single_ctrl_c_clears_input_and_warns(agent: AgentTerminal) -> None:
    agent.wait_kind(ScreenKind.READY)
    agent.type("draft")
    agent.proc.write(CTRL_C)
    lines = agent.wait_for(lambda ls: "  Press Ctrl-C again to exit" in ls)
    assert PROMPT in lines  # the draft is gone
    agent.type("a")  # any other key cancels the pending exit
    agent.wait_for(lambda ls: "  ? for help" in ls)
    assert agent.proc.isalive()


def test_bracketed_paste_is_literal_and_x_backspace_is_harmless(
    agent: AgentTerminal, workdir: Path
) -> None:
    agent.wait_kind(ScreenKind.READY)
    agent.proc.write(b"x" + BACKSPACE)  # what clients send to check the TUI reacts
    agent.proc.write(b"\x1b[200~create pasted.txt with one\rtwo\x1b[201~")
    agent.wait_for(lambda ls: f"{PROMPT} create pasted.txt with one two" in ls)
    time.sleep(0.2)
    assert not (workdir / "pasted.txt").exists()  # the CR inside the paste did not submit
    agent.proc.write(ENTER)
    agent.wait_for(lambda ls: "● Created pasted.txt (8 bytes)." in ls)
    assert (workdir / "pasted.txt").read_text() == "one\ntwo\n"


def test_resume_reloads_without_redoing(workdir: Path) -> None:
    first = AgentTerminal(workdir, "--session-id", "s1")
    try:
        first.ask("edit log.txt with entry")
        first.wait_for(lambda ls: "● Created log.txt (6 bytes)." in ls)
        first.ask("exit")
        assert first.exit_code() == 0
    finally:
        first.close()
    second = AgentTerminal(workdir, "--resume", "s1")
    try:
        lines = second.wait_kind(ScreenKind.READY)
        assert "Resumed session s1 (1 turns)" in lines
        assert "● Created log.txt (6 bytes)." in lines
        time.sleep(0.3)
        assert (workdir / "log.txt").read_text() == "entry\n"  # not appended a second time
        assert transcript(workdir, "s1") == [
            ("user", "edit log.txt with entry"),
            ("assistant", "Created log.txt (6 bytes)."),
        ]
        record("resumed", second, ScreenKind.READY)
        second.ask("hello again")
        second.wait_for(lambda ls: "● Demo reply to: hello again" in ls)
        assert len(transcript(workdir, "s1")) == 4
    finally:
        second.close()


def test_resume_of_an_unknown_session_fails(workdir: Path) -> None:
    term = AgentTerminal(workdir, "--resume", "nope")
    try:
        assert term.exit_code() == 2
        assert "No conversation found with session ID: nope" in term.text()
    finally:
        term.close()


def test_repeated_prompt_reply_comes_after_the_last_echo(agent: AgentTerminal) -> None:
    prompt, reply = "create same.txt with v", "Created same.txt (2 bytes)."
    for _ in range(8):  # enough turns to scroll the first ones off the 30-row screen
        before, after = agent.turn(prompt)
        assert clean_reply(before, after, prompt) == reply
    assert after[0].startswith("Taskyard demo agent v1")  # the header stays; old turns scroll away
    assert after.count(f"> {prompt}") < 8
    record("reply_repeated", agent, ScreenKind.READY, turn=(before, prompt, reply))


def test_resize_redraws_within_the_new_size(agent: AgentTerminal) -> None:
    agent.wait_kind(ScreenKind.READY)
    agent.resize(20, 60)
    lines = agent.wait_for(lambda ls: "─" * 60 in ls and classify(ls).kind == ScreenKind.READY)
    assert len(lines) == 20
    assert all(len(line) <= 60 for line in lines)


@pytest.mark.parametrize(
    ("chunks", "events"),
    [
        pytest.param([b"ab\r"], [("char", "a"), ("char", "b"), ("enter", "")], id="typing"),
        pytest.param(
            [b"x\x7f\x08"], [("char", "x"), ("backspace", ""), ("backspace", "")], id="bs"
        ),
        pytest.param([b"\r\n"], [("enter", "")], id="crlf-is-one-enter"),
        pytest.param(
            [b"\x1b[200~a\rb\x1b[2", b"01~\r"],
            [("paste", "a\nb"), ("enter", "")],
            id="paste-split-terminator",
        ),
        pytest.param([b"\x1b[A\x1b[I\x1bOB"], [], id="arrows-and-focus-ignored"),
        pytest.param([b"\xe2\x9d", b"\xaf"], [("char", PROMPT)], id="split-utf8"),
        pytest.param([b"\x1bx"], [("esc", ""), ("char", "x")], id="esc-then-key"),
        pytest.param([b"\x03"], [("ctrl_c", "")], id="ctrl-c"),
    ],
)
def test_key_reader_events(chunks: list[bytes], events: list[tuple[str, str]]) -> None:
    reader = KeyReader()
    assert [event for chunk in chunks for event in reader.feed(chunk)] == events
    assert not reader.pending


def test_key_reader_lone_escape_waits_then_flushes() -> None:
    reader = KeyReader()
    assert reader.feed(b"\x1b") == []
    assert reader.pending
    assert reader.flush() == [("esc", "")]
    assert not reader.pending


# -- recorded screens ---------------------------------------------------------------------------


def _cases() -> list[str]:
    return sorted(p.name for p in SCREENS.iterdir() if p.is_dir()) if SCREENS.is_dir() else []


def _read_lines(case: str, name: str) -> Lines:
    return (SCREENS / case / name).read_text(encoding="utf-8").splitlines()


def test_recorded_screens_cover_every_kind() -> None:
    kinds = {json.loads((SCREENS / c / "expected.json").read_text())["kind"] for c in _cases()}
    assert kinds == {"ready", "busy", "permission", "unknown"}


@pytest.mark.parametrize("case", _cases())
def test_classify_recorded_screen(case: str) -> None:
    expected = json.loads((SCREENS / case / "expected.json").read_text())
    reading = classify(_read_lines(case, "screen.txt"))
    assert (reading.kind.value, reading.message) == (expected["kind"], expected["message"])


@pytest.mark.parametrize(
    "case", [c for c in _cases() if (SCREENS / c / "expected_reply.txt").exists()]
)
def test_clean_reply_recorded_turn(case: str) -> None:
    before, after = _read_lines(case, "before.txt"), _read_lines(case, "after.txt")
    user_input = (SCREENS / case / "input.txt").read_text(encoding="utf-8")
    expected = (SCREENS / case / "expected_reply.txt").read_text(encoding="utf-8")
    assert clean_reply(before, after, user_input) == expected


RULE = "─" * 30


@pytest.mark.parametrize(
    ("lines", "kind", "message"),
    [
        pytest.param([], ScreenKind.UNKNOWN, "", id="empty"),
        pytest.param(
            ["> what does esc to interrupt mean?", "", RULE, PROMPT, RULE, "  ? for help"],
            ScreenKind.READY,
            "",
            id="busy-words-in-conversation",
        ),
        pytest.param(
            ["> sleep 9", "", RULE, PROMPT, RULE, "  esc to interrupt"],
            ScreenKind.BUSY,
            "",
            id="busy-footer-without-spinner",
        ),
        pytest.param(
            [" Do you want to delete", "  something?", f" {PROMPT} 1. Yes", "   2. No"],
            ScreenKind.PERMISSION,
            "Do you want to delete something?",
            id="narrow-dialog-wrapped-and-cut",
        ),
        pytest.param(
            ["> Do you want to go?", "", RULE, PROMPT, RULE, "  ? for help"],
            ScreenKind.READY,
            "",
            id="question-words-in-conversation",
        ),
    ],
)
def test_classify_edge_cases(lines: Lines, kind: ScreenKind, message: str) -> None:
    assert classify(lines) == ScreenReading(kind, message)


@pytest.mark.parametrize(
    ("before", "after", "user_input", "expected"),
    [
        pytest.param(
            [], ["● old", "", "─" * 20, PROMPT, "─" * 20], "gone", "old", id="echo-scrolled-off"
        ),
        pytest.param(
            ["● old"], ["● old", "", "─" * 20, PROMPT, "─" * 20], "gone", "", id="nothing-new"
        ),
        pytest.param(
            [],
            ["> two", "  lines", "", "● first part", "  wrapped", "● second", "", "─" * 20],
            "two\nlines",
            "first part wrapped\nsecond",
            id="multiline-input-and-wrapped-reply",
        ),
    ],
)
def test_clean_reply_edge_cases(
    before: Lines, after: Lines, user_input: str, expected: str
) -> None:
    assert clean_reply(before, after, user_input) == expected
