"""Screen rules against real recorded screens, plus unit tables for the generic msgfmt helpers.

Every folder under ``tests/data/screens/<agent>/<case>/`` (made by ``tools/record_screens.py``)
is one test case: ``screen.txt`` must classify as ``expected.json`` says, and reply cases
(``before.txt``, ``after.txt``, ``input.txt``) must clean up to ``expected_reply.txt``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taskyard.bridge import msgfmt
from taskyard.bridge.adapters import aider_screen, claude_screen
from taskyard.bridge.model import ScreenKind, ScreenReading

SCREENS = Path(__file__).resolve().parent.parent / "data" / "screens"
RULES = {"claude": claude_screen, "aider": aider_screen}
# Other agents' fixtures (the demo agent's) are checked by their own tests.
FOLDERS = sorted(
    p for agent in RULES for p in (SCREENS / agent).glob("*") if (p / "expected.json").is_file()
)
REPLY_FOLDERS = [p for p in FOLDERS if (p / "expected_reply.txt").is_file()]
RULE = "─" * 40


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def _id(folder: Path) -> str:
    return f"{folder.parent.name}/{folder.name}"


def test_fixtures_exist() -> None:
    for agent in RULES:
        cases = {p.name for p in FOLDERS if p.parent.name == agent}
        assert {"ready", "busy", "permission", "reply"} <= cases, agent


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_classify_recorded_screen(folder: Path) -> None:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    reading = RULES[folder.parent.name].classify(_lines(folder / "screen.txt"))
    assert reading == ScreenReading(ScreenKind(expected["kind"]), expected["message"])


@pytest.mark.parametrize("folder", REPLY_FOLDERS, ids=_id)
def test_clean_reply_recorded_turn(folder: Path) -> None:
    user_input = (folder / "input.txt").read_text(encoding="utf-8").rstrip("\n")
    expected = (folder / "expected_reply.txt").read_text(encoding="utf-8").rstrip("\n")
    rules = RULES[folder.parent.name]
    reply = rules.clean_reply(
        _lines(folder / "before.txt"), _lines(folder / "after.txt"), user_input
    )
    assert reply == expected


@pytest.mark.parametrize("folder", REPLY_FOLDERS, ids=_id)
def test_clean_reply_without_change_is_empty(folder: Path) -> None:
    # Right after sending, before the agent drew anything, there is no reply yet.
    before = _lines(folder / "before.txt")
    assert RULES[folder.parent.name].clean_reply(before, before, "anything") == ""


# --- synthetic screens for cases the recordings do not cover -----------------------------------

CHEVRON = "\u276f"
BOX = ["\u2500" * 20, CHEVRON, "\u2500" * 20]


@pytest.mark.parametrize(
    ("lines", "kind", "message"),
    [
        pytest.param(
            ["", "npm test", "Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: "],
            ScreenKind.PERMISSION,
            "Run shell command 'npm test'?",
            id="shell-command",
        ),
        pytest.param(
            [RULE, "a.py", "Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all [Yes]: "],
            ScreenKind.PERMISSION,
            "Add file to the chat 'a.py'?",
            id="group-question",
        ),
        pytest.param(
            ["Attempt to fix lint errors? (Y)es/(N)o [Yes]:"],
            ScreenKind.PERMISSION,
            "Attempt to fix lint errors?",
            id="no-subject",
        ),
        pytest.param(
            ["Create new file? (Y)es/(N)o [Yes]: y"], ScreenKind.UNKNOWN, "", id="answered"
        ),
        pytest.param(["diff multi>"], ScreenKind.READY, "", id="multi-prompt"),
        pytest.param(["> "], ScreenKind.READY, "", id="bare-prompt"),
        pytest.param(["ask> hello"], ScreenKind.UNKNOWN, "", id="typed"),
        pytest.param(["   =#      Updating repo map"], ScreenKind.BUSY, "", id="ascii-spinner"),
        pytest.param(["Echo: hi"], ScreenKind.UNKNOWN, "", id="streaming"),
        pytest.param([], ScreenKind.UNKNOWN, "", id="empty"),
    ],
)
def test_aider_classify_synthetic(lines: list[str], kind: ScreenKind, message: str) -> None:
    assert aider_screen.classify(lines) == ScreenReading(kind, message)


@pytest.mark.parametrize(
    ("lines", "kind"),
    [
        pytest.param([*BOX, "  ? for shortcuts"], ScreenKind.READY, id="default-footer"),
        pytest.param(["\u2736 Thinking\u2026 (1s)", "", *BOX], ScreenKind.BUSY, id="spinner-only"),
        pytest.param([BOX[0], f"{CHEVRON} line one", "  line two", BOX[2]], ScreenKind.UNKNOWN),
        pytest.param(["1. Yes", "2. No"], ScreenKind.UNKNOWN, id="numbered-list-is-no-dialog"),
        pytest.param(["no box at all"], ScreenKind.UNKNOWN, id="no-box"),
    ],
)
def test_claude_classify_synthetic(lines: list[str], kind: ScreenKind) -> None:
    assert claude_screen.classify(lines).kind is kind


# --- msgfmt unit tables ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "user_input", "expected"),
    [
        pytest.param(["> hello", "", "reply"], "hello", ["", "reply"], id="single-line"),
        pytest.param(
            ["\u276f hello world", "● Echo"], "hello   world", ["● Echo"], id="whitespace"
        ),
        pytest.param(
            ["> first line of a", "  long message", "answer"],
            "first line of a long message",
            ["answer"],
            id="wrapped",
        ),
        pytest.param(
            ["> line one", "  line two", "done"], "line one\nline two", ["done"], id="multi-line"
        ),
        pytest.param(
            ["> fix the ```bug```", "ok"], "fix the ```bug```", ["ok"], id="markup-tolerant"
        ),
        pytest.param(["> fix the bug", "ok"], "fix the ```bug```", ["ok"], id="dropped-characters"),
        pytest.param(["reply only"], "hello", ["reply only"], id="no-echo"),
        pytest.param([*["some reply text"] * 6, "hello"], "hello", None, id="too-far"),
        pytest.param(
            ["a", "b", "c", "d", "e", "f", "hello", "x"], "hello", ["x"], id="short-lines"
        ),
        pytest.param(["> x"], "", ["> x"], id="empty-input"),
    ],
)
def test_remove_echo(lines: list[str], user_input: str, expected: list[str] | None) -> None:
    assert msgfmt.remove_echo(lines, user_input) == (lines if expected is None else expected)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(["reply", "", RULE, "\u276f", RULE, "footer"], ["reply", ""], id="claude-box"),
        pytest.param(["reply", RULE, "> typed", RULE], ["reply"], id="typed-text"),
        pytest.param(["reply", "╌╌╌╌╌", "│ input", "╌╌╌╌╌", "", ""], ["reply"], id="dashed"),
        pytest.param(["reply", RULE, "diff>"], ["reply"], id="aider-prompt"),
        pytest.param(["a", RULE, "b"], ["a", RULE, "b"], id="rule-without-prompt"),
        pytest.param(["reply", "> quoted"], ["reply", "> quoted"], id="no-border"),
        pytest.param([], [], id="empty"),
    ],
)
def test_remove_input_box(lines: list[str], expected: list[str]) -> None:
    assert msgfmt.remove_input_box(lines) == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(["a", "b", ""], ["a", "b", "c", "", ""], ["c"], id="appended"),
        pytest.param(["a", "b", "c"], ["b", "c", "d", "b"], ["d", "b"], id="scrolled"),
        pytest.param(["x"], ["x", "", "x"], [], id="nothing-new"),
        pytest.param([], ["", "new", ""], ["new"], id="empty-before"),
        pytest.param(["a  "], ["a", "b"], ["b"], id="trailing-spaces"),
    ],
)
def test_new_lines(before: list[str], after: list[str], expected: list[str]) -> None:
    assert msgfmt.new_lines(before, after) == expected


@pytest.mark.parametrize(
    ("lines", "trimmed", "collapsed"),
    [
        pytest.param(["", " ", "a", "", "", "b", "  "], ["a", "", "", "b"], ["", "a", "", "b", ""]),
        pytest.param(["", ""], [], [""]),
        pytest.param(["a"], ["a"], ["a"]),
    ],
)
def test_blank_lines(lines: list[str], trimmed: list[str], collapsed: list[str]) -> None:
    assert msgfmt.trim_blank_lines(lines) == trimmed
    assert msgfmt.collapse_blank_runs(lines) == collapsed


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (RULE, True),
        ("╌" * 10, True),
        ("╭" + "─" * 10 + "╮", True),
        ("──", False),
        ("── title ──", False),
        ("", False),
    ],
)
def test_is_border(line: str, expected: bool) -> None:
    assert msgfmt.is_border(line) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("\u276f", True),
        ("> hi", True),
        ("diff> ", True),
        ("│ text", True),
        ("a > b", False),
        ("-> x", False),
    ],
)
def test_is_prompt_line(line: str, expected: bool) -> None:
    assert msgfmt.is_prompt_line(line) is expected


def test_split_and_last_nonblank() -> None:
    lines = msgfmt.split_lines("a  \nb\n   \n")
    assert lines == ["a", "b", "", ""]
    assert msgfmt.last_nonblank(lines) == 1
    assert msgfmt.last_nonblank(["", " "]) == -1
