"""Screen rules for the built-in ``demo`` agent (``taskyard.bridge.demo_agent``).

Pure functions over rendered screen lines (e.g. ``pyte.Screen.display``). The demo agent draws a
Claude Code-like frame: the conversation (``> `` user lines, ``● `` reply lines, wrapped lines
indented by two spaces), then either the input box (a rule, the prompt line, a rule, a footer
that says ``? for help`` or ``esc to interrupt``) with a spinner line above it while busy, or a
permission dialog (a rule, ``Do you want to ...?``, ``1. Yes`` / ``2. No``, ``Esc to cancel``).
"""

from __future__ import annotations

import re

from taskyard.bridge.model import ScreenKind, ScreenReading

_RULE = re.compile(r"^─{8,}$")
_PROMPT = re.compile(r"^\s*\u276f(.*)$")  # the chevron prompt; its text is what is typed
_QUESTION = re.compile(r"^\s*Do you want to ")
_YES = re.compile(r"^\s*(?:\u276f\s*)?1\.\s+Yes\b")
_SPINNER = re.compile(r"^[·✢✳✶✻✽*]\s+\S.*…")
_BUSY_FOOTER = "esc to interrupt"
_READY_FOOTER = "? for help"
_MARKERS = ("> ", "● ")


def classify(lines: list[str]) -> ScreenReading:
    """Tell whether the demo agent waits for input, works, or asks permission."""
    rows = [line.rstrip() for line in lines]
    question = _dialog_question(rows)
    if question:
        return ScreenReading(ScreenKind.PERMISSION, question)
    box = _input_box(rows)
    if box is None:
        return ScreenReading(ScreenKind.UNKNOWN)
    top, prompt, footer = box
    spinner = _spinner_above(rows, top)
    if _BUSY_FOOTER in footer.lower() or spinner:
        return ScreenReading(ScreenKind.BUSY, spinner)
    if not prompt.strip() and _READY_FOOTER in footer:
        return ScreenReading(ScreenKind.READY)
    return ScreenReading(ScreenKind.UNKNOWN)  # text typed but not sent, or about to exit


def clean_reply(before: list[str], after: list[str], user_input: str) -> str:
    """The agent's reply to ``user_input``: its ``●`` paragraphs, markers and wrapping removed.

    The reply is what follows the echo of ``user_input`` on the ``after`` screen. When that echo
    has scrolled away, the last run of replies is taken, unless ``before`` already ended with it.
    """
    paragraphs = _paragraphs(_conversation(after))
    wanted = _words(user_input)
    echoes = [
        i for i, (mark, text) in enumerate(paragraphs) if mark == ">" and _words(text) == wanted
    ]
    if echoes:
        tail = paragraphs[echoes[-1] + 1 :]
        return "\n".join(text for mark, text in _until_next_echo(tail) if mark == "●")
    reply = _last_replies(paragraphs)
    return "" if reply == _last_replies(_paragraphs(_conversation(before))) else reply


def _dialog_question(rows: list[str]) -> str:
    """The question of a permission dialog drawn below the last rule, or ""."""
    rules = [i for i, row in enumerate(rows) if _RULE.match(row)]
    dialog = rows[rules[-1] + 1 :] if rules else rows  # a short screen may cut the rule off
    yes = next((i for i, row in enumerate(dialog) if _YES.match(row)), None)
    start = next((i for i, row in enumerate(dialog) if _QUESTION.match(row)), None)
    if yes is None or start is None or start > yes:
        return ""
    # A narrow terminal wraps the question onto indented rows: join them back.
    question = " ".join(row.strip() for row in dialog[start:yes] if row.strip())
    return question if question.endswith("?") else ""


def _input_box(rows: list[str]) -> tuple[int, str, str] | None:
    """(top rule index, prompt text, footer) of the lowest input box, or None."""
    for bottom in range(len(rows) - 1, 1, -1):
        prompt = _PROMPT.match(rows[bottom - 1])
        if _RULE.match(rows[bottom]) and prompt and _RULE.match(rows[bottom - 2]):
            footer = rows[bottom + 1] if bottom + 1 < len(rows) else ""
            return bottom - 2, prompt.group(1), footer
    return None


def _spinner_above(rows: list[str], top: int) -> str:
    """The spinner line just above the input box (blank lines skipped), or ""."""
    above = [row.strip() for row in rows[:top] if row.strip()]
    return above[-1] if above and _SPINNER.match(above[-1]) else ""


def _conversation(lines: list[str]) -> list[str]:
    """The rows above the input box or dialog, whichever rule comes first."""
    rows = [line.rstrip() for line in lines]
    end = next((i for i, row in enumerate(rows) if _RULE.match(row)), len(rows))
    return rows[:end]


def _paragraphs(rows: list[str]) -> list[tuple[str, str]]:
    """(marker, text) per paragraph; wrapped continuation rows are joined with spaces.

    Rows that are neither a marker row nor a continuation get the marker "" so that they break
    runs of replies (the header, notes, a spinner line).
    """
    paragraphs: list[tuple[str, str]] = []
    joinable = False
    for row in rows:
        if row.startswith(_MARKERS):
            paragraphs.append((row[0], row[2:].strip()))
        elif joinable and row.startswith("  ") and row.strip():
            mark, text = paragraphs[-1]
            paragraphs[-1] = (mark, f"{text} {row.strip()}")
        elif row.strip():
            paragraphs.append(("", row.strip()))
        joinable = bool(row.strip()) and bool(paragraphs) and paragraphs[-1][0] != ""
    return paragraphs


def _until_next_echo(paragraphs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    ends = [i for i, (mark, _text) in enumerate(paragraphs) if mark == ">"]
    return paragraphs[: ends[0]] if ends else paragraphs


def _last_replies(paragraphs: list[tuple[str, str]]) -> str:
    """The text of the last unbroken run of reply paragraphs."""
    run: list[str] = []
    for mark, text in paragraphs:
        run = [*run, text] if mark == "●" else []
    return "\n".join(run)


def _words(text: str) -> str:
    # The screen re-wraps text and turns newlines into indented rows: compare words only.
    return " ".join(text.split())
